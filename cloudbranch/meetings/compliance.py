"""Compliance calendar (组织生活落实情况): is the minimum of each meeting kind met in each period?

Rules are data (``ComplianceRule`` rows, versioned by rule set; migration 0002 loads set "2018",
支部工作条例 2018 第十一、十二、十三、十七条 and local practice for 党课). For each period the rule
set in force is the one with the latest ``valid_from`` on or before the period's first day.

Periods are calendar months, quarters and years in local time (Asia/Shanghai): a meeting belongs
to the period that holds the local date of its ``starts_at``. Only meetings that took place
(``COUNTED_STATUSES``: held, archived) count, for the host unit and for each unit listed in
``joint_units`` (a joint meeting counts once for every participating unit).

A rule applies to a unit when the unit's kind is in ``rule.unit_kinds``, when — for rules with
``needs_committee`` (支委会) — the unit has a committee (at least ``COMMITTEE_MIN_SEATS`` current
seats; judged on today's committee, the roster keeps no per-period snapshot), and when the unit
existed during the period (active, or merged/dissolved with ``closed_on`` inside or after it).

Pro rata (issue 4 item 7): a unit that existed for only part of a period — ``founded_on`` after
the period's first day, or ``closed_on`` before its last day — needs
``round_half_up(min_count × active_days / period_days)`` meetings, where ``active_days`` counts
the days from ``founded_on`` (inclusive) up to ``closed_on`` (exclusive: the unit no longer
exists on the day it is closed). When that rounds to 0 the period is EXEMPT for the unit.
Example (general meeting, once a quarter, Q1 2026 has 90 days): a branch founded on 20 February
existed 40 days → 0.44 → 0, so Q1 is exempt for it; founded on 1 February, 59 days → 0.66 → 1.

States (``ComplianceState``): MET when held ≥ required; for a period already over, MISSED;
for the open period (the one holding ``today``), WARNING when fewer than ``rule.warn_days`` days
are left after today, DUE otherwise. Future periods are not judged. EXEMPT as above.

Performance: ``compliance_rollup`` runs a constant number of queries whatever the size of the
subtree — units; hosted meetings grouped by (unit, kind) with one count column per local month;
the same through the joint_units table; committee seat counts — plus one for the rules at most
once a minute per process, then evaluates in plain Python over tuples and dicts. University seed
size (≈1,500 units, ≈26,000 meetings): ≈120 ms on the 2-core dev machine (test_compliance_perf).
"""

from __future__ import annotations

import datetime
import gc
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.core.exceptions import PermissionDenied
from django.db import connections
from django.db.models import Count, F, Q
from django.utils import timezone

from cloudbranch.orgs.choices import UnitStatus
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import access_by_id, can, granted_prefixes
from cloudbranch.people.models import CommitteeMembership

from .choices import COUNTED_STATUSES, ComplianceState, MeetingKind, Period
from .models import ComplianceRule, Meeting

COMMITTEE_MIN_SEATS = 3  # 支部工作条例 2018 第十条：正式党员 7 人以上的支部设立支部委员会 (3–5 members)
RULES_TTL_SECONDS = 60
STATE_ORDER = (
    ComplianceState.MET,
    ComplianceState.WARNING,
    ComplianceState.MISSED,
    ComplianceState.EXEMPT,
    ComplianceState.DUE,
)
_STATE_INDEX = {s: i for i, s in enumerate(STATE_ORDER)}
_KIND_ORDER = {k: i for i, k in enumerate(MeetingKind.values)}
_QUARTER_LABELS = ("第一季度", "第二季度", "第三季度", "第四季度")

# --- rules -------------------------------------------------------------------------------------


class Rule(NamedTuple):
    rule_set: str
    valid_from: datetime.date
    kind: str
    unit_kinds: frozenset
    needs_committee: bool
    period: str
    min_count: int
    warn_days: int
    source: str


_rules_cache: tuple[float, list[tuple[datetime.date, str, tuple[Rule, ...]]]] | None = None


def clear_rules_cache() -> None:
    """Forget the cached rules (tests, and after an administrator edits the rule data)."""
    global _rules_cache
    _rules_cache = None


