import datetime
import hashlib
from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from cloudbranch.accounts.choices import Duty
from cloudbranch.audit.models import AuditEvent
from cloudbranch.demo import seeding
from cloudbranch.demo.generator import SCALES, ScaleParams, generate
from cloudbranch.notifications.models import Notification
from cloudbranch.orgs.choices import BRANCH_KINDS, UnitKind
from cloudbranch.orgs.models import OrgUnit, RoleAssignment, UnitEvent
from cloudbranch.orgs.roles import Role
from cloudbranch.people.choices import PersonEventKind, PoliticalStatus
from cloudbranch.people.models import CommitteeMembership, Person, PersonEvent
from cloudbranch.people.selectors import unit_warnings
from cloudbranch.people.validation import check_person

from .parts import keep_only

SMALL = ["--scale", "demo", "--people", "400", "--branches", "16", "--colleges", "4"]
TODAY = datetime.date(2026, 11, 26)
allow_accounts = override_settings(DEBUG=True, DEMO_PASSWORD="demo12345")


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def plan_digest(params: ScaleParams, seed: int) -> str:
    h = hashlib.sha256()
    for batch in generate(params, seed=seed, today=TODAY, root_code="U"):
        for u in batch.units:
            h.update(f"{u.code}|{u.parent}|{u.kind}|{u.name}\n".encode())
        for p in batch.people:
            h.update(f"{p.unit}|{p.name}|{p.id_number}|{p.political_status}\n".encode())
    return h.hexdigest()


def person_data(p: Person) -> dict:
    fields = (
        "name",
        "gender",
        "category",
        "political_status",
        "phone",
        "birth_date",
        "applied_on",
        "activist_on",
        "candidate_on",
        "joined_on",
        "confirmed_on",
    )
    return {**{f: getattr(p, f) for f in fields}, "id_number": p.reveal_id_number()}


def counts() -> dict:
    User = get_user_model()
    return {
        m.__name__: m.objects.count()
        for m in (
            OrgUnit,
            UnitEvent,
            Person,
            PersonEvent,
            CommitteeMembership,
            Notification,
            RoleAssignment,
            AuditEvent,
            User,
        )
    }


# --- the generator alone (no database) -----------------------------------------------------------


def test_demo_scale_shape_and_every_person_valid():
    batches = list(generate(SCALES["demo"], seed=7, today=TODAY, root_code="U"))
    units = [u for b in batches for u in b.units]
    people = [p for b in batches for p in b.people]
    kinds = Counter(u.kind for u in units)
    assert kinds[UnitKind.COMMITTEE] == 1
    assert kinds[UnitKind.SUB_COMMITTEE] + kinds[UnitKind.GENERAL_BRANCH] == 12
    assert kinds[UnitKind.GENERAL_BRANCH] >= 1
    assert kinds[UnitKind.BRANCH] + kinds[UnitKind.MOBILE_BRANCH] == 80
    assert kinds[UnitKind.MOBILE_BRANCH] == 1 and kinds[UnitKind.GROUP] > 0
    assert len(people) == 3000
    assert len({u.code for u in units}) == len(units)
    assert len({p.id_number for p in people}) == len(people)
    statuses = Counter(p.political_status for p in people)
    assert set(statuses) == set(PoliticalStatus.values)
    assert statuses["masses"] > statuses["activist"] > statuses["candidate"]
    ethnic = Counter(p.ethnicity for p in people)
    assert ethnic["汉族"] / len(people) > 0.85 and len(ethnic) > 5
    for p in people:
        data = {
            "name": p.name,
            "gender": p.gender,
            "category": p.category,
            "political_status": p.political_status,
            "phone": p.phone,
            "birth_date": p.birth_date,
            "id_number": p.id_number,
            **p.dates,
        }
        assert check_person(data, today=TODAY) == [], (p, check_person(data, today=TODAY))

    # Sizing situations that make the warnings show (SPEC §1).
    parent = {u.code: u.parent for u in units}
    branch_of = {
        u.code: (u.code if u.kind in BRANCH_KINDS else parent[u.code])
        for u in units
        if u.kind in BRANCH_KINDS or u.kind == UnitKind.GROUP
    }
    full = Counter(branch_of[p.unit] for p in people if p.political_status == "full")
    branches = [u for u in units if u.kind in BRANCH_KINDS]
    assert 1 <= sum(1 for u in branches if full[u.code] < 3) <= 6
    assert sum(1 for u in branches if full[u.code] > 50) == 1
    seated = {unit.code for b in batches for unit, _, _ in b.committees}
    assert any(full[u.code] >= 7 and u.code not in seated for u in branches)
    ends = [
        u.term_started_on.replace(year=u.term_started_on.year + u.term_years)
        for u in units
        if u.term_started_on and not (u.term_started_on.month == 2 and u.term_started_on.day == 29)
    ]
    assert any(e < TODAY for e in ends)
    assert any(0 <= (e - TODAY).days <= 60 for e in ends)


