"""Account management by the system administrator: services, pages, permission matrix, query count."""

from html import escape

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cloudbranch.accounts.choices import Duty
from cloudbranch.accounts.models import ApiToken, User
from cloudbranch.accounts.services import (
    api_token_create,
    user_create,
    user_reset_password,
    user_set_duty,
    user_update,
)
from cloudbranch.accounts.tests.utils import make_user, make_users
from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import DomainError

STRONG = "Gx7#kLm2qR"


# ---------------------------------------------------------------- services


def test_user_create_sets_must_change_password_and_audits_without_password(world):
    sysadmin = world.users["sysadmin"]
    user = user_create(actor=sysadmin, username="newbie", display_name="新人", email="n@example.cn", password=STRONG)
    user.refresh_from_db()
    assert user.must_change_password
    assert user.check_password(STRONG)
    event = AuditEvent.objects.get(action="accounts.user.create", target_id=str(user.pk))
    assert event.actor == sysadmin
    assert event.changes["password"] == {"changed": True}
    assert STRONG not in str(event.changes)
    assert user.password not in str(event.changes)


@pytest.mark.parametrize("password", ["short1!", "password", "12345678901", "abcdefgh12"])
def test_user_create_rejects_weak_password(world, password):
    with pytest.raises(DomainError) as info:
        user_create(actor=world.users["sysadmin"], username="weak", password=password)
    assert info.value.errors and all(e["field"] == "password" for e in info.value.errors)
    assert not User.objects.filter(username="weak").exists()


def test_user_create_rejects_taken_username_case_insensitively(world):
    with pytest.raises(DomainError) as info:
        user_create(actor=world.users["sysadmin"], username="Secretary1", password=STRONG)
    assert info.value.errors[0]["field"] == "username"


@pytest.mark.parametrize("who", ["admin", "secretary1", "member1", "secadmin", "auditor"])
def test_only_system_admin_may_manage_accounts(world, who):
    actor = world.users[who]
    target = world.users["member1"]
    with pytest.raises(PermissionDenied):
        user_create(actor=actor, username="x", password=STRONG)
    with pytest.raises(PermissionDenied):
        user_update(actor=actor, user_id=target.pk, display_name="x")
    with pytest.raises(PermissionDenied):
        user_reset_password(actor=actor, user_id=target.pk)
    with pytest.raises(PermissionDenied):
        user_set_duty(actor=actor, user_id=target.pk, duty=Duty.SYSTEM)


def test_reset_password_generates_temporary_password_and_revokes_tokens(world):
    target = world.users["secretary1"]
    api_token_create(actor=target, name="脚本")
    user, password = user_reset_password(actor=world.users["sysadmin"], user_id=target.pk)
    user.refresh_from_db()
    assert user.check_password(password)
    assert user.must_change_password
    assert not ApiToken.objects.active().filter(user=target).exists()
    event = AuditEvent.objects.get(action="accounts.user.reset_password")
    assert password not in str(event.changes)
    assert event.changes["password"] == {"changed": True}


def test_reset_password_with_given_weak_password_is_refused(world):
    target = world.users["secretary1"]
    with pytest.raises(DomainError):
        user_reset_password(actor=world.users["sysadmin"], user_id=target.pk, password="abc")
    target.refresh_from_db()
    assert target.check_password("Passw0rd!x")
    assert not target.must_change_password


def test_update_is_audited_with_field_changes(world):
    target = world.users["member1"]
    user_update(actor=world.users["sysadmin"], user_id=target.pk, display_name="党员甲", is_active=False)
    event = AuditEvent.objects.get(action="accounts.user.update")
    assert event.changes == {
        "display_name": {"old": "党员一", "new": "党员甲"},
        "is_active": {"old": True, "new": False},
    }


def test_system_admin_cannot_deactivate_self(world):
    sysadmin = world.users["sysadmin"]
    make_user(username="sys2", duty=Duty.SYSTEM)
    with pytest.raises(DomainError):
        user_update(actor=sysadmin, user_id=sysadmin.pk, is_active=False)


# ---------------------------------------------------------------- separation of duties (三员分立)


