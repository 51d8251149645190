"""Intake lists (春季/秋季发展名单): who is eligible for the next development step in a round.

Universities develop members in two rounds a year (months configurable,
``DEVELOPMENT_INTAKE_MONTHS``, default April and October). The reference date of a round is the
last day of its month. For a unit's subtree, three lists, grouped by branch:

- ``candidate`` — activists who complete one year by the reference date (细则 第十三条: the
  ``candidate`` step's ``min`` interval from ``activist``, counted as the rules engine counts
  periods: one year after 2024-02-29 is 2025-02-28); prerequisites still missing (the filing,
  the half-yearly assessments) are named on the row.
- ``admission`` — candidates ready for the branch general meeting's vote: every prerequisite of
  the branch committee's review (filing, introducers, political review, training) is recorded
  and the vote is not. Eligible from the date of the last of those records.
- ``confirmation`` — probationary members whose probation (with any extension) ends by the
  reference date and whose confirmation has not been voted on.

A row is **overdue** when the person was already eligible at the previous round's reference date
(they were passed over once), or when the rules' due date of the step has passed — unless the
branch has recorded a delay reason (``IntakeDelay``), which is shown instead of the flag.

Everything is computed from the cases' valid step records with the rules engine (one query for
the cases, one for their records, one for the delay reasons), so the lists never disagree with
the case pages. ``send_reminders`` (daily, from ``development_reminders``) sends each branch's
lists to its secretary and organization officer once per round, from the first day of the round
month (``DEVELOPMENT_INTAKE_SEND_DAY``).
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime
import io
import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.services import audit_record
from cloudbranch.core.errors import DomainError
from cloudbranch.orgs.choices import BRANCH_KINDS, UnitKind
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import can

from .cases import RECORD, VIEW, access_case_by_id
from .choices import CaseStatus, RecordStatus
from .models import Case, IntakeDelay, Reminder, StepRecord
from .rules import add_period
from .state import evaluate_case, rule_steps

logger = logging.getLogger(__name__)

Kind = IntakeDelay.Kind
SEASONS = {"spring": "春季", "autumn": "秋季"}
MAX_REASON = 500
# Who receives a branch's lists.
RECIPIENT_ROLES = ("branch_secretary", "organization_officer")
EMAIL_ROWS = 40


# --- rounds ------------------------------------------------------------------------------------


def round_months() -> tuple[int, int]:
    """(spring month, autumn month) from ``DEVELOPMENT_INTAKE_MONTHS`` ("4,10")."""
    raw = getattr(settings, "DEVELOPMENT_INTAKE_MONTHS", (4, 10))
    try:
        spring, autumn = (int(m) for m in raw)
    except (TypeError, ValueError) as exc:
        raise ImproperlyConfigured("DEVELOPMENT_INTAKE_MONTHS must be two months, e.g. 4,10") from exc
    if not 1 <= spring < autumn <= 12:
        raise ImproperlyConfigured("DEVELOPMENT_INTAKE_MONTHS: spring month before autumn month, both 1–12")
    return spring, autumn


@dataclasses.dataclass(frozen=True)
class Round:
    year: int
    season: str  # "spring" | "autumn"

    @property
    def month(self) -> int:
        spring, autumn = round_months()
        return spring if self.season == "spring" else autumn

    @property
    def reference_on(self) -> datetime.date:
        """The last day of the round's month: eligibility is judged on this day."""
        return datetime.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def key(self) -> str:
        return f"{self.year}-{self.season}"

    @property
    def label(self) -> str:
        return f"{self.year} 年{SEASONS[self.season]}（{self.month} 月）"

    def previous(self) -> Round:
        return Round(self.year, "spring") if self.season == "autumn" else Round(self.year - 1, "autumn")

    def next(self) -> Round:
        return Round(self.year, "autumn") if self.season == "spring" else Round(self.year + 1, "spring")


def round_for(day: datetime.date) -> Round:
    """The round in progress or coming next on ``day`` (the round month itself counts as current)."""
    spring, autumn = round_months()
    if day.month <= spring:
        return Round(day.year, "spring")
    if day.month <= autumn:
        return Round(day.year, "autumn")
    return Round(day.year + 1, "spring")


def parse_round(value, *, today: datetime.date | None = None) -> Round:
    """``"2026-spring"`` → Round; empty → the current round; anything else → DomainError."""
    today = today or timezone.localdate()
    if value in (None, ""):
        return round_for(today)
    year, _sep, season = str(value).partition("-")
    if not (year.isdigit() and 2000 <= int(year) <= today.year + 1 and season in SEASONS):
        message = "发展批次格式应为“年份-spring/autumn”，如 2026-spring"
        raise DomainError(message, errors=[{"field": "round", "message": message}])
    return Round(int(year), season)


