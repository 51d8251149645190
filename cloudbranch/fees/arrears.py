"""Arrears (欠缴): runs of consecutive unpaid months, reminders, warnings and 党章 第九条 cases.

A member's *run* is the number of consecutive months, ending with the last closed month (the
month before today's), whose bills are still open. An exempt bill, a paid bill (also one paid
late: the run ends the moment it is paid) or a month without a bill ends the run. An open bill
whose exemption has been requested (``exemption_reason`` filled in, not yet approved) stays in
the run but counts as a *recorded reason*: no case is opened for such a run.

``run_arrears`` (command ``dues_arrears``, task ``dues_arrears_task``; daily or monthly):

- reminds each member in arrears once per bill month (the last closed month);
- at 3 months warns the secretaries of the member's branch once per run (a run is known by its
  first month);
- at 6 months without a recorded reason opens an ``ArrearsCase`` (once per run; never while
  the member has an open case) and notifies the secretaries. Under 党章 第九条 such a member "is
  regarded as having left the Party" (自行脱党); the 支部大会 decides, subject to approval by the
  higher organization. The system records that decision (``arrears_decide``); it never changes
  the member's status;
- resolves open cases whose months have all been paid (or exempted).

Notices are remembered by their deterministic link (same url to the same user = already sent),
as the compliance warnings do.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, Subquery
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_tasks import task

from cloudbranch.audit.services import audit_record, field_changes, snapshot
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.notifications.choices import Category
from cloudbranch.notifications.models import Notification
from cloudbranch.notifications.services import notify
from cloudbranch.orgs.choices import UnitKind
from cloudbranch.orgs.models import OrgUnit, RoleAssignment
from cloudbranch.orgs.roles import Role
from cloudbranch.orgs.scoping import can, granted_prefixes, scope_q
from cloudbranch.people.models import Person

from .choices import ArrearsStatus, BillStatus
from .models import ArrearsCase, Bill

WARN_MONTHS = 3
CASE_MONTHS = 6
VIEW_PERMS = ("fees.view_arrearscase", "fees.view_bill")
DECIDE_PERM = "fees.change_arrearscase"


# --- months ----------------------------------------------------------------------------------


def month_index(d: datetime.date) -> int:
    return d.year * 12 + d.month - 1


def month_from_index(i: int) -> datetime.date:
    return datetime.date(i // 12, i % 12 + 1, 1)


def last_closed_month(today: datetime.date | None = None) -> datetime.date:
    """The first day of the month before ``today``'s month."""
    today = today or timezone.localdate()
    return month_from_index(month_index(today) - 1)


@dataclass
class Run:
    person_id: int
    months: int
    first_month: datetime.date
    last_month: datetime.date
    amount: Decimal = Decimal("0.00")
    has_reason: bool = False
    bill_months: list[datetime.date] = field(default_factory=list)


def compute_runs(*, prefixes: tuple[str, ...] | None = None, unit: OrgUnit | None = None, today=None) -> dict[int, Run]:
    """Runs of every member (of people under ``prefixes`` / ``unit``, by their current unit) whose
    last closed month is unpaid. ONE query: the open bills up to the last closed month of the
    people whose last closed month is open, ordered by person and month (newest first)."""
    last = last_closed_month(today)
    people_q = Q()
    if prefixes is not None:
        if not prefixes:
            return {}
        people_q &= scope_q("person__unit__path", prefixes)
    if unit is not None:
        people_q &= Q(person__unit__path__startswith=unit.path)
    in_arrears = Bill.objects.filter(people_q, status=BillStatus.OPEN, month=last).values("person_id")
    rows = (
        Bill.objects.filter(status=BillStatus.OPEN, month__lte=last, person_id__in=Subquery(in_arrears))
        .order_by("person_id", "-month")
        .values_list("person_id", "month", "amount_due", "exemption_reason")
    )
    runs: dict[int, Run] = {}
    broken: set[int] = set()
    expected: dict[int, int] = {}
    last_i = month_index(last)
    for person_id, month, amount, reason in rows:
        if person_id in broken:
            continue
        i = month_index(month)
        if person_id not in runs:
            if i != last_i:
                broken.add(person_id)
                continue
            runs[person_id] = Run(person_id, 0, month, month)
            expected[person_id] = i
        if i != expected[person_id]:
            broken.add(person_id)
            continue
        run = runs[person_id]
        run.months += 1
        run.first_month = month
        run.amount += amount
        run.has_reason = run.has_reason or bool(reason.strip())
        run.bill_months.append(month)
        expected[person_id] = i - 1
    return runs