def rule_sets() -> list[tuple[datetime.date, str, tuple[Rule, ...]]]:
    """All rule sets as ``(valid_from, name, rules)``, oldest first; cached per process for a minute.

    A set's ``valid_from`` is the earliest ``valid_from`` of its rows (they normally agree).
    """
    global _rules_cache
    now = time.monotonic()
    if _rules_cache is not None and _rules_cache[0] > now:
        return _rules_cache[1]
    grouped: dict[str, list[Rule]] = defaultdict(list)
    for row in ComplianceRule.objects.order_by("valid_from", "rule_set", "kind").values_list(
        "rule_set", "valid_from", "kind", "unit_kinds", "needs_committee", "period", "min_count", "warn_days", "source"
    ):
        rule_set, valid_from, kind, unit_kinds, needs_committee, period, min_count, warn_days, source = row
        grouped[rule_set].append(
            Rule(
                rule_set,
                valid_from,
                kind,
                frozenset(unit_kinds or ()),
                needs_committee,
                period,
                min_count,
                warn_days,
                source,
            )
        )
    sets = sorted(
        (
            (min(r.valid_from for r in rules), name, tuple(sorted(rules, key=lambda r: _KIND_ORDER.get(r.kind, 99))))
            for name, rules in grouped.items()
        ),
        key=lambda s: (s[0], s[1]),
    )
    _rules_cache = (now + RULES_TTL_SECONDS, sets)
    return sets


def rules_in_force(on: datetime.date) -> tuple[Rule, ...]:
    """The rules of the set with the latest ``valid_from`` on or before ``on`` (none before the first set)."""
    found: tuple[Rule, ...] = ()
    for valid_from, _name, rules in rule_sets():
        if valid_from <= on:
            found = rules
        else:
            break
    return found


# --- periods -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodSpan:
    period: str  # Period value
    key: str  # "2026-03", "2026-Q1", "2026"
    label: str
    start: datetime.date
    end: datetime.date  # inclusive
    months: tuple[int, ...]
    slot: int  # index into a count row: months 1..12, quarters 13..16, the year 17

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end


def _month_end(year: int, month: int) -> datetime.date:
    nxt = datetime.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - datetime.timedelta(days=1)


def year_periods(year: int) -> list[PeriodSpan]:
    """The 12 months, 4 quarters and the year itself, in that order."""
    spans = [
        PeriodSpan(Period.MONTH, f"{year}-{m:02d}", f"{m}月", datetime.date(year, m, 1), _month_end(year, m), (m,), m)
        for m in range(1, 13)
    ]
    for q in range(4):
        months = (3 * q + 1, 3 * q + 2, 3 * q + 3)
        spans.append(
            PeriodSpan(
                Period.QUARTER,
                f"{year}-Q{q + 1}",
                _QUARTER_LABELS[q],
                datetime.date(year, months[0], 1),
                _month_end(year, months[-1]),
                months,
                13 + q,
            )
        )
    spans.append(
        PeriodSpan(
            Period.YEAR,
            str(year),
            f"{year}年",
            datetime.date(year, 1, 1),
            datetime.date(year, 12, 31),
            tuple(range(1, 13)),
            17,
        )
    )
    return spans


def period_of(kind: str, day: datetime.date) -> PeriodSpan:
    """The period of type ``kind`` (a ``Period`` value) that holds ``day``."""
    for span in year_periods(day.year):
        if span.period == kind and span.contains(day):
            return span
    raise ValueError(kind)


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(day.year, day.month, day.day), timezone.get_current_timezone())


# --- evaluation --------------------------------------------------------------------------------


def required_count(min_count: int, active_days: int, period_days: int) -> int:
    """``round_half_up(min_count × active_days / period_days)`` in integers (no float surprises)."""
    if active_days >= period_days:
        return min_count
    return (2 * min_count * active_days + period_days) // (2 * period_days)


