"""Single sign-on with CAS 2.0/3.0 against a fake CAS server on loopback (accounts layer alone:
the identity is matched to a username; the roster resolver is tested in people)."""

import socket
from urllib.parse import parse_qs, urlsplit

import pytest

from cloudbranch.accounts import sso
from cloudbranch.accounts.sso import cas as cas_module
from cloudbranch.accounts.tests.sso_fakes import FakeCas, serve
from cloudbranch.accounts.tests.utils import make_user
from cloudbranch.audit.models import AuditEvent

LOGIN = "/accounts/sso/login/"


@pytest.fixture(scope="module")
def cas_server():
    fake = FakeCas()
    with serve(fake) as base:
        fake.base = base
        yield fake


@pytest.fixture
def cas(settings, cas_server, monkeypatch):
    settings.SSO_PROVIDER = "cas"
    settings.CAS_SERVER_URL = cas_server.base + "/cas/"
    settings.CAS_VERSION = 3
    settings.CAS_USER_ATTRIBUTE = "user"
    monkeypatch.setattr(sso, "_resolver", None)  # the default resolver: username match
    cas_server.validations.clear()
    return cas_server


def start(client, next_url: str | None = None) -> str:
    """Begin a login; returns the service URL the CAS login page was given."""
    response = client.get(LOGIN, {"next": next_url} if next_url else {})
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/cas/login"
    return parse_qs(location.query)["service"][0]


def come_back(client, service: str, ticket: str, **kwargs):
    parts = urlsplit(service)
    assert parts.netloc == "testserver" and parts.path == "/accounts/sso/callback/"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return client.get(parts.path, {**query, "ticket": ticket}, **kwargs)


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


def test_round_trip_logs_in_audits_and_keeps_next(client, cas, db):
    alice = make_user(username="alice")
    service = start(client, "/people/?page=2")
    assert "state=" in service

    response = come_back(client, service, cas.issue_ticket(service, "alice"))

    assert response.status_code == 302
    assert response["Location"] == "/people/?page=2"
    assert logged_in_user_id(client) == str(alice.pk)
    assert client.session["_auth_user_backend"] == sso.BACKEND_PATH
    assert cas.validations == ["/cas/p3/serviceValidate"]
    event = AuditEvent.objects.get(action="accounts.login.sso")
    assert event.actor_id == alice.pk and event.changes == {"provider": "cas", "identity": "alice"}
    assert client.get("/accounts/profile/").status_code == 200  # the session works with SsoBackend


def test_cas2_validates_at_service_validate_and_reads_an_attribute(client, cas, settings, db):
    settings.CAS_VERSION = 2
    settings.CAS_USER_ATTRIBUTE = "employeeNumber"
    bob = make_user(username="20240001")
    service = start(client)
    ticket = cas.issue_ticket(service, "bob.uid", {"employeeNumber": "20240001", "cn": "Bob"})

    assert come_back(client, service, ticket)["Location"] == "/"
    assert logged_in_user_id(client) == str(bob.pk)
    assert cas.validations == ["/cas/serviceValidate"]


def test_invalid_ticket_is_refused(client, cas, db):
    make_user(username="alice")
    service = start(client)

    response = come_back(client, service, "ST-forged", follow=True)

    assert response.redirect_chain[0] == ("/accounts/login/", 302)
    assert cas_module.REFUSED in response.content.decode()
    assert logged_in_user_id(client) is None
    assert not AuditEvent.objects.filter(action="accounts.login.sso").exists()


def test_ticket_for_another_service_and_replayed_callback_are_refused(client, cas, db):
    make_user(username="alice")
    service = start(client)
    other = cas.issue_ticket(service.replace("state=", "state=x"), "alice")
    assert cas_module.REFUSED in come_back(client, service, other, follow=True).content.decode()

    service = start(client)
    ticket = cas.issue_ticket(service, "alice")
    assert come_back(client, service, ticket).status_code == 302
    client.logout()
    replay = come_back(client, service, ticket, follow=True)  # the flow was used up
    assert "登录请求已失效" in replay.content.decode()
    assert logged_in_user_id(client) is None


def test_state_mismatch_is_refused_before_validation(client, cas, db):
    make_user(username="alice")
    service = start(client)
    ticket = cas.issue_ticket(service, "alice")

    response = client.get("/accounts/sso/callback/", {"state": "forged", "ticket": ticket}, follow=True)

    assert "登录请求已失效" in response.content.decode()
    assert cas.validations == []  # never sent to CAS
    assert logged_in_user_id(client) is None


@pytest.mark.parametrize("evil", ["https://evil.example/x", "//evil.example/", "/\\evil.example"])
def test_open_redirect_next_is_refused(client, cas, db, evil):
    make_user(username="alice")
    service = start(client, evil)

    response = come_back(client, service, cas.issue_ticket(service, "alice"))

    assert response["Location"] == "/"


def test_unknown_and_inactive_users_are_refused(client, cas, db):
    service = start(client)
    response = come_back(client, service, cas.issue_ticket(service, "nobody"), follow=True)
    assert sso.UNKNOWN_MESSAGE in response.content.decode()

    make_user(username="carol", is_active=False)
    service = start(client)
    response = come_back(client, service, cas.issue_ticket(service, "carol"), follow=True)
    assert sso.INACTIVE_MESSAGE in response.content.decode()
    assert logged_in_user_id(client) is None


def test_unreachable_cas_gives_a_clear_message(client, cas, settings, db):
    make_user(username="alice")
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    service = start(client)
    settings.CAS_SERVER_URL = f"http://127.0.0.1:{port}/cas"

    response = come_back(client, service, "ST-1", follow=True)

    assert cas_module.UNREACHABLE in response.content.decode()


def test_logout_can_end_the_cas_session(client, cas, settings, db):
    client.force_login(make_user(username="alice"))
    settings.SSO_LOGOUT_REDIRECT = True
    settings.LOGOUT_REDIRECT_URL = "sso:logged_out"

    response = client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/sso/logged-out/"
    response = client.get(response["Location"])

    location = urlsplit(response["Location"])
    assert response["Location"].startswith(cas.base + "/cas/logout?")
    assert parse_qs(location.query)["service"] == ["http://testserver/accounts/login/"]

    settings.SSO_LOGOUT_REDIRECT = False
    assert client.get("/accounts/sso/logged-out/")["Location"] == "/accounts/login/"


def test_service_response_parser_refuses_entities():
    body = b'<!DOCTYPE x [<!ENTITY a "b">]><cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"/>'
    with pytest.raises(sso.SsoError):
        cas_module.parse_service_response(body)
