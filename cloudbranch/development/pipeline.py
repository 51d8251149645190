"""Pipeline views of member development (issue 6 item 4): read-only selectors over a subtree.

For a unit U (its whole subtree; a case belongs to the unit of its person):

- ``pipeline_summary``: ONE grouped query over ``Case`` (joined to the person and the unit)
  gives, per child of U (each child's whole subtree) and for U itself (本级), the open cases per
  stage, completed / terminated / applications / new probationary members of a year, overdue
  and due-soon counts and the milestone funnel. Rows are grouped by the child's path prefix,
  computed in SQL from the unit path (``SUBSTR(path, 1, len(U) + INSTR(SUBSTR(path, len(U)+1), '/'))``),
  so the cost does not grow with the number of children; totals are the sum of the rows.
- Milestones are read from ``Case.last_step_number`` (the highest step recorded validly):
  application step 1, activist step 3, candidate step 7, probationary = the committee's approval
  step 17, full member = confirmation approval step 24 (the "2014" numbering; a later rule set
  keeping these codes at other numbers would need its own thresholds).
- ``freshman_funnel``: students (``Person.category`` student) on the roster whose student number
  starts with the 4-digit entry year (按学号前四位识别入学年级 — the convention of this product's
  data), and how many of them have applied / been made activists / candidates / been admitted
  (``applied_on`` / ``activist_on`` / ``candidate_on`` / ``joined_on`` not null). One query.
- ``stage_durations``: mean days per transition (application→activist, activist→candidate,
  candidate→approval, approval→confirmation approval) over the transitions completed in the
  last three years: one SQL aggregate over the valid ``StepRecord`` rows of those steps, grouped
  by case (first date of each step) and averaged per transition (cached ten minutes for pages).
- ``due_cases``: open cases whose next step is due within N days or overdue, ordered by due date
  (index ``(status, next_due_on)``); step names from the cached rule data, no query per row.
- ``overdue_counts(units)``: overdue open cases in each unit's subtree (one query) — the
  warnings shown up the tree; ``send_reminders`` sends them weekly to the committees above.

No access check in the selectors: callers pass a unit from ``access_pipeline_unit`` /
``default_pipeline_unit``.
"""

from __future__ import annotations

import datetime
import io
import logging
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import (
    Avg,
    CharField,
    Count,
    F,
    FloatField,
    Func,
    Q,
    Value,
)
from django.db.models.functions import StrIndex, Substr
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.services import audit_record
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import access_by_id, can, granted_prefixes
from cloudbranch.people.choices import Category, RosterStatus

from .choices import CaseStatus, Stage
from .models import Case, Reminder
from .state import rule_steps

logger = logging.getLogger(__name__)

VIEW_PERM = "development.view_case"
DEFAULT_WITHIN = 30
MAX_WITHIN = 366
AVERAGE_YEARS = 3
PATH = "person__unit__path"

# (key, label, step code, step number in rule set "2014")
MILESTONES = (
    ("applicant", "递交入党申请", "application", 1),
    ("activist", "确定为入党积极分子", "activist", 3),
    ("candidate", "确定为发展对象", "candidate", 7),
    ("probationary", "接收为预备党员", "approval", 17),
    ("full", "转为正式党员", "confirmation_approval", 24),
)
PROBATIONARY_STEP = 17

# (key, label, from step code, to step code)
# The case's date column for each milestone step (see state.MILESTONE_STEPS).
CASE_DATES = {
    "application": "applied_on",
    "activist": "activist_on",
    "candidate": "candidate_on",
    "approval": "admitted_on",
    "confirmation_approval": "confirmed_on",
}

TRANSITIONS = (
    ("application_activist", "申请入党 → 入党积极分子", "application", "activist"),
    ("activist_candidate", "入党积极分子 → 发展对象", "activist", "candidate"),
    ("candidate_probationary", "发展对象 → 预备党员（党委审批）", "candidate", "approval"),
    ("probationary_full", "预备党员 → 正式党员（转正审批）", "approval", "confirmation_approval"),
)