def test_duty_refused_to_account_with_party_role(world):
    with pytest.raises(DomainError) as info:
        user_set_duty(actor=world.users["sysadmin"], user_id=world.users["secretary1"].pk, duty=Duty.AUDIT)
    assert "党组织角色" in info.value.message
    world.users["secretary1"].refresh_from_db()
    assert world.users["secretary1"].duty == ""


def test_duty_given_to_account_without_role(world):
    plain = make_user(username="plain")
    user_set_duty(actor=world.users["sysadmin"], user_id=plain.pk, duty=Duty.SECURITY)
    plain.refresh_from_db()
    assert plain.duty == Duty.SECURITY
    assert AuditEvent.objects.filter(action="accounts.user.set_duty", target_id=str(plain.pk)).exists()


def test_duty_allowed_after_role_revoked(world):
    secretary = world.users["secretary2"]
    secretary.role_assignments.update(revoked_at="2024-01-01T00:00:00Z")
    user_set_duty(actor=world.users["sysadmin"], user_id=secretary.pk, duty=Duty.AUDIT)
    secretary.refresh_from_db()
    assert secretary.duty == Duty.AUDIT


@pytest.mark.parametrize("duty_user", ["auditor", "secadmin", "sysadmin"])
def test_last_holder_of_a_duty_cannot_lose_it(world, duty_user):
    holder = world.users[duty_user]
    with pytest.raises(DomainError) as info:
        user_set_duty(actor=world.users["sysadmin"], user_id=holder.pk, duty="")
    assert "唯一的" in info.value.message
    holder.refresh_from_db()
    assert holder.duty


def test_last_audit_admin_cannot_be_deactivated_or_switched(world):
    sysadmin, auditor = world.users["sysadmin"], world.users["auditor"]
    with pytest.raises(DomainError):
        user_update(actor=sysadmin, user_id=auditor.pk, is_active=False)
    with pytest.raises(DomainError):
        user_set_duty(actor=sysadmin, user_id=auditor.pk, duty=Duty.SECURITY)
    auditor.refresh_from_db()
    assert auditor.is_active and auditor.duty == Duty.AUDIT


def test_audit_duty_can_be_handed_over(world):
    sysadmin, auditor = world.users["sysadmin"], world.users["auditor"]
    successor = make_user(username="auditor2")
    user_set_duty(actor=sysadmin, user_id=successor.pk, duty=Duty.AUDIT)
    user_set_duty(actor=sysadmin, user_id=auditor.pk, duty="")
    auditor.refresh_from_db()
    assert auditor.duty == ""
    with pytest.raises(DomainError):
        user_set_duty(actor=sysadmin, user_id=successor.pk, duty="")


def test_inactive_holder_does_not_count(world):
    sysadmin = world.users["sysadmin"]
    make_user(username="old_auditor", duty=Duty.AUDIT, is_active=False)
    with pytest.raises(DomainError):
        user_set_duty(actor=sysadmin, user_id=world.users["auditor"].pk, duty="")


def test_duty_holders_hold_no_party_permissions(world, client):
    for who in ("sysadmin", "secadmin", "auditor"):
        client.force_login(world.users[who])
        assert client.get("/api/me").json()["permissions"] == []
        assert client.get("/people/").status_code == 403
        assert client.get("/orgs/").status_code == 403


# ---------------------------------------------------------------- pages


USER_PAGES = [
    ("get", "/accounts/users/"),
    ("get", "/accounts/users/new/"),
    ("get", "/accounts/users/{id}/"),
    ("post", "/accounts/users/{id}/unlock/"),
    ("post", "/accounts/users/{id}/reset-password/"),
    ("post", "/accounts/users/{id}/duty/"),
]


@pytest.mark.parametrize(
    "who", ["anonymous", "member1", "secretary1", "secretary2", "admin", "sysadmin", "secadmin", "auditor"]
)
@pytest.mark.parametrize(("method", "url"), USER_PAGES)
def test_permission_matrix_for_user_pages(world, client, who, method, url):
    if who != "anonymous":
        client.force_login(world.users[who])
    target = world.users["member1"]
    response = getattr(client, method)(url.format(id=target.pk), {"duty": ""} if method == "post" else None)
    if who == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    elif who == "sysadmin":
        assert response.status_code in (200, 302)
    else:
        assert response.status_code == 403


