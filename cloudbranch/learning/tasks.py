"""Study tasks (学习任务, issue 5 item 3): services and selectors.

(This module is the study-task domain; background jobs of learning live in ``jobs.py``.)

- ``task_assign``: a unit (``learning.add_studytask`` there) assigns published resources visible
  to the assignees and/or an exam (a published paper whose audience covers them) with a deadline
  (not in the past) to its whole subtree (people on the roster, optionally only some political
  statuses) or to chosen people of its subtree. Assignees are FROZEN at assignment: one
  ``TaskAssignee`` row (person + their unit then) per person, one bulk insert; the assignees are
  notified in one batch. ``task_close`` / ``task_cancel`` end a task (audited).
- Completion: a person has completed a task when every resource of it has a
  ``StudyProgress.completed_at`` and, if the task has a paper, they hold a passed ``Attempt``.
  ``progress_changed(person_id)`` (called by the resources and exams areas after a completion
  or a passed exam) re-checks that person's open assignments; ``recompute(task)`` does the same
  for a whole task in bulk SQL. The completion time is the moment the last requirement was met
  (never before the task was assigned). Completing on or before the deadline (a local date)
  earns the ``study_task`` points once (``points.services.point_award``, idempotent per task).
- Reading: who sees a task. A manager sees the tasks of units in their ``learning.view_studytask``
  scope (everything about them); a manager below the assigning unit (a branch secretary under a
  college's task) sees the task *through its assignees*: only the assignees whose frozen unit is
  in their scope. Anyone else: 404. Progress per person, the roll-up per child unit (ONE grouped
  query over ``TaskAssignee`` by the child's path prefix), the overdue list and the .xlsx export
  all honour that limit.
- Reminders (``send_reminders``): 3 days and 1 day before the deadline to assignees not done;
  after the deadline to the task's creator and the branch secretaries of the units with overdue
  assignees. A notice is remembered by its deterministic link (same url to the same user =
  already sent), as the dues and compliance reminders do; no extra model or field is needed.
"""

from __future__ import annotations

import datetime
import io
import logging
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import (
    CharField,
    Count,
    DateTimeField,
    Exists,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, StrIndex, Substr
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from cloudbranch.audit.services import audit_record
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.notifications.models import Notification
from cloudbranch.notifications.services import notify
from cloudbranch.orgs.choices import UnitKind
from cloudbranch.orgs.models import OrgUnit, RoleAssignment
from cloudbranch.orgs.roles import Role
from cloudbranch.orgs.scoping import access_by_id, can, granted_prefixes, holds
from cloudbranch.people.choices import PARTY_MEMBER_STATUSES, PoliticalStatus, RosterStatus
from cloudbranch.people.models import Person

from .audience import audience_q, covers
from .choices import PublishStatus, TaskStatus
from .models import Attempt, Paper, Resource, StudyProgress, StudyTask, TaskAssignee

logger = logging.getLogger(__name__)

VIEW_PERM = "learning.view_studytask"
ADD_PERM = "learning.add_studytask"
NOTIFY_CATEGORY = "learning"
POINTS_ACTION = "study_task"
REMIND_DAYS = (3, 1)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

SCOPE_SUBTREE = "subtree"
SCOPE_CHOSEN = "chosen"
SCOPES = {SCOPE_SUBTREE: "本组织及下级全体人员", SCOPE_CHOSEN: "指定人员"}

# Named groups of political statuses for the subtree filter ("only Party members", ...).
STATUS_GROUPS = {
    "members": ("党员（含预备党员）", sorted(PARTY_MEMBER_STATUSES)),
    "activists": ("入党积极分子和发展对象", [PoliticalStatus.ACTIVIST, PoliticalStatus.CANDIDATE]),
    "applicants": ("入党申请人", [PoliticalStatus.APPLICANT]),
}

PROGRESS_FILTERS = {"done": "已完成", "open": "未完成", "overdue": "已逾期"}


def _error(field_name: str, message: str) -> dict:
    return {"field": field_name, "message": message}


def _url(name: str, args=(), fallback: str = "") -> str:
    """Reverse a URL of another area that may not be there yet."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return fallback


def my_tasks_url() -> str:
    return _url("learning:my_tasks", fallback="/learning/tasks/mine/")


def task_url(task_id: int) -> str:
    return _url("learning:task", args=[task_id], fallback=f"/learning/tasks/{task_id}/")


def resource_url(resource_id: int) -> str:
    return _url("learning:resource", args=[resource_id], fallback=f"/learning/resources/{resource_id}/")


def exam_url(paper_id: int) -> str:
    base = _url("learning:my_exams", fallback="/learning/exams/mine/")
    return f"{base}?paper={paper_id}"


def _point_award():
    from cloudbranch.points.services import point_award

    return point_award


# --- what a task may assign -----------------------------------------------------------------


def _visible_q(unit: OrgUnit) -> Q:
    """Published objects whose audience covers everyone of ``unit``'s subtree (the rule of
    ``audience.py`` applied at the unit: covering the unit covers its whole subtree)."""
    return Q(status=PublishStatus.PUBLISHED) & audience_q(unit.path)


def resource_choices(unit: OrgUnit):
    """Published resources a task of ``unit`` may assign to its whole subtree (newest first)."""
    return Resource.objects.filter(_visible_q(unit)).select_related("unit").order_by("-published_at", "-id")


def paper_choices(unit: OrgUnit):
    """Published papers whose audience covers ``unit``'s whole subtree."""
    return Paper.objects.filter(_visible_q(unit)).order_by("-opens_at", "-id")


