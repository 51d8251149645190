"""Organizational-life metrics (组织生活, SPEC §9).

* ``life.meetings_held``: meetings that took place (``COUNTED_STATUSES``: held, archived) by the
  local date of ``starts_at``, in the HOST unit only (a joint meeting is counted once, for its
  host, so the roll-up never counts it twice). One grouped query.
* ``life.attendance_expected`` / ``life.attendance_present``: ``Invitee`` rows of those meetings
  (expected: every invitee, leave included — 应到; present: status present — 实到), in the
  MEETING's unit, by the meeting's local date. One grouped query each.
* ``life.meetings_required`` / ``life.meetings_met``: the compliance rules (``compliance.py``, the
  same evaluation as the compliance calendar: rule sets in force, unit kinds, committees, pro rata
  for units founded or closed within a period, joint meetings counted for every participating
  unit). Each judged rule period (month, quarter or year of a rule) is attributed to the calendar
  month in which it ENDS, and only once it has ended within the asked range: a quarterly rule
  counts in March / June / September / December, a yearly one in December, so a quarter's or
  year's figure is the sum of its months and the open period is not judged before its end.
  required = Σ the required count; met = Σ min(held, required) — both in meetings, so
  ``life.compliance_rate`` is the share of required meetings actually held. Constant number of
  queries (units; hosted and joint meetings grouped by unit, kind and local month; committee
  seats; the rules, cached by ``compliance``), whatever the number of units or periods.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, F, Q
from django.utils import timezone

from cloudbranch.core.metric_queries import flow, local_midnight, month_of
from cloudbranch.core.metrics import FLOW, Metric, Period, memo, register
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.people.models import CommitteeMembership

from . import compliance
from .choices import COUNTED_STATUSES, AttendanceStatus
from .models import Invitee, Meeting

MEETING_SOURCES = {"meetings.Meeting": "unit_id"}
INVITEE_SOURCES = {"meetings.Invitee": "meeting.unit_id"}


def _held():
    return Meeting.objects.filter(status__in=COUNTED_STATUSES)


def _invitees():
    return Invitee.objects.filter(meeting__status__in=COUNTED_STATUSES)


register(
    Metric(
        key="life.meetings_held",
        label="召开会议活动",
        area="life",
        kind=FLOW,
        unit="次",
        sources=MEETING_SOURCES,
        description="期内召开（已召开、已归档）的会议和活动次数，按开始时间计，归属主办党组织；联合会议只计主办方一次。",
        **flow(_held, unit="unit_id", day="starts_at", aware=True),
    )
)


def _attendance(units, start: datetime.date, end: datetime.date) -> dict[tuple[int, datetime.date], tuple[int, int]]:
    """{(unit id, month start): (expected, present)} — ONE grouped query for both figures, shared by
    the two metrics within a recompute run (``memo``)."""

    def compute():
        qs = _invitees().filter(
            meeting__starts_at__gte=local_midnight(start),
            meeting__starts_at__lt=local_midnight(end + datetime.timedelta(days=1)),
        )
        if units is not None:
            qs = qs.filter(meeting__unit_id__in=list(units))
        rows = (
            qs.order_by()
            .annotate(m=month_of("meeting__starts_at", aware=True))
            .values("meeting__unit_id", "m")
            .annotate(n=Count("pk"), p=Count("pk", filter=Q(status=AttendanceStatus.PRESENT)))
            .values_list("meeting__unit_id", "m", "n", "p")
        )
        out: dict[tuple[int, datetime.date], tuple[int, int]] = {}
        for uid, month, n, p in rows:
            if uid is None or month is None:
                continue
            day = month.date() if isinstance(month, datetime.datetime) else month
            key = (uid, day.replace(day=1))
            old = out.get(key, (0, 0))
            out[key] = (old[0] + n, old[1] + p)
        return out

    key_units = None if units is None else tuple(sorted(units))
    return memo(("life.attendance", key_units, start, end), compute)


def _attendance_metric(index: int):
    def compute(units, period: Period) -> dict[int, Decimal]:
        out: dict[int, Decimal] = defaultdict(Decimal)
        for (uid, _month), pair in _attendance(units, period.start, period.end).items():
            if pair[index]:
                out[uid] += pair[index]
        return dict(out)

    def compute_months(units, start, end):
        return {key: Decimal(pair[index]) for key, pair in _attendance(units, start, end).items() if pair[index]}

    return {"compute": compute, "compute_months": compute_months}


register(
    Metric(
        key="life.attendance_expected",
        label="应到人次",
        area="life",
        kind=FLOW,
        unit="人次",
        sources=INVITEE_SOURCES,
        description="期内已召开会议的参会人员人次（含请假），按会议开始时间计，归属会议的主办党组织。",
        **_attendance_metric(0),
    )
)

register(
    Metric(
        key="life.attendance_present",
        label="实到人次",
        area="life",
        kind=FLOW,
        unit="人次",
        sources=INVITEE_SOURCES,
        description="期内已召开会议中签到出席的人次，按会议开始时间计，归属会议的主办党组织。",
        **_attendance_metric(1),
    )
)


# -- compliance ---------------------------------------------------------------------------------


def _month_index(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


def compliance_months(
    units, start: datetime.date, end: datetime.date
) -> dict[tuple[int, datetime.date], tuple[int, int]]:
    """{(unit id, month start): (required, met)} of the rule periods ending between ``start`` and
    ``end`` (see the module docstring). Four queries (plus the rules once a minute), once per
    recompute run for both metrics (``memo``)."""
    key_units = None if units is None else tuple(sorted(units))
    return memo(("life.compliance", key_units, start, end), lambda: _compliance_months(units, start, end))


def _compliance_months(units, start: datetime.date, end: datetime.date) -> dict:
    unit_ids = None if units is None else list(units)
    first = datetime.date(start.year, 1, 1)
    units_qs = OrgUnit.objects.all() if unit_ids is None else OrgUnit.objects.filter(pk__in=unit_ids)
    rows = {r[0]: compliance.UnitRow(*r) for r in units_qs.order_by().values_list(*compliance._UNIT_FIELDS)}
    if not rows:
        return {}
    since, until = local_midnight(first), local_midnight(end + datetime.timedelta(days=1))

    # (unit, kind) → {month index: count}
    counts: dict[tuple[int, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    hosted = Meeting.objects.filter(status__in=COUNTED_STATUSES, starts_at__gte=since, starts_at__lt=until)
    if unit_ids is not None:
        hosted = hosted.filter(unit_id__in=unit_ids)
    for uid, kind, month, n in (
        hosted.order_by()
        .annotate(m=month_of("starts_at", aware=True))
        .values("unit_id", "kind", "m")
        .annotate(n=Count("pk"))
        .values_list("unit_id", "kind", "m", "n")
    ):
        counts[(uid, kind)][_month_index(month)] += n
    joint = Meeting.joint_units.through.objects.filter(
        meeting__status__in=COUNTED_STATUSES, meeting__starts_at__gte=since, meeting__starts_at__lt=until
    ).exclude(meeting__unit_id=F("orgunit_id"))
    if unit_ids is not None:
        joint = joint.filter(orgunit_id__in=unit_ids)
    for uid, kind, month, n in (
        joint.order_by()
        .annotate(m=month_of("meeting__starts_at", aware=True))
        .values("orgunit_id", "meeting__kind", "m")
        .annotate(n=Count("pk"))
        .values_list("orgunit_id", "meeting__kind", "m", "n")
    ):
        counts[(uid, kind)][_month_index(month)] += n

    today = timezone.localdate()
    seats = CommitteeMembership.objects.filter(Q(ended_on__isnull=True) | Q(ended_on__gt=today))
    if unit_ids is not None:
        seats = seats.filter(unit_id__in=unit_ids)
    committees = {
        uid
        for uid, n in seats.order_by().values("unit_id").annotate(n=Count("pk")).values_list("unit_id", "n")
        if n >= compliance.COMMITTEE_MIN_SEATS
    }

    root_row = next(iter(rows.values()))
    out: dict[tuple[int, datetime.date], list[int]] = defaultdict(lambda: [0, 0])
    for year in range(start.year, end.year + 1):
        base = year * 12 - 1  # month m of the year is index base + m
        month_counts = {
            key: compliance._count_row([by_month.get(base + m, 0) for m in range(1, 13)])
            for key, by_month in counts.items()
        }
        judged_until = min(end, datetime.date(year, 12, 31))
        rollup = compliance._evaluate(root_row, year, judged_until, rows, month_counts, committees)
        spans = {s.key: s for s in rollup.periods}
        for uid, cells in rollup.cells.items():
            for cell in cells:
                span = spans[cell.key]
                if cell.required <= 0 or not (start <= span.end <= end):
                    continue
                acc = out[(uid, span.end.replace(day=1))]
                acc[0] += cell.required
                acc[1] += min(cell.held, cell.required)
    return {key: (req, met) for key, (req, met) in out.items()}


def _compliance_metric(index: int):
    def compute(units, period: Period) -> dict[int, Decimal]:
        out: dict[int, Decimal] = defaultdict(Decimal)
        for (uid, _month), pair in compliance_months(units, period.start, period.end).items():
            if pair[index]:
                out[uid] += pair[index]
        return dict(out)

    def compute_months(units, start, end):
        return {key: Decimal(pair[index]) for key, pair in compliance_months(units, start, end).items() if pair[index]}

    return {"compute": compute, "compute_months": compute_months}


COMPLIANCE_SOURCES = {"meetings.Meeting": "unit_id", "people.CommitteeMembership": "unit_id"}

register(
    Metric(
        key="life.meetings_required",
        label="应开会议",
        area="life",
        kind=FLOW,
        unit="次",
        sources=COMPLIANCE_SOURCES,
        description="组织生活规则要求的会议次数（三会一课等，按规则版本、组织类型、是否设支委会，新成立或撤销的组织按天折算），"
        "每个规则周期（月、季、年）计入其结束的月份，周期结束后才计入。",
        **_compliance_metric(0),
    )
)

register(
    Metric(
        key="life.meetings_met",
        label="按要求召开",
        area="life",
        kind=FLOW,
        unit="次",
        sources=COMPLIANCE_SOURCES,
        description="应开会议中实际召开的次数：每个规则周期计 min(实开, 应开)，联合会议计入每个参加组织；"
        "与“应开会议”同样计入周期结束的月份。",
        **_compliance_metric(1),
    )
)

register(
    Metric(
        key="life.compliance_rate",
        label="组织生活落实率",
        area="life",
        kind=FLOW,
        unit="%",
        numerator="life.meetings_met",
        denominator="life.meetings_required",
        description="按要求召开的会议 ÷ 应开会议。",
    )
)

register(
    Metric(
        key="life.attendance_rate",
        label="参会率",
        area="life",
        kind=FLOW,
        unit="%",
        numerator="life.attendance_present",
        denominator="life.attendance_expected",
        description="实到人次 ÷ 应到人次。",
    )
)