def test_same_seed_same_data_other_seed_other_data():
    params = ScaleParams(universities=1, colleges=5, branches=20, people=500)
    assert plan_digest(params, 42) == plan_digest(params, 42)
    assert plan_digest(params, 42) != plan_digest(params, 43)


def test_province_has_universities_under_a_province_committee():
    params = ScaleParams(universities=3, colleges=0, branches=90, people=2400)
    batches = list(generate(params, seed=1, today=TODAY, root_code="P"))
    units = [u for b in batches for u in b.units]
    assert units[0].code == "P" and units[0].parent is None
    universities = [u for u in units if u.parent == "P"]
    assert [u.code for u in universities] == ["P01", "P02", "P03"]
    assert all(u.kind == UnitKind.COMMITTEE for u in universities)
    assert sum(len(b.people) for b in batches) == 2400
    assert len({u.code for u in units}) == len(units)


# --- the command ------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _tree_and_people_only(monkeypatch):
    """The tree, the people and the accounts: the domain parts are tested in their own modules."""
    keep_only(monkeypatch)


@pytest.fixture(scope="class")
def _seeded_by_the_command(django_db_setup, django_db_blocker):
    """One ``seed_demo`` run (seed 1, accounts allowed) for the tests that read what it wrote; rolled
    back after the class, and each test runs in a savepoint of its own (the second run of the
    idempotency check cannot leak). Returns the first run's output. The tree, the people and the
    accounts are what this module checks; the domain parts are tested in their own modules."""
    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as m, transaction.atomic():
        keep_only(m)
        with allow_accounts:
            out, _ = run(*SMALL)
        yield out
        transaction.set_rollback(True)


@pytest.fixture
def first_run(_seeded_by_the_command, db) -> str:
    return _seeded_by_the_command


