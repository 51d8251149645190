"""The API side: Bearer tokens, CSRF on session writes, /api/me/tokens and /api/accounts/users."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cloudbranch.accounts.choices import Duty
from cloudbranch.accounts.models import ApiToken, User
from cloudbranch.accounts.services import api_token_create
from cloudbranch.accounts.tests.utils import make_users

STRONG = "Gx7#kLm2qR"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def assert_error_shape(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], list)


# ---------------------------------------------------------------- authentication


def test_bearer_token_authenticates(world, client):
    _, clear = api_token_create(actor=world.users["secretary1"], name="脚本")
    response = client.get("/api/me", headers=bearer(clear))
    assert response.status_code == 200
    assert response.json()["username"] == "secretary1"
    assert ApiToken.objects.get(user=world.users["secretary1"]).last_used_at is not None


def test_revoked_token_is_401(world, client):
    token, clear = api_token_create(actor=world.users["secretary1"], name="脚本")
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    assert_error_shape(client.get("/api/me", headers=bearer(clear)), 401)


def test_expired_token_is_401(world, client):
    token, clear = api_token_create(actor=world.users["secretary1"], name="脚本")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert_error_shape(client.get("/api/me", headers=bearer(clear)), 401)


def test_unknown_token_and_anonymous_are_401(world, client):
    assert_error_shape(client.get("/api/me", headers=bearer("cb_nope")), 401)
    assert_error_shape(client.get("/api/me"), 401)


def test_token_of_deactivated_user_is_401(world, client):
    _, clear = api_token_create(actor=world.users["member1"], name="脚本")
    User.objects.filter(pk=world.users["member1"].pk).update(is_active=False)
    assert_error_shape(client.get("/api/me", headers=bearer(clear)), 401)


def test_session_write_without_csrf_is_403(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["secretary1"])
    response = client.post("/api/me/tokens", {"name": "x", "days": 30}, content_type="application/json")
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_session_write_with_csrf_token_works(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["secretary1"])
    client.get("/accounts/profile/")  # sets the csrftoken cookie
    csrf = client.cookies["csrftoken"].value
    response = client.post(
        "/api/me/tokens", {"name": "x", "days": 30}, content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    assert response.status_code == 201


def test_bearer_write_needs_no_csrf(world):
    client = Client(enforce_csrf_checks=True)
    _, clear = api_token_create(actor=world.users["secretary1"], name="脚本")
    response = client.post(
        "/api/me/tokens", {"name": "y", "days": 7}, content_type="application/json", headers=bearer(clear)
    )
    assert response.status_code == 201


# ---------------------------------------------------------------- /api/me/tokens


def test_token_lifecycle(world, login):
    client = login(world.users["member1"])
    created = client.post("/api/me/tokens", {"name": "手机", "days": 30}, content_type="application/json")
    assert created.status_code == 201
    body = created.json()
    assert body["token"].startswith("cb_") and body["prefix"] == body["token"][3:9]
    assert not ApiToken.objects.filter(digest=body["token"]).exists()  # only the digest is stored

    listing = client.get("/api/me/tokens").json()
    assert listing["count"] == 1
    assert "token" not in listing["items"][0]
    assert "digest" not in listing["items"][0]

    assert client.delete(f"/api/me/tokens/{body['id']}").status_code == 204
    assert_error_shape(Client().get("/api/me", headers=bearer(body["token"])), 401)
    assert_error_shape(client.delete(f"/api/me/tokens/{body['id']}"), 409)


def test_token_create_validation(world, login):
    client = login(world.users["member1"])
    assert_error_shape(client.post("/api/me/tokens", {"name": "x", "days": 0}, content_type="application/json"), 422)
    assert_error_shape(client.post("/api/me/tokens", {"name": "  ", "days": 5}, content_type="application/json"), 422)


def test_cannot_revoke_someone_elses_token(world, login):
    token, _ = api_token_create(actor=world.users["secretary1"], name="脚本")
    client = login(world.users["secretary2"])
    assert_error_shape(client.delete(f"/api/me/tokens/{token.pk}"), 404)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_token_list_only_own(world, login):
    api_token_create(actor=world.users["secretary1"], name="a")
    api_token_create(actor=world.users["secretary2"], name="b")
    client = login(world.users["secretary2"])
    assert [t["name"] for t in client.get("/api/me/tokens").json()["items"]] == ["b"]


# ---------------------------------------------------------------- /api/accounts/users


@pytest.mark.parametrize("who", ["member1", "secretary1", "admin", "secadmin", "auditor"])
def test_users_api_refused_to_everyone_but_system_admin(world, login, who):
    client = login(world.users[who])
    target = world.users["member1"].pk
    assert_error_shape(client.get("/api/accounts/users"), 403)
    assert_error_shape(
        client.post("/api/accounts/users", {"username": "x", "password": STRONG}, content_type="application/json"),
        403,
    )
    assert_error_shape(
        client.patch(f"/api/accounts/users/{target}", {"display_name": "x"}, content_type="application/json"), 403
    )
    assert_error_shape(
        client.post(f"/api/accounts/users/{target}/reset-password", {}, content_type="application/json"), 403
    )
    assert_error_shape(client.post(f"/api/accounts/users/{target}/unlock"), 403)


def test_users_api_anonymous_401(world, client):
    assert_error_shape(client.get("/api/accounts/users"), 401)


def test_users_api_list_filters_and_paginates(world, login):
    client = login(world.users["sysadmin"])
    make_users(25)
    body = client.get("/api/accounts/users").json()
    assert body["count"] == User.objects.count()
    assert len(body["items"]) == 20
    assert {"id", "username", "duty", "is_locked", "must_change_password"} <= set(body["items"][0])
    assert "password" not in body["items"][0]
    body = client.get("/api/accounts/users?duty=security").json()
    assert [u["username"] for u in body["items"]] == ["secadmin"]


def test_users_api_list_query_count_constant(world, login):
    client = login(world.users["sysadmin"])
    client.get("/api/accounts/users")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/accounts/users").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    make_users(30)
    assert count() == few


def test_users_api_create_update_reset_unlock(world, login):
    client = login(world.users["sysadmin"])
    created = client.post(
        "/api/accounts/users",
        {"username": "liuyang", "display_name": "刘洋", "email": "ly@example.cn", "password": STRONG},
        content_type="application/json",
    )
    assert created.status_code == 201
    user = created.json()
    assert user["must_change_password"] is True

    patched = client.patch(
        f"/api/accounts/users/{user['id']}", {"display_name": "刘阳", "duty": "audit"}, content_type="application/json"
    )
    assert patched.status_code == 200
    assert patched.json()["display_name"] == "刘阳" and patched.json()["duty"] == "audit"
    assert patched.json()["email"] == "ly@example.cn"  # untouched

    reset = client.post(f"/api/accounts/users/{user['id']}/reset-password", {}, content_type="application/json")
    assert reset.status_code == 200
    assert User.objects.get(pk=user["id"]).check_password(reset.json()["password"])

    unlock = client.post(f"/api/accounts/users/{user['id']}/unlock")
    assert unlock.status_code == 200 and unlock.json() == {"id": user["id"], "cleared": 0}


def test_users_api_create_weak_password_422(world, login):
    client = login(world.users["sysadmin"])
    response = client.post(
        "/api/accounts/users", {"username": "weak", "password": "abcdefgh12"}, content_type="application/json"
    )
    assert_error_shape(response, 422)
    assert response.json()["errors"][0]["field"] == "password"
    assert not User.objects.filter(username="weak").exists()


def test_users_api_duty_rules(world, login):
    client = login(world.users["sysadmin"])
    response = client.patch(
        f"/api/accounts/users/{world.users['secretary1'].pk}", {"duty": "security"}, content_type="application/json"
    )
    assert_error_shape(response, 409)
    response = client.patch(
        f"/api/accounts/users/{world.users['auditor'].pk}", {"duty": None}, content_type="application/json"
    )
    assert_error_shape(response, 409)
    assert User.objects.get(pk=world.users["auditor"].pk).duty == Duty.AUDIT


def test_users_api_unknown_user_404(world, login):
    client = login(world.users["sysadmin"])
    assert_error_shape(client.patch("/api/accounts/users/999999", {}, content_type="application/json"), 404)
    assert_error_shape(client.post("/api/accounts/users/999999/unlock"), 404)