def round_choices(today: datetime.date | None = None, *, back: int = 5) -> list[Round]:
    current = round_for(today or timezone.localdate())
    rounds = [current.next(), current]
    for _i in range(back):
        rounds.append(rounds[-1].previous())
    return rounds


# --- eligibility -------------------------------------------------------------------------------


@dataclasses.dataclass
class IntakeRow:
    kind: str
    case: Case
    branch: OrgUnit
    eligible_on: datetime.date
    overdue: bool
    missing: list[str]
    delay: IntakeDelay | None = None

    @property
    def kind_label(self) -> str:
        return str(Kind(self.kind).label)

    @property
    def flagged(self) -> bool:
        """Overdue and not explained: what the list highlights."""
        return self.overdue and self.delay is None


def _min_after(step, code: str) -> dict | None:
    for interval in step.intervals or []:
        if interval.get("from") == code and interval.get("min"):
            return interval["min"]
    return None


def _branch_of(unit: OrgUnit, parents: dict[int, OrgUnit]) -> OrgUnit:
    """A person's branch: their unit, or the branch above their Party group."""
    if unit.kind == UnitKind.GROUP and unit.parent_id in parents:
        return parents[unit.parent_id]
    return unit


def _last_date(state, code: str) -> datetime.date | None:
    step = state.steps.get(code)
    return step.records[-1].occurred_on if step is not None and step.records else None


def _evaluate_rows(case: Case, state, rnd: Round, today: datetime.date, branch: OrgUnit) -> list[IntakeRow]:
    """The list rows of one case in round ``rnd`` (at most one: a case is at one stage)."""
    ref, prev = rnd.reference_on, rnd.previous().reference_on
    steps = state.steps

    def row(kind, eligible_on, *, missing=(), due=None):
        overdue = eligible_on <= prev or (due is not None and due < today)
        return IntakeRow(kind, case, branch, eligible_on, overdue, list(missing))

    if "candidate" in steps and steps["activist"].done and not steps["candidate"].done:
        period = _min_after(steps["candidate"].step, "activist") or {"years": 1}
        eligible_on = add_period(_last_date(state, "activist") or case.activist_on, period)
        if eligible_on <= ref:
            return [row(Kind.CANDIDATE, eligible_on, missing=steps["candidate"].missing)]
        return []
    if "admission_vote" in steps and steps["candidate"].done and not steps["admission_vote"].done:
        review = steps["branch_review"]
        if not (review.available or review.done):
            return []
        dates = [d for d in (_last_date(state, c) for c in review.step.prerequisites) if d is not None]
        eligible_on = max(dates) if dates else case.candidate_on
        if eligible_on <= ref:
            return [row(Kind.ADMISSION, eligible_on, due=steps["admission_vote"].due)]
        return []
    if "confirmation_vote" in steps and steps["approval"].done and not steps["confirmation_vote"].done:
        end = state.probation_end
        if end is not None and end <= ref:
            return [row(Kind.CONFIRMATION, end, due=steps["confirmation_vote"].due)]
    return []


def _cases(units: list[OrgUnit]):
    """Open cases at stage 2 or later in the subtrees of ``units``, with what the rows show."""
    q = Q()
    for unit in units:
        q |= Q(person__unit__path__startswith=unit.path)
    return (
        Case.objects.filter(q, status=CaseStatus.OPEN, activist_on__isnull=False)
        .select_related("person", "person__unit", "rule_set")
        .order_by("person__unit__path", "person__name", "pk")
    )


