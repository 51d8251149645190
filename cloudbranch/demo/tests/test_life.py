"""A year of organizational life in the demo seed (issue 4 item 10), at a small scale."""

import datetime
import hashlib
from collections import Counter, defaultdict

import pytest
from django.db import transaction
from django.test.utils import override_settings

from cloudbranch.audit.models import AuditEvent
from cloudbranch.demo import life, seeding
from cloudbranch.demo.generator import ScaleParams
from cloudbranch.meetings.choices import AttendanceStatus, MeetingKind, MeetingStatus
from cloudbranch.meetings.models import Invitee, Meeting, MonthlyTheme, Talk
from cloudbranch.orgs.choices import BRANCH_KINDS, UnitKind
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.people.choices import PoliticalStatus
from cloudbranch.people.models import CommitteeMembership, Person

from .parts import keep_only

PARAMS = ScaleParams(universities=1, colleges=4, branches=16, people=900)
TODAY = datetime.date(2026, 11, 26)
allow_accounts = override_settings(DEBUG=True, DEMO_PASSWORD="demo12345")
PARTY = (PoliticalStatus.FULL, PoliticalStatus.PROBATIONARY)


def seed(**kwargs):
    return seeding.seed(scale="demo", seed=kwargs.pop("seed", 1), params=PARAMS, today=TODAY, **kwargs)


def life_counts() -> dict:
    return {m.__name__: m.objects.count() for m in (Meeting, Invitee, Talk, MonthlyTheme)}


def db_digest() -> str:
    h = hashlib.sha256()
    for unit, kind, title, starts_at, status in Meeting.objects.order_by("id").values_list(
        "unit_id", "kind", "title", "starts_at", "status"
    ):
        h.update(f"{unit}|{kind}|{title}|{int(starts_at.timestamp())}|{status}\n".encode())
    return h.hexdigest()


def past_months() -> list[tuple[int, int]]:
    return life.window_months(TODAY)[:-1]


def _skip_other_parts(m):
    """Development, dues, learning and communication are tested in their own modules: the tests
    that need a database of their own seed the meetings only (the rest is most of a seed's time)."""
    keep_only(m, "life")


@pytest.fixture(scope="class")
def _seeded_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """One seed of the meetings for the tests that only read it (rolled back after the class; each
    test runs in a savepoint of its own, so the idempotency check's second seed cannot leak). The
    other parts are left out: an approved election, for one, changes a committee's invitees."""
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("life-media"))  # the feed's photos
    with django_db_blocker.unblock(), media, pytest.MonkeyPatch.context() as m, transaction.atomic():
        keep_only(m, "life")
        with allow_accounts:
            result = seed()
        yield result
        transaction.set_rollback(True)


@pytest.fixture
def seeded(_seeded_once, db):
    assert _seeded_once.created and _seeded_once.life and not _seeded_once.life_skipped
    return _seeded_once


