"""Top-down tasks: reads. Every query starts from ``restrict()``: the issuer side through
``AssignedTask.objects.restrict(user, "worktasks.view_assignedtask")`` (scope = issuing unit), the
receiving side through ``TaskTarget.objects.restrict(user, "worktasks.view_tasktarget")`` (scope =
receiving unit), so a branch secretary sees their own branch's target of a task issued by the root
and never a sibling branch's. Lists are paginated by the caller and use a constant number of
queries however many targets there are; per-child figures are ONE grouped query over the
targets, grouped by the path prefix of the child unit that holds each receiving unit."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import CharField, Count, Prefetch, Q, Value
from django.db.models.functions import StrIndex, Substr
from django.http import Http404
from django.utils import timezone

from cloudbranch.orgs.models import OrgUnit, RoleAssignment
from cloudbranch.orgs.scoping import granted_prefixes

from .choices import OPEN_TARGET_STATUSES, TargetStatus, TaskStatus
from .models import AssignedTask, TaskEvidence, TaskReport, TaskTarget
from .tasks import HANDLE_PERM, VIEW_TARGET_PERM, VIEW_TASK_PERM, _roles_with

#: Board columns: key → (label, statuses).
COLUMNS = {
    "issued": ("待接收", (TargetStatus.ISSUED,)),
    "doing": ("办理中", (TargetStatus.RECEIVED, TargetStatus.IN_PROGRESS)),
    "submitted": ("待审核", (TargetStatus.SUBMITTED,)),
    "returned": ("已退回", (TargetStatus.RETURNED,)),
    "accepted": ("已完成", (TargetStatus.ACCEPTED,)),
}
BOARD_COLUMN_SIZE = 20
#: Tasks whose targets a receiving unit sees (drafts have none; cancelled ones leave the board).
LIVE_TASK_STATUSES = (TaskStatus.ISSUED, TaskStatus.CLOSED)


def child_prefix(unit: OrgUnit, lookup: str = "unit__path"):
    """SQL: the path of the child of ``unit`` that holds the row's unit (``unit.path`` itself for
    rows of the unit)."""
    n = len(unit.path)
    rest = Substr(lookup, n + 1)
    return Substr(lookup, 1, Value(n) + StrIndex(rest, Value("/")), output_field=CharField())


def _overdue_q(now, prefix: str = "") -> Q:
    return Q(**{f"{prefix}status__in": OPEN_TARGET_STATUSES, f"{prefix}task__deadline__lt": now})


def visible_tasks_q(user, lookup: str = "task") -> Q:
    """Rows whose task the user sees as issuer, or as a receiving unit (a non-draft target in scope)."""
    as_issuer = AssignedTask.objects.restrict(user, VIEW_TASK_PERM).values("pk")
    as_unit = (
        TaskTarget.objects.restrict(user, VIEW_TARGET_PERM).exclude(task__status=TaskStatus.DRAFT).values("task_id")
    )
    return Q(**{f"{lookup}__in": as_issuer}) | Q(**{f"{lookup}__in": as_unit})


# --- issuer side -----------------------------------------------------------------------------------


def issued_tasks(user, *, filters: dict | None = None, now=None):
    """Tasks the user sees as issuer, newest first, each with its completion figures (one query)."""
    filters = filters or {}
    now = now or timezone.now()
    qs = AssignedTask.objects.restrict(user, VIEW_TASK_PERM).select_related("issuer")
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("q"):
        qs = qs.filter(title__icontains=filters["q"])
    if filters.get("issuer"):
        qs = qs.filter(issuer_id=filters["issuer"])
    return qs.annotate(
        target_count=Count("targets"),
        received_count=Count("targets", filter=Q(targets__received_at__isnull=False)),
        submitted_count=Count("targets", filter=Q(targets__status=TargetStatus.SUBMITTED)),
        accepted_count=Count("targets", filter=Q(targets__status=TargetStatus.ACCEPTED)),
        on_time_count=Count("targets", filter=Q(targets__on_time=True)),
        overdue_count=Count(
            "targets", filter=Q(targets__status__in=OPEN_TARGET_STATUSES, deadline__lt=now, status=TaskStatus.ISSUED)
        ),
    ).order_by("-created_at", "-pk")


def task_targets(task: AssignedTask, *, status: str = ""):
    """The task's targets in tree order, with unit and responsible person (one query a page)."""
    qs = task.targets.select_related("unit", "responsible").order_by("unit__path", "pk")
    if status == "overdue":
        qs = qs.filter(status__in=OPEN_TARGET_STATUSES) if task.deadline < timezone.now() else qs.none()
    elif status:
        qs = qs.filter(status=status)
    return qs