class TestOneRun:
    @allow_accounts
    def test_seed_writes_tree_people_and_is_idempotent(self, first_run):
        out = first_run
        assert "已生成" in out and "secretary1" in out and "demo12345" in out
        root = OrgUnit.objects.get(code="U")
        assert root.parent_id is None and root.path == f"/{root.pk}/"
        for unit in OrgUnit.objects.select_related("parent"):
            expected = f"{unit.parent.path}{unit.pk}/" if unit.parent else f"/{unit.pk}/"
            assert unit.path == expected and unit.depth == expected.count("/") - 2
        assert Person.objects.count() == 400
        assert PersonEvent.objects.filter(kind=PersonEventKind.CREATED).count() == 400
        assert UnitEvent.objects.count() == OrgUnit.objects.count()
        assert CommitteeMembership.objects.exists()
        audit = AuditEvent.objects.get(action="demo.seed")
        assert audit.changes["people"] == 400 and audit.changes["units"] == OrgUnit.objects.count()
        for person in Person.objects.all():
            assert check_person(person_data(person)) == [], person

        warnings = unit_warnings(list(OrgUnit.objects.all()))
        codes = {w.code for ws in warnings.values() for w in ws}
        assert {"too_many", "term_expiring"} <= codes

        before = counts()
        with CaptureQueriesContext(connection) as ctx:
            out, _ = run(*SMALL)
        assert "已存在" in out
        assert counts() == before
        assert len(ctx.captured_queries) < 60

    @allow_accounts
    def test_demo_accounts_and_roles(self, first_run):
        User = get_user_model()
        users = {u.username: u for u in User.objects.all()}
        assert set(users) == {
            "admin",
            "sysadmin",
            "secadmin",
            "auditor",
            "college1",
            "secretary1",
            "secretary2",
            "member1",
            "collector1",
            "activist1",
        }
        assert all(u.check_password("demo12345") for u in users.values())

        def roles(username):
            return {(ra.role, ra.unit.code) for ra in RoleAssignment.objects.active().filter(user=users[username])}

        assert roles("admin") == {(Role.ORG_ADMIN, "U")}
        assert users["admin"].display_name == "组织部管理员"
        for name, duty in (("sysadmin", Duty.SYSTEM), ("secadmin", Duty.SECURITY), ("auditor", Duty.AUDIT)):
            assert users[name].duty == duty and roles(name) == set()
        s1 = RoleAssignment.objects.get(user=users["secretary1"]).unit
        s2 = RoleAssignment.objects.get(user=users["secretary2"]).unit
        assert s1 != s2 and s1.parent_id == s2.parent_id and s1.kind == s2.kind == UnitKind.BRANCH
        assert roles("secretary1") == {(Role.BRANCH_SECRETARY, s1.code)}
        assert roles("secretary2") == {(Role.BRANCH_SECRETARY, s2.code)}
        assert roles("college1") == {(Role.COMMITTEE_SECRETARY, s1.parent.code)}
        assert roles("member1") == {(Role.MEMBER, s1.code)}
        assert roles("collector1") == {(Role.FEE_COLLECTOR, s1.code)}
        assert roles("activist1") == {(Role.APPLICANT, s1.code)}
        for name, unit in (("secretary1", s1), ("secretary2", s2), ("member1", s1), ("collector1", s1)):
            person = Person.objects.get(user=users[name])
            assert person.unit_id == unit.pk and person.political_status == PoliticalStatus.FULL
            assert users[name].display_name == person.name
        assert Person.objects.get(user=users["college1"]).unit.path.startswith(s1.parent.path)
        assert Notification.objects.filter(recipient=users["secretary1"], read_at__isnull=True).count() >= 2
        # secretary1's branch shows a warning: its committee's term ends within 60 days.
        assert any(w.code == "term_expiring" for w in unit_warnings([s1]).get(s1.pk, []))


@pytest.mark.django_db
@allow_accounts
def test_database_matches_the_generated_plan():
    run(*SMALL, "--seed", "5")
    params = ScaleParams(universities=1, colleges=4, branches=16, people=400)
    planned = [p for b in generate(params, seed=5, today=timezone.localdate(), root_code="U") for p in b.people]
    stored = list(Person.objects.select_related("unit").order_by("id"))
    assert [(p.name, p.unit, p.id_number) for p in planned] == [
        (p.name, p.unit.code, p.reveal_id_number()) for p in stored
    ]


@pytest.mark.django_db
def test_accounts_refused_without_debug_then_created_when_allowed():
    with override_settings(DEBUG=False, DEMO_ALLOW_WITHOUT_DEBUG=False):
        out, err = run(*SMALL)
    assert "DEBUG 未开启" in err and "CLOUDBRANCH_DEMO_ALLOW" in err
    assert not get_user_model().objects.exists()
    assert Person.objects.count() == 400  # the data itself is seeded

    with override_settings(DEBUG=False, DEMO_ALLOW_WITHOUT_DEBUG=True):
        out, err = run(*SMALL)
    assert get_user_model().objects.count() == 10
    assert "secretary1" in out and not err
    assert AuditEvent.objects.filter(action="demo.seed").count() == 2
    assert Person.objects.count() == 400


@pytest.mark.django_db
@allow_accounts
def test_province_seed_puts_accounts_in_the_first_university():
    result = seeding.seed(
        scale="province", seed=3, params=ScaleParams(universities=2, colleges=4, branches=34, people=900)
    )
    assert result.created and result.root.code == "P"
    admin = RoleAssignment.objects.get(user__username="admin")
    assert admin.unit.code == "P"
    s1 = RoleAssignment.objects.get(user__username="secretary1").unit
    assert s1.code == "P010101" and s1.path.startswith(OrgUnit.objects.get(code="P01").path)


@pytest.mark.django_db
@allow_accounts
def test_a_real_root_with_the_same_code_is_left_alone():
    OrgUnit.objects.create(code="U", name="某真实大学党委", kind=UnitKind.COMMITTEE, path="/x/")
    with pytest.raises(CommandError, match="不是由 seed_demo 生成"):
        run(*SMALL)
    assert OrgUnit.objects.count() == 1
    assert not get_user_model().objects.exists() and not Person.objects.exists()