class TestOneSeed:
    """Read what one seed wrote (shared by the tests of this class)."""

    def test_a_year_of_meetings_of_every_kind_with_the_right_invitees(self, seeded):
        root = seeded.root
        kinds = Counter(Meeting.objects.values_list("kind", flat=True))
        assert set(kinds) == set(MeetingKind.values) - {MeetingKind.OTHER}
        statuses = Counter(Meeting.objects.values_list("status", flat=True))
        assert set(statuses) == {
            MeetingStatus.HELD,
            MeetingStatus.ARCHIVED,
            MeetingStatus.SCHEDULED,
            MeetingStatus.CANCELLED,
        }
        assert MonthlyTheme.objects.filter(unit=root).count() == 12
        assert MonthlyTheme.objects.exclude(unit=root).count() == 2

        units = {u.pk: u for u in OrgUnit.objects.all()}
        party_of_unit = defaultdict(set)
        for pid, unit_id in Person.objects.filter(political_status__in=PARTY, roster_status="active").values_list(
            "id", "unit_id"
        ):
            party_of_unit[unit_id].add(pid)
        branch_members = defaultdict(set)
        for unit_id, people in party_of_unit.items():
            unit = units[unit_id]
            branch_members[unit.parent_id if unit.kind == UnitKind.GROUP else unit_id] |= people
        committee = defaultdict(set)
        for unit_id, pid in CommitteeMembership.objects.filter(ended_on__isnull=True).values_list(
            "unit_id", "person_id"
        ):
            committee[unit_id].add(pid)
        invited = defaultdict(set)
        for meeting_id, pid in Invitee.objects.values_list("meeting_id", "person_id"):
            invited[meeting_id].add(pid)
        joint = defaultdict(set)
        for meeting_id, unit_id in Meeting.joint_units.through.objects.values_list("meeting_id", "orgunit_id"):
            joint[meeting_id].add(unit_id)
        assert joint, "some sibling branches held a joint themed Party day"

        for m in Meeting.objects.all():
            unit = units[m.unit_id]
            if m.status == MeetingStatus.CANCELLED:
                assert m.cancel_reason and not invited[m.pk]
                continue
            if m.kind == MeetingKind.COMMITTEE:
                assert len(committee[m.unit_id]) >= 3 and invited[m.pk] == committee[m.unit_id]
            elif m.kind == MeetingKind.GROUP:
                assert unit.kind == UnitKind.GROUP and m.invitee_group_id == unit.pk
                assert invited[m.pk] == party_of_unit[unit.pk]
            else:
                assert unit.kind in BRANCH_KINDS
                expected = set(branch_members[m.unit_id])
                for other in joint[m.pk]:
                    assert units[other].parent_id == unit.parent_id and m.kind == MeetingKind.THEMED_DAY
                    expected |= branch_members[other]
                assert invited[m.pk] == expected
            if m.status in (MeetingStatus.HELD, MeetingStatus.ARCHIVED):
                assert m.starts_at.date() < TODAY and m.minutes and m.decisions and m.held_at
                assert (m.archived_at is not None) == (m.status == MeetingStatus.ARCHIVED)
            else:
                assert m.starts_at.date() > TODAY

        attendance = Counter(
            Invitee.objects.filter(meeting__status__in=(MeetingStatus.HELD, MeetingStatus.ARCHIVED)).values_list(
                "status", flat=True
            )
        )
        total = sum(attendance.values())
        assert 0.8 < attendance[AttendanceStatus.PRESENT] / total < 0.97
        assert attendance[AttendanceStatus.LEAVE_APPROVED] and attendance[AttendanceStatus.ABSENT]
        assert not Invitee.objects.filter(status=AttendanceStatus.PRESENT, checked_in_at__isnull=True).exists()
        assert not Invitee.objects.filter(status=AttendanceStatus.LEAVE_APPROVED, leave_reason="").exists()

        # Talks: committee members of the branch talk with most (not all) of its Party members.
        talks = list(Talk.objects.values_list("unit_id", "interviewer_id", "interviewee_id", "held_on"))
        assert talks
        for unit_id, interviewer, interviewee, held_on in talks:
            assert interviewer in committee[unit_id] and interviewee in branch_members[unit_id] and held_on < TODAY
        talked = {t[2] for t in talks}
        covered = set().union(*(branch_members[u] for u in committee))
        assert 0.75 < len(talked & covered) / len(covered) < 1

        audit = AuditEvent.objects.get(action=life.MEETINGS_ACTION)
        assert audit.changes["meetings"] == Meeting.objects.count() and audit.changes["talks"] == len(talks)

    def test_showcase_branches_and_gaps(self, seeded):
        themed = defaultdict(set)
        for unit_id, starts_at in Meeting.objects.filter(
            kind=MeetingKind.THEMED_DAY, status__in=(MeetingStatus.HELD, MeetingStatus.ARCHIVED)
        ).values_list("unit_id", "starts_at"):
            local = starts_at.astimezone(datetime.timezone(datetime.timedelta(hours=8)))
            themed[unit_id].add((local.year, local.month))
        for meeting_id, unit_id in Meeting.joint_units.through.objects.values_list("meeting_id", "orgunit_id"):
            m = Meeting.objects.get(pk=meeting_id)
            local = m.starts_at.astimezone(datetime.timezone(datetime.timedelta(hours=8)))
            themed[unit_id].add((local.year, local.month))
        branches = list(OrgUnit.objects.filter(kind__in=BRANCH_KINDS))
        missing = {b.code: set(past_months()) - themed[b.pk] for b in branches}
        assert missing["U0101"] == set()  # secretary1: complete
        assert len(missing["U0102"]) == 1  # secretary2: one visible gap
        assert sum(1 for gaps in missing.values() if gaps) >= 2

        s1 = OrgUnit.objects.get(code="U0101")
        upcoming = Meeting.objects.get(unit=s1, kind=MeetingKind.THEMED_DAY, status=MeetingStatus.SCHEDULED)
        assert upcoming.invitees.filter(person__user__username="member1", status=AttendanceStatus.INVITED).exists()
        for kind in (MeetingKind.COMMITTEE, MeetingKind.THEMED_DAY):
            months = {
                (
                    s.astimezone(datetime.timezone(datetime.timedelta(hours=8))).year,
                    s.astimezone(datetime.timezone(datetime.timedelta(hours=8))).month,
                )
                for s in Meeting.objects.filter(unit=s1, kind=kind, status__in=("held", "archived")).values_list(
                    "starts_at", flat=True
                )
            }
            assert set(past_months()) <= months, kind
        per_branch = Counter(
            Meeting.objects.filter(status=MeetingStatus.SCHEDULED, unit__kind__in=BRANCH_KINDS).values_list(
                "unit_id", flat=True
            )
        )
        assert all(2 <= n <= 4 for n in per_branch.values())

    def test_idempotent_and_deterministic(self, seeded):
        before, digest = life_counts(), db_digest()
        with allow_accounts:
            again = seed()
        assert not again.created and again.life is None
        assert life_counts() == before

        world = life.load_world(seeded.root)
        now = seeding._life_now(TODAY)
        creator = life.default_creator(seeded.root)
        assert life.plan_digest(world, seed=1, today=TODAY, now=now, creator=creator) == digest
        assert life.plan_digest(world, seed=2, today=TODAY, now=now, creator=creator) != digest


@pytest.mark.django_db
def test_a_database_seeded_before_meetings_gets_them_once(monkeypatch):
    _skip_other_parts(monkeypatch)
    with monkeypatch.context() as m:
        m.setattr(seeding, "_seed_life", lambda root, **kw: (None, False))
        with allow_accounts:
            assert seed().created
    assert not Meeting.objects.exists()
    with allow_accounts:
        result = seed(seed=9)  # the stored seed (1) wins
    assert not result.created and result.life["meetings"] == Meeting.objects.count() > 0
    assert AuditEvent.objects.filter(action=life.MEETINGS_ACTION).count() == 1
    assert AuditEvent.objects.get(action=life.MEETINGS_ACTION).changes["seed"] == 1
    before = life_counts()
    with allow_accounts:
        assert seed().life is None
    assert life_counts() == before


@pytest.mark.django_db
def test_without_an_administrator_account_the_meetings_wait(monkeypatch):
    _skip_other_parts(monkeypatch)
    with override_settings(DEBUG=False, DEMO_ALLOW_WITHOUT_DEBUG=False):
        result = seed()
    assert result.life_skipped and not Meeting.objects.exists()
    with allow_accounts:
        result = seed()
    assert result.life and Meeting.objects.exists()
