"""The roll-up of a university-sized subtree (issue 4, "Done means"): under 300 ms of server time.

Builds the shape of the `university` seed directly with bulk_create (30 colleges, 800 branches,
~700 groups, a year of ~25,000 meetings with gaps and joint meetings, committees), then times
``compliance_rollup(root, year)`` and the whole roll-up page.
"""

import datetime
import random
import statistics
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cloudbranch.meetings import compliance
from cloudbranch.meetings.choices import MeetingKind, MeetingStatus
from cloudbranch.meetings.models import Meeting
from cloudbranch.orgs.choices import UnitKind
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.roles import Role
from cloudbranch.people.models import CommitteeMembership
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant, make_unit

YEAR = 2025
TODAY = datetime.date(2025, 11, 26)  # an open month, quarter and year: every state occurs
BRANCHES = 800
COLLEGES = 30
TARGET_MS = 300


def _university():
    rng = random.Random(4)
    root = make_unit(name="基准大学党委", code="BENCH")
    colleges = [
        make_unit(parent=root, kind=UnitKind.SUB_COMMITTEE, name=f"学院{i}", code=f"BC{i:02d}") for i in range(COLLEGES)
    ]
    next_id = (OrgUnit.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    units = []
    branches, groups = [], []
    for b in range(BRANCHES):
        college = colleges[b % COLLEGES]
        founded = datetime.date(YEAR, rng.randint(2, 11), 1) if b % 97 == 0 else None
        branch = OrgUnit(
            pk=next_id,
            code=f"BB{b:04d}",
            name=f"支部{b}",
            kind=UnitKind.BRANCH,
            parent=college,
            path=f"{college.path}{next_id}/",
            depth=2,
            founded_on=founded,
        )
        next_id += 1
        units.append(branch)
        branches.append(branch)
        if b % 8 != 0:  # most branches have one group
            group = OrgUnit(
                pk=next_id,
                code=f"BG{b:04d}",
                name=f"支部{b}第一党小组",
                kind=UnitKind.GROUP,
                parent=branch,
                path=f"{branch.path}{next_id}/",
                depth=3,
            )
            next_id += 1
            units.append(group)
            groups.append(group)
    OrgUnit.objects.bulk_create(units, batch_size=500)

    people = [PersonFactory(unit=branches[0]) for _ in range(3)]
    seats = [
        CommitteeMembership(unit=branch, person=p, position="member", started_on=datetime.date(2024, 1, 1))
        for i, branch in enumerate(branches)
        if i % 5 != 0  # a fifth have no committee
        for p in people
    ]
    CommitteeMembership.objects.bulk_create(seats, batch_size=1000)

    author = UserFactory()
    tz = timezone.get_current_timezone()
    meetings = []

    def add(unit, kind, month):
        day = rng.randint(1, 28)
        starts = datetime.datetime(YEAR, month, day, rng.choice((9, 14, 19)), tzinfo=tz)
        status = MeetingStatus.HELD if rng.random() < 0.6 else MeetingStatus.ARCHIVED
        if starts.date() > TODAY:
            status = MeetingStatus.SCHEDULED
        meetings.append(
            Meeting(
                unit=unit,
                kind=kind,
                title=kind,
                starts_at=starts,
                ends_at=starts + datetime.timedelta(hours=1),
                status=status,
                created_by=author,
            )
        )

    for i, branch in enumerate(branches):
        gap = 0.05 + 0.1 * (i % 4)  # some branches miss many months
        for month in range(1, 13):
            for kind in (MeetingKind.THEMED_DAY, MeetingKind.COMMITTEE):
                if rng.random() > gap:
                    add(branch, kind, month)
        for q in range(4):
            for kind in (MeetingKind.GENERAL, MeetingKind.LECTURE):
                if rng.random() > gap:
                    add(branch, kind, 3 * q + rng.randint(1, 3))
        if rng.random() > 0.3:
            add(branch, MeetingKind.ORG_LIFE, 12 if rng.random() < 0.5 else 11)
    for group in groups:
        for month in range(1, 13):
            if rng.random() > 0.4:
                add(group, MeetingKind.GROUP, month)
    Meeting.objects.bulk_create(meetings, batch_size=2000)

    Joint = Meeting.joint_units.through
    lectures = list(Meeting.objects.filter(kind=MeetingKind.LECTURE, unit__path__startswith=root.path)[:800])
    Joint.objects.bulk_create(
        [Joint(meeting_id=m.pk, orgunit_id=branches[(m.unit_id * 7) % BRANCHES].pk) for m in lectures],
        batch_size=1000,
        ignore_conflicts=True,
    )
    return root, len(units) + COLLEGES + 1, len(meetings)


@pytest.mark.slow
@pytest.mark.django_db
def test_university_rollup_under_300ms(client, capsys):
    compliance.clear_rules_cache()
    started = time.perf_counter()
    root, n_units, n_meetings = _university()
    built = time.perf_counter() - started
    assert n_meetings > 24_000 and n_units > 1_400

    compliance.compliance_rollup(root, YEAR, today=TODAY)  # warm: rules cache, SQLite page cache
    timings = []
    for _ in range(5):
        t0 = time.perf_counter()
        with CaptureQueriesContext(connection) as ctx:
            rollup = compliance.compliance_rollup(root, YEAR, today=TODAY)
        timings.append((time.perf_counter() - t0) * 1000)
    queries = len(ctx)
    ms = statistics.median(timings)
    best = min(timings)

    cells = sum(len(c) for c in rollup.cells.values())
    states = rollup.totals()
    assert states["met"] and states["missed"] and states["warning"] and states["exempt"] and states["due"]

    admin = UserFactory()
    grant(admin, root, Role.ORG_ADMIN)
    client.force_login(admin)
    url = reverse("meetings:compliance") + f"?unit={root.pk}&year={YEAR}"
    client.get(url)
    page_timings = []
    for _ in range(5):
        t0 = time.perf_counter()
        response = client.get(url)
        page_timings.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
    page_ms = statistics.median(page_timings)
    page_best = min(page_timings)

    with capsys.disabled():
        print(
            f"\ncompliance roll-up: {n_units} units, {n_meetings} meetings, {cells} unit×rule×period cells "
            f"(seeded in {built:.1f} s): compliance_rollup median {ms:.0f} ms (runs {[round(t) for t in timings]}), "
            f"{queries} queries; whole page GET median {page_ms:.0f} ms, best {page_best:.0f} ms"
        )
    assert queries == 4
    # Best of N: other processes on a 2-core machine (parallel test workers) only ever add time.
    assert best < TARGET_MS
    assert page_best < TARGET_MS
