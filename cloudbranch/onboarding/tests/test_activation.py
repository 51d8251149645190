import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.onboarding import services
from cloudbranch.onboarding.models import ActivationAttempt, OneTimeCode, Purpose
from cloudbranch.orgs.models import RoleAssignment
from cloudbranch.orgs.roles import Role

from .conftest import NEW_PASSWORD, last_code, make_newcomer

START = reverse("onboarding:start")


def _post_identity(client, *, name, id_number, staff_number):
    return client.post(START, {"name": name, "id_number": id_number, "staff_number": staff_number})


def _error_text(response) -> str:
    html = response.content.decode()
    start = html.index('id="form-error">') + len('id="form-error">')
    return html[start : html.index("</div>", start)]


def test_each_wrong_field_gives_the_same_generic_error(world, client):
    person, id_number = make_newcomer(world.branch_a1)
    other, other_id = make_newcomer(world.branch_a1, n=2, name="钱其他", staff_number="S2024002")
    wrong = [
        {"name": "赵旧人", "id_number": id_number, "staff_number": "S2024001"},
        {"name": "赵新人", "id_number": other_id, "staff_number": "S2024001"},
        {"name": "赵新人", "id_number": id_number, "staff_number": "S2024009"},
        {"name": "赵新人", "id_number": "110101199001011237", "staff_number": "S2024001"},
    ]
    answers = {(r.status_code, _error_text(r)) for r in (_post_identity(client, **data) for data in wrong)}
    assert answers == {(422, services.MISMATCH)}
    assert ActivationAttempt.objects.filter(success=False).count() == 4
    events = AuditEvent.objects.filter(action="onboarding.activation.fail")
    assert events.count() == 4
    dumped = json.dumps([e.changes for e in events], ensure_ascii=False)
    assert id_number not in dumped and "赵新人" not in dumped and "赵旧人" not in dumped
    assert "赵**" in dumped and id_number[:4] + "**********" + id_number[-4:] in dumped