def active_days_in(span: PeriodSpan, founded_on, closed_on) -> int:
    """Days of ``span`` on which the unit existed: from ``founded_on`` up to, not including, ``closed_on``."""
    first = span.start if founded_on is None or founded_on < span.start else founded_on
    stop = span.end + datetime.timedelta(days=1)
    if closed_on is not None and closed_on < stop:
        stop = closed_on
    return max(0, (stop - first).days)


class UnitRow(NamedTuple):
    id: int
    name: str
    kind: str
    status: str
    parent_id: int | None
    path: str
    depth: int
    founded_on: datetime.date | None
    closed_on: datetime.date | None


class Cell(NamedTuple):
    kind: str
    key: str  # period key
    period: str
    required: int
    held: int
    state: str
    days_left: int | None  # for the open period: whole days after today until it ends


@dataclass
class Behind:
    unit: UnitRow
    month: list[str] = field(default_factory=list)  # kinds in WARNING for this month
    quarter: list[str] = field(default_factory=list)
    year: list[str] = field(default_factory=list)
    missed: int = 0  # MISSED periods in the year so far

    @property
    def warnings(self) -> int:
        return len(self.month) + len(self.quarter) + len(self.year)


@dataclass
class Rollup:
    root: UnitRow
    year: int
    today: datetime.date
    periods: list[PeriodSpan]
    units: dict[int, UnitRow]
    cells: dict[int, list[Cell]]  # unit id → its judged cells
    month_counts: dict[tuple[int, str], list[int]]  # (unit id, kind) → counts by PeriodSpan.slot (months 1..12)
    summary: dict[tuple[str, str], list[int]]  # (period key, kind) → counts in STATE_ORDER
    current: dict[str, str]  # Period value → key of the open period, when the year is the current one
    behind: list[Behind]

    @property
    def kinds(self) -> list[str]:
        found = {kind for _key, kind in self.summary}
        return sorted(found, key=lambda k: _KIND_ORDER.get(k, 99))

    def summary_counts(self, key: str, kind: str) -> dict[str, int]:
        counts = self.summary.get((key, kind))
        return dict(zip(STATE_ORDER, counts, strict=True)) if counts else {}

    def totals(self) -> dict[str, int]:
        out = dict.fromkeys(STATE_ORDER, 0)
        for counts in self.summary.values():
            for state, n in zip(STATE_ORDER, counts, strict=True):
                out[state] += n
        return out

    def child_totals(self) -> list[tuple[UnitRow, dict[str, int]]]:
        """Per direct child of the root: the state counts of its whole subtree (for drill-down)."""
        children = {u.id: u for u in self.units.values() if u.parent_id == self.root.id}
        totals = {cid: dict.fromkeys(STATE_ORDER, 0) for cid in children}
        level = self.root.depth + 1
        for uid, cells in self.cells.items():
            unit = self.units[uid]
            if unit.depth < level:
                continue
            child_id = int(unit.path.strip("/").split("/")[level])
            bucket = totals.get(child_id)
            if bucket is None:
                continue
            for cell in cells:
                bucket[cell.state] += 1
        return sorted(((children[cid], t) for cid, t in totals.items()), key=lambda ct: ct[0].path)

    def monthly_chart(self) -> dict[str, list[int]]:
        """Met and missed cells of monthly rules per month (for the small bar chart)."""
        met = [0] * 12
        missed = [0] * 12
        for (key, _kind), counts in self.summary.items():
            if len(key) == 7 and key[4] == "-" and key[5] != "Q":
                m = int(key[5:]) - 1
                met[m] += counts[0]
                missed[m] += counts[2]
        return {"met": met, "missed": missed}


_UNIT_FIELDS = ("id", "name", "kind", "status", "parent_id", "path", "depth", "founded_on", "closed_on")


SLOTS = 18  # a count row: [unused, month 1..12, quarter 1..4, year]


def _monthly_counts(field_name: str, year: int) -> dict[str, Count]:
    """One COUNT per local month of ``year`` (12 columns), by local-time boundaries in plain SQL."""
    bounds = [_local_midnight(datetime.date(year + (m > 12), (m - 1) % 12 + 1, 1)) for m in range(1, 14)]
    return {
        f"m{m}": Count("pk", filter=Q(**{f"{field_name}__gte": bounds[m - 1], f"{field_name}__lt": bounds[m]}))
        for m in range(1, 13)
    }


