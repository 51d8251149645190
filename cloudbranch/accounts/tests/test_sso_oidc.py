"""Single sign-on with OpenID Connect (code flow, state, nonce, PKCE S256) against a fake provider
on loopback; every way an ID token can be wrong is refused."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from cloudbranch.accounts import sso
from cloudbranch.accounts.sso import oidc as oidc_module
from cloudbranch.accounts.tests.sso_fakes import CLIENT_ID, CLIENT_SECRET, FakeOidc, new_rsa_key, serve
from cloudbranch.accounts.tests.utils import make_user
from cloudbranch.audit.models import AuditEvent

CALLBACK = "/accounts/sso/callback/"


@pytest.fixture(scope="module")
def oidc_server():
    fake = FakeOidc()
    with serve(fake) as base:
        fake.base = base
        yield fake


@pytest.fixture
def oidc(settings, oidc_server, monkeypatch, db):
    settings.SSO_PROVIDER = "oidc"
    settings.OIDC_ISSUER = oidc_server.issuer
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_SCOPES = "openid profile"
    settings.OIDC_USER_CLAIM = "preferred_username"
    monkeypatch.setattr(sso, "_resolver", None)  # the default resolver: username match
    oidc_server.requests.clear()
    make_user(username="alice")
    return oidc_server


def start(client) -> dict:
    """Begin a login; returns the authorization request's query."""
    response = client.get("/accounts/sso/login/")
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/oidc/authorize"
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def refused(client, query: dict, message: str = oidc_module.INVALID_TOKEN):
    response = client.get(CALLBACK, query, follow=True)
    assert response.redirect_chain[0] == ("/accounts/login/", 302)
    assert message in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not AuditEvent.objects.filter(action="accounts.login.sso").exists()


def test_round_trip(client, oidc):
    query = start(client)
    assert query["code_challenge_method"] == "S256" and query["scope"] == "openid profile"
    assert query["redirect_uri"] == "http://testserver/accounts/sso/callback/"
    code = oidc.issue_code(query, "alice")

    response = client.get(CALLBACK, {"code": code, "state": query["state"]})

    assert response.status_code == 302 and response["Location"] == "/"
    alice_id = client.session["_auth_user_id"]
    event = AuditEvent.objects.get(action="accounts.login.sso")
    assert str(event.actor_id) == alice_id and event.changes["provider"] == "oidc"

    client.logout()  # a second login reads discovery and JWKS from the cache
    query = start(client)
    client.get(CALLBACK, {"code": oidc.issue_code(query, "alice"), "state": query["state"]})
    assert client.session["_auth_user_id"] == alice_id
    assert oidc.requests.count("/oidc/.well-known/openid-configuration") == 1
    assert oidc.requests.count("/oidc/jwks") == 1


def test_bad_state_is_refused_before_the_code_is_used(client, oidc):
    query = start(client)
    code = oidc.issue_code(query, "alice")
    refused(client, {"code": code, "state": "forged"}, "登录请求已失效")
    assert code in oidc.codes  # never sent to the token endpoint


def test_provider_error_is_refused(client, oidc):
    query = start(client)
    refused(client, {"error": "access_denied", "state": query["state"]}, oidc_module.DENIED)


def test_wrong_nonce_is_refused(client, oidc):
    query = start(client)
    refused(client, {"code": oidc.issue_code(query, "alice", nonce="other"), "state": query["state"]})


def test_wrong_audience_is_refused(client, oidc):
    query = start(client)
    refused(client, {"code": oidc.issue_code(query, "alice", aud="someone-else"), "state": query["state"]})


def test_wrong_issuer_is_refused(client, oidc):
    query = start(client)
    refused(client, {"code": oidc.issue_code(query, "alice", iss="https://evil.example"), "state": query["state"]})


def test_expired_token_is_refused(client, oidc):
    query = start(client)
    now = int(time.time())
    code = oidc.issue_code(query, "alice", iat=now - 7200, exp=now - 3600)
    refused(client, {"code": code, "state": query["state"]}, oidc_module.EXPIRED_TOKEN)


def test_bad_signature_is_refused(client, oidc):
    query = start(client)
    code = oidc.issue_code(query, "alice", sign_key=new_rsa_key())
    refused(client, {"code": code, "state": query["state"]})


def test_pkce_verifier_must_match(client, oidc):
    query = start(client)
    session = client.session
    session["sso_flow"] = {**session["sso_flow"], "verifier": "not-the-one"}
    session.save()
    refused(client, {"code": oidc.issue_code(query, "alice"), "state": query["state"]})


def test_missing_identity_claim_is_refused(client, oidc):
    query = start(client)
    code = oidc.issue_code(query, "alice", preferred_username=None)
    refused(client, {"code": code, "state": query["state"]}, oidc_module.NO_IDENTITY)
