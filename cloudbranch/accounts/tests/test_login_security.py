"""Login security: second factor (TOTP + recovery codes), idle logout, my sessions, password expiry and
history, login records. Codes are computed from a known device secret; time is moved by editing the
session or the stored dates, never by sleeping."""

import datetime
import time
from binascii import unhexlify

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from cloudbranch.accounts import twofactor
from cloudbranch.accounts.logins import ACTIVITY_KEY
from cloudbranch.accounts.models import LoginRecord, PasswordHistory, RecoveryCode, UserSession
from cloudbranch.accounts.tests.utils import PASSWORD, make_user
from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError

KEY = "3132333435363738393031323334353637383930"  # RFC 6238 test secret
LOGIN = "/accounts/login/"


def code_at(offset_steps: int = 0, key: str = KEY) -> str:
    totp = TOTP(unhexlify(key))
    totp.time = time.time() + 30 * offset_steps
    return f"{totp.token():06d}"


def with_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="身份验证器", key=KEY, confirmed=True)


def password_login(client, user, password=PASSWORD):
    return client.post(LOGIN, {"username": user.username, "password": password})


@pytest.fixture
def member(db):
    return make_user(username="mem")


# ---------------------------------------------------------------- second factor


def test_setup_shows_qr_and_confirms_with_code_then_recovery_codes_once(client, member):
    client.force_login(member)
    page = client.get("/accounts/otp/setup/")
    assert page.status_code == 200 and "<svg" in page.content.decode() and "密钥" in page.content.decode()
    key = client.session[twofactor.PENDING_KEY]
    assert not TOTPDevice.objects.exists()  # nothing written on GET
    assert (
        client.post("/accounts/otp/setup/", {"code": "000000" if code_at(0, key) != "000000" else "111111"}).status_code
        == 422
    )
    done = client.post("/accounts/otp/setup/", {"code": code_at(0, key)})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert TOTPDevice.objects.get(user=member).confirmed
    digests = set(RecoveryCode.objects.filter(user=member).values_list("digest", flat=True))
    assert len(digests) == 10 and not digests & set(codes)  # stored hashed only
    event = AuditEvent.objects.get(action="accounts.otp.enable")
    assert KEY not in str(event.changes) and codes[0] not in str(event.changes)
    assert client.get("/accounts/otp/setup/").status_code == 302  # already enabled


def test_unverified_session_redirected_api_403_htmx_403_then_totp_verifies(client, member):
    with_device(member)
    assert password_login(client, member).status_code == 302
    assert client.get("/accounts/profile/")["Location"] == "/accounts/otp/verify/"
    api = client.get("/api/me/tokens")
    assert api.status_code == 403 and api.json() == {"detail": "需要完成二次验证", "errors": []}
    assert client.get("/notifications/badge/", HTTP_HX_REQUEST="true").status_code == 403
    assert client.get("/accounts/otp/verify/").status_code == 200
    assert client.post("/accounts/otp/verify/", {"code": code_at(0)}).status_code == 302
    assert client.get("/accounts/profile/").status_code == 200
    assert client.get("/api/me/otp").json()["verified"] is True
    assert LoginRecord.objects.filter(user=member, outcome="success").count() == 1


def test_recovery_code_works_once(client, member):
    with_device(member)
    client.force_login(member)
    codes = twofactor._new_recovery_codes(member)
    assert client.post("/accounts/otp/verify/", {"code": codes[3].upper()}).status_code == 302
    assert client.get("/accounts/profile/").status_code == 200
    client.post("/accounts/logout/")
    client.force_login(member)
    again = client.post("/accounts/otp/verify/", {"code": codes[3]})
    assert again.status_code == 422 and "验证码不正确" in again.content.decode()
    assert RecoveryCode.objects.filter(user=member, used_at__isnull=True).count() == 9