# --- the list ----------------------------------------------------------------------------------


def visible_prefixes(user) -> tuple[str, ...]:
    """Where the user sees arrears: wherever they see bills (fee collector and up) or cases."""
    out: set[str] = set()
    for perm in VIEW_PERMS:
        out.update(granted_prefixes(user, perm))
    kept: list[str] = []
    for p in sorted(out, key=len):
        if not any(p.startswith(k) for k in kept):
            kept.append(p)
    return tuple(sorted(kept))


def holds_view(user) -> bool:
    return bool(visible_prefixes(user))


@dataclass
class ArrearsRow:
    person: Person
    run: Run
    case: ArrearsCase | None

    @property
    def level(self) -> int:
        """0, 3 or 6: the threshold reached (for the badges)."""
        if self.run.months >= CASE_MONTHS:
            return CASE_MONTHS
        return WARN_MONTHS if self.run.months >= WARN_MONTHS else 0


class ArrearsList(Sequence):
    """Runs sorted longest first; slicing loads the people and cases of that slice only (two
    queries), so a paginated page costs 1 + 2 queries whatever the number of rows."""

    def __init__(self, runs: list[Run]):
        self.runs = runs

    def __len__(self) -> int:
        return len(self.runs)

    def count(self) -> int:  # Paginator / ninja call .count()
        return len(self.runs)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self._load(self.runs[index])
        return self._load([self.runs[index]])[0]

    def _load(self, runs: list[Run]) -> list[ArrearsRow]:
        if not runs:
            return []
        ids = [r.person_id for r in runs]
        people = Person.objects.select_related("unit").in_bulk(ids)
        cases: dict[int, ArrearsCase] = {}
        for case in ArrearsCase.objects.filter(person_id__in=ids).order_by("person_id", "-opened_at", "-id"):
            current = cases.get(case.person_id)
            # the open case wins; otherwise the latest one
            if current is None or (case.status == ArrearsStatus.OPEN and current.status != ArrearsStatus.OPEN):
                cases[case.person_id] = case
        return [ArrearsRow(people[r.person_id], r, cases.get(r.person_id)) for r in runs if r.person_id in people]


def arrears_list(user, *, unit: OrgUnit | None = None, min_months: int = 1, today=None) -> ArrearsList:
    """Members in arrears within the user's scope (optionally one unit's subtree), longest runs
    first. Empty for users who see no bills and no cases."""
    prefixes = visible_prefixes(user)
    if not prefixes:
        return ArrearsList([])
    runs = compute_runs(prefixes=prefixes, unit=unit, today=today)
    ordered = sorted((r for r in runs.values() if r.months >= min_months), key=lambda r: (-r.months, r.person_id))
    return ArrearsList(ordered)


