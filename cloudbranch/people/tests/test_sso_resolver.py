"""Single sign-on lets in people on the roster only: a CAS round trip against a fake server creates
the account once and links it to the person; the resolver's other cases directly."""

from urllib.parse import parse_qs, urlsplit

import pytest

from cloudbranch.accounts import sso
from cloudbranch.accounts.models import User
from cloudbranch.accounts.tests.sso_fakes import FakeCas, serve
from cloudbranch.audit.models import AuditEvent
from cloudbranch.people.choices import RosterStatus
from cloudbranch.people.sso import AMBIGUOUS, NOT_ON_ROSTER, USERNAME_TAKEN, resolve_roster_user
from cloudbranch.testing.factories import PersonFactory, UserFactory, make_unit


@pytest.fixture(scope="module")
def cas_server():
    fake = FakeCas()
    with serve(fake) as base:
        fake.base = base
        yield fake


@pytest.fixture
def cas(settings, cas_server):
    settings.SSO_PROVIDER = "cas"
    settings.CAS_SERVER_URL = cas_server.base + "/cas"
    settings.CAS_VERSION = 3
    settings.CAS_USER_ATTRIBUTE = "user"
    return cas_server


@pytest.fixture
def branch(db):
    return make_unit(parent=make_unit(name="某大学党委"), name="第一党支部")


def cas_login(client, cas, identity: str, **kwargs):
    service = parse_qs(urlsplit(client.get("/accounts/sso/login/")["Location"]).query)["service"][0]
    ticket = cas.issue_ticket(service, identity)
    parts = urlsplit(service)
    return client.get(parts.path, {**{k: v[0] for k, v in parse_qs(parts.query).items()}, "ticket": ticket}, **kwargs)


def test_the_people_resolver_is_registered():
    assert sso.current_resolver() is resolve_roster_user


def test_roster_person_gets_an_account_once(client, cas, branch):
    person = PersonFactory(unit=branch, name="赵同学", staff_number="2023000123")

    assert cas_login(client, cas, "2023000123")["Location"] == "/"

    person.refresh_from_db()
    user = person.user
    assert user.username == "2023000123" and user.display_name == "赵同学"
    assert not user.has_usable_password() and not user.must_change_password
    assert client.session["_auth_user_id"] == str(user.pk)
    created = AuditEvent.objects.get(action="accounts.user.sso_create")
    assert created.actor_id == user.pk and created.target_id == str(user.pk)
    assert AuditEvent.objects.filter(action="people.person.update", target_id=str(person.pk)).count() == 1

    client.logout()
    assert cas_login(client, cas, "2023000123")["Location"] == "/"
    assert client.session["_auth_user_id"] == str(user.pk)
    assert User.objects.filter(username="2023000123").count() == 1
    assert AuditEvent.objects.filter(action="accounts.user.sso_create").count() == 1
    assert AuditEvent.objects.filter(action="accounts.login.sso", actor=user).count() == 2


def test_not_on_the_roster_is_refused(client, cas, branch):
    PersonFactory(unit=branch, staff_number="2019000001", roster_status=RosterStatus.LEFT)

    for identity in ("2019000001", "9999999999"):
        response = cas_login(client, cas, identity, follow=True)
        assert NOT_ON_ROSTER in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(username__in=["2019000001", "9999999999"]).exists()


def test_person_with_an_account_logs_in_as_it(branch):
    user = UserFactory(username="teacher.li")
    PersonFactory(unit=branch, staff_number="T1001", user=user)
    assert resolve_roster_user("T1001", {}) == user


def test_ambiguous_number_and_taken_username_are_refused(branch):
    PersonFactory(unit=branch, staff_number="S1")
    PersonFactory(unit=branch, staff_number="S1")
    with pytest.raises(sso.SsoError) as exc:
        resolve_roster_user("S1", {})
    assert exc.value.message == AMBIGUOUS

    UserFactory(username="s2")  # someone else's account: never linked silently
    PersonFactory(unit=branch, staff_number="S2")
    with pytest.raises(sso.SsoError) as exc:
        resolve_roster_user("S2", {})
    assert exc.value.message == USERNAME_TAKEN
    assert not AuditEvent.objects.filter(action="accounts.user.sso_create").exists()