def intake_rows(
    units: list[OrgUnit], rnd: Round, *, today: datetime.date | None = None, kind: str | None = None
) -> list[IntakeRow]:
    """Every row of round ``rnd`` in the subtrees of ``units``, ordered by branch, list and name.

    Four queries whatever the number of cases: the cases, the parents of Party groups, the cases'
    valid records and the delay reasons (rule steps are cached per process).
    """
    today = today or timezone.localdate()
    if not units:
        return []
    cases = list(_cases(units))
    if not cases:
        return []
    group_parents = {c.person.unit.parent_id for c in cases if c.person.unit.kind == UnitKind.GROUP}
    parents = {u.pk: u for u in OrgUnit.objects.filter(pk__in=group_parents)} if group_parents else {}
    records: dict[int, list[StepRecord]] = {}
    for record in StepRecord.objects.filter(case__in=[c.pk for c in cases], status=RecordStatus.VALID).order_by(
        "occurred_on", "pk"
    ):
        records.setdefault(record.case_id, []).append(record)
    steps_by_id = {s.pk: s for rule_set_id in {c.rule_set_id for c in cases} for s in rule_steps(rule_set_id)}
    rows: list[IntakeRow] = []
    for case in cases:
        mine = records.get(case.pk, [])
        for record in mine:  # the cached rule steps, not one query per record
            record.step = steps_by_id[record.step_id]
        state = evaluate_case(case, mine)
        branch = _branch_of(case.person.unit, parents)
        for r in _evaluate_rows(case, state, rnd, today, branch):
            if kind is None or r.kind == kind:
                rows.append(r)
    if rows:
        delays = {
            (d.case_id, d.kind): d
            for d in IntakeDelay.objects.filter(case__in=[r.case.pk for r in rows]).select_related("recorded_by")
        }
        for r in rows:
            r.delay = delays.get((r.case.pk, r.kind))
    order = {k: i for i, k in enumerate(Kind.values)}
    rows.sort(key=lambda r: (r.branch.path, order[r.kind], r.eligible_on, r.case.person.name, r.case.pk))
    return rows


@dataclasses.dataclass
class Totals:
    counts: dict[str, int]
    flagged: dict[str, int]
    branches: int

    @classmethod
    def of(cls, rows: list[IntakeRow]) -> Totals:
        counts = {k: 0 for k in Kind.values}
        flagged = {k: 0 for k in Kind.values}
        for r in rows:
            counts[r.kind] += 1
            flagged[r.kind] += r.flagged
        return cls(counts, flagged, len({r.branch.pk for r in rows}))

    def items(self):
        return [(k, str(Kind(k).label), self.counts[k], self.flagged[k]) for k in Kind.values]


# --- delay reasons -----------------------------------------------------------------------------


def intake_delay_record(*, actor, case_id, kind: str, reason: str) -> IntakeDelay:
    """Record (or replace) why an eligible person is not moved on in this round. Needs
    ``development.record_step`` at the person's unit (the branch's own decision); audited."""
    case = access_case_by_id(actor, case_id, action=RECORD)
    if kind not in Kind.values:
        raise DomainError("未知的发展名单类别。", errors=[{"field": "kind", "message": "请选择名单类别"}])
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写暂缓原因。", errors=[{"field": "reason", "message": "不能为空"}])
    if len(reason) > MAX_REASON:
        message = f"暂缓原因不能超过 {MAX_REASON} 字。"
        raise DomainError(message, errors=[{"field": "reason", "message": message}])
    with transaction.atomic():
        delay = IntakeDelay.objects.select_for_update().filter(case=case, kind=kind).first()
        old = delay.reason if delay else None
        if delay is None:
            delay = IntakeDelay.objects.create(case=case, kind=kind, reason=reason, recorded_by=actor)
        else:
            delay.reason, delay.recorded_by, delay.recorded_at = reason, actor, timezone.now()
            delay.save(update_fields=["reason", "recorded_by", "recorded_at"])
        audit_record(
            actor=actor,
            action="development.intake.delay",
            target=case,
            changes={"kind": kind, "reason": {"old": old, "new": reason}},
        )
    return delay


def intake_delay_clear(*, actor, case_id, kind: str) -> None:
    """Withdraw a delay reason (the person is flagged again if still overdue); audited."""
    case = access_case_by_id(actor, case_id, action=RECORD)
    with transaction.atomic():
        delay = IntakeDelay.objects.select_for_update().filter(case=case, kind=kind).first()
        if delay is None:
            raise DomainError("没有可撤回的暂缓说明。", code="not_found")
        delay.delete()
        audit_record(
            actor=actor,
            action="development.intake.delay_clear",
            target=case,
            changes={"kind": kind, "reason": {"old": delay.reason, "new": None}},
        )


def may_record(user, row: IntakeRow) -> bool:
    return can(user, RECORD, row.case.person.unit)


# --- export ------------------------------------------------------------------------------------