def test_activation_with_a_code_lands_on_home_logged_in(world, client):
    person, id_number = make_newcomer(world.branch_a1)
    # Spaces in the name and lower-case letters in the staff number are tolerated.
    response = _post_identity(client, name=" 赵 新人", id_number=id_number.lower(), staff_number="s2024001")
    assert response.status_code == 302 and response["Location"] == reverse("onboarding:code")
    page = client.get(reverse("onboarding:code"))
    assert "138****1234" in page.content.decode() and "13812341234" not in page.content.decode()
    code = last_code()
    assert OneTimeCode.objects.get().code_hash != code  # stored hashed
    response = client.post(reverse("onboarding:code"), {"code": code})
    assert response["Location"] == reverse("onboarding:password")
    weak = client.post(reverse("onboarding:password"), {"password1": "12345678", "password2": "12345678"})
    assert weak.status_code == 422
    response = client.post(reverse("onboarding:password"), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("core:home")
    home = client.get(reverse("core:home"))
    assert home.status_code == 200 and home.wsgi_request.user.username == "S2024001"
    person.refresh_from_db()
    assert person.user.check_password(NEW_PASSWORD) and person.user.display_name == "赵新人"
    assert RoleAssignment.objects.filter(user=person.user, unit=world.branch_a1, role=Role.MEMBER).exists()
    assert AuditEvent.objects.filter(action="onboarding.activation.success", target_id=str(person.pk)).exists()
    # The same person again: already activated.
    client.logout()
    again = _post_identity(client, name="赵新人", id_number=id_number, staff_number="S2024001")
    assert again.status_code == 409 and _error_text(again) == services.ALREADY_ACTIVE


def test_without_a_roster_phone_no_code_is_asked(world, client):
    person, id_number = make_newcomer(world.branch_a1, phone="")
    response = _post_identity(client, name="赵新人", id_number=id_number, staff_number="S2024001")
    assert response["Location"] == reverse("onboarding:password")
    # The steps cannot be skipped: the code page needs its own stage.
    assert client.get(reverse("onboarding:code"))["Location"] == START


def test_taken_user_name_gives_a_clear_message(world, client):
    _, id_number = make_newcomer(world.branch_a1, staff_number="member1", phone="")
    response = _post_identity(client, name="赵新人", id_number=id_number, staff_number="member1")
    assert response.status_code == 302
    response = client.post(reverse("onboarding:password"), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 409 and "联系所在党支部" in response.content.decode()


def test_lockout_per_identity_then_the_window_passes(world, client):
    person, id_number = make_newcomer(world.branch_a1)
    for _ in range(5):
        assert _post_identity(client, name="错", id_number=id_number, staff_number="S2024001").status_code == 422
    locked = _post_identity(client, name="赵新人", id_number=id_number, staff_number="S2024001")
    assert locked.status_code == 429 and _error_text(locked) == services.LOCKED
    ActivationAttempt.objects.update(at=timezone.now() - datetime.timedelta(minutes=31))
    assert _post_identity(client, name="赵新人", id_number=id_number, staff_number="S2024001").status_code == 302


def test_lockout_per_ip_with_the_same_message(world, client):
    person, id_number = make_newcomer(world.branch_a1)
    ActivationAttempt.objects.bulk_create(
        [
            ActivationAttempt(purpose=Purpose.ACTIVATION, ip="127.0.0.1", identity_key=f"k{i}", success=False)
            for i in range(20)
        ]
    )
    locked = _post_identity(client, name="赵新人", id_number=id_number, staff_number="S2024001")
    assert locked.status_code == 429 and _error_text(locked) == services.LOCKED
    ActivationAttempt.objects.update(at=timezone.now() - datetime.timedelta(minutes=61))
    assert _post_identity(client, name="赵新人", id_number=id_number, staff_number="S2024001").status_code == 302


def test_code_expiry_and_tries(world, settings):
    settings.ONBOARDING_IDENTITY_FAILURES = 50
    person, _ = make_newcomer(world.branch_a1)
    key = services.activation_identity("x")
    services.code_send(person=person, purpose=Purpose.ACTIVATION)
    OneTimeCode.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    with pytest.raises(services.DomainError, match="过期"):
        services.code_verify(person_id=person.pk, purpose=Purpose.ACTIVATION, identity=key, code=last_code())
    OneTimeCode.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=5))  # past the resend wait
    services.code_send(person=person, purpose=Purpose.ACTIVATION)
    good = last_code()
    bad = f"{(int(good) + 1) % 10**6:06d}"
    for _ in range(5):
        with pytest.raises(services.DomainError, match="不正确"):
            services.code_verify(person_id=person.pk, purpose=Purpose.ACTIVATION, identity=key, code=bad)
    with pytest.raises(services.DomainError, match="次数过多"):
        services.code_verify(person_id=person.pk, purpose=Purpose.ACTIVATION, identity=key, code=good)


def test_api_activation_in_three_calls(world, client):
    person, id_number = make_newcomer(world.branch_a1)
    base = "/api/onboarding/activate"
    wrong = client.post(
        f"{base}/check",
        {"name": "赵新人", "id_number": id_number, "staff_number": "X"},
        content_type="application/json",
    )
    assert wrong.status_code == 422 and wrong.json() == {"detail": services.MISMATCH, "errors": []}
    check = client.post(
        f"{base}/check",
        {"name": "赵新人", "id_number": id_number, "staff_number": "S2024001"},
        content_type="application/json",
    )
    assert check.json() == {"next": "code", "masked_to": "138****1234"}
    assert client.post(f"{base}/code", {"code": last_code()}, content_type="application/json").status_code == 200
    done = client.post(f"{base}/complete", {"password": NEW_PASSWORD}, content_type="application/json")
    assert done.status_code == 200 and done.json() == {"username": "S2024001"}
    assert client.get("/api/me").status_code == 200


def test_api_anonymous_writes_need_the_csrf_token(world):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        "/api/onboarding/activate/check",
        {"name": "a", "id_number": "b", "staff_number": "c"},
        content_type="application/json",
    )
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