def access_case(user, case_id) -> ArrearsCase:
    """A case the user may see (404 otherwise)."""
    prefixes = visible_prefixes(user)
    if not prefixes:
        raise Http404
    try:
        return (
            ArrearsCase.objects.select_related("person", "unit")
            .filter(scope_q("unit__path", prefixes))
            .get(pk=int(case_id))
        )
    except (ArrearsCase.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- the branch's decision -------------------------------------------------------------------


def arrears_decide(*, actor, case_id, decision: str, decided_on: datetime.date | None) -> ArrearsCase:
    """Record the branch's decision on a case (支部大会决定, subject to the higher organization's
    approval). Only the decision is recorded: the member's status is never touched here."""
    case = access_case(actor, case_id)
    if not can(actor, DECIDE_PERM, case.unit):
        raise PermissionDenied
    decision = (decision or "").strip()
    errors = []
    if not decision:
        errors.append({"field": "decision", "message": "请填写支部大会的决定。"})
    if decided_on is None:
        errors.append({"field": "decided_on", "message": "请填写决定日期。"})
    elif decided_on > timezone.localdate():
        errors.append({"field": "decided_on", "message": "决定日期不能晚于今天。"})
    elif decided_on < timezone.localtime(case.opened_at).date():
        errors.append({"field": "decided_on", "message": "决定日期不能早于立案日期。"})
    if errors:
        raise DomainError("支部决定未能保存：" + errors[0]["message"], errors=errors)
    fields = ["status", "decision", "decided_on", "decided_by"]
    with transaction.atomic():
        case = ArrearsCase.objects.select_for_update().get(pk=case.pk)
        if case.status != ArrearsStatus.OPEN:
            raise ConflictError(f"该欠缴处理已是“{ArrearsStatus(case.status).label}”状态，不能再记录决定。")
        before = snapshot(case, fields)
        case.status = ArrearsStatus.DECIDED
        case.decision = decision
        case.decided_on = decided_on
        case.decided_by = actor
        case.save(update_fields=["status", "decision", "decided_on", "decided_by"])
        audit_record(
            actor=actor,
            action="fees.arrearscase.decide",
            target=case,
            changes=field_changes(before, case, fields=fields),
        )
    return case


# --- the periodic run --------------------------------------------------------------------------


def _url(name: str, fallback: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return fallback


def member_notice_url(person_id: int, month: datetime.date) -> str:
    return f"{_url('fees:my_dues', '/fees/mine/')}?notice=arrears-{person_id}-{month:%Y-%m}"


def warning_notice_url(person_id: int, first_month: datetime.date) -> str:
    return f"{_url('fees:arrears', '/fees/arrears/')}?person={person_id}&notice=m{WARN_MONTHS}-{first_month:%Y-%m}"


def case_notice_url(case_id: int) -> str:
    return f"{_url('fees:arrears', '/fees/arrears/')}?case={case_id}"


def _secretaries_by_unit(unit_ids) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for user_id, unit_id in (
        RoleAssignment.objects.active()
        .filter(role=Role.BRANCH_SECRETARY, unit_id__in=set(unit_ids), user__is_active=True)
        .values_list("user_id", "unit_id")
    ):
        out.setdefault(unit_id, set()).add(user_id)
    return out


def _resolve_paid_cases() -> int:
    """Open cases none of whose months is still open become resolved (audited, actor: system)."""
    open_cases = list(ArrearsCase.objects.filter(status=ArrearsStatus.OPEN))
    if not open_cases:
        return 0
    earliest = min(c.first_month for c in open_cases)
    still_open = set(
        Bill.objects.filter(
            person_id__in={c.person_id for c in open_cases}, status=BillStatus.OPEN, month__gte=earliest
        ).values_list("person_id", "month")
    )
    resolved = 0
    for case in open_cases:
        start = month_index(case.first_month)
        months = {month_from_index(start + k) for k in range(case.months)}
        if any((case.person_id, m) in still_open for m in months):
            continue
        with transaction.atomic():
            before = snapshot(case, ["status"])
            case.status = ArrearsStatus.RESOLVED
            case.save(update_fields=["status"])
            audit_record(
                actor=None,
                action="fees.arrearscase.resolve",
                target=case,
                changes=field_changes(before, case, fields=["status"]),
            )
        resolved += 1
    return resolved


def run_arrears(*, today: datetime.date | None = None) -> dict[str, int]:
    """Remind, warn, open and resolve cases (see the module docstring). Idempotent."""
    today = today or timezone.localdate()
    last = last_closed_month(today)
    counts = {"in_arrears": 0, "reminders": 0, "warnings": 0, "cases_opened": 0, "cases_resolved": 0}
    counts["cases_resolved"] = _resolve_paid_cases()

    runs = compute_runs(today=today)
    counts["in_arrears"] = len(runs)
    if not runs:
        return counts
    people = {
        p["id"]: p
        for p in Person.objects.filter(pk__in=list(runs)).values(
            "id", "name", "user_id", "unit_id", "unit__kind", "unit__parent_id", "unit__name"
        )
    }
    # secretaries of the member's branch (a group's member: the group's branch)
    target_unit = {
        pid: (p["unit__parent_id"] if p["unit__kind"] == UnitKind.GROUP and p["unit__parent_id"] else p["unit_id"])
        for pid, p in people.items()
    }
    secretaries = _secretaries_by_unit(target_unit.values())
    urls = {member_notice_url(pid, last) for pid in people}
    urls |= {warning_notice_url(pid, r.first_month) for pid, r in runs.items() if r.months >= WARN_MONTHS}
    sent = set(Notification.objects.filter(url__in=urls).values_list("recipient_id", "url"))
    has_open_case = set(ArrearsCase.objects.filter(status=ArrearsStatus.OPEN).values_list("person_id", flat=True))
    case_runs = set(ArrearsCase.objects.filter(person_id__in=list(runs)).values_list("person_id", "first_month"))

    for pid in sorted(people):
        p, run = people[pid], runs[pid]
        # 1. the member, once per bill month
        url = member_notice_url(pid, last)
        if p["user_id"] and (p["user_id"], url) not in sent:
            notify(
                recipients=[p["user_id"]],
                category=Category.REMINDER,
                title=f"党费提醒：{last:%Y年%m月}党费尚未缴纳",
                body=(
                    f"您已连续 {run.months} 个月（{run.first_month:%Y年%m月}起）未缴纳党费，"
                    f"合计 {run.amount} 元，请尽快缴纳。如有困难，可向党支部说明情况。"
                ),
                url=url,
            )
            counts["reminders"] += 1
        recipients = sorted(secretaries.get(target_unit[pid], ()))
        # 2. the secretaries at 3 months, once per run
        if run.months >= WARN_MONTHS:
            url = warning_notice_url(pid, run.first_month)
            todo = [u for u in recipients if (u, url) not in sent]
            if todo:
                notify(
                    recipients=todo,
                    category=Category.REMINDER,
                    title=f"欠缴党费预警：{p['name']}已连续 {run.months} 个月未缴纳党费",
                    body=(
                        f"{p['unit__name']} {p['name']} 自 {run.first_month:%Y年%m月} 起连续 {run.months} 个月"
                        f"未缴纳党费，合计 {run.amount} 元。请了解情况、督促缴纳。"
                    ),
                    url=url,
                )
                counts["warnings"] += 1
        # 3. the case at 6 months without a recorded reason
        if (
            run.months >= CASE_MONTHS
            and not run.has_reason
            and pid not in has_open_case
            and (pid, run.first_month) not in case_runs
        ):
            with transaction.atomic():
                case = ArrearsCase.objects.create(
                    person_id=pid, unit_id=p["unit_id"], first_month=run.first_month, months=run.months
                )
                audit_record(
                    actor=None,
                    action="fees.arrearscase.open",
                    target=case,
                    changes={"first_month": run.first_month.isoformat(), "months": run.months},
                )
                if recipients:
                    notify(
                        recipients=recipients,
                        category=Category.TASK,
                        title=f"需支部处理：{p['name']}连续 {run.months} 个月未缴纳党费",
                        body=(
                            f"{p['unit__name']} {p['name']} 自 {run.first_month:%Y年%m月} 起连续 {run.months} 个月"
                            "不交纳党费，且没有正当理由记录。按照《中国共产党章程》第九条，党员无正当理由连续六个月"
                            "不交纳党费的，是自行脱党，支部党员大会应当决定把这样的党员除名，并报上级党组织批准。"
                            "请支部了解情况后召开支部党员大会作出决定，并在系统中记录决定。"
                            "系统只记录支部的决定，不会自行变更该党员的状态。"
                        ),
                        url=case_notice_url(case.pk),
                    )
            counts["cases_opened"] += 1
    return counts


@task()
def dues_arrears_task(today: str | None = None) -> dict[str, int]:
    """Background run of ``run_arrears`` (``today`` as YYYY-MM-DD, default: today)."""
    return run_arrears(today=datetime.date.fromisoformat(today) if today else None)