def intake_export(*, actor, unit: OrgUnit, rnd: Round, today: datetime.date | None = None) -> tuple[str, bytes]:
    """The round's lists of ``unit``'s subtree as .xlsx (one sheet per list); audited."""
    from openpyxl import Workbook

    if not can(actor, VIEW, unit):
        raise PermissionDenied
    today = today or timezone.localdate()
    rows = intake_rows([unit], rnd, today=today)
    wb = Workbook(write_only=True)
    for kind in Kind.values:
        ws = wb.create_sheet(_SHEET_NAMES[kind])
        ws.append([f"{unit.name} · {rnd.label}发展名单：{Kind(kind).label}"])
        ws.append([f"判断日期：{rnd.reference_on:%Y-%m-%d}；导出时间：{timezone.localtime():%Y-%m-%d %H:%M}"])
        ws.append(["党支部", "姓名", "学号工号", "符合条件日期", "是否逾期", "暂缓原因", "尚缺"])
        for r in rows:
            if r.kind != kind:
                continue
            ws.append(
                [
                    r.branch.name,
                    r.case.person.name,
                    r.case.person.staff_number,
                    r.eligible_on,
                    "逾期" if r.flagged else ("逾期（已说明）" if r.overdue else ""),
                    r.delay.reason if r.delay else "",
                    "、".join(r.missing),
                ]
            )
    buf = io.BytesIO()
    wb.save(buf)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="development.intake.export",
            target=unit,
            changes={"round": rnd.key, "rows": len(rows)},
        )
    return f"development-intake-{unit.pk}-{rnd.key}.xlsx", buf.getvalue()


_SHEET_NAMES = {
    Kind.CANDIDATE: "可列为发展对象",
    Kind.ADMISSION: "可讨论接收预备党员",
    Kind.CONFIRMATION: "可讨论转正",
}


# --- the round's lists to each branch ----------------------------------------------------------


def _body(branch: OrgUnit, rnd: Round, rows: list[IntakeRow]) -> str:
    lines = [f"{branch.name}在{rnd.label}发展批次中符合条件的人员（截至 {rnd.reference_on:%Y-%m-%d}）："]
    for kind, label in Kind.choices:
        mine = [r for r in rows if r.kind == kind]
        if not mine:
            continue
        lines.append(f"\n【{label}】{len(mine)} 人")
        for r in mine[:EMAIL_ROWS]:
            flag = "（逾期，请办理或填写暂缓原因）" if r.flagged else ""
            lines.append(f"· {r.case.person.name}，{r.eligible_on:%Y-%m-%d} 起符合条件{flag}")
        if len(mine) > EMAIL_ROWS:
            lines.append(f"……另有 {len(mine) - EMAIL_ROWS} 人，请在系统中查看")
    return "\n".join(lines)


def send_reminders(today: datetime.date) -> int:
    """From ``DEVELOPMENT_INTAKE_SEND_DAY`` of a round month on, send every branch with at least
    one eligible person its lists (inbox and e-mail by the recipients' preferences), once per
    branch and round (``Reminder`` key). Returns the notifications sent."""
    from cloudbranch.notifications.services import notify
    from cloudbranch.orgs.models import RoleAssignment

    rnd = round_for(today)
    if today.month != rnd.month or today.day < getattr(settings, "DEVELOPMENT_INTAKE_SEND_DAY", 1):
        return 0
    roots = list(OrgUnit.objects.filter(parent__isnull=True, status="active"))
    rows = intake_rows(roots, rnd, today=today)
    by_branch: dict[int, list[IntakeRow]] = {}
    for r in rows:
        if r.branch.kind in BRANCH_KINDS:
            by_branch.setdefault(r.branch.pk, []).append(r)
    if not by_branch:
        return 0
    keys = {pk: f"intake:{rnd.key}:{pk}" for pk in by_branch}
    done = set(Reminder.objects.filter(key__in=keys.values()).values_list("key", flat=True))
    holders: dict[int, set[int]] = {}
    for unit_id, user_id in (
        RoleAssignment.objects.active()
        .filter(unit_id__in=list(by_branch), role__in=RECIPIENT_ROLES, user__is_active=True)
        .values_list("unit_id", "user_id")
    ):
        holders.setdefault(unit_id, set()).add(user_id)
    from .pipeline import _category

    category = _category()
    sent = 0
    for pk, branch_rows in by_branch.items():
        key = keys[pk]
        if key in done or not holders.get(pk):
            continue
        branch = branch_rows[0].branch
        flagged = sum(r.flagged for r in branch_rows)
        title = f"{rnd.label}发展名单：{branch.name} {len(branch_rows)} 人符合条件"
        if flagged:
            title += f"，{flagged} 人逾期"
        try:
            with transaction.atomic():
                Reminder.objects.create(key=key)
                created = notify(
                    recipients=sorted(holders[pk]),
                    category=category,
                    title=title,
                    body=_body(branch, rnd, branch_rows),
                    url=f"{reverse('development:intake')}?unit={pk}&round={rnd.key}",
                )
        except IntegrityError:  # a parallel run sent it
            logger.info("intake list %s already sent", key)
            continue
        sent += 1 if created else 0
    return sent