# Person fields of the freshman funnel, in order.
FRESHMAN_STEPS = (
    ("applied", "递交入党申请", "applied_on"),
    ("activist", "入党积极分子", "activist_on"),
    ("candidate", "发展对象", "candidate_on"),
    ("probationary", "预备党员", "joined_on"),
)
FRESHMAN_NOTE = "按学号前四位识别入学年级"

STAGES = tuple((int(s.value), str(s.label)) for s in Stage)
SHORT_STAGE = {1: "申请入党", 2: "积极分子", 3: "发展对象", 4: "预备党员接收", 5: "预备期"}


# --- access and parameters ---------------------------------------------------------------------


def access_pipeline_unit(user, unit_id) -> OrgUnit:
    """404 if the user does not see the unit, 403 if they see it without ``development.view_case`` there."""
    unit = access_by_id(user, OrgUnit, unit_id)
    if not can(user, VIEW_PERM, unit):
        raise PermissionDenied
    return unit


def default_pipeline_unit(user) -> OrgUnit:
    """The user's top unit for ``development.view_case`` (the first, when they hold it at several)."""
    prefixes = granted_prefixes(user, VIEW_PERM)
    if not prefixes:
        raise PermissionDenied
    return OrgUnit.objects.filter(path__in=prefixes).order_by("depth", "path").first()


def pipeline_unit(user, unit_id) -> OrgUnit:
    return access_pipeline_unit(user, unit_id) if unit_id not in (None, "") else default_pipeline_unit(user)


def parse_year(value, *, today: datetime.date | None = None) -> int:
    today = today or timezone.localdate()
    try:
        year = int(value)
    except (TypeError, ValueError):
        return today.year
    return year if 2000 <= year <= today.year + 1 else today.year


def parse_funnel_year(value, *, today: datetime.date | None = None) -> int | None:
    """The application year of the milestone funnel; None (all cases) unless a valid year is given."""
    today = today or timezone.localdate()
    try:
        year = int(value)
    except (TypeError, ValueError):
        return None
    return year if 2000 <= year <= today.year + 1 else None


def default_entry_year(today: datetime.date | None = None) -> int:
    """The latest cohort: students enter in September."""
    today = today or timezone.localdate()
    return today.year if today.month >= 9 else today.year - 1


def parse_entry_year(value, *, today: datetime.date | None = None) -> int:
    today = today or timezone.localdate()
    try:
        year = int(value)
    except (TypeError, ValueError):
        return default_entry_year(today)
    return year if 2000 <= year <= today.year else default_entry_year(today)


def parse_within(value) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        return DEFAULT_WITHIN
    return min(max(days, 0), MAX_WITHIN)


def subtree_cases(unit: OrgUnit):
    return Case.objects.filter(**{f"{PATH}__startswith": unit.path})


def _year_q(lookup: str, year: int) -> Q:
    return Q(**{f"{lookup}__gte": datetime.date(year, 1, 1), f"{lookup}__lt": datetime.date(year + 1, 1, 1)})


# --- summary: stages, statuses, funnel, children -----------------------------------------------