def _raw_rows(qs) -> list[tuple]:
    """Rows of an aggregate query of plain ints and strings, without Django's per-value converters
    (twelve count columns × thousands of rows: the converters cost more than the query)."""
    sql, params = qs.query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _count_row(months) -> list[int]:
    row = [0, *months, 0, 0, 0, 0, 0]
    for q in range(4):
        row[13 + q] = row[3 * q + 1] + row[3 * q + 2] + row[3 * q + 3]
    row[17] = row[13] + row[14] + row[15] + row[16]
    return row


def compliance_rollup(root, year: int, *, today: datetime.date | None = None, only_unit: bool = False) -> Rollup:
    """Compliance of every unit in ``root``'s subtree (or of ``root`` alone) for ``year``.

    Four queries (plus the rules once a minute): units; hosted meetings and joint participations
    grouped by (unit, kind) with one count column per local month; committee seat counts. The
    subtree is a subquery on ``OrgUnit.path`` (faster on SQLite than a join for a whole tree). No
    access check here: callers pass a unit the user may see compliance of (``access_compliance_unit``).
    """
    today = today or timezone.localdate()
    start = _local_midnight(datetime.date(year, 1, 1))
    stop = _local_midnight(datetime.date(year + 1, 1, 1))

    if only_unit:
        units_qs = OrgUnit.objects.filter(pk=root.pk)
        in_scope = [root.pk]
    else:
        units_qs = OrgUnit.objects.filter(path__startswith=root.path)
        in_scope = OrgUnit.objects.filter(path__startswith=root.path).order_by().values("pk")
    units = {row[0]: UnitRow(*row) for row in units_qs.order_by().values_list(*_UNIT_FIELDS)}

    month_counts: dict[tuple[int, str], list[int]] = {}
    hosted = (
        Meeting.objects.filter(
            unit_id__in=in_scope, status__in=COUNTED_STATUSES, starts_at__gte=start, starts_at__lt=stop
        )
        .order_by()
        .values_list("unit_id", "kind")
        .annotate(**_monthly_counts("starts_at", year))
    )
    for uid, kind, *months in _raw_rows(hosted):
        month_counts[(uid, kind)] = _count_row(months)

    # A joint meeting counts for every participating unit (the host listed again is not counted twice).
    # Joined on the unit's path rather than an IN subquery: SQLite plans the subquery badly here.
    joint = (
        Meeting.joint_units.through.objects.filter(
            Q(orgunit_id=root.pk) if only_unit else Q(orgunit__path__startswith=root.path),
            meeting__status__in=COUNTED_STATUSES,
            meeting__starts_at__gte=start,
            meeting__starts_at__lt=stop,
        )
        .exclude(meeting__unit_id=F("orgunit_id"))
        .order_by()
        .values_list("orgunit_id", "meeting__kind")
        .annotate(**_monthly_counts("meeting__starts_at", year))
    )
    for uid, kind, *months in _raw_rows(joint):
        extra = _count_row(months)
        row = month_counts.get((uid, kind))
        month_counts[(uid, kind)] = extra if row is None else [a + b for a, b in zip(row, extra, strict=True)]

    seats = (
        CommitteeMembership.objects.filter(unit_id__in=in_scope)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=today))
        .order_by()
        .values_list("unit_id")
        .annotate(n=Count("pk"))
    )
    committees = {uid for uid, n in seats if n >= COMMITTEE_MIN_SEATS}

    root_row = units.get(root.pk) or UnitRow(*(getattr(root, f) for f in _UNIT_FIELDS))
    # Tens of thousands of small tuples, none cyclic: collecting garbage meanwhile only costs time.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _evaluate(root_row, year, today, units, month_counts, committees)
    finally:
        if gc_was_enabled:
            gc.enable()