def target_status_counts(task: AssignedTask) -> dict[str, int]:
    counts = {s: 0 for s in TargetStatus.values}
    for row in task.targets.order_by().values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


@dataclass
class RollupRow:
    unit: OrgUnit | None  # None: the issuer's own level (本级) or totals
    label: str = ""
    total: int = 0
    received: int = 0
    submitted: int = 0
    accepted: int = 0
    on_time: int = 0
    overdue: int = 0

    def add(self, other: RollupRow) -> None:
        for name in ("total", "received", "submitted", "accepted", "on_time", "overdue"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def completion_rate(self) -> float | None:
        return round(self.accepted * 100 / self.total, 1) if self.total else None

    @property
    def on_time_rate(self) -> float | None:
        return round(self.on_time * 100 / self.total, 1) if self.total else None


@dataclass
class Rollup:
    at: OrgUnit
    rows: list[RollupRow] = field(default_factory=list)
    totals: RollupRow | None = None


def _rollup(targets, at: OrgUnit, *, now, keep_empty: bool) -> Rollup:
    """Figures per child of ``at``: ONE grouped query over ``targets`` plus one for the children."""
    grouped = (
        targets.filter(unit__path__startswith=at.path)
        .annotate(child=child_prefix(at))
        .values("child")
        .annotate(
            total=Count("id"),
            received=Count("id", filter=Q(received_at__isnull=False)),
            submitted=Count("id", filter=Q(status=TargetStatus.SUBMITTED)),
            accepted=Count("id", filter=Q(status=TargetStatus.ACCEPTED)),
            on_time=Count("id", filter=Q(on_time=True)),
            overdue=Count("id", filter=_overdue_q(now) & Q(task__status=TaskStatus.ISSUED)),
        )
        .order_by()
    )
    by_path = {g.pop("child"): g for g in grouped}
    result = Rollup(at=at, totals=RollupRow(None, "合计"))
    for child in OrgUnit.objects.filter(parent=at).order_by("status", "sort_order", "path"):
        g = by_path.pop(child.path, None)
        if g is None and not (keep_empty and child.status == "active"):
            continue
        result.rows.append(RollupRow(child, child.name, **(g or {})))
    own = RollupRow(None, "本级")
    for g in by_path.values():  # the unit itself, or units moved away since the task was issued
        own.add(RollupRow(None, **g))
    if own.total:
        result.rows.append(own)
    for r in result.rows:
        result.totals.add(r)
    return result


def task_rollup(task: AssignedTask, *, now=None) -> Rollup:
    """Completion and on-time rate of the task per child unit of the issuer (each child's whole subtree)."""
    return _rollup(task.targets.all(), task.issuer, now=now or timezone.now(), keep_empty=False)


# --- receiving side ---------------------------------------------------------------------------------


def visible_targets(user):
    """Targets of live (issued or closed) tasks in the user's ``view_tasktarget`` scope."""
    return TaskTarget.objects.restrict(user, VIEW_TARGET_PERM).filter(task__status__in=LIVE_TASK_STATUSES)


def board_units(user) -> list[OrgUnit]:
    """The units whose board the user works on: where they hold a role that handles tasks (one query)."""
    ids = (
        RoleAssignment.objects.active()
        .filter(user_id=user.pk, role__in=_roles_with(HANDLE_PERM), unit__status="active")
        .values("unit_id")
    )
    return list(OrgUnit.objects.filter(pk__in=ids).order_by("path"))


def board_unit(user, unit_id, units: list[OrgUnit]) -> OrgUnit | None:
    """The chosen unit: one of ``units``, or another unit in the user's handling scope (404 outside)."""
    if unit_id in (None, ""):
        return units[0] if units else None
    for u in units:
        if str(u.pk) == str(unit_id):
            return u
    try:
        return OrgUnit.objects.restrict(user, HANDLE_PERM).get(pk=int(unit_id))
    except (OrgUnit.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def board_targets(user, unit: OrgUnit, *, statuses=None):
    """The unit's own targets (not its children's), nearest deadline first."""
    qs = (
        visible_targets(user)
        .filter(unit=unit)
        .select_related("task", "task__issuer", "responsible")
        .order_by("task__deadline", "pk")
    )
    if statuses:
        qs = qs.filter(status__in=statuses)
    return qs


def board(user, unit: OrgUnit, *, now=None) -> list[dict]:
    """Columns of the board: their counts (one grouped query) and the first ``BOARD_COLUMN_SIZE``
    cards of each (one query per column): six queries whatever the number of targets."""
    now = now or timezone.now()
    counts = dict(visible_targets(user).filter(unit=unit).order_by().values_list("status").annotate(n=Count("id")))
    columns = []
    for key, (label, statuses) in COLUMNS.items():
        qs = board_targets(user, unit, statuses=statuses)
        if key == "accepted":
            qs = qs.order_by("-accepted_at", "-pk")
        cards = list(qs[:BOARD_COLUMN_SIZE])
        for c in cards:
            c.overdue = c.status in OPEN_TARGET_STATUSES and c.task.deadline < now
            c.late = c.status == TargetStatus.SUBMITTED and c.submitted_at and c.submitted_at > c.task.deadline
        columns.append({"key": key, "label": label, "count": sum(counts.get(s, 0) for s in statuses), "cards": cards})
    return columns


def my_targets(user, *, status: str = "", unit_id=None):
    """The API's board list: targets in the user's scope (optionally one unit, one status)."""
    qs = visible_targets(user).select_related("task", "task__issuer", "unit", "responsible")
    if unit_id:
        qs = qs.filter(unit_id=unit_id)
    if status == "overdue":
        qs = qs.filter(_overdue_q(timezone.now()))
    elif status in COLUMNS:
        qs = qs.filter(status__in=COLUMNS[status][1])
    elif status:
        qs = qs.filter(status=status)
    return qs.order_by("task__deadline", "unit__path", "pk")


def target_history(target: TaskTarget) -> tuple[list[TaskReport], list]:
    """Reports (with their evidence and author) and reviews of a target: three queries."""
    reports = list(
        target.reports.select_related("submitted_by").prefetch_related(
            Prefetch("evidence", queryset=TaskEvidence.objects.order_by("pk"))
        )
    )
    reviews = list(target.reviews.select_related("actor"))
    return reports, reviews


# --- statistics per subtree -----------------------------------------------------------------------


def stats_units(user) -> list[OrgUnit]:
    """The tops of the user's ``view_tasktarget`` scope (one query)."""
    prefixes = granted_prefixes(user, VIEW_TARGET_PERM)
    return list(OrgUnit.objects.filter(path__in=prefixes).order_by("path")) if prefixes else []


def stats_unit(user, unit_id, tops: list[OrgUnit]) -> OrgUnit | None:
    if unit_id in (None, ""):
        return tops[0] if tops else None
    try:
        return OrgUnit.objects.restrict(user, VIEW_TARGET_PERM).get(pk=int(unit_id))
    except (OrgUnit.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def subtree_stats(user, unit: OrgUnit, *, now=None, issued_from=None, issued_to=None) -> Rollup:
    """Per child of ``unit`` (each child's whole subtree): targets issued, received, done
    (accepted), on time, overdue; tasks issued or closed (not drafts, not cancelled)."""
    targets = visible_targets(user)
    if issued_from:
        targets = targets.filter(task__issued_at__date__gte=issued_from)
    if issued_to:
        targets = targets.filter(task__issued_at__date__lte=issued_to)
    return _rollup(targets, unit, now=now or timezone.now(), keep_empty=True)