@dataclass
class Counts:
    stages: dict[int, int] = field(default_factory=lambda: {s: 0 for s, _ in STAGES})
    open: int = 0
    completed: int = 0  # completed (转正) in the year
    terminated: int = 0  # terminated in the year
    applied: int = 0  # applications in the year
    new_probationary: int = 0  # admitted in the year (入党日期 in the year)
    overdue: int = 0
    due_soon: int = 0
    funnel: dict[str, int] = field(default_factory=lambda: {m[0]: 0 for m in MILESTONES})

    def add(self, other: Counts) -> None:
        for s in self.stages:
            self.stages[s] += other.stages[s]
        for m in self.funnel:
            self.funnel[m] += other.funnel[m]
        for name in ("open", "completed", "terminated", "applied", "new_probationary", "overdue", "due_soon"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def any(self) -> bool:
        return bool(self.open or self.completed or self.terminated or self.applied or self.funnel["applicant"])

    @property
    def stage_list(self) -> list[int]:
        return [self.stages[s] for s, _ in STAGES]

    def funnel_rows(self) -> list[dict]:
        base = self.funnel["applicant"]
        rows = []
        for key, label, _code, _n in MILESTONES:
            n = self.funnel[key]
            rows.append({"key": key, "label": label, "count": n, "rate": _rate(n, base)})
        return rows

    def as_dict(self) -> dict:
        return {
            "stages": {str(s): n for s, n in self.stages.items()},
            "open": self.open,
            "completed": self.completed,
            "terminated": self.terminated,
            "applied": self.applied,
            "new_probationary": self.new_probationary,
            "overdue": self.overdue,
            "due_soon": self.due_soon,
            "funnel": dict(self.funnel),
        }


def _rate(n: int, base: int) -> float | None:
    return round(n * 100 / base, 1) if base else None


@dataclass
class ChildRow:
    unit: OrgUnit | None  # None: the cases of the unit itself (本级)
    counts: Counts


@dataclass
class Summary:
    unit: OrgUnit
    year: int
    funnel_year: int | None
    today: datetime.date
    within: int
    totals: Counts
    rows: list[ChildRow]

    def chart(self) -> dict:
        """Data of the page's charts (stage bars, milestone funnel, children stacked bars)."""
        named = [r for r in self.rows if r.unit is not None]
        return {
            "stages": [SHORT_STAGE[s] for s, _ in STAGES],
            "stage_counts": self.totals.stage_list,
            "funnel": [{"name": r["label"], "value": r["count"]} for r in self.totals.funnel_rows()],
            "children": [r.unit.name for r in named],
            "children_stages": [[r.counts.stages[s] for r in named] for s, _ in STAGES],
            "children_overdue": [r.counts.overdue for r in named],
        }


def _aggregates(*, year: int, funnel_year: int | None, today: datetime.date, within: int) -> dict:
    is_open = Q(status=CaseStatus.OPEN)
    funnel_q = _year_q("applied_on", funnel_year) if funnel_year else Q()
    aggs = {f"s{s}": Count("id", filter=is_open & Q(stage=s)) for s, _ in STAGES}
    aggs.update(
        open=Count("id", filter=is_open),
        completed=Count("id", filter=Q(status=CaseStatus.COMPLETED) & _year_q("completed_on", year)),
        terminated=Count("id", filter=Q(status=CaseStatus.TERMINATED) & _year_q("terminated_on", year)),
        applied=Count("id", filter=_year_q("applied_on", year)),
        new_probationary=Count(
            "id", filter=Q(last_step_number__gte=PROBATIONARY_STEP) & _year_q("person__joined_on", year)
        ),
        overdue=Count("id", filter=is_open & Q(next_due_on__lt=today)),
        due_soon=Count(
            "id",
            filter=is_open & Q(next_due_on__gte=today, next_due_on__lte=today + datetime.timedelta(days=within)),
        ),
    )
    for key, _label, _code, number in MILESTONES:
        aggs[f"m_{key}"] = Count("id", filter=funnel_q & Q(last_step_number__gte=number))
    return aggs


def _counts(row: dict) -> Counts:
    c = Counts()
    for s, _ in STAGES:
        c.stages[s] = row[f"s{s}"]
    for name in ("open", "completed", "terminated", "applied", "new_probationary", "overdue", "due_soon"):
        setattr(c, name, row[name])
    for key, *_rest in MILESTONES:
        c.funnel[key] = row[f"m_{key}"]
    return c


def child_prefix(unit: OrgUnit, lookup: str = PATH):
    """SQL expression: the path of the child of ``unit`` that holds the row's unit (``unit.path``
    itself for rows of the unit)."""
    n = len(unit.path)
    rest = Substr(lookup, n + 1)
    return Substr(lookup, 1, Value(n) + StrIndex(rest, Value("/")), output_field=CharField())


def pipeline_summary(
    unit: OrgUnit,
    *,
    year: int | None = None,
    funnel_year: int | None = None,
    today: datetime.date | None = None,
    within: int = DEFAULT_WITHIN,
    children: list[OrgUnit] | None = None,
) -> Summary:
    """Counts of ``unit``'s subtree per child (+ 本级) and in total. Two queries (children, cases)."""
    today = today or timezone.localdate()
    year = year or today.year
    if children is None:
        children = list(OrgUnit.objects.filter(parent=unit).order_by("status", "sort_order", "path"))
    grouped = (
        subtree_cases(unit)
        .annotate(child=child_prefix(unit))
        .values("child")
        .annotate(**_aggregates(year=year, funnel_year=funnel_year, today=today, within=within))
        .order_by()
    )
    by_path = {row["child"]: _counts(row) for row in grouped}
    own = by_path.pop(unit.path, Counts())
    rows = []
    for child in children:
        counts = by_path.pop(child.path, None)
        if counts is None:
            if child.status != "active":
                continue
            counts = Counts()
        rows.append(ChildRow(child, counts))
    for stray in by_path.values():  # cannot happen with consistent paths; never lose a case
        own.add(stray)
    totals = Counts()
    for r in rows:
        totals.add(r.counts)
    totals.add(own)
    if own.any:
        rows.append(ChildRow(None, own))
    return Summary(unit=unit, year=year, funnel_year=funnel_year, today=today, within=within, totals=totals, rows=rows)


# --- freshman funnel ---------------------------------------------------------------------------


@dataclass
class FreshmanFunnel:
    entry_year: int
    students: int
    counts: dict[str, int]

    def rows(self) -> list[dict]:
        out = [
            {
                "key": "students",
                "label": f"{self.entry_year} 级学生",
                "count": self.students,
                "rate": 100.0 if self.students else None,
            }
        ]
        for key, label, _f in FRESHMAN_STEPS:
            out.append(
                {"key": key, "label": label, "count": self.counts[key], "rate": _rate(self.counts[key], self.students)}
            )
        return out

    def chart(self) -> list[dict]:
        return [{"name": r["label"], "value": r["count"]} for r in self.rows()]


def freshman_funnel(unit: OrgUnit, entry_year: int) -> FreshmanFunnel:
    """Students of ``entry_year`` on the roster in ``unit``'s subtree and how far they got. One query."""
    from cloudbranch.people.models import Person

    row = Person.objects.filter(
        unit__path__startswith=unit.path,
        roster_status=RosterStatus.ACTIVE,
        category=Category.STUDENT,
        # "starts with the year" as a range, so that the staff_number index is used
        staff_number__gte=f"{entry_year:04d}",
        staff_number__lt=f"{entry_year + 1:04d}",
    ).aggregate(
        students=Count("id"),
        **{key: Count("id", filter=Q(**{f"{f}__isnull": False})) for key, _label, f in FRESHMAN_STEPS},
    )
    return FreshmanFunnel(entry_year, row.pop("students"), row)


# --- average time per stage --------------------------------------------------------------------


@dataclass
class Duration:
    key: str
    label: str
    cases: int
    days: float | None


def is_sole_root(unit: OrgUnit) -> bool:
    """Whether ``unit``'s subtree is the whole tree (no query unless ``unit`` is a root)."""
    return unit.parent_id is None and not OrgUnit.objects.filter(parent__isnull=True).exclude(pk=unit.pk).exists()


class DaysBetween(Func):
    """Days from the second date to the first, as a number (SQLite: julianday; PostgreSQL: date
    subtraction gives integer days). Cheaper than a DurationField difference, which SQLite computes
    in a Python function per row."""

    arity = 2
    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(julianday(%(expressions)s))", arg_joiner=") - julianday(")

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="((%(expressions)s)::float)", arg_joiner=" - ")


