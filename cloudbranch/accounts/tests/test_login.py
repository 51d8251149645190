"""Login page, wrong password, lockout (django-axes) and unlock, password policy, forced change."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import translation

from cloudbranch.accounts.services import user_unlock
from cloudbranch.accounts.tests.utils import make_user

LOGIN = "/accounts/login/"
RIGHT = "Passw0rd!x"  # UserFactory's password


@pytest.fixture
def alice(db):
    return make_user(username="alice")


def post_login(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def test_login_page_is_chinese(client, db):
    response = client.get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "用户名" in html and "密码" in html and "登录" in html
    assert 'lang="zh-CN"' in html


def test_login_success_redirects_home(client, alice):
    response = post_login(client, "alice", RIGHT)
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_wrong_password_message(client, alice):
    response = post_login(client, "alice", "wrong-Passw0rd")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_after_failure_limit_even_with_right_password(client, alice, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert post_login(client, "alice", "bad").status_code == 200
    locked = post_login(client, "alice", "bad")
    assert locked.status_code in (403, 429)
    assert "登录失败次数过多" in locked.content.decode()

    again = post_login(client, "alice", RIGHT)
    assert again.status_code in (403, 429)
    assert "_auth_user_id" not in client.session


def test_unlock_by_system_admin_lets_user_in(client, alice, world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, "alice", "bad")
    assert post_login(client, "alice", RIGHT).status_code in (403, 429)

    sysadmin = world.users["sysadmin"]
    client.force_login(sysadmin)
    listing = client.get("/accounts/users/?status=locked")
    assert [u.username for u in listing.context["page"]] == ["alice"]
    response = client.post(f"/accounts/users/{alice.pk}/unlock/")
    assert response.status_code == 302
    client.logout()

    response = post_login(client, "alice", RIGHT)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_unlock_service_reports_cleared_attempts(client, alice, world, settings):
    for _ in range(2):
        post_login(client, "alice", "bad")
    assert user_unlock(actor=world.users["sysadmin"], user_id=alice.pk) >= 1
    assert user_unlock(actor=world.users["sysadmin"], user_id=alice.pk) == 0


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("Ab1!xyz", "太短"),  # shorter than 8
        ("password", "太常见"),  # common
        ("8491736250", "只包含数字"),  # numeric
        ("abcdefgh12", "至少 3 类"),  # two classes only
        ("ABCDEFGHij", "至少 3 类"),
    ],
)
def test_password_policy_rejects_weak_passwords_in_chinese(db, password, fragment):
    # Requests run in Chinese (LocaleMiddleware, LANGUAGE_CODE zh-hans); outside one, activate it.
    with translation.override("zh-hans"), pytest.raises(ValidationError) as info:
        validate_password(password)
    assert any(fragment in m for m in info.value.messages), info.value.messages


def test_password_policy_accepts_strong_password(db):
    validate_password("Gx7#kLm2qR")


def test_password_change_page_shows_policy_errors(client, alice):
    client.force_login(alice)
    response = client.post(
        "/accounts/password/", {"old_password": RIGHT, "new_password1": "abcdefgh12", "new_password2": "abcdefgh12"}
    )
    assert response.status_code == 422
    assert "至少 3 类" in response.content.decode()


class TestForcedPasswordChange:
    @pytest.fixture
    def bob(self, db):
        return make_user(username="bob", must_change_password=True)

    def test_pages_redirect_to_password_change(self, client, bob):
        client.force_login(bob)
        for url in ("/", "/accounts/profile/", "/people/"):
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"] == "/accounts/password/"

    def test_password_page_and_logout_allowed(self, client, bob):
        client.force_login(bob)
        page = client.get("/accounts/password/")
        assert page.status_code == 200
        assert "请先修改初始密码" in page.content.decode()
        assert client.post("/accounts/logout/").status_code == 302
        assert "_auth_user_id" not in client.session

    def test_api_refused_with_error_shape(self, client, bob):
        client.force_login(bob)
        response = client.get("/api/me")
        assert response.status_code == 403
        assert response.json() == {"detail": "请先修改密码。", "errors": []}

    def test_htmx_fragment_refused_quietly(self, client, bob):
        client.force_login(bob)
        response = client.get("/notifications/badge/", headers={"HX-Request": "true"})
        assert response.status_code == 403

    def test_change_clears_the_flag(self, client, bob):
        client.force_login(bob)
        new = "Nw9#pass-word"
        response = client.post(
            "/accounts/password/", {"old_password": RIGHT, "new_password1": new, "new_password2": new}
        )
        assert response.status_code == 302
        bob.refresh_from_db()
        assert not bob.must_change_password
        assert bob.check_password(new)
        assert client.get("/accounts/profile/").status_code == 200
