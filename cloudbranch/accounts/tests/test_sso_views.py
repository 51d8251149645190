"""Single sign-on pages whatever the provider: off by default (404), the login page's button and
SSO-only mode, a provider plugged in by dotted path, and the backend refusing passwords."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from cloudbranch.accounts import sso
from cloudbranch.accounts.tests.utils import PASSWORD, make_user

URL_NAMES = ("sso:login", "sso:callback", "sso:logged_out")


class EchoProvider(sso.SsoProvider):
    """A provider that believes the callback's ``who`` (tests only)."""

    name = "echo"

    def login_url(self, request, state, flow):
        return f"{sso.callback_url(request)}?state={state}"

    def authenticate(self, request, flow):
        if not request.GET.get("who"):
            raise sso.SsoError("没有身份。")
        return sso.SsoIdentity(request.GET["who"], {"source": "echo"})


@pytest.fixture
def echo(settings, monkeypatch):
    settings.SSO_PROVIDER_CLASS = f"{__name__}.EchoProvider"
    monkeypatch.setattr(sso, "_resolver", None)


@pytest.mark.parametrize("name", URL_NAMES)
def test_sso_off_means_404(client, db, name):
    assert client.get(reverse(name)).status_code == 404


def test_login_page_has_no_button_when_off(client, db):
    html = client.get("/accounts/login/").content.decode()
    assert "统一身份认证登录" not in html
    assert 'name="password"' in html


def test_login_page_button_and_sso_only(client, db, settings):
    settings.SSO_PROVIDER = "cas"
    settings.SSO_BUTTON_LABEL = "校园统一身份认证"
    html = client.get("/accounts/login/?next=/people/").content.decode()
    assert "校园统一身份认证" in html and "/accounts/sso/login/?next=/people/" in html
    assert 'name="password"' in html

    settings.SSO_ONLY = True
    html = client.get("/accounts/login/").content.decode()
    assert "校园统一身份认证" in html and 'name="password"' not in html
    assert 'name="password"' in client.get("/accounts/login/?local=1").content.decode()  # break-glass


def test_pluggable_provider_by_dotted_path(client, db, echo):
    dave = make_user(username="dave")
    response = client.get("/accounts/sso/login/", {"next": "/notifications/"})
    location = urlsplit(response["Location"])
    assert location.path == "/accounts/sso/callback/"
    state = parse_qs(location.query)["state"][0]

    response = client.get("/accounts/sso/callback/", {"state": state, "who": "dave"})

    assert response["Location"] == "/notifications/"
    assert client.session["_auth_user_id"] == str(dave.pk)


def test_provider_refusal_message_is_shown(client, db, echo):
    location = urlsplit(client.get("/accounts/sso/login/")["Location"])
    response = client.get(location.path + "?" + location.query, follow=True)
    assert "没有身份。" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_signed_in_user_is_sent_on(client, db, echo):
    client.force_login(make_user())
    assert client.get("/accounts/sso/login/", {"next": "/accounts/profile/"})["Location"] == "/accounts/profile/"
    assert client.get("/accounts/sso/login/", {"next": "https://evil.example/"})["Location"] == "/"


def test_callback_refuses_post(client, db, echo):
    assert client.post("/accounts/sso/callback/").status_code == 405


def test_backend_answers_only_sso_logins(db):
    user = make_user(username="erin")
    assert sso.SsoBackend().authenticate(None, username="erin", password=PASSWORD) is None
    assert sso.SsoBackend().get_user(user.pk) == user


def test_system_check_reports_half_configured_sso(settings):
    assert sso.check_sso_settings() == []
    settings.SSO_PROVIDER = "saml"
    assert [e.id for e in sso.check_sso_settings()] == ["accounts.E101"]
    settings.SSO_PROVIDER = "oidc"
    settings.OIDC_ISSUER = "https://idp.example.edu.cn"
    assert [e.msg for e in sso.check_sso_settings()] == [
        "SSO_PROVIDER='oidc' needs OIDC_CLIENT_ID.",
        "SSO_PROVIDER='oidc' needs OIDC_CLIENT_SECRET.",
    ]