# --- who sees a task -------------------------------------------------------------------------


def _prefix_q(lookup: str, prefixes) -> Q:
    return reduce(or_, (Q(**{f"{lookup}__startswith": p}) for p in prefixes))


def visible_tasks(user):
    """Tasks of units in the user's scope, and tasks with assignees (frozen unit) in it."""
    prefixes = granted_prefixes(user, VIEW_PERM)
    if not prefixes:
        return StudyTask.objects.none()
    through = TaskAssignee.objects.filter(task=OuterRef("pk")).filter(_prefix_q("unit__path", prefixes))
    return StudyTask.objects.filter(_prefix_q("unit__path", prefixes) | Exists(through))


@dataclass
class TaskView:
    """A task as one user sees it: ``limit`` is None (the whole task) or the prefixes of the
    assignees they may see (a manager below the assigning unit)."""

    task: StudyTask
    limit: tuple[str, ...] | None
    can_manage: bool

    def assignees(self):
        qs = TaskAssignee.objects.filter(task=self.task)
        if self.limit is not None:
            qs = qs.filter(_prefix_q("unit__path", self.limit))
        return qs


def access_task(user, task_id, *, action: str = "view") -> TaskView:
    """404 unless the user sees the task; ``action="manage"``: 403 unless they hold
    ``learning.add_studytask`` at the assigning unit."""
    try:
        task = visible_tasks(user).select_related("unit", "paper", "created_by").get(pk=task_id)
    except (StudyTask.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    prefixes = granted_prefixes(user, VIEW_PERM)
    limit = None if task.unit.path.startswith(prefixes) else prefixes
    can_manage = can(user, ADD_PERM, task.unit)
    if action == "manage" and not can_manage:
        raise PermissionDenied
    return TaskView(task=task, limit=limit, can_manage=can_manage)


def task_list(*, user, filters: dict | None = None):
    """Tasks the user sees, newest first, with assignee and completion counts (one query)."""
    if not holds(user, VIEW_PERM):
        raise PermissionDenied
    filters = filters or {}
    qs = visible_tasks(user).select_related("unit", "paper")
    status = filters.get("status")
    if status in TaskStatus.values:
        qs = qs.filter(status=status)
    unit = filters.get("unit")
    if unit not in (None, ""):
        qs = qs.filter(unit_id=unit)
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(title__icontains=q)
    total = TaskAssignee.objects.filter(task=OuterRef("pk")).values("task").annotate(n=Count("id")).values("n")
    done = (
        TaskAssignee.objects.filter(task=OuterRef("pk"), completed_at__isnull=False)
        .values("task")
        .annotate(n=Count("id"))
        .values("n")
    )
    return qs.annotate(
        assignee_count=Coalesce(Subquery(total, output_field=IntegerField()), 0),
        completed_count=Coalesce(Subquery(done, output_field=IntegerField()), 0),
    ).order_by("-created_at", "-id")


def assign_units(user):
    """Units where the user may assign tasks (active, by path)."""
    return OrgUnit.objects.restrict(user, ADD_PERM).filter(status="active").order_by("path")


# --- assignment ------------------------------------------------------------------------------


def _resolve_assignees(unit: OrgUnit, *, scope: str, statuses, person_ids) -> list[tuple[int, int, str, int | None]]:
    """(person id, unit id, unit path, user id) of the people to assign; DomainError if none or refused."""
    cols = ("id", "unit_id", "unit__path", "user_id")
    if scope == SCOPE_SUBTREE:
        qs = Person.objects.filter(roster_status=RosterStatus.ACTIVE, unit__path__startswith=unit.path)
        if statuses:
            unknown = [s for s in statuses if s not in PoliticalStatus.values]
            if unknown:
                raise DomainError(
                    "政治面貌筛选有误。", errors=[_error("statuses", f"未知的政治面貌：{'、'.join(unknown)}")]
                )
            qs = qs.filter(political_status__in=list(statuses))
        rows = list(qs.order_by("id").values_list(*cols))
        if not rows:
            raise DomainError("该范围内没有符合条件的在册人员。", errors=[_error("statuses", "没有可布置的人员")])
        return rows
    if scope != SCOPE_CHOSEN:
        raise DomainError("请选择布置范围。", errors=[_error("scope", "请选择布置范围")])
    wanted = []
    for raw in person_ids or []:
        try:
            pid = int(raw)
        except (TypeError, ValueError):
            raise DomainError("人员编号有误。", errors=[_error("person_ids", f"无效的人员编号 {raw}")]) from None
        if pid not in wanted:
            wanted.append(pid)
    if not wanted:
        raise DomainError("请选择要布置的人员。", errors=[_error("person_ids", "请至少选择一人")])
    rows = list(
        Person.objects.filter(pk__in=wanted, roster_status=RosterStatus.ACTIVE, unit__path__startswith=unit.path)
        .order_by("id")
        .values_list(*cols)
    )
    found = {r[0] for r in rows}
    refused = [pid for pid in wanted if pid not in found]
    if refused:
        message = f"有 {len(refused)} 人不在{unit.name}及下级组织的在册人员中，不能布置"
        raise DomainError(message + "。", errors=[_error("person_ids", message)])
    return rows


def _check_audience(objs, paths: set[str], field_name: str, label: str) -> list[dict]:
    errors = []
    for obj in objs:
        if obj.status != PublishStatus.PUBLISHED:
            errors.append(_error(field_name, f"{label}“{obj.title}”尚未发布"))
        elif not all(covers(obj.unit.path, obj.audience, p) for p in paths):
            errors.append(_error(field_name, f"{label}“{obj.title}”的可见范围没有覆盖全部布置对象"))
    return errors


@transaction.atomic
def task_assign(
    *,
    actor,
    unit_id,
    title: str,
    deadline: datetime.date,
    description: str = "",
    resource_ids=(),
    paper_id=None,
    scope: str = SCOPE_SUBTREE,
    statuses=(),
    person_ids=(),
    today: datetime.date | None = None,
) -> StudyTask:
    """Assign a study task (see the module docstring). Audited as ``learning.studytask.create``."""
    unit = access_by_id(actor, OrgUnit, unit_id)
    if not can(actor, ADD_PERM, unit):
        raise PermissionDenied
    today = today or timezone.localdate()
    errors: list[dict] = []
    if unit.status != "active":
        errors.append(_error("unit", "该组织已撤销或合并，不能布置任务"))
    title = (title or "").strip()
    if not title:
        errors.append(_error("title", "请填写任务名称"))
    elif len(title) > 200:
        errors.append(_error("title", "任务名称不能超过 200 字"))
    if not isinstance(deadline, datetime.date):
        errors.append(_error("deadline", "请填写截止日期"))
    elif deadline < today:
        errors.append(_error("deadline", "截止日期不能早于今天"))
    resource_ids = list(dict.fromkeys(int(r) for r in resource_ids or ()))
    resources = list(Resource.objects.filter(pk__in=resource_ids).select_related("unit"))
    if len(resources) != len(resource_ids):
        errors.append(_error("resource_ids", "有学习资源不存在"))
    paper = None
    if paper_id not in (None, ""):
        paper = Paper.objects.select_related("unit").filter(pk=paper_id).first()
        if paper is None:
            errors.append(_error("paper_id", "考试不存在"))
    if not resource_ids and paper_id in (None, ""):
        errors.append(_error("resource_ids", "请至少选择一项学习资源或一场考试"))
    if errors:
        raise DomainError("请检查填写的内容：" + "；".join(e["message"] for e in errors), errors=errors)

    rows = _resolve_assignees(unit, scope=scope, statuses=statuses, person_ids=person_ids)
    paths = {r[2] for r in rows}
    errors = _check_audience(resources, paths, "resource_ids", "学习资源")
    if paper is not None:
        errors += _check_audience([paper], paths, "paper_id", "考试")
        if paper.closes_at and timezone.localtime(paper.closes_at).date() < today:
            errors.append(_error("paper_id", f"考试“{paper.title}”已结束"))
    if errors:
        raise DomainError("请检查所选内容：" + "；".join(e["message"] for e in errors), errors=errors)

    task = StudyTask.objects.create(
        unit=unit,
        title=title,
        description=(description or "").strip(),
        deadline=deadline,
        paper=paper,
        created_by=actor,
    )
    if resources:
        task.resources.set(resources)
    TaskAssignee.objects.bulk_create(
        [TaskAssignee(task=task, person_id=pid, unit_id=uid) for pid, uid, _path, _user in rows], batch_size=2000
    )
    audit_record(
        actor=actor,
        action="learning.studytask.create",
        target=task,
        changes={
            "unit": unit.pk,
            "title": title,
            "deadline": deadline.isoformat(),
            "resources": sorted(r.pk for r in resources),
            "paper": paper.pk if paper else None,
            "scope": scope,
            "statuses": sorted(statuses or []),
            "assignees": len(rows),
        },
    )
    users = [u for _p, _u, _path, u in rows if u]
    if users:
        parts = [f"{len(resources)} 项学习资源"] if resources else []
        if paper is not None:
            parts.append(f"考试“{paper.title}”")
        notify(
            recipients=users,
            category=NOTIFY_CATEGORY,
            title=f"学习任务：{title}",
            body=f"{unit.name}布置了学习任务，请于 {deadline:%Y年%m月%d日} 前完成{'和'.join(parts)}。",
            url=my_tasks_url(),
            actor=actor,
        )
    recompute(task)  # someone may already have done everything
    return task


def _end(*, actor, task_id, status: str, action: str, reason: str = "") -> StudyTask:
    view = access_task(actor, task_id, action="manage")
    with transaction.atomic():
        task = StudyTask.objects.select_for_update().get(pk=view.task.pk)
        if task.status != TaskStatus.ACTIVE:
            raise ConflictError(
                f"{task.get_status_display()}的任务不能{'结束' if status == TaskStatus.CLOSED else '取消'}。",
                errors=[_error("status", task.status)],
            )
        if status == TaskStatus.CLOSED:
            recompute(task)
        old = task.status
        task.status = status
        task.save(update_fields=["status"])
        changes = {"status": {"old": old, "new": status}}
        if reason:
            changes["reason"] = reason
        audit_record(actor=actor, action=action, target=task, changes=changes)
    return task


def task_close(*, actor, task_id) -> StudyTask:
    """End an active task (progress is recomputed first and kept). Audited."""
    return _end(actor=actor, task_id=task_id, status=TaskStatus.CLOSED, action="learning.studytask.close")


def task_cancel(*, actor, task_id, reason: str = "") -> StudyTask:
    """Cancel an active task (it leaves the members' lists of open tasks). Audited with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写取消原因。", errors=[_error("reason", "请填写取消原因")])
    return _end(
        actor=actor, task_id=task_id, status=TaskStatus.CANCELLED, action="learning.studytask.cancel", reason=reason
    )


# --- completion ------------------------------------------------------------------------------


def _on_time(task: StudyTask, completed_at) -> bool:
    return timezone.localtime(completed_at).date() <= task.deadline


def _award(person: Person, task: StudyTask, completed_at) -> None:
    try:
        award = _point_award()
    except ImportError:  # the points area is not there yet
        logger.warning("points.services.point_award missing; no points for task %s", task.pk)
        return
    award(person=person, action=POINTS_ACTION, source_type="task", source_id=str(task.pk), occurred_at=completed_at)


def progress_changed(person_id: int) -> int:
    """Re-check the person's open assignments of active tasks after a completed resource or a
    passed exam; mark the ones now complete and award on-time points. Returns how many were
    completed. Called by the resources and exams areas; safe to call any time."""
    open_rows = list(
        TaskAssignee.objects.filter(person_id=person_id, completed_at__isnull=True, task__status=TaskStatus.ACTIVE)
        .select_related("task")
        .prefetch_related(Prefetch("task__resources", queryset=Resource.objects.only("id")))
    )
    if not open_rows:
        return 0
    resource_ids = {r.pk for a in open_rows for r in a.task.resources.all()}
    paper_ids = {a.task.paper_id for a in open_rows if a.task.paper_id}
    done = dict(
        StudyProgress.objects.filter(
            person_id=person_id, resource_id__in=resource_ids, completed_at__isnull=False
        ).values_list("resource_id", "completed_at")
    )
    passed = {}
    if paper_ids:
        for paper_id, at in (
            Attempt.objects.filter(person_id=person_id, paper_id__in=paper_ids, passed=True)
            .values("paper_id")
            .annotate(at=Min(Coalesce("submitted_at", "started_at")))
            .values_list("paper_id", "at")
        ):
            passed[paper_id] = at
    completed = []
    for a in open_rows:
        task = a.task
        times = [task.created_at]
        ok = True
        for r in task.resources.all():
            if r.pk not in done:
                ok = False
                break
            times.append(done[r.pk])
        if ok and task.paper_id:
            ok = task.paper_id in passed
            if ok:
                times.append(passed[task.paper_id])
        if ok:
            a.completed_at = max(times)
            completed.append(a)
    if not completed:
        return 0
    person = Person.objects.get(pk=person_id)
    with transaction.atomic():
        for a in completed:
            TaskAssignee.objects.filter(pk=a.pk, completed_at__isnull=True).update(completed_at=a.completed_at)
            if _on_time(a.task, a.completed_at):
                _award(person, a.task, a.completed_at)
    return len(completed)


def _completion_expressions(task: StudyTask):
    """SQL expressions per ``TaskAssignee`` row: (resources done, last resource completion,
    first passed attempt)."""
    resource_ids = list(task.resources.values_list("pk", flat=True))
    progress = StudyProgress.objects.filter(
        person_id=OuterRef("person_id"), resource_id__in=resource_ids, completed_at__isnull=False
    ).values("person_id")
    done = Subquery(progress.annotate(n=Count("id")).values("n"), output_field=IntegerField())
    last = Subquery(progress.annotate(t=Max("completed_at")).values("t"), output_field=DateTimeField())
    exam = None
    if task.paper_id:
        exam = Subquery(
            Attempt.objects.filter(person_id=OuterRef("person_id"), paper_id=task.paper_id, passed=True)
            .values("person_id")
            .annotate(t=Min(Coalesce("submitted_at", "started_at")))
            .values("t"),
            output_field=DateTimeField(),
        )
    return resource_ids, done, last, exam


def recompute(task: StudyTask) -> int:
    """Mark every assignee of ``task`` who has met all requirements (bulk SQL: one select of
    the newly complete, one update), then award on-time points to them. Returns how many were
    newly completed. Never un-completes anyone."""
    resource_ids, done, last, exam = _completion_expressions(task)
    qs = TaskAssignee.objects.filter(task=task, completed_at__isnull=True)
    if resource_ids:
        qs = qs.alias(done_n=Coalesce(done, 0)).filter(done_n=len(resource_ids))
    if exam is not None:
        qs = qs.alias(exam_at=exam).filter(exam_at__isnull=False)
    ids = list(qs.values_list("pk", flat=True))
    if not ids:
        return 0
    created = Value(task.created_at, output_field=DateTimeField())
    parts = [created]
    if resource_ids:
        parts.append(Coalesce(last, created))
    if exam is not None:
        parts.append(Coalesce(exam, created))
    at = Greatest(*parts, output_field=DateTimeField()) if len(parts) > 1 else created
    with transaction.atomic():
        for start in range(0, len(ids), 5000):
            TaskAssignee.objects.filter(pk__in=ids[start : start + 5000], completed_at__isnull=True).update(
                completed_at=at
            )
        end = timezone.make_aware(
            datetime.datetime.combine(task.deadline + datetime.timedelta(days=1), datetime.time())
        )
        on_time = list(
            TaskAssignee.objects.filter(pk__in=ids, completed_at__lt=end).select_related("person").order_by("pk")
        )
        for a in on_time:
            _award(a.person, task, a.completed_at)
    return len(ids)


# --- progress --------------------------------------------------------------------------------


def task_progress(view: TaskView, *, status: str | None = None, unit: OrgUnit | None = None, today=None):
    """Assignees of the task the viewer sees, with ``resources_done``, ``exam_passed``,
    ``is_overdue``: one query per page whatever the number of rows. ``status``: done / open /
    overdue; ``unit``: that unit's subtree (by the frozen unit)."""
    today = today or timezone.localdate()
    task = view.task
    resource_ids, done, _last, _exam = _completion_expressions(task)
    qs = view.assignees().select_related("person", "unit")
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if status == "done":
        qs = qs.filter(completed_at__isnull=False)
    elif status == "open":
        qs = qs.filter(completed_at__isnull=True)
    elif status == "overdue":
        qs = qs.filter(completed_at__isnull=True) if today > task.deadline else qs.none()
    qs = qs.annotate(resources_done=Coalesce(done, 0) if resource_ids else Value(0))
    if task.paper_id:
        qs = qs.annotate(
            exam_passed=Exists(
                Attempt.objects.filter(person_id=OuterRef("person_id"), paper_id=task.paper_id, passed=True)
            )
        )
    return qs.order_by("unit__path", "person__name", "pk")


def decorate(rows, task: StudyTask, *, today=None) -> list:
    """Add ``resources_total``, ``is_overdue`` and ``on_time`` to progress rows (no query)."""
    today = today or timezone.localdate()
    total = getattr(task, "_resource_total", None)
    if total is None:
        total = task._resource_total = task.resources.count()
    out = []
    for a in rows:
        a.resources_total = total
        if not hasattr(a, "exam_passed"):
            a.exam_passed = None
        a.is_overdue = a.completed_at is None and today > task.deadline
        a.on_time = a.completed_at is not None and _on_time(task, a.completed_at)
        out.append(a)
    return out


def child_prefix(unit: OrgUnit, lookup: str = "unit__path"):
    """SQL: the path of the child of ``unit`` holding the row's unit (``unit.path`` for the unit's
    own rows) — as in development.pipeline (not importable across apps of this layer)."""
    n = len(unit.path)
    rest = Substr(lookup, n + 1)
    return Substr(lookup, 1, Value(n) + StrIndex(rest, Value("/")), output_field=CharField())


@dataclass
class RollupRow:
    unit: OrgUnit | None  # None: the unit's own people (本级)
    total: int = 0
    completed: int = 0
    on_time: int = 0
    overdue: int = 0

    @property
    def rate(self) -> float | None:
        return round(self.completed * 100 / self.total, 1) if self.total else None

    @property
    def label(self) -> str:
        return self.unit.name if self.unit is not None else "本级"


@dataclass
class Rollup:
    at: OrgUnit
    rows: list[RollupRow] = field(default_factory=list)
    totals: RollupRow | None = None


def task_rollup(view: TaskView, *, at: OrgUnit | None = None, today=None) -> Rollup:
    """Completion per child of ``at`` (default the task's unit), each child's whole subtree, plus
    本级, and the totals: two queries (children, one grouped count over ``TaskAssignee``)."""
    today = today or timezone.localdate()
    task = view.task
    at = at or task.unit
    end = timezone.make_aware(datetime.datetime.combine(task.deadline + datetime.timedelta(days=1), datetime.time()))
    past = today > task.deadline
    grouped = (
        view.assignees()
        .filter(unit__path__startswith=at.path)
        .annotate(child=child_prefix(at))
        .values("child")
        .annotate(
            total=Count("id"),
            completed=Count("id", filter=Q(completed_at__isnull=False)),
            on_time=Count("id", filter=Q(completed_at__lt=end)),
            open=Count("id", filter=Q(completed_at__isnull=True)),
        )
        .order_by()
    )
    by_path = {g["child"]: g for g in grouped}
    children = list(OrgUnit.objects.filter(parent=at).order_by("status", "sort_order", "path"))
    result = Rollup(at=at, totals=RollupRow(None))

    def row(unit, g):
        r = RollupRow(unit)
        if g:
            r.total, r.completed, r.on_time = g["total"], g["completed"], g["on_time"]
            r.overdue = g["open"] if past else 0
        return r

    for child in children:
        g = by_path.pop(child.path, None)
        if g is None and (child.status != "active" or view.limit is not None):
            continue
        result.rows.append(row(child, g))
    own = row(None, by_path.pop(at.path, None))
    for stray in by_path.values():  # a unit moved since assignment under another parent
        s = row(None, stray)
        own.total, own.completed, own.on_time, own.overdue = (
            own.total + s.total,
            own.completed + s.completed,
            own.on_time + s.on_time,
            own.overdue + s.overdue,
        )
    if own.total:
        result.rows.append(own)
    t = result.totals
    for r in result.rows:
        t.total += r.total
        t.completed += r.completed
        t.on_time += r.on_time
        t.overdue += r.overdue
    return result


def rollup_unit(view: TaskView, unit_id) -> OrgUnit:
    """The unit to roll up at: the task's unit, or a unit of its subtree the viewer sees (404 otherwise)."""
    task = view.task
    if unit_id in (None, ""):
        return task.unit
    try:
        unit = OrgUnit.objects.get(pk=int(unit_id))
    except (OrgUnit.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not unit.path.startswith(task.unit.path):
        raise Http404
    if view.limit is not None and not any(unit.path.startswith(p) or p.startswith(unit.path) for p in view.limit):
        raise Http404
    return unit


def task_export(*, actor, task_id, today=None) -> tuple[bytes, StudyTask]:
    """The task's progress as .xlsx (sheets 人员进度, 组织完成率); audited as ``learning.studytask.export``."""
    from openpyxl import Workbook

    today = today or timezone.localdate()
    view = access_task(actor, task_id)
    task = view.task
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("人员进度")
    ws.append([f"{task.title}（{task.unit.name}，截止 {task.deadline:%Y-%m-%d}）"])
    headers = ["所在组织", "姓名", "政治面貌", "资源完成", "资源总数"]
    if task.paper_id:
        headers.append("考试通过")
    headers += ["完成时间", "按时完成", "逾期未完成"]
    ws.append(headers)
    rows = 0
    qs = task_progress(view, today=today)
    for start in range(0, 10**9, 2000):
        chunk = decorate(list(qs[start : start + 2000]), task, today=today)
        if not chunk:
            break
        for a in chunk:
            line = [a.unit.name, a.person.name, a.person.get_political_status_display(), a.resources_done]
            line.append(a.resources_total)
            if task.paper_id:
                line.append("是" if a.exam_passed else "否")
            at = timezone.localtime(a.completed_at).strftime("%Y-%m-%d %H:%M") if a.completed_at else ""
            line += [at, "是" if a.on_time else "", "是" if a.is_overdue else ""]
            ws.append(line)
            rows += 1
    ws = wb.create_sheet("组织完成率")
    ws.append(["组织", "应完成人数", "已完成", "按时完成", "逾期未完成", "完成率"])
    rollup = task_rollup(view, today=today)
    for r in [*rollup.rows, rollup.totals]:
        label = r.label if r is not rollup.totals else "合计"
        ws.append([label, r.total, r.completed, r.on_time, r.overdue, f"{r.rate}%" if r.rate is not None else ""])
    buffer = io.BytesIO()
    wb.save(buffer)
    audit_record(actor=actor, action="learning.studytask.export", target=task, changes={"rows": rows})
    return buffer.getvalue(), task


# --- the member's own tasks ------------------------------------------------------------------


def my_assignments(person: Person, *, done: bool):
    """The person's assignments: open ones of active tasks (nearest deadline first) or the
    others (completed, or of closed tasks; newest first). Cancelled tasks are left out."""
    qs = (
        TaskAssignee.objects.filter(person=person)
        .exclude(task__status=TaskStatus.CANCELLED)
        .select_related("task", "task__paper", "task__unit")
    )
    open_q = Q(completed_at__isnull=True, task__status=TaskStatus.ACTIVE)
    if done:
        return qs.exclude(open_q).order_by("-task__deadline", "-pk")
    return qs.filter(open_q).order_by("task__deadline", "pk")


def with_my_progress(person: Person, rows, *, today=None) -> list:
    """Attach ``resource_items`` [(resource, done)], ``resources_done``/``resources_total``,
    ``exam_passed``, ``days_left`` to one page of the person's assignments: three queries."""
    today = today or timezone.localdate()
    rows = list(rows)
    task_ids = [a.task_id for a in rows]
    links = list(
        StudyTask.resources.through.objects.filter(studytask_id__in=task_ids)
        .select_related("resource")
        .only("studytask_id", "resource__id", "resource__title", "resource__kind")
        .order_by("id")
    )
    done = set(
        StudyProgress.objects.filter(
            person=person, resource_id__in={link.resource_id for link in links}, completed_at__isnull=False
        ).values_list("resource_id", flat=True)
    )
    paper_ids = {a.task.paper_id for a in rows if a.task.paper_id}
    passed = set(
        Attempt.objects.filter(person=person, paper_id__in=paper_ids, passed=True).values_list("paper_id", flat=True)
    )
    by_task: dict[int, list] = {}
    for link in links:
        by_task.setdefault(link.studytask_id, []).append(link.resource)
    for a in rows:
        items = by_task.get(a.task_id, [])
        a.resource_items = [(r, r.pk in done, resource_url(r.pk)) for r in items]
        a.resources_total = len(items)
        a.resources_done = sum(1 for r in items if r.pk in done)
        a.exam_passed = (a.task.paper_id in passed) if a.task.paper_id else None
        a.exam_link = exam_url(a.task.paper_id) if a.task.paper_id else ""
        a.days_left = (a.task.deadline - today).days
        a.is_overdue = a.completed_at is None and a.days_left < 0
        a.steps_total = a.resources_total + (1 if a.task.paper_id else 0)
        a.steps_done = a.resources_done + (1 if a.exam_passed else 0)
    return rows


# --- reminders -------------------------------------------------------------------------------


def reminder_url(task_id: int, key: str) -> str:
    """Deterministic link of a reminder: it is the record that the reminder was sent."""
    return f"{my_tasks_url()}?task={task_id}&remind={key}"


def overdue_url(task_id: int, unit_id: int | None = None) -> str:
    base = f"{task_url(task_id)}?status=overdue"
    return f"{base}&unit={unit_id}&notice=overdue" if unit_id else f"{base}&notice=overdue"


def _secretaries_by_unit(unit_ids) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for user_id, unit_id in (
        RoleAssignment.objects.active()
        .filter(role=Role.BRANCH_SECRETARY, unit_id__in=set(unit_ids), user__is_active=True)
        .values_list("user_id", "unit_id")
    ):
        out.setdefault(unit_id, set()).add(user_id)
    return out


def send_reminders(today: datetime.date | None = None) -> int:
    """Send the due reminders of active tasks; returns the number of notifications sent.
    Idempotent: a reminder already in a recipient's inbox (same link) is not sent again."""
    today = today or timezone.localdate()
    sent_count = 0
    due_days = {today + datetime.timedelta(days=d): d for d in REMIND_DAYS}
    # 1. assignees not done, 3 days and 1 day before the deadline
    rows = list(
        TaskAssignee.objects.filter(
            task__status=TaskStatus.ACTIVE,
            task__deadline__in=list(due_days),
            completed_at__isnull=True,
            person__user__isnull=False,
            person__user__is_active=True,
        ).values_list("task_id", "task__title", "task__deadline", "person__user_id")
    )
    if rows:
        urls = {reminder_url(t, f"d{due_days[d]}") for t, _title, d, _u in rows}
        sent = set(Notification.objects.filter(url__in=urls).values_list("recipient_id", "url"))
        batches: dict[tuple, list[int]] = {}
        for task_id, title, deadline, user_id in rows:
            url = reminder_url(task_id, f"d{due_days[deadline]}")
            if (user_id, url) not in sent:
                batches.setdefault((task_id, title, deadline, url), []).append(user_id)
        for (_task_id, title, deadline, url), users in sorted(batches.items()):
            days = due_days[deadline]
            with transaction.atomic():
                created = notify(
                    recipients=users,
                    category=NOTIFY_CATEGORY,
                    title=f"学习任务还有 {days} 天截止：{title}",
                    body=f"学习任务“{title}”将于 {deadline:%Y年%m月%d日} 截止，您尚未完成，请抓紧学习。",
                    url=url,
                )
            sent_count += len(created)
    # 2. after the deadline: the creator and the secretaries of the units with overdue assignees
    overdue = list(
        TaskAssignee.objects.filter(task__status=TaskStatus.ACTIVE, task__deadline__lt=today, completed_at__isnull=True)
        .values("task_id", "unit_id", "unit__kind", "unit__parent_id", "unit__name")
        .annotate(n=Count("id"))
        .order_by("task_id", "unit_id")
    )
    if not overdue:
        return sent_count
    tasks = {
        t.pk: t
        for t in StudyTask.objects.filter(pk__in={o["task_id"] for o in overdue}).select_related("unit", "created_by")
    }
    target = {
        o["unit_id"]: (
            o["unit__parent_id"] if o["unit__kind"] == UnitKind.GROUP and o["unit__parent_id"] else o["unit_id"]
        )
        for o in overdue
    }
    secretaries = _secretaries_by_unit(target.values())
    per_task: dict[int, int] = {}
    per_branch: dict[tuple[int, int], int] = {}
    for o in overdue:
        per_task[o["task_id"]] = per_task.get(o["task_id"], 0) + o["n"]
        key = (o["task_id"], target[o["unit_id"]])
        per_branch[key] = per_branch.get(key, 0) + o["n"]
    urls = {overdue_url(t) for t in per_task} | {overdue_url(t, u) for t, u in per_branch}
    sent = set(Notification.objects.filter(url__in=urls).values_list("recipient_id", "url"))
    for task_id, n in sorted(per_task.items()):
        task = tasks[task_id]
        url = overdue_url(task_id)
        creator = task.created_by
        if creator.is_active and (creator.pk, url) not in sent:
            with transaction.atomic():
                sent_count += len(
                    notify(
                        recipients=[creator.pk],
                        category=NOTIFY_CATEGORY,
                        title=f"学习任务已逾期：{task.title}（{n} 人未完成）",
                        body=f"学习任务“{task.title}”已于 {task.deadline:%Y年%m月%d日} 截止，仍有 {n} 人未完成。",
                        url=url,
                    )
                )
    branch_names = dict(OrgUnit.objects.filter(pk__in={u for _t, u in per_branch}).values_list("pk", "name"))
    for (task_id, branch_id), n in sorted(per_branch.items()):
        task = tasks[task_id]
        url = overdue_url(task_id, branch_id)
        # the creator has the task-wide notice already
        users = [u for u in sorted(secretaries.get(branch_id, ())) if (u, url) not in sent and u != task.created_by_id]
        if not users:
            continue
        with transaction.atomic():
            sent_count += len(
                notify(
                    recipients=users,
                    category=NOTIFY_CATEGORY,
                    title=f"学习任务逾期提醒：{branch_names.get(branch_id, '')}有 {n} 人未完成“{task.title}”",
                    body=(
                        f"{task.unit.name}布置的学习任务“{task.title}”已于 {task.deadline:%Y年%m月%d日} 截止，"
                        f"{branch_names.get(branch_id, '')}仍有 {n} 人未完成，请督促。"
                    ),
                    url=url,
                )
            )
    return sent_count