def _evaluate(root_row, year, today, units, month_counts, committees) -> Rollup:
    periods = year_periods(year)
    by_kind: dict[str, list[UnitRow]] = defaultdict(list)
    for unit in units.values():
        by_kind[unit.kind].append(unit)
    cells: dict[int, list[Cell]] = defaultdict(list)
    summary: dict[tuple[str, str], list[int]] = {}
    zero = [0] * SLOTS
    active = str(UnitStatus.ACTIVE)
    # Plain str values and int indexes in the hot loop (hashing a str enum member runs Python code).
    met_, warning_, missed_, exempt_, due_ = (str(s.value) for s in STATE_ORDER)
    i_met, i_warning, i_missed, i_exempt, i_due = range(len(STATE_ORDER))
    year_start = datetime.date(year, 1, 1)
    # Units that existed, active, all year long take the short path (no pro rata, no closing).
    whole_year = {
        u.id
        for u in units.values()
        if u.status == active and (u.founded_on is None or u.founded_on <= year_start) and u.closed_on is None
    }

    for span in periods:
        if span.start > today:
            continue  # future periods are not judged
        is_open = span.end >= today
        days_left = (span.end - today).days if is_open else None
        slot, pdays, key, pkind = span.slot, span.days, span.key, span.period
        for rule in rules_in_force(span.start):
            if rule.period != pkind:
                continue
            kind, min_count, warn_days, needs_committee = (
                rule.kind,
                rule.min_count,
                rule.warn_days,
                rule.needs_committee,
            )
            counts = summary.setdefault((key, kind), [0] * len(STATE_ORDER))
            for ukind in rule.unit_kinds:
                for unit in by_kind.get(ukind, ()):
                    uid = unit.id
                    if needs_committee and uid not in committees:
                        continue
                    required = min_count
                    if uid not in whole_year:
                        founded, closed = unit.founded_on, unit.closed_on
                        if unit.status != active and (closed is None or closed <= span.start):
                            continue  # gone before the period (or gone without a date: cannot be judged)
                        if founded is not None and founded > span.end:
                            continue  # not yet founded
                        if (founded is not None and founded > span.start) or (
                            closed is not None and closed <= span.end
                        ):
                            required = required_count(min_count, active_days_in(span, founded, closed), pdays)
                    held = month_counts.get((uid, kind), zero)[slot]
                    if required <= 0:
                        state, idx = exempt_, i_exempt
                    elif held >= required:
                        state, idx = met_, i_met
                    elif not is_open:
                        state, idx = missed_, i_missed
                    elif days_left < warn_days:
                        state, idx = warning_, i_warning
                    else:
                        state, idx = due_, i_due
                    cells[uid].append(Cell(kind, key, pkind, required, held, state, days_left))
                    counts[idx] += 1

    current = {}
    if today.year == year:
        current = {s.period: s.key for s in periods if s.contains(today)}
    behind = _behind(units, cells, current)
    return Rollup(root_row, year, today, periods, units, dict(cells), month_counts, summary, current, behind)


def _behind(units, cells, current) -> list[Behind]:
    """Units with a WARNING in this month / quarter / year, or a MISSED period in the year."""
    month_key, quarter_key, year_key = current.get(Period.MONTH), current.get(Period.QUARTER), current.get(Period.YEAR)
    found = []
    warning, missed = ComplianceState.WARNING, ComplianceState.MISSED
    for uid, unit_cells in cells.items():
        entry = None
        for cell in unit_cells:
            if cell.state == missed:
                entry = entry or Behind(units[uid])
                entry.missed += 1
            elif cell.state == warning:
                entry = entry or Behind(units[uid])
                if cell.key == month_key:
                    entry.month.append(cell.kind)
                elif cell.key == quarter_key:
                    entry.quarter.append(cell.kind)
                elif cell.key == year_key:
                    entry.year.append(cell.kind)
        if entry is not None:
            found.append(entry)
    found.sort(key=lambda b: (-b.warnings, -b.missed, b.unit.path))
    return found


def unit_calendar(unit, year: int, *, today: datetime.date | None = None) -> Rollup:
    """One unit's compliance for ``year`` (same rules and queries as the roll-up, for one unit)."""
    return compliance_rollup(unit, year, today=today, only_unit=True)