def stage_durations(unit: OrgUnit, *, today: datetime.date | None = None, years: int = AVERAGE_YEARS) -> list[Duration]:
    """Mean days of each transition completed in the last ``years`` years in ``unit``'s subtree.

    One aggregate over the cases' milestone dates (``applied_on``, ``activist_on``,
    ``candidate_on``, ``admitted_on``, ``confirmed_on``: the first valid record of each step, kept
    by the engine), counting per transition the cases whose "to" date falls in the window:
    ``AVG(julianday(to) - julianday(from))`` (date subtraction on PostgreSQL). No step records
    are read, so a province's root costs one pass over its cases.
    """
    today = today or timezone.localdate()
    since = today - datetime.timedelta(days=365 * years + years // 4)
    cases = Case.objects.all()
    if not is_sole_root(unit):  # the whole tree needs no path filter (two joins fewer per case)
        cases = cases.filter(**{f"{PATH}__startswith": unit.path})
    aggs = {}
    for key, _label, frm, to in TRANSITIONS:
        frm_field, to_field = CASE_DATES[frm], CASE_DATES[to]
        done = Q(**{f"{to_field}__gte": since, f"{to_field}__lte": today, f"{frm_field}__isnull": False})
        aggs[f"n_{key}"] = Count("id", filter=done)
        aggs[f"a_{key}"] = Avg(DaysBetween(F(to_field), F(frm_field)), filter=done)
    row = cases.aggregate(**aggs)
    out = []
    for key, label, _frm, _to in TRANSITIONS:
        n, mean = row[f"n_{key}"] or 0, row[f"a_{key}"]
        out.append(Duration(key, label, n, round(mean, 1) if n and mean is not None else None))
    return out


DURATIONS_CACHE_SECONDS = 600


def stage_durations_cached(unit: OrgUnit, *, today: datetime.date | None = None) -> list[Duration]:
    """``stage_durations`` kept for ten minutes per unit and day (three-year averages move slowly;
    the pages say so). The export always computes afresh."""
    from django.core.cache import cache

    today = today or timezone.localdate()
    key = f"development:durations:{unit.pk}:{unit.path}:{today.isoformat()}"
    return cache.get_or_set(key, lambda: stage_durations(unit, today=today), DURATIONS_CACHE_SECONDS)


# --- due and overdue ---------------------------------------------------------------------------


def due_cases(unit: OrgUnit, *, within: int = DEFAULT_WITHIN, today: datetime.date | None = None):
    """Open cases of the subtree whose next step is due by ``today + within`` (overdue included),
    earliest first (index ``(status, next_due_on)``)."""
    today = today or timezone.localdate()
    return (
        subtree_cases(unit)
        .filter(status=CaseStatus.OPEN, next_due_on__lte=today + datetime.timedelta(days=within))
        .select_related("person", "person__unit")
        .order_by("next_due_on", "id")
    )


@dataclass
class DueRow:
    case: Case
    step_name: str
    step_number: int | None
    days_left: int  # negative: overdue by that many days

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    @property
    def overdue_days(self) -> int:
        return -self.days_left

    @property
    def stage_short(self) -> str:
        return SHORT_STAGE.get(self.case.stage, "")


def step_names(rule_set_ids) -> dict[tuple[int, str], tuple[int, str]]:
    """``(rule_set_id, code) → (number, name)`` from the cached rule data (a query per rule set
    only the first time in a process)."""
    names = {}
    for rs in sorted(set(rule_set_ids)):
        for s in rule_steps(rs):
            names[(rs, s.code)] = (s.number, s.name)
    return names


def due_rows(cases, *, today: datetime.date | None = None) -> list[DueRow]:
    today = today or timezone.localdate()
    cases = list(cases)
    names = step_names(c.rule_set_id for c in cases)
    out = []
    for c in cases:
        number, name = names.get((c.rule_set_id, c.next_step_code), (None, c.next_step_code))
        out.append(DueRow(c, name, number, (c.next_due_on - today).days))
    return out


def overdue_counts(units, *, today: datetime.date | None = None, known: dict | None = None) -> dict[int, int]:
    """``{unit.id: open cases with an overdue next step in the unit's subtree}``. One query: the
    overdue cases (index ``(status, next_due_on)``) counted per unit path, rolled up in Python.
    ``known``: counts already computed (e.g. by ``pipeline_summary``); no query when all are."""
    known = dict(known or {})
    result = {u.pk: known[u.pk] for u in units if u.pk in known}
    units = [u for u in units if u.pk not in known]
    if not units:
        return result
    today = today or timezone.localdate()
    scope = Q()
    for u in units:
        scope |= Q(**{f"{PATH}__startswith": u.path})
    per_path = (
        Case.objects.filter(scope, status=CaseStatus.OPEN, next_due_on__lt=today)
        .values_list(PATH)
        .annotate(n=Count("id"))
        .order_by()
    )
    result.update({u.pk: 0 for u in units})
    for path, n in per_path:
        for u in units:
            if path.startswith(u.path):
                result[u.pk] += n
    return result


def picker_units(user, unit: OrgUnit) -> tuple[list[OrgUnit], list[OrgUnit]]:
    """The user's top units for the page's picker and the chain from their top unit down to
    ``unit`` (ancestors they may view, then ``unit``). One query."""
    prefixes = granted_prefixes(user, VIEW_PERM)
    ancestor_ids = [int(p) for p in unit.path.strip("/").split("/") if p]
    rows = list(
        OrgUnit.objects.filter(Q(path__in=prefixes) | Q(pk__in=ancestor_ids)).order_by("depth", "sort_order", "path")
    )
    tops = [u for u in rows if u.path in prefixes]
    chain = [u for u in rows if u.pk in ancestor_ids and u.path.startswith(prefixes)]
    return tops, chain


# --- export ------------------------------------------------------------------------------------


def pipeline_export(
    *, actor, unit: OrgUnit, year: int, funnel_year: int | None, entry_year: int, within: int = DEFAULT_WITHIN
) -> tuple[str, bytes]:
    """The pipeline of ``unit`` as .xlsx (one sheet per view), audited as ``development.pipeline.export``."""
    from openpyxl import Workbook

    if not can(actor, VIEW_PERM, unit):
        raise PermissionDenied
    today = timezone.localdate()
    summary = pipeline_summary(unit, year=year, funnel_year=funnel_year, today=today, within=within)
    fresh = freshman_funnel(unit, entry_year)
    durations = stage_durations(unit, today=today)
    due = due_rows(due_cases(unit, within=within, today=today), today=today)
    t = summary.totals

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("发展概况")
    ws.append([f"{unit.name} 发展党员工作概况"])
    ws.append([f"导出时间：{timezone.localtime():%Y-%m-%d %H:%M}；统计年度：{year} 年"])
    ws.append(["项目", "人数"])
    for s, label in STAGES:
        ws.append([f"进行中 · {label}", t.stages[s]])
    ws.append(["进行中合计", t.open])
    ws.append([f"{year} 年转正", t.completed])
    ws.append([f"{year} 年终止", t.terminated])
    ws.append([f"{year} 年递交入党申请", t.applied])
    ws.append([f"{year} 年新接收预备党员", t.new_probationary])
    ws.append(["下一步骤已逾期", t.overdue])
    ws.append([f"{within} 天内到期", t.due_soon])

    ws = wb.create_sheet("发展漏斗")
    ws.append([f"{summary.funnel_year} 年申请的发展对象" if summary.funnel_year else "全部发展记录"])
    ws.append(["环节", "人数", "占申请人数（%）"])
    for r in t.funnel_rows():
        ws.append([r["label"], r["count"], r["rate"] if r["rate"] is not None else "—"])

    ws = wb.create_sheet("新生漏斗")
    ws.append([f"{entry_year} 级学生（{FRESHMAN_NOTE}）"])
    ws.append(["环节", "人数", "占该年级学生（%）"])
    for r in fresh.rows():
        ws.append([r["label"], r["count"], r["rate"] if r["rate"] is not None else "—"])

    ws = wb.create_sheet("平均用时")
    ws.append([f"近 {AVERAGE_YEARS} 年完成的各环节平均用时"])
    ws.append(["环节", "人数", "平均天数"])
    for d in durations:
        ws.append([d.label, d.cases, d.days if d.days is not None else "—"])

    ws = wb.create_sheet("下级组织对比")
    ws.append(
        ["组织", *[label for _s, label in STAGES], "进行中合计", "已逾期", f"{year} 年申请", f"{year} 年新接收预备党员"]
    )
    for r in summary.rows:
        c = r.counts
        name = r.unit.name if r.unit else f"{unit.name}（本级）"
        ws.append([name, *c.stage_list, c.open, c.overdue, c.applied, c.new_probationary])
    ws.append(["合计", *t.stage_list, t.open, t.overdue, t.applied, t.new_probationary])

    ws = wb.create_sheet("到期与逾期")
    ws.append(["姓名", "所在党组织", "当前阶段", "下一步骤", "期限", "剩余天数（负数为逾期）"])
    for r in due:
        step = f"{r.step_number}. {r.step_name}" if r.step_number else r.step_name
        ws.append(
            [
                r.case.person.name,
                r.case.person.unit.name,
                SHORT_STAGE.get(r.case.stage, ""),
                step,
                r.case.next_due_on,
                r.days_left,
            ]
        )

    buf = io.BytesIO()
    wb.save(buf)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="development.pipeline.export",
            target=unit,
            changes={"year": year, "funnel_year": funnel_year, "entry_year": entry_year, "due_rows": len(due)},
        )
    return f"development-pipeline-{unit.pk}-{year}.xlsx", buf.getvalue()