def test_five_wrong_codes_log_out_and_lock(client, member, settings):
    with_device(member)
    client.force_login(member)
    wrong = "000000" if code_at(0) != "000000" else "111111"
    for _ in range(settings.OTP_FAILURE_LIMIT - 1):
        assert client.post("/accounts/otp/verify/", {"code": wrong}).status_code == 422
    last = client.post("/accounts/otp/verify/", {"code": wrong})
    assert last.status_code == 302 and last["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session
    member.refresh_from_db()
    assert twofactor.is_locked(member)
    assert LoginRecord.objects.filter(user=member, outcome="otp_failed").count() == settings.OTP_FAILURE_LIMIT
    assert AuditEvent.objects.filter(action="accounts.otp.fail").count() == settings.OTP_FAILURE_LIMIT
    assert UserSession.objects.get(user=member).end_reason == "otp_locked"
    client.force_login(member)  # the right code is refused while locked
    assert client.post("/accounts/otp/verify/", {"code": code_at(1)})["Location"] == "/accounts/login/"


def test_required_roles_forced_to_setup_members_optional(client, world, settings):
    settings.TWO_FACTOR_MANDATORY = True
    for name in ("secretary1", "sysadmin"):
        client.force_login(world.users[name])
        assert client.get("/")["Location"] == "/accounts/otp/setup/", name
        assert client.get("/api/me/tokens").status_code == 403
        assert client.get("/accounts/otp/setup/").status_code == 200
    client.force_login(world.users["member1"])
    assert client.get("/").status_code == 200
    # a required user may not remove the last device
    secretary = world.users["secretary1"]
    with_device(secretary)
    with pytest.raises(ConflictError):
        twofactor.otp_remove(actor=secretary, code=code_at(0))


def test_member_removes_own_device_with_code(client, member):
    with_device(member)
    twofactor._new_recovery_codes(member)
    client.force_login(member)
    client.post("/accounts/otp/verify/", {"code": code_at(0)})
    assert client.post("/accounts/otp/remove/", {"code": "12"}).status_code == 302
    assert TOTPDevice.objects.filter(user=member).exists()
    client.post("/accounts/otp/remove/", {"code": code_at(1)})
    assert not TOTPDevice.objects.filter(user=member).exists() and not RecoveryCode.objects.filter(user=member).exists()


def test_security_admin_resets_second_factor(client, world):
    target = world.users["member1"]
    with_device(target)
    other = type(client)()
    other.force_login(target)
    client.force_login(world.users["sysadmin"])
    assert client.post(f"/accounts/security/otp/{target.pk}/reset/").status_code == 403
    client.force_login(world.users["secadmin"])
    assert client.get("/accounts/security/otp/").status_code == 200
    assert client.post(f"/accounts/security/otp/{target.pk}/reset/").status_code == 302
    assert not TOTPDevice.objects.filter(user=target).exists()
    assert AuditEvent.objects.filter(action="accounts.otp.reset", target_id=str(target.pk)).exists()
    assert other.get("/accounts/profile/").status_code == 302  # the target's sessions were ended


# ---------------------------------------------------------------- idle logout


def _set_activity(client, seconds_ago):
    session = client.session
    session[ACTIVITY_KEY] = time.time() - seconds_ago
    session.save()


def test_idle_logout_with_message(client, member, settings):
    client.force_login(member)
    _set_activity(client, settings.IDLE_TIMEOUT_MINUTES * 60 + 5)
    response = client.get("/accounts/profile/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")
    assert "_auth_user_id" not in client.session
    assert "长时间未操作，已自动退出" in client.get(response["Location"]).content.decode()
    assert UserSession.objects.get(user=member).end_reason == "idle"


def test_polling_does_not_refresh_activity_and_idle_poll_redirects_page(client, member, settings):
    client.force_login(member)
    _set_activity(client, 120)
    before = client.session[ACTIVITY_KEY]
    assert client.get("/notifications/badge/", HTTP_HX_REQUEST="true").status_code == 200
    assert client.session[ACTIVITY_KEY] == before
    assert client.get("/accounts/profile/").status_code == 200
    assert client.session[ACTIVITY_KEY] > before
    _set_activity(client, settings.IDLE_TIMEOUT_MINUTES * 60 + 5)
    poll = client.get("/notifications/badge/", HTTP_HX_REQUEST="true")
    assert poll.status_code == 204 and poll["HX-Redirect"] == "/accounts/login/"


# ---------------------------------------------------------------- my sessions


def test_sessions_list_end_another_and_others(client, member, django_user_model):
    phone, tablet = type(client)(), type(client)()
    for c in (client, phone, tablet):
        c.force_login(member)
    page = client.get("/accounts/sessions/")
    assert page.status_code == 200 and page.content.decode().count("本设备") == 1
    rows = list(page.context["page"])
    assert len(rows) == 3
    phone_row = next(r for r in rows if not r.current)
    assert client.post(f"/accounts/sessions/{phone_row.pk}/end/").status_code == 302
    assert AuditEvent.objects.filter(action="accounts.session.end").exists()
    ended = [c for c in (phone, tablet) if c.get("/accounts/profile/").status_code == 302]
    assert len(ended) == 1
    current = next(r for r in rows if r.current)
    assert client.post(f"/accounts/sessions/{current.pk}/end/").status_code == 302  # 409 message, not ended
    assert UserSession.objects.get(pk=current.pk).ended_at is None
    client.post("/accounts/sessions/end-others/")
    assert tablet.get("/accounts/profile/").status_code == 302 or ended == [tablet]
    assert client.get("/accounts/profile/").status_code == 200
    stranger = make_user()
    stranger_row = UserSession.objects.create(user=stranger, key_digest="x" * 64)
    assert client.post(f"/accounts/sessions/{stranger_row.pk}/end/").status_code == 404
    assert client.delete(f"/api/me/sessions/{stranger_row.pk}").status_code == 404


def test_sessions_and_logins_pages_constant_queries(client, member):
    client.force_login(member)

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    def add_rows(n):
        UserSession.objects.bulk_create(
            UserSession(user=member, key_digest=f"{member.pk}-{i}-{time.time_ns()}") for i in range(n)
        )
        LoginRecord.objects.bulk_create(LoginRecord(user=member, username="mem", outcome="success") for _ in range(n))

    add_rows(2)
    small = [count(u) for u in ("/accounts/sessions/", "/accounts/logins/", "/api/me/sessions", "/api/me/logins")]
    add_rows(15)
    assert [
        count(u) for u in ("/accounts/sessions/", "/accounts/logins/", "/api/me/sessions", "/api/me/logins")
    ] == small


def test_api_sessions_mark_current_and_delete(client, member):
    other = type(client)()
    other.force_login(member)
    client.force_login(member)
    data = client.get("/api/me/sessions").json()
    assert data["count"] == 2 and sum(item["current"] for item in data["items"]) == 1
    target = next(item for item in data["items"] if not item["current"])
    assert client.delete(f"/api/me/sessions/{target['id']}").status_code == 204
    assert other.get("/api/me/tokens").status_code == 401
    assert client.get("/api/me/otp").json() == {
        "enabled": False,
        "required": False,
        "verified": False,
        "recovery_codes_left": 0,
    }


# ---------------------------------------------------------------- password expiry and history


def test_expired_password_must_be_changed_and_reuse_refused(client, member, settings):
    get_user_model().objects.filter(pk=member.pk).update(
        password_changed_at=timezone.now() - datetime.timedelta(days=settings.PASSWORD_MAX_AGE_DAYS + 1)
    )
    client.force_login(member)
    assert client.get("/")["Location"] == "/accounts/password/"
    assert client.get("/api/me/tokens").status_code == 403
    page = client.get("/accounts/password/")
    assert page.status_code == 200 and "已过期" in page.content.decode()
    reuse = client.post(
        "/accounts/password/", {"old_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD}
    )
    assert reuse.status_code == 422 and "不能使用最近" in reuse.content.decode()
    new = "Neu3r-Passw0rd"
    ok = client.post("/accounts/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert ok.status_code == 302
    assert client.get("/").status_code == 200  # same session, re-keyed, still logged in
    member.refresh_from_db()
    assert (timezone.now() - member.password_changed_at).total_seconds() < 60
    assert PasswordHistory.objects.filter(user=member).count() == 1  # create_user hashes without set_password
    assert UserSession.objects.filter(user=member, ended_at__isnull=True).count() == 1


def test_profile_warns_before_expiry(client, member, settings):
    get_user_model().objects.filter(pk=member.pk).update(
        password_changed_at=timezone.now() - datetime.timedelta(days=settings.PASSWORD_MAX_AGE_DAYS - 10)
    )
    client.force_login(member)
    assert "天后过期" in client.get("/accounts/profile/").content.decode()


def test_history_keeps_last_five(member):
    for i in range(6):
        member.set_password(f"Hist0ry-{i}x")
        member.save(update_fields=["password"])
    assert PasswordHistory.objects.filter(user=member).count() == 5


# ---------------------------------------------------------------- login history


def test_login_records_success_failure_lockout_and_who_sees_them(client, world, settings):
    member = world.users["member1"]
    assert password_login(client, member, "wrong").status_code == 200
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_login(client, member, "wrong")
    outcomes = list(LoginRecord.objects.filter(username="member1").values_list("outcome", flat=True))
    assert outcomes.count("bad_password") >= settings.AXES_FAILURE_LIMIT - 1 and "locked" in outcomes
    assert not LoginRecord.objects.filter(username__icontains="wrong").exists()
    other = type(client)()
    assert password_login(other, world.users["secretary1"]).status_code == 302
    assert LoginRecord.objects.filter(user=world.users["secretary1"], outcome="success").exists()

    other.get("/accounts/logins/")
    mine = other.get("/api/me/logins").json()
    assert {item["username"] for item in mine["items"]} == {"secretary1"}
    assert other.get("/accounts/security/logins/").status_code == 403
    assert other.get("/api/accounts/logins").status_code == 403

    client.force_login(world.users["secadmin"])
    everyone = client.get("/api/accounts/logins?outcome=locked").json()
    assert everyone["count"] >= 1 and {i["outcome"] for i in everyone["items"]} == {"locked"}
    page = client.get("/accounts/security/logins/?username=member1")
    assert page.status_code == 200 and "账号锁定" in page.content.decode()

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/accounts/security/logins/").status_code == 200
        return len(ctx)

    before = count()
    LoginRecord.objects.bulk_create(LoginRecord(user=member, username="member1", outcome="success") for _ in range(15))
    assert count() == before


def test_single_sign_on_login_is_recorded_as_sso(client, member):
    client.force_login(member, backend="cloudbranch.accounts.sso.SsoBackend")
    assert LoginRecord.objects.get(user=member).outcome == "sso"
    assert UserSession.objects.filter(user=member, ended_at__isnull=True).count() == 1