def test_unknown_user_is_404_for_sysadmin(world, login):
    client = login(world.users["sysadmin"])
    assert client.get("/accounts/users/999999/").status_code == 404


def test_menu_entry_only_for_system_admin(world, client):
    client.force_login(world.users["sysadmin"])
    assert "账号管理" in client.get("/accounts/profile/").content.decode()
    for who in ("admin", "secadmin", "auditor", "member1"):
        client.force_login(world.users[who])
        assert "账号管理" not in client.get("/accounts/profile/").content.decode(), who


def test_list_search_and_filters(world, login):
    client = login(world.users["sysadmin"])
    make_user(username="zhangwei", display_name="张伟")
    make_user(username="lina", display_name="李娜", is_active=False)

    def names(query):
        response = client.get("/accounts/users/" + query)
        assert response.status_code == 200
        return {u.username for u in response.context["page"]}

    assert names("?q=张") == {"zhangwei"}
    assert names("?q=ZHANG") == {"zhangwei"}
    assert names("?status=inactive") == {"lina"}
    assert names("?duty=audit") == {"auditor"}
    assert names("?duty=none&q=secretary") == {"secretary1", "secretary2"}
    assert "zhangwei" not in names("?status=locked")


def test_list_htmx_returns_fragment(world, login):
    client = login(world.users["sysadmin"])
    response = client.get("/accounts/users/?q=secretary", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "secretary1" in html and "<html" not in html


def test_list_is_paginated_by_20(world, login):
    client = login(world.users["sysadmin"])
    make_users(25)
    response = client.get("/accounts/users/")
    assert len(response.context["page"].object_list) == 20
    assert response.context["page"].paginator.count == User.objects.count()
    assert client.get("/accounts/users/?page=2").status_code == 200


def test_list_query_count_is_constant(world, login):
    client = login(world.users["sysadmin"])
    client.get("/accounts/users/")  # warm caches (content types, session)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/accounts/users/").status_code == 200
        return len(ctx.captured_queries)

    make_users(3)
    few = count()
    make_users(40)
    many = count()
    assert few == many
    assert many <= 6, many


def test_create_page_creates_account(world, login):
    client = login(world.users["sysadmin"])
    response = client.post(
        "/accounts/users/new/", {"username": "wangfang", "display_name": "王芳", "email": "", "password": STRONG}
    )
    assert response.status_code == 302
    user = User.objects.get(username="wangfang")
    assert response["Location"] == f"/accounts/users/{user.pk}/"
    assert user.must_change_password


def test_create_page_shows_policy_errors_and_writes_nothing(world, login):
    client = login(world.users["sysadmin"])
    response = client.post("/accounts/users/new/", {"username": "weak", "password": "abcdefgh12"})
    assert response.status_code == 422
    assert "至少 3 类" in response.content.decode()
    assert not User.objects.filter(username="weak").exists()


def test_edit_page_saves(world, login):
    client = login(world.users["sysadmin"])
    target = world.users["member1"]
    response = client.post(f"/accounts/users/{target.pk}/", {"display_name": "党员甲", "email": "", "is_active": "on"})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.display_name == "党员甲" and target.is_active


def test_reset_password_page_shows_password_once(world, login):
    client = login(world.users["sysadmin"])
    target = world.users["member1"]
    response = client.post(f"/accounts/users/{target.pk}/reset-password/", {"password": ""})
    assert response.status_code == 200
    password = response.context["new_password"]
    assert escape(password) in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    target.refresh_from_db()
    assert target.check_password(password) and target.must_change_password
    assert password not in client.get(f"/accounts/users/{target.pk}/").content.decode()


def test_duty_page_refuses_party_role_holder_with_message(world, login):
    client = login(world.users["sysadmin"])
    target = world.users["secretary1"]
    response = client.post(f"/accounts/users/{target.pk}/duty/", {"duty": "audit"})
    assert response.status_code == 422
    assert "党组织角色" in response.content.decode()


def test_duty_page_refuses_removing_last_auditor(world, login):
    client = login(world.users["sysadmin"])
    response = client.post(f"/accounts/users/{world.users['auditor'].pk}/duty/", {"duty": ""})
    assert response.status_code == 422
    assert "唯一的审计管理员" in response.content.decode()