# --- weekly overdue warnings up the tree -------------------------------------------------------

# Committee secretaries already get a warning per overdue case from ``cases.send_reminders``;
# the organization department gets a weekly summary of its subtree.
WARN_ROLES = ("org_admin",)
WARN_KINDS = ("committee", "sub_committee", "general_branch")


def send_reminders(today: datetime.date) -> int:
    """Warn the organization department administrators (at committees, sub-committees and general
    branches) of the overdue steps in their subtree: one summary per unit and ISO week
    (``Reminder`` key), whatever the number of runs. Returns the notifications sent."""
    from cloudbranch.notifications.services import notify
    from cloudbranch.orgs.models import RoleAssignment

    holders: dict[int, set[int]] = {}
    units: dict[int, OrgUnit] = {}
    for ra in (
        RoleAssignment.objects.active()
        .filter(role__in=WARN_ROLES, unit__kind__in=WARN_KINDS, unit__status="active", user__is_active=True)
        .select_related("unit")
    ):
        holders.setdefault(ra.unit_id, set()).add(ra.user_id)
        units[ra.unit_id] = ra.unit
    if not units:
        return 0
    counts = overdue_counts(units.values(), today=today)
    iso = today.isocalendar()
    week = f"{iso[0]}-W{iso[1]:02d}"
    keys = {uid: f"pipeline:overdue:{uid}:{week}" for uid, n in counts.items() if n}
    if not keys:
        return 0
    done = set(Reminder.objects.filter(key__in=keys.values()).values_list("key", flat=True))
    category = _category()
    sent = 0
    for uid, key in keys.items():
        if key in done:
            continue
        unit = units[uid]
        try:
            with transaction.atomic():
                Reminder.objects.create(key=key)
                created = notify(
                    recipients=sorted(holders[uid]),
                    category=category,
                    title=f"{unit.name}：{counts[uid]} 名发展对象的步骤已逾期",
                    body=(
                        f"截至 {today:%Y-%m-%d}，{unit.name}及下级党组织共有 {counts[uid]} 个发展党员案例的下一步骤已超过期限，"
                        "请督促相关支部及时办理或写明逾期原因。"
                    ),
                    url=f"{reverse('development:due')}?unit={uid}&within=0",
                )
        except IntegrityError:  # another run sent it meanwhile
            logger.info("overdue warning %s already sent", key)
            continue
        sent += 1 if created else 0
    return sent


def _category() -> str:
    from cloudbranch.notifications.choices import Category as NotificationCategory

    return "development" if "development" in NotificationCategory.values else NotificationCategory.REMINDER
