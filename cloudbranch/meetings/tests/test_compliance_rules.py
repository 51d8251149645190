"""Compliance rules per kind and period, pro rata, joint meetings, rule-set versioning, states."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cloudbranch.meetings import compliance
from cloudbranch.meetings.choices import ComplianceState, MeetingKind, MeetingStatus
from cloudbranch.meetings.models import ComplianceRule, Meeting
from cloudbranch.orgs.choices import UnitKind, UnitStatus
from cloudbranch.people.models import CommitteeMembership
from cloudbranch.testing.factories import PersonFactory, UserFactory, make_unit

D = datetime.date
AFTER_2025 = D(2026, 1, 20)  # every period of 2025 is closed


@pytest.fixture(autouse=True)
def _fresh_rules():
    compliance.clear_rules_cache()
    yield
    compliance.clear_rules_cache()


@pytest.fixture
def author(db):
    return UserFactory()


def held(unit, kind, day, *, author, status=MeetingStatus.HELD, joint=(), hour=10):
    starts = timezone.make_aware(datetime.datetime(day.year, day.month, day.day, hour))
    meeting = Meeting.objects.create(
        unit=unit,
        kind=kind,
        title=f"{kind} {day}",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=1),
        status=status,
        created_by=author,
    )
    if joint:
        meeting.joint_units.add(*joint)
    return meeting


def give_committee(unit, seats=3):
    for _ in range(seats):
        CommitteeMembership.objects.create(
            unit=unit, person=PersonFactory(unit=unit), position="member", started_on=D(2024, 1, 1)
        )


def states(rollup, unit, kind):
    return {c.key: c.state for c in rollup.cells.get(unit.pk, []) if c.kind == kind}


def cell(rollup, unit, kind, key):
    return next(c for c in rollup.cells[unit.pk] if c.kind == kind and c.key == key)


def test_general_meeting_quarterly(world, author):
    held(world.branch_a1, MeetingKind.GENERAL, D(2025, 2, 10), author=author)
    held(world.branch_a1, MeetingKind.GENERAL, D(2025, 8, 10), author=author)
    r = compliance.compliance_rollup(world.root, 2025, today=AFTER_2025)
    assert states(r, world.branch_a1, MeetingKind.GENERAL) == {
        "2025-Q1": ComplianceState.MET,
        "2025-Q2": ComplianceState.MISSED,
        "2025-Q3": ComplianceState.MET,
        "2025-Q4": ComplianceState.MISSED,
    }
    # Branches only: colleges, the committee and groups have no general-meeting rule.
    assert states(r, world.college_a, MeetingKind.GENERAL) == {}
    assert states(r, world.group_a1, MeetingKind.GENERAL) == {}


def test_committee_meeting_monthly_only_with_a_committee(world, author):
    give_committee(world.branch_a1, 3)
    give_committee(world.branch_a2, 2)  # too few seats: no committee
    held(world.branch_a1, MeetingKind.COMMITTEE, D(2025, 1, 5), author=author)
    r = compliance.compliance_rollup(world.root, 2025, today=AFTER_2025)
    a1 = states(r, world.branch_a1, MeetingKind.COMMITTEE)
    assert len(a1) == 12
    assert a1["2025-01"] == ComplianceState.MET
    assert a1["2025-02"] == ComplianceState.MISSED
    assert states(r, world.branch_a2, MeetingKind.COMMITTEE) == {}
    assert states(r, world.branch_b1, MeetingKind.COMMITTEE) == {}


def test_group_meeting_monthly_for_groups(world, author):
    held(world.group_a1, MeetingKind.GROUP, D(2025, 3, 31), author=author, hour=23)  # 23:00 local, still March
    r = compliance.compliance_rollup(world.root, 2025, today=AFTER_2025)
    g = states(r, world.group_a1, MeetingKind.GROUP)
    assert len(g) == 12
    assert g["2025-03"] == ComplianceState.MET
    assert g["2025-04"] == ComplianceState.MISSED
    assert states(r, world.branch_a1, MeetingKind.GROUP) == {}


def test_local_date_decides_the_month(world, author):
    # 1 April 07:00 in Shanghai is 31 March 23:00 UTC: it is an April meeting.
    held(world.group_a1, MeetingKind.GROUP, D(2025, 4, 1), author=author, hour=7)
    r = compliance.compliance_rollup(world.root, 2025, today=AFTER_2025)
    g = states(r, world.group_a1, MeetingKind.GROUP)
    assert g["2025-03"] == ComplianceState.MISSED
    assert g["2025-04"] == ComplianceState.MET


def test_themed_day_monthly_lecture_quarterly_org_life_yearly(world, author):
    for month in range(1, 13):
        held(world.branch_a1, MeetingKind.THEMED_DAY, D(2025, month, 15), author=author)
    held(world.branch_a1, MeetingKind.LECTURE, D(2025, 5, 1), author=author)
    held(world.branch_a1, MeetingKind.ORG_LIFE, D(2025, 12, 20), author=author)
    r = compliance.compliance_rollup(world.root, 2025, today=AFTER_2025)
    assert set(states(r, world.branch_a1, MeetingKind.THEMED_DAY).values()) == {ComplianceState.MET}
    assert states(r, world.branch_a1, MeetingKind.LECTURE) == {
        "2025-Q1": ComplianceState.MISSED,
        "2025-Q2": ComplianceState.MET,
        "2025-Q3": ComplianceState.MISSED,
        "2025-Q4": ComplianceState.MISSED,
    }
    assert states(r, world.branch_a1, MeetingKind.ORG_LIFE) == {"2025": ComplianceState.MET}
    assert states(r, world.branch_a2, MeetingKind.ORG_LIFE) == {"2025": ComplianceState.MISSED}
    assert cell(r, world.branch_a1, MeetingKind.THEMED_DAY, "2025-06").held == 1


@pytest.mark.parametrize(
    ("status", "counted"),
    [
        (MeetingStatus.DRAFT, False),
        (MeetingStatus.SCHEDULED, False),
        (MeetingStatus.CANCELLED, False),
        (MeetingStatus.HELD, True),
        (MeetingStatus.ARCHIVED, True),
    ],
)
def test_only_meetings_that_took_place_count(world, author, status, counted):
    held(world.branch_a1, MeetingKind.GENERAL, D(2025, 2, 10), author=author, status=status)
    r = compliance.compliance_rollup(world.root, 2025, today=AFTER_2025)
    expected = ComplianceState.MET if counted else ComplianceState.MISSED
    assert states(r, world.branch_a1, MeetingKind.GENERAL)["2025-Q1"] == expected


def test_joint_meeting_counts_for_each_unit(world, author):
    held(world.branch_a1, MeetingKind.LECTURE, D(2025, 2, 10), author=author, joint=[world.branch_a2, world.branch_b1])
    r = compliance.compliance_rollup(world.root, 2025, today=AFTER_2025)
    for unit in (world.branch_a1, world.branch_a2, world.branch_b1):
        assert cell(r, unit, MeetingKind.LECTURE, "2025-Q1").held == 1
        assert states(r, unit, MeetingKind.LECTURE)["2025-Q1"] == ComplianceState.MET
    # Seen from a subtree that holds only a joint participant, the meeting still counts.
    r_b = compliance.compliance_rollup(world.college_b, 2025, today=AFTER_2025)
    assert states(r_b, world.branch_b1, MeetingKind.LECTURE)["2025-Q1"] == ComplianceState.MET
    # The host listed among its own joint units is not counted twice.
    meeting = Meeting.objects.get()
    meeting.joint_units.add(world.branch_a1)
    r = compliance.compliance_rollup(world.root, 2025, today=AFTER_2025)
    assert cell(r, world.branch_a1, MeetingKind.LECTURE, "2025-Q1").held == 1


def test_pro_rata_founded_mid_quarter(world, author):
    late = make_unit(parent=world.college_a, name="二月下旬成立", founded_on=D(2025, 2, 20))  # 40 of 90 days
    early = make_unit(parent=world.college_a, name="二月初成立", founded_on=D(2025, 2, 1))  # 59 of 90 days
    r = compliance.compliance_rollup(world.root, 2025, today=AFTER_2025)
    assert cell(r, late, MeetingKind.GENERAL, "2025-Q1").state == ComplianceState.EXEMPT
    q1 = cell(r, early, MeetingKind.GENERAL, "2025-Q1")
    assert (q1.required, q1.state) == (1, ComplianceState.MISSED)
    # Months before founding are not judged; the founding month itself is pro rata.
    late_themed = states(r, late, MeetingKind.THEMED_DAY)
    assert "2025-01" not in late_themed
    assert late_themed["2025-02"] == ComplianceState.EXEMPT  # 9 of 28 days → 0.32 → 0
    assert cell(r, early, MeetingKind.THEMED_DAY, "2025-02").required == 1
    assert cell(r, late, MeetingKind.ORG_LIFE, "2025").required == 1  # 315 of 365 days


def test_required_count_rounds_half_up():
    assert compliance.required_count(1, 45, 90) == 1  # exactly 0.5
    assert compliance.required_count(1, 44, 90) == 0
    assert compliance.required_count(2, 45, 90) == 1
    assert compliance.required_count(3, 90, 90) == 3


def test_closed_units(world, author):
    dissolved = make_unit(
        parent=world.college_a, name="五月撤销", status=UnitStatus.DISSOLVED, closed_on=D(2025, 5, 16)
    )
    gone = make_unit(parent=world.college_a, name="早已撤销", status=UnitStatus.DISSOLVED, closed_on=D(2024, 12, 1))
    held(dissolved, MeetingKind.GENERAL, D(2025, 1, 10), author=author)
    r = compliance.compliance_rollup(world.root, 2025, today=AFTER_2025)
    s = states(r, dissolved, MeetingKind.GENERAL)
    assert s["2025-Q1"] == ComplianceState.MET
    assert s["2025-Q2"] == ComplianceState.EXEMPT  # 45 of 91 days → 0.49 → 0
    assert "2025-Q3" not in s and "2025-Q4" not in s
    themed = states(r, dissolved, MeetingKind.THEMED_DAY)
    assert themed["2025-04"] == ComplianceState.MISSED  # a whole month
    assert themed["2025-05"] == ComplianceState.EXEMPT  # closed on the 16th: 15 of 31 days → 0.48 → 0
    assert "2025-06" not in themed
    assert gone.pk not in r.cells


def test_rule_set_versioning(world, author):
    ComplianceRule.objects.create(
        rule_set="2025H2",
        valid_from=D(2025, 7, 1),
        kind=MeetingKind.GENERAL,
        unit_kinds=[UnitKind.BRANCH],
        period="month",
        min_count=1,
        warn_days=7,
        source="测试：下半年起每月召开",
    )
    compliance.clear_rules_cache()
    held(world.branch_a1, MeetingKind.GENERAL, D(2025, 8, 10), author=author)
    r = compliance.compliance_rollup(world.root, 2025, today=AFTER_2025)
    s = states(r, world.branch_a1, MeetingKind.GENERAL)
    assert {"2025-Q1", "2025-Q2"} <= set(s)  # 2018 set: quarterly
    assert "2025-Q3" not in s and "2025-07" in s  # later set: monthly, and nothing else of 2018
    assert s["2025-08"] == ComplianceState.MET and s["2025-07"] == ComplianceState.MISSED
    # The later set holds only the general meeting: other kinds have no rule from July on.
    assert "2025-07" not in states(r, world.branch_a1, MeetingKind.THEMED_DAY)
    assert "2025-06" in states(r, world.branch_a1, MeetingKind.THEMED_DAY)


def test_warning_vs_due_by_days_left(world, author):
    # November 2026 ends on the 30th; themed day warns 7 days ahead, general meeting (Q4) 14 days.
    due = compliance.compliance_rollup(world.root, 2026, today=D(2026, 11, 20))
    c = cell(due, world.branch_a1, MeetingKind.THEMED_DAY, "2026-11")
    assert (c.state, c.days_left) == (ComplianceState.DUE, 10)
    assert cell(due, world.branch_a1, MeetingKind.GENERAL, "2026-Q4").state == ComplianceState.DUE  # 41 days left
    warn = compliance.compliance_rollup(world.root, 2026, today=D(2026, 11, 24))
    assert cell(warn, world.branch_a1, MeetingKind.THEMED_DAY, "2026-11").state == ComplianceState.WARNING  # 6 left
    at_edge = compliance.compliance_rollup(world.root, 2026, today=D(2026, 11, 23))
    assert cell(at_edge, world.branch_a1, MeetingKind.THEMED_DAY, "2026-11").state == ComplianceState.DUE  # 7 left
    # Future periods are not judged.
    assert "2026-12" not in states(warn, world.branch_a1, MeetingKind.THEMED_DAY)
    # Met closes the warning.
    held(world.branch_a1, MeetingKind.THEMED_DAY, D(2026, 11, 2), author=author)
    met = compliance.compliance_rollup(world.root, 2026, today=D(2026, 11, 24))
    assert cell(met, world.branch_a1, MeetingKind.THEMED_DAY, "2026-11").state == ComplianceState.MET


def test_summary_and_behind(world, author):
    held(world.branch_a1, MeetingKind.THEMED_DAY, D(2026, 11, 2), author=author)
    r = compliance.compliance_rollup(world.root, 2026, today=D(2026, 11, 24))
    counts = r.summary_counts("2026-11", MeetingKind.THEMED_DAY)
    assert counts[ComplianceState.MET] == 1
    assert counts[ComplianceState.WARNING] == 2  # a2, b1
    assert r.current == {"month": "2026-11", "quarter": "2026-Q4", "year": "2026"}
    behind = {b.unit.id: b for b in r.behind}
    assert world.branch_a2.pk in behind and MeetingKind.THEMED_DAY in behind[world.branch_a2.pk].month
    assert MeetingKind.THEMED_DAY not in behind[world.branch_a1.pk].month
    assert behind[world.branch_a1.pk].missed > 0  # earlier months missed
    children = {u.id: t for u, t in r.child_totals()}
    assert set(children) == {world.college_a.pk, world.college_b.pk}
    assert children[world.college_a.pk][ComplianceState.MET] == 1


def _queries(root, year, today):
    compliance.compliance_rollup(root, year, today=today)  # rules cached
    with CaptureQueriesContext(connection) as ctx:
        compliance.compliance_rollup(root, year, today=today)
    return len(ctx)


def test_rollup_query_count_constant_as_units_grow(world, author):
    give_committee(world.branch_a1)
    held(world.branch_a1, MeetingKind.GENERAL, D(2025, 2, 10), author=author, joint=[world.branch_a2])
    small = _queries(world.root, 2025, AFTER_2025)
    for i in range(15):
        branch = make_unit(parent=world.college_b, name=f"新增支部{i}")
        make_unit(parent=branch, kind=UnitKind.GROUP, name=f"新增小组{i}")
        give_committee(branch)
        held(branch, MeetingKind.THEMED_DAY, D(2025, 3, 3), author=author, joint=[world.branch_b1])
        held(branch, MeetingKind.COMMITTEE, D(2025, 4, 3), author=author)
    assert small == _queries(world.root, 2025, AFTER_2025) == 4