def calendar_rows(rollup: Rollup, unit_id: int) -> list[dict]:
    """The month grid of one unit: per kind, segments over the 12 months (a quarter spans 3
    columns, the year 12), each with held / required and state; months without a judged cell
    show the meetings held."""
    unit_cells = rollup.cells.get(unit_id, [])
    by_kind: dict[str, dict[int, Cell]] = defaultdict(dict)
    spans = {s.key: s for s in rollup.periods}
    for cell in unit_cells:
        by_kind[cell.kind][spans[cell.key].months[0]] = cell
    rows = []
    kinds = sorted(
        set(by_kind) | {k for (uid, k) in rollup.month_counts if uid == unit_id}, key=lambda k: _KIND_ORDER.get(k, 99)
    )
    for kind in kinds:
        arr = rollup.month_counts.get((unit_id, kind), [0] * SLOTS)
        segments = []
        m = 1
        while m <= 12:
            cell = by_kind[kind].get(m)
            if cell is not None:
                span = spans[cell.key]
                segments.append(
                    {
                        "span": span,
                        "cell": cell,
                        "colspan": len(span.months),
                        "tone": STATE_TONES[cell.state],
                        "state_label": ComplianceState(cell.state).label,
                    }
                )
                m += len(span.months)
            else:
                segments.append({"span": None, "cell": None, "colspan": 1, "month": m, "held": arr[m]})
                m += 1
        rows.append({"kind": kind, "label": MeetingKind(kind).label, "segments": segments})
    return rows


def summary_rows(rollup: Rollup) -> list[dict]:
    """The roll-up table: per kind, segments over the 12 months with met / warning / missed counts."""
    spans = {s.key: s for s in rollup.periods}
    by_kind: dict[str, dict[int, tuple[PeriodSpan, dict[str, int]]]] = defaultdict(dict)
    for (key, kind), counts in rollup.summary.items():
        span = spans[key]
        by_kind[kind][span.months[0]] = (span, dict(zip(STATE_ORDER, counts, strict=True)))
    rows = []
    for kind in rollup.kinds:
        segments = []
        m = 1
        while m <= 12:
            found = by_kind[kind].get(m)
            if found is not None:
                span, counts = found
                segments.append({"span": span, "counts": counts, "colspan": len(span.months), "tone": _tone(counts)})
                m += len(span.months)
            else:
                segments.append({"span": None, "counts": None, "colspan": 1, "tone": ""})
                m += 1
        rows.append({"kind": kind, "label": MeetingKind(kind).label, "segments": segments})
    return rows


def _tone(counts: dict[str, int]) -> str:
    if counts.get(ComplianceState.MISSED):
        return "danger"
    if counts.get(ComplianceState.WARNING):
        return "warning"
    if counts.get(ComplianceState.MET):
        return "success"
    return "secondary"


STATE_TONES = {
    ComplianceState.MET: "success",
    ComplianceState.WARNING: "warning",
    ComplianceState.MISSED: "danger",
    ComplianceState.DUE: "info",
    ComplianceState.EXEMPT: "secondary",
}


# --- access ------------------------------------------------------------------------------------

VIEW_PERM = "meetings.view_compliance"


def access_compliance_unit(user, unit_id):
    """The unit whose compliance ``user`` asks for: 404 outside what they see, 403 if they see the
    unit but do not hold ``meetings.view_compliance`` there."""
    unit = access_by_id(user, OrgUnit, unit_id)
    if not can(user, VIEW_PERM, unit):
        raise PermissionDenied
    return unit


def default_compliance_unit(user):
    """The user's top unit for ``meetings.view_compliance`` (the first, when they hold it at several)."""
    prefixes = granted_prefixes(user, VIEW_PERM)
    if not prefixes:
        raise PermissionDenied
    return OrgUnit.objects.filter(path__in=prefixes).order_by("depth", "path").first()


def parse_year(value, *, today: datetime.date | None = None) -> int:
    today = today or timezone.localdate()
    try:
        year = int(value)
    except (TypeError, ValueError):
        return today.year
    return year if 2000 <= year <= today.year + 1 else today.year
