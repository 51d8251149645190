"""Organizational-life metrics (meetings/metrics.py)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cloudbranch.core.metrics import MONTH, YEAR, Period, get
from cloudbranch.meetings import (
    compliance,
    metrics,  # noqa: F401
)
from cloudbranch.meetings.choices import AttendanceStatus, MeetingKind, MeetingStatus
from cloudbranch.meetings.models import Invitee
from cloudbranch.meetings.tests.factories import make_meeting
from cloudbranch.testing.factories import PersonFactory, make_unit

D = datetime.date
MARCH = Period(MONTH, D(2025, 3, 1), D(2025, 3, 31))


def at(y, m, d, h=19):
    return timezone.make_aware(datetime.datetime(y, m, d, h), timezone.get_current_timezone())


@pytest.fixture
def life(world):
    u1, u2 = make_unit(parent=world.college_b), make_unit(parent=world.college_b)
    people = PersonFactory.create_batch(4, unit=u1)
    m = make_meeting(
        unit=u1, created_by=world.users["admin"], status=MeetingStatus.HELD, starts_at=at(2025, 3, 10), invitees=people
    )
    Invitee.objects.filter(meeting=m, person__in=people[:3]).update(status=AttendanceStatus.PRESENT)
    Invitee.objects.filter(meeting=m, person=people[3]).update(status=AttendanceStatus.LEAVE_APPROVED)
    # Archived on 31 March 23:30 local time: still March (local months).
    make_meeting(unit=u1, created_by=world.users["admin"], status=MeetingStatus.ARCHIVED, starts_at=at(2025, 3, 31, 23))
    make_meeting(unit=u1, created_by=world.users["admin"], status=MeetingStatus.CANCELLED, starts_at=at(2025, 3, 12))
    make_meeting(unit=u1, created_by=world.users["admin"], status=MeetingStatus.SCHEDULED, starts_at=at(2025, 3, 20))
    make_meeting(unit=u2, created_by=world.users["admin"], status=MeetingStatus.HELD, starts_at=at(2025, 4, 1, 0))
    # A joint meeting hosted by u2 with u1: held counts for the host only.
    make_meeting(
        unit=u2, created_by=world.users["admin"], status=MeetingStatus.HELD, starts_at=at(2025, 3, 5), joint_units=[u1],
        kind=MeetingKind.THEMED_DAY,
    )  # fmt: skip
    return u1, u2


def test_held_and_attendance(life):
    u1, u2 = life
    ids = [u1.pk, u2.pk]
    assert get("life.meetings_held").compute(ids, MARCH) == {u1.pk: 2, u2.pk: 1}
    assert get("life.attendance_expected").compute(ids, MARCH) == {u1.pk: 4}
    assert get("life.attendance_present").compute(ids, MARCH) == {u1.pk: 3}
    assert get("life.meetings_held").compute([u2.pk], MARCH) == {u2.pk: 1}
    months = get("life.meetings_held").compute_months(ids, D(2025, 1, 1), D(2025, 12, 31))
    assert months == {(u1.pk, D(2025, 3, 1)): 2, (u2.pk, D(2025, 3, 1)): 1, (u2.pk, D(2025, 4, 1)): 1}


def test_required_and_met_follow_the_compliance_calendar(life):
    u1, u2 = life
    ids = [u1.pk, u2.pk]
    required = get("life.meetings_required").compute_months(ids, D(2025, 1, 1), D(2025, 12, 31))
    met = get("life.meetings_met").compute_months(ids, D(2025, 1, 1), D(2025, 12, 31))
    for unit in (u1, u2):
        rollup = compliance.unit_calendar(unit, 2025, today=D(2026, 1, 31))
        spans = {s.key: s for s in rollup.periods}
        want_req, want_met = {}, {}
        for cell in rollup.cells.get(unit.pk, []):
            if cell.required > 0:
                month = spans[cell.key].end.replace(day=1)
                want_req[month] = want_req.get(month, 0) + cell.required
                want_met[month] = want_met.get(month, 0) + min(cell.held, cell.required)
        assert {m: v for (u, m), v in required.items() if u == unit.pk} == want_req
        assert {m: v for (u, m), v in met.items() if u == unit.pk} == {m: v for m, v in want_met.items() if v}
        assert want_req  # the 2018 rules require something of a branch every month
    # A month's compute equals its batched figure; the year equals the sum of its months.
    march = get("life.meetings_required").compute(ids, MARCH)
    assert march == {u: v for (u, m), v in required.items() if m == D(2025, 3, 1)}
    year = get("life.meetings_met").compute(ids, Period(YEAR, D(2025, 1, 1), D(2025, 12, 31)))
    assert year.get(u1.pk, 0) == sum(v for (u, _m), v in met.items() if u == u1.pk)


def test_open_periods_are_not_judged(life):
    u1, _u2 = life
    # Up to 15 March: March (and Q1, and 2025) have not ended, so nothing of them is counted.
    required = get("life.meetings_required").compute_months([u1.pk], D(2025, 3, 1), D(2025, 3, 15))
    assert required == {}


def test_constant_queries(life, world):
    u1, _u2 = life
    compliance.rule_sets()  # the rules are cached per process
    for key, n in (
        ("life.meetings_held", 1),
        ("life.attendance_expected", 1),
        ("life.attendance_present", 1),
        ("life.meetings_required", 4),
        ("life.meetings_met", 4),
    ):
        metric = get(key)
        for _round in range(2):
            with CaptureQueriesContext(connection) as ctx:
                metric.compute(None, MARCH)
            assert len(ctx) == n, key
            with CaptureQueriesContext(connection) as ctx:
                metric.compute_months(None, D(2024, 1, 1), D(2025, 12, 31))
            assert len(ctx) == n, key
            make_meeting(unit=u1, created_by=world.users["admin"], status=MeetingStatus.HELD, starts_at=at(2025, 3, 3))


def test_paired_figures_share_one_computation_within_a_run(life):
    """Inside one recompute run, attendance expected/present share one grouped query, and compliance
    required/met one evaluation; outside a run every call computes afresh."""
    from cloudbranch.core.metrics import run_scope

    ids = [u.pk for u in life]
    start, end = D(2025, 1, 1), D(2025, 12, 31)
    with run_scope():
        with CaptureQueriesContext(connection) as first:
            expected = get("life.attendance_expected").compute_months(ids, start, end)
        with CaptureQueriesContext(connection) as second:
            present = get("life.attendance_present").compute_months(ids, start, end)
        with CaptureQueriesContext(connection) as third:
            get("life.meetings_required").compute_months(ids, start, end)
        with CaptureQueriesContext(connection) as fourth:
            get("life.meetings_met").compute_months(ids, start, end)
    assert len(first) == 1 and len(second) == 0
    assert len(third) >= 1 and len(fourth) == 0
    assert sum(expected.values()) == 4 and sum(present.values()) == 3
