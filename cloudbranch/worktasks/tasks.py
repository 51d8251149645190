"""Top-down tasks (任务管理, issue 10 item 1, SPEC §9): services.

(This module is the task domain's writes; reads live in ``selectors.py``.)

- The issuer side (``worktasks.add_assignedtask`` at the issuing unit): ``task_create`` saves a
  DRAFT (title, requirements, evidence expected, a deadline in the future, attachments checked by
  content); ``task_update`` edits a draft; ``task_issue`` chooses the receiving units of the
  issuer's subtree (by kind, e.g. every active branch, and/or one by one; never the issuer itself;
  at least one), creates their ``TaskTarget`` rows in ONE bulk insert with ONE audit event (count
  and unit ids) and notifies the officers of each unit; ``task_cancel`` (with a reason, targets
  notified) and ``task_close`` (no more reports) end it.
- The receiving side (``worktasks.handle_tasktarget`` at the receiving unit): opening the target
  marks it received (``target_open``); ``target_assign`` names the responsible person (someone on
  the roster of the unit's subtree); ``target_report`` records progress (0–100, never lower than
  the last report); ``target_submit`` sends the completion report with evidence files (at least
  one when the task expects evidence) → SUBMITTED.
- The issuer reviews (``worktasks.review_tasktarget`` at the ISSUING unit, not merely above the
  target): ``target_review`` accepts (ACCEPTED, ``on_time`` = submitted no later than the deadline,
  exactly at the deadline counts as on time) or returns it with a required comment (RETURNED; the
  unit reports again).
- ``send_reminders``: 3 days and 1 day before the deadline to units that have not submitted, and
  one overdue notice per target to the unit and the issuer. Idempotent through
  ``TaskTarget.reminded_at``: a reminder is sent at most once per local day, and the overdue
  notice only while ``reminded_at`` is still before the deadline (it is set after it).

Every write checks its permission inside, runs in one transaction with its audit event, and
defers its notifications with ``transaction.on_commit``. A transition that does not fit the
current state is a ``ConflictError`` (HTTP 409) with a sentence saying why.
"""

from __future__ import annotations

import datetime
import io
from collections import defaultdict

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.services import audit_record, field_changes, snapshot
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.notifications.choices import Category
from cloudbranch.notifications.services import notify
from cloudbranch.orgs.choices import UnitKind, UnitStatus
from cloudbranch.orgs.models import OrgUnit, RoleAssignment
from cloudbranch.orgs.roles import ROLE_PERMISSIONS
from cloudbranch.orgs.scoping import access_by_id, can
from cloudbranch.people.choices import RosterStatus
from cloudbranch.people.models import Person

from . import uploads
from .choices import OPEN_TARGET_STATUSES, ReportKind, ReviewDecision, TargetStatus, TaskStatus
from .models import AssignedTask, TaskAttachment, TaskEvidence, TaskReport, TaskReview, TaskTarget

VIEW_TASK_PERM = "worktasks.view_assignedtask"
ADD_PERM = "worktasks.add_assignedtask"
VIEW_TARGET_PERM = "worktasks.view_tasktarget"
HANDLE_PERM = "worktasks.handle_tasktarget"
REVIEW_PERM = "worktasks.review_tasktarget"
REMIND_DAYS = (3, 1)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TASK_FIELDS = ("title", "requirements", "evidence_expected", "deadline")
#: Unit kinds that may be chosen "all of a kind" as targets.
TARGET_KINDS = [(k.value, k.label) for k in UnitKind if k != UnitKind.COMMITTEE]


def _error(field: str, message: str) -> dict:
    return {"field": field, "message": message}


def _later(fn) -> None:
    transaction.on_commit(fn)


def target_url(target_id: int) -> str:
    return reverse("worktasks:target", args=[target_id])


def task_url(task_id: int) -> str:
    return reverse("worktasks:task", args=[task_id])


def is_overdue(target: TaskTarget, now=None) -> bool:
    """Not submitted (nor accepted) and the deadline has passed."""
    now = now or timezone.now()
    return target.status in OPEN_TARGET_STATUSES and target.task.deadline < now


# --- who is told ------------------------------------------------------------------------------


def _roles_with(perm: str) -> list[str]:
    return [role for role, perms in ROLE_PERMISSIONS.items() if perm in perms]


def nearest_holders(units, perm: str, *, floor: OrgUnit | None = None) -> dict[int, set[int]]:
    """For each unit, the active users holding ``perm`` through a role AT the unit itself, or, if
    nobody there does, at its nearest ancestor that has such officers (never at ``floor`` or above
    it: the issuer is not told about its own task). One query."""
    units = list(units)
    above_floor = set(floor.ancestor_ids + [floor.pk]) if floor is not None else set()
    chains = {u.pk: [i for i in [u.pk, *reversed(u.ancestor_ids)] if i not in above_floor] for u in units}
    ids = {i for chain in chains.values() for i in chain}
    by_unit: dict[int, set[int]] = defaultdict(set)
    if ids:
        for unit_id, user_id in (
            RoleAssignment.objects.active()
            .filter(unit_id__in=ids, role__in=_roles_with(perm), user__is_active=True, unit__status=UnitStatus.ACTIVE)
            .values_list("unit_id", "user_id")
        ):
            by_unit[unit_id].add(user_id)
    result: dict[int, set[int]] = {}
    for u in units:
        result[u.pk] = next((by_unit[i] for i in chains[u.pk] if by_unit.get(i)), set())
    return result


def issuer_recipients(task: AssignedTask) -> set[int]:
    """The reviewers at the issuing unit (nearest holders of ``review_tasktarget``) and the task's author."""
    users = set(nearest_holders([task.issuer], REVIEW_PERM)[task.issuer.pk])
    if task.created_by_id:
        users.add(task.created_by_id)
    return users


def _notify_units(targets, *, title: str, body: str, actor=None, task: AssignedTask) -> None:
    """One notification per receiving unit (its own link), to the unit's nearest officers."""
    targets = list(targets)
    holders = nearest_holders([t.unit for t in targets], HANDLE_PERM, floor=task.issuer)
    for t in targets:
        if holders.get(t.unit_id):
            notify(
                recipients=sorted(holders[t.unit_id]),
                category=Category.TASK,
                title=title,
                body=body,
                url=target_url(t.pk),
                actor=actor,
            )


# --- access -----------------------------------------------------------------------------------


def access_task(user, task_id, *, action: str = "view") -> AssignedTask:
    """The task if the user sees it as an issuer (``view_assignedtask`` over the issuing unit),
    else 404; 403 when seen but ``action`` is not held there."""
    qs = AssignedTask.objects.select_related("issuer", "created_by")
    return access_by_id(user, AssignedTask, task_id, action=action, queryset=qs)


def access_target(user, target_id, *, action: str = "view") -> TaskTarget:
    """A receiving unit's target, seen through ``view_tasktarget`` over the RECEIVING unit (a
    sibling branch: 404); drafts have no targets to see."""
    qs = (
        TaskTarget.objects.select_related("task", "task__issuer", "task__created_by", "unit", "responsible")
        .exclude(task__status=TaskStatus.DRAFT)
        .order_by()
    )
    return access_by_id(user, TaskTarget, target_id, action=action, queryset=qs)


def can_review(user, target: TaskTarget) -> bool:
    return can(user, REVIEW_PERM, target.task.issuer)


def can_handle(user, target: TaskTarget) -> bool:
    return can(user, HANDLE_PERM, target.unit)


def issuable_units(user):
    """Active units where the user may issue tasks (their ``add_assignedtask`` subtrees)."""
    return OrgUnit.objects.restrict(user, ADD_PERM).active().order_by("path")


def target_candidates(issuer: OrgUnit):
    """Units a task of ``issuer`` may go to: active units of its subtree, not itself."""
    return OrgUnit.objects.active().filter(path__startswith=issuer.path).exclude(pk=issuer.pk).order_by("path")


def _issuer_for(actor, issuer_id) -> OrgUnit:
    try:
        return issuable_units(actor).get(pk=int(issuer_id))
    except (OrgUnit.DoesNotExist, TypeError, ValueError):
        if OrgUnit.objects.restrict(actor, "orgs.view_orgunit").filter(pk=issuer_id).exists():
            raise PermissionDenied from None
        raise DomainError("请选择可以下发任务的单位。", errors=[_error("issuer", "无权以该单位下发任务")]) from None


def _check_fields(*, title, requirements, evidence_expected, deadline, now) -> dict:
    title = (title or "").strip()
    requirements = (requirements or "").strip()
    evidence_expected = (evidence_expected or "").strip()
    errors = []
    if not title:
        errors.append(_error("title", "请填写任务名称。"))
    elif len(title) > 200:
        errors.append(_error("title", "任务名称不能超过 200 字。"))
    if not requirements:
        errors.append(_error("requirements", "请填写任务要求。"))
    if len(evidence_expected) > 300:
        errors.append(_error("evidence_expected", "需报送的材料不能超过 300 字。"))
    if deadline is None:
        errors.append(_error("deadline", "请填写完成时限。"))
    elif timezone.is_naive(deadline):
        deadline = timezone.make_aware(deadline)
    if deadline is not None and deadline <= now:
        errors.append(_error("deadline", "完成时限必须晚于现在。"))
    if errors:
        raise DomainError("任务信息不完整或有误。", errors=errors)
    return {"title": title, "requirements": requirements, "evidence_expected": evidence_expected, "deadline": deadline}


def _store_attachments(task: AssignedTask, files: list[uploads.CleanFile]) -> list[TaskAttachment]:
    rows = []
    for f in files:
        row = TaskAttachment(task=task, name=f.name[:200], content_type=f.content_type, size=len(f.data))
        row.file.save(f.name, ContentFile(f.data), save=False)
        rows.append(row)
    return TaskAttachment.objects.bulk_create(rows)


# --- issuer: draft, issue, cancel, close -------------------------------------------------------


def resolve_targets(issuer: OrgUnit, *, kinds=(), unit_ids=()) -> list[OrgUnit]:
    """The receiving units: every active unit of the issuer's subtree of the chosen ``kinds``
    plus the units picked one by one (each must be an active unit of the subtree, not the
    issuer). At least one. Two queries at most."""
    kinds = [k for k in (kinds or []) if k]
    bad_kinds = [k for k in kinds if k not in dict(TARGET_KINDS)]
    if bad_kinds:
        raise DomainError("承办单位类型无效。", errors=[_error("target_kinds", f"未知类型：{'、'.join(bad_kinds)}")])
    try:
        ids = {int(i) for i in (unit_ids or []) if i not in ("", None)}
    except (TypeError, ValueError):
        raise DomainError("承办单位无效。", errors=[_error("target_units", "承办单位编号无效")]) from None
    if issuer.pk in ids:
        raise DomainError("不能把任务下发给本单位自己。", errors=[_error("target_units", "不能选择下发单位本身")])
    candidates = target_candidates(issuer)
    chosen: dict[int, OrgUnit] = {}
    if ids:
        picked = {u.pk: u for u in candidates.filter(pk__in=ids)}
        missing = ids - set(picked)
        if missing:
            raise DomainError(
                "所选承办单位不在本单位的下级范围内或已撤销。",
                errors=[_error("target_units", f"无效的单位：{', '.join(map(str, sorted(missing)))}")],
            )
        chosen.update(picked)
    if kinds:
        chosen.update({u.pk: u for u in candidates.filter(kind__in=kinds)})
    if not chosen:
        raise DomainError("请至少选择一个承办单位。", errors=[_error("target_units", "请至少选择一个承办单位")])
    return sorted(chosen.values(), key=lambda u: u.path)


def task_create(
    *,
    actor,
    issuer_id,
    title,
    requirements,
    deadline,
    evidence_expected="",
    files=(),
    issue=False,
    target_kinds=(),
    target_unit_ids=(),
    now=None,
) -> AssignedTask:
    """Save a task as a DRAFT of ``issuer`` (``add_assignedtask`` there); with ``issue`` also issue
    it at once to the chosen targets (same transaction: nothing is saved if the targets are wrong)."""
    now = now or timezone.now()
    issuer = _issuer_for(actor, issuer_id)
    data = _check_fields(
        title=title, requirements=requirements, evidence_expected=evidence_expected, deadline=deadline, now=now
    )
    clean = uploads.clean_uploads(files)
    with transaction.atomic():
        task = AssignedTask.objects.create(issuer=issuer, created_by=actor, created_at=now, **data)
        stored = _store_attachments(task, clean)
        audit_record(
            actor=actor,
            action="worktasks.assignedtask.create",
            target=task,
            changes={**snapshot(task, ("issuer_id", *TASK_FIELDS)), "attachments": [a.name for a in stored]},
        )
        if issue:
            task = task_issue(
                actor=actor, task_id=task.pk, target_kinds=target_kinds, target_unit_ids=target_unit_ids, now=now
            )
    return task


def task_update(
    *, actor, task_id, title, requirements, deadline, evidence_expected="", files=(), remove_attachment_ids=(), now=None
) -> AssignedTask:
    """Edit a DRAFT (an issued task is what the units received: it is not edited)."""
    now = now or timezone.now()
    task = access_task(actor, task_id, action=ADD_PERM)
    data = _check_fields(
        title=title, requirements=requirements, evidence_expected=evidence_expected, deadline=deadline, now=now
    )
    clean = uploads.clean_uploads(files)
    with transaction.atomic():
        task = AssignedTask.objects.select_for_update().select_related("issuer").get(pk=task.pk)
        if task.status != TaskStatus.DRAFT:
            raise ConflictError("任务已下发（或已结束），不能再修改；如需变更请撤销后重新下发。")
        before = snapshot(task, TASK_FIELDS)
        for name, value in data.items():
            setattr(task, name, value)
        task.save(update_fields=list(TASK_FIELDS))
        removed = list(task.attachments.filter(pk__in=[int(i) for i in remove_attachment_ids or []]))
        for a in removed:
            a.delete()
        stored = _store_attachments(task, clean)
        changes = field_changes(before, task, fields=TASK_FIELDS)
        if stored:
            changes["attachments_added"] = [a.name for a in stored]
        if removed:
            changes["attachments_removed"] = [a.name for a in removed]
        audit_record(actor=actor, action="worktasks.assignedtask.update", target=task, changes=changes)
    return task


def task_issue(*, actor, task_id, target_kinds=(), target_unit_ids=(), now=None) -> AssignedTask:
    """DRAFT → ISSUED: one ``TaskTarget`` per chosen unit (one bulk insert, one audit event with
    the count and unit ids); each unit's officers are told once the transaction commits."""
    now = now or timezone.now()
    task = access_task(actor, task_id, action=ADD_PERM)
    with transaction.atomic():
        task = AssignedTask.objects.select_for_update().select_related("issuer").get(pk=task.pk)
        if task.status != TaskStatus.DRAFT:
            raise ConflictError(f"任务当前状态为“{task.get_status_display()}”，只有草稿可以下发。")
        if task.deadline <= now:
            raise DomainError(
                "完成时限已过，请先修改完成时限再下发。", errors=[_error("deadline", "完成时限必须晚于现在")]
            )
        units = resolve_targets(task.issuer, kinds=target_kinds, unit_ids=target_unit_ids)
        targets = TaskTarget.objects.bulk_create([TaskTarget(task=task, unit=u) for u in units], batch_size=1000)
        if any(t.pk is None for t in targets):  # backends without RETURNING
            targets = list(task.targets.select_related("unit"))
        else:
            for t, u in zip(targets, units, strict=True):
                t.unit = u
        task.status = TaskStatus.ISSUED
        task.issued_at = now
        task.save(update_fields=["status", "issued_at"])
        audit_record(
            actor=actor,
            action="worktasks.assignedtask.issue",
            target=task,
            changes={"targets": len(units), "unit_ids": [u.pk for u in units]},
        )
        deadline = timezone.localtime(task.deadline)
        _later(
            lambda: _notify_units(
                targets,
                title=f"新任务：{task.title}",
                body=f"{task.issuer.name}下发任务，完成时限 {deadline:%Y-%m-%d %H:%M}。",
                actor=actor,
                task=task,
            )
        )
    return task


def task_cancel(*, actor, task_id, reason) -> AssignedTask:
    """DRAFT/ISSUED → CANCELLED with a reason; the receiving units are told."""
    reason = (reason or "").strip()
    task = access_task(actor, task_id, action=ADD_PERM)
    if not reason:
        raise DomainError("请填写撤销原因。", errors=[_error("reason", "请填写撤销原因")])
    if len(reason) > 200:
        raise DomainError("撤销原因不能超过 200 字。", errors=[_error("reason", "不能超过 200 字")])
    with transaction.atomic():
        task = AssignedTask.objects.select_for_update().select_related("issuer").get(pk=task.pk)
        if task.status not in (TaskStatus.DRAFT, TaskStatus.ISSUED):
            raise ConflictError(f"任务当前状态为“{task.get_status_display()}”，不能撤销。")
        before = snapshot(task, ("status",))
        task.status = TaskStatus.CANCELLED
        task.cancel_reason = reason
        task.save(update_fields=["status", "cancel_reason"])
        audit_record(
            actor=actor,
            action="worktasks.assignedtask.cancel",
            target=task,
            changes={**field_changes(before, task, fields=("status",)), "reason": {"new": reason}},
        )
        targets = list(task.targets.select_related("unit"))
        if targets:
            _later(
                lambda: _notify_units(
                    targets, title=f"任务已撤销：{task.title}", body=f"撤销原因：{reason}", actor=actor, task=task
                )
            )
    return task


def task_close(*, actor, task_id, now=None) -> AssignedTask:
    """ISSUED → CLOSED: no more reports; submissions already in may still be reviewed."""
    now = now or timezone.now()
    task = access_task(actor, task_id, action=ADD_PERM)
    with transaction.atomic():
        task = AssignedTask.objects.select_for_update().select_related("issuer").get(pk=task.pk)
        if task.status != TaskStatus.ISSUED:
            raise ConflictError(f"任务当前状态为“{task.get_status_display()}”，只有已下发的任务可以结束。")
        task.status = TaskStatus.CLOSED
        task.closed_at = now
        task.save(update_fields=["status", "closed_at"])
        audit_record(
            actor=actor, action="worktasks.assignedtask.close", target=task, changes={"status": ["issued", "closed"]}
        )
    return task


# --- receiving unit: receive, assign, report, submit --------------------------------------------


def _locked_target(target: TaskTarget) -> TaskTarget:
    locked = (
        TaskTarget.objects.select_for_update(of=("self",))
        .select_related("task", "task__issuer", "unit", "responsible")
        .get(pk=target.pk)
    )
    return locked


def _check_open(target: TaskTarget, what: str) -> None:
    task = target.task
    if task.status == TaskStatus.CANCELLED:
        raise ConflictError(f"任务已撤销，不能{what}。")
    if task.status == TaskStatus.CLOSED:
        raise ConflictError(f"任务已结束，不能再{what}。")
    if target.status == TargetStatus.SUBMITTED:
        raise ConflictError(f"已报送完成，正在等待审核，不能{what}。")
    if target.status == TargetStatus.ACCEPTED:
        raise ConflictError(f"任务已审核通过，不能再{what}。")


def _mark_received(target: TaskTarget, now) -> None:
    if target.received_at is None:
        target.received_at = now
    if target.status == TargetStatus.ISSUED:
        target.status = TargetStatus.RECEIVED


def target_open(*, actor, target: TaskTarget, now=None) -> TaskTarget:
    """Opening a target marks it received (ISSUED → RECEIVED) when the viewer handles the unit's
    tasks; the issuer's reviewers looking at it do not (they hold both permissions above the unit).
    Audited once; a no-op otherwise."""
    if target.status != TargetStatus.ISSUED or not can_handle(actor, target) or can_review(actor, target):
        return target
    if target.task.status != TaskStatus.ISSUED:
        return target
    now = now or timezone.now()
    with transaction.atomic():
        updated = TaskTarget.objects.filter(pk=target.pk, status=TargetStatus.ISSUED).update(
            status=TargetStatus.RECEIVED, received_at=now
        )
        if updated:
            target.status, target.received_at = TargetStatus.RECEIVED, now
            audit_record(
                actor=actor,
                action="worktasks.tasktarget.receive",
                target=target,
                changes={"status": ["issued", "received"]},
            )
    return target


def target_receive(*, actor, target_id, now=None) -> TaskTarget:
    """Explicitly receive (the API's counterpart of opening the page): only from ISSUED."""
    target = access_target(actor, target_id, action=HANDLE_PERM)
    if target.status != TargetStatus.ISSUED:
        raise ConflictError(f"当前状态为“{target.get_status_display()}”，已经接收过了。")
    _check_open(target, "接收")
    return target_open(actor=actor, target=target, now=now)


def assignable_people(target: TaskTarget):
    """People on the roster of the receiving unit's subtree."""
    return (
        Person.objects.filter(roster_status=RosterStatus.ACTIVE, unit__path__startswith=target.unit.path)
        .select_related("unit")
        .order_by("unit__path", "name", "pk")
    )


def target_assign(*, actor, target_id, person_id, now=None) -> TaskTarget:
    """Name the responsible person (on the roster of the unit's subtree); RECEIVED → IN_PROGRESS."""
    now = now or timezone.now()
    target = access_target(actor, target_id, action=HANDLE_PERM)
    with transaction.atomic():
        target = _locked_target(target)
        _check_open(target, "指定责任人")
        try:
            person = assignable_people(target).get(pk=int(person_id))
        except (Person.DoesNotExist, TypeError, ValueError):
            raise DomainError(
                "责任人必须是本单位（含下级）在册人员。", errors=[_error("person", "请选择本单位在册人员")]
            ) from None
        before = snapshot(target, ("status", "responsible_id"))
        _mark_received(target, now)
        target.responsible = person
        if target.status == TargetStatus.RECEIVED:
            target.status = TargetStatus.IN_PROGRESS
        target.save(update_fields=["status", "responsible", "received_at"])
        audit_record(
            actor=actor,
            action="worktasks.tasktarget.assign",
            target=target,
            changes=field_changes(before, snapshot(target, ("status", "responsible_id")), fields=before),
        )
        if person.user_id and person.user_id != actor.pk:
            task, url = target.task, target_url(target.pk)
            _later(
                lambda: notify(
                    recipients=[person.user_id],
                    category=Category.TASK,
                    title=f"您被指定为任务责任人：{task.title}",
                    body=f"{target.unit.name}承办，完成时限 {timezone.localtime(task.deadline):%Y-%m-%d %H:%M}。",
                    url=url,
                    actor=actor,
                )
            )
    return target


def _check_text(text, field: str = "text", label: str = "内容") -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError(f"请填写{label}。", errors=[_error(field, f"请填写{label}")])
    if len(text) > 5000:
        raise DomainError(f"{label}不能超过 5000 字。", errors=[_error(field, "不能超过 5000 字")])
    return text


def target_report(*, actor, target_id, text, progress, now=None) -> TaskReport:
    """A progress report: text and a percentage 0–100, never lower than the last one."""
    now = now or timezone.now()
    target = access_target(actor, target_id, action=HANDLE_PERM)
    text = _check_text(text, label="进展情况")
    try:
        progress = int(progress)
    except (TypeError, ValueError):
        raise DomainError("进度必须是 0 到 100 的整数。", errors=[_error("progress", "0–100 的整数")]) from None
    if not 0 <= progress <= 100:
        raise DomainError("进度必须是 0 到 100 的整数。", errors=[_error("progress", "0–100 的整数")])
    with transaction.atomic():
        target = _locked_target(target)
        _check_open(target, "报告进展")
        if progress < target.progress:
            raise DomainError(
                f"进度不能低于上次报告的 {target.progress}%。",
                errors=[_error("progress", f"不能低于 {target.progress}%")],
            )
        before = snapshot(target, ("status", "progress"))
        _mark_received(target, now)
        if target.status == TargetStatus.RECEIVED:
            target.status = TargetStatus.IN_PROGRESS
        target.progress = progress
        target.save(update_fields=["status", "progress", "received_at"])
        report = TaskReport.objects.create(
            target=target, kind=ReportKind.PROGRESS, text=text, progress=progress, submitted_by=actor, submitted_at=now
        )
        audit_record(
            actor=actor,
            action="worktasks.tasktarget.report",
            target=target,
            changes={**field_changes(before, target, fields=("status", "progress")), "report_id": report.pk},
        )
    return report


def target_submit(*, actor, target_id, text, files=(), now=None) -> TaskReport:
    """The completion report with evidence files (at least one when the task names the evidence
    expected) → SUBMITTED; the issuer's reviewers are told."""
    now = now or timezone.now()
    target = access_target(actor, target_id, action=HANDLE_PERM)
    text = _check_text(text, label="完成情况")
    clean = uploads.clean_uploads(files)
    with transaction.atomic():
        target = _locked_target(target)
        _check_open(target, "报送")
        task = target.task
        if task.evidence_expected and not clean:
            raise DomainError(
                f"请上传佐证材料（{task.evidence_expected}）。", errors=[_error("files", "请至少上传一个佐证材料")]
            )
        before = snapshot(target, ("status", "progress"))
        _mark_received(target, now)
        report = TaskReport.objects.create(
            target=target, kind=ReportKind.COMPLETION, text=text, progress=100, submitted_by=actor, submitted_at=now
        )
        rows = []
        for f in clean:
            row = TaskEvidence(report=report, name=f.name[:200], content_type=f.content_type, size=len(f.data))
            row.file.save(f.name, ContentFile(f.data), save=False)
            rows.append(row)
        TaskEvidence.objects.bulk_create(rows)
        target.status = TargetStatus.SUBMITTED
        target.submitted_at = now
        target.progress = 100
        target.save(update_fields=["status", "progress", "received_at", "submitted_at"])
        audit_record(
            actor=actor,
            action="worktasks.tasktarget.submit",
            target=target,
            changes={
                **field_changes(before, target, fields=("status", "progress")),
                "report_id": report.pk,
                "evidence": [r.name for r in rows],
            },
        )
        recipients = sorted(issuer_recipients(task) - {actor.pk})
        url = target_url(target.pk)
        _later(
            lambda: notify(
                recipients=recipients,
                category=Category.TASK,
                title=f"任务待审核：{task.title}",
                body=f"{target.unit.name}已报送完成情况，请审核。",
                url=url,
                actor=actor,
            )
        )
    return report


# --- issuer: review -------------------------------------------------------------------------------


def target_review(*, actor, target_id, decision, comment="", now=None) -> TaskReview:
    """Accept (→ ACCEPTED, ``on_time`` = submitted at or before the deadline) or return with a
    required comment (→ RETURNED). Only by ``review_tasktarget`` at the issuing unit."""
    now = now or timezone.now()
    target = access_target(actor, target_id)
    if not can_review(actor, target):
        raise PermissionDenied
    comment = (comment or "").strip()
    if decision not in ReviewDecision.values:
        raise DomainError("请选择通过或退回。", errors=[_error("decision", "无效的审核结论")])
    if decision == ReviewDecision.RETURN and not comment:
        raise DomainError("退回时必须填写意见。", errors=[_error("comment", "请填写退回意见")])
    if len(comment) > 500:
        raise DomainError("审核意见不能超过 500 字。", errors=[_error("comment", "不能超过 500 字")])
    with transaction.atomic():
        target = _locked_target(target)
        if target.task.status == TaskStatus.CANCELLED:
            raise ConflictError("任务已撤销，不能审核。")
        if target.status != TargetStatus.SUBMITTED:
            raise ConflictError(f"当前状态为“{target.get_status_display()}”，只有待审核的报送可以审核。")
        before = snapshot(target, ("status", "on_time"))
        if decision == ReviewDecision.ACCEPT:
            target.status = TargetStatus.ACCEPTED
            target.accepted_at = now
            target.on_time = target.submitted_at <= target.task.deadline
        else:
            target.status = TargetStatus.RETURNED
            target.on_time = None
        target.save(update_fields=["status", "accepted_at", "on_time"])
        review = TaskReview.objects.create(target=target, decision=decision, comment=comment, actor=actor, at=now)
        audit_record(
            actor=actor,
            action=f"worktasks.tasktarget.{decision}",
            target=target,
            changes={**field_changes(before, target, fields=("status", "on_time")), "comment": comment},
        )
        title = (
            f"任务已通过审核：{target.task.title}"
            if decision == ReviewDecision.ACCEPT
            else f"任务被退回：{target.task.title}"
        )
        body = comment or "上级已审核通过。"
        _later(lambda: _notify_units([target], title=title, body=body, actor=actor, task=target.task))
    return review


# --- reminders ------------------------------------------------------------------------------------


def send_reminders(*, today: datetime.date | None = None, now=None) -> dict:
    """Daily: remind units that have not submitted 3 days and 1 day before the deadline (by local
    date), and tell the unit and the issuer once when a target becomes overdue. With ``today``
    (the command's ``--date``) "now" is the start of that day. Idempotent: ``reminded_at`` marks
    the last notice; a day's reminder is skipped when it is already that day, the overdue notice
    when it is already after the deadline. Returns the counts sent."""
    if today is not None:
        now = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    now = now or timezone.now()
    today = timezone.localdate(now)
    horizon = timezone.make_aware(
        datetime.datetime.combine(today + datetime.timedelta(days=max(REMIND_DAYS) + 1), datetime.time.min)
    )
    rows = list(
        TaskTarget.objects.filter(
            task__status=TaskStatus.ISSUED, status__in=OPEN_TARGET_STATUSES, task__deadline__lt=horizon
        )
        .select_related("task", "task__issuer", "unit")
        .order_by("task_id", "unit__path")
    )
    due, overdue = [], []
    for t in rows:
        if t.task.deadline < now:
            if t.reminded_at is None or t.reminded_at < t.task.deadline:
                overdue.append(t)
        else:
            left = (timezone.localdate(t.task.deadline) - today).days
            if left in REMIND_DAYS and (t.reminded_at is None or timezone.localdate(t.reminded_at) != today):
                due.append((t, left))
    counts = {"reminders": 0, "overdue": 0, "issuer_notices": 0}
    if not due and not overdue:
        return counts
    holders_by_task: dict[int, dict[int, set[int]]] = {}
    by_task: dict[int, list[TaskTarget]] = defaultdict(list)
    for t in [t for t, _ in due] + overdue:
        by_task[t.task_id].append(t)
    for targets in by_task.values():
        holders_by_task[targets[0].task_id] = nearest_holders(
            [t.unit for t in targets], HANDLE_PERM, floor=targets[0].task.issuer
        )
    with transaction.atomic():
        for t, left in due:
            TaskTarget.objects.filter(pk=t.pk).update(reminded_at=now)
            recipients = sorted(holders_by_task[t.task_id].get(t.unit_id, ()))
            if recipients:
                notify(
                    recipients=recipients,
                    category=Category.TASK,
                    title=f"任务还有 {left} 天到期：{t.task.title}",
                    body=f"完成时限 {timezone.localtime(t.task.deadline):%Y-%m-%d %H:%M}，请及时办理并报送。",
                    url=target_url(t.pk),
                )
            counts["reminders"] += 1
        late_by_task: dict[int, list[TaskTarget]] = defaultdict(list)
        for t in overdue:
            TaskTarget.objects.filter(pk=t.pk).update(reminded_at=now)
            late_by_task[t.task_id].append(t)
            recipients = sorted(holders_by_task[t.task_id].get(t.unit_id, ()))
            if recipients:
                notify(
                    recipients=recipients,
                    category=Category.TASK,
                    title=f"任务已逾期：{t.task.title}",
                    body=f"完成时限 {timezone.localtime(t.task.deadline):%Y-%m-%d %H:%M} 已过，请尽快报送。",
                    url=target_url(t.pk),
                )
            counts["overdue"] += 1
        for targets in late_by_task.values():
            task = targets[0].task
            names = "、".join(t.unit.name for t in targets[:5]) + ("等" if len(targets) > 5 else "")
            notify(
                recipients=sorted(issuer_recipients(task)),
                category=Category.TASK,
                title=f"任务逾期：{task.title}",
                body=f"{len(targets)} 个单位逾期未报送：{names}。",
                url=task_url(task.pk),
            )
            counts["issuer_notices"] += 1
        audit_record(actor=None, action="worktasks.tasktarget.remind", target=None, changes=dict(counts))
    return counts


# --- export ---------------------------------------------------------------------------------------


def task_export(*, actor, task_id, now=None) -> tuple[bytes, AssignedTask]:
    """The task's targets as .xlsx (one row per receiving unit); audited."""
    from openpyxl import Workbook

    now = now or timezone.now()
    task = access_task(actor, task_id)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("承办情况")
    ws.append([f"{task.title}（{task.issuer.name}，完成时限 {timezone.localtime(task.deadline):%Y-%m-%d %H:%M}）"])
    ws.append(["承办单位", "状态", "责任人", "进度（%）", "接收时间", "报送时间", "通过时间", "按时完成", "逾期"])

    def fmt(value):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""

    rows = 0
    qs = task.targets.select_related("unit", "responsible").order_by("unit__path", "pk")
    for t in qs.iterator(chunk_size=2000):
        t.task = task
        ws.append(
            [
                t.unit.name,
                t.get_status_display(),
                t.responsible.name if t.responsible_id else "",
                t.progress,
                fmt(t.received_at),
                fmt(t.submitted_at),
                fmt(t.accepted_at),
                {True: "是", False: "否"}.get(t.on_time, ""),
                "是" if is_overdue(t, now) else "",
            ]
        )
        rows += 1
    buffer = io.BytesIO()
    wb.save(buffer)
    audit_record(actor=actor, action="worktasks.assignedtask.export", target=task, changes={"rows": rows})
    return buffer.getvalue(), task


def attachment_for_download(user, attachment_id) -> TaskAttachment:
    """An attachment of a task the user sees as issuer, or as a receiving unit (a target of the
    task in their ``view_tasktarget`` scope); 404 otherwise."""
    from .selectors import visible_tasks_q

    try:
        return TaskAttachment.objects.filter(visible_tasks_q(user, "task")).distinct().get(pk=int(attachment_id))
    except (TaskAttachment.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def evidence_for_download(user, evidence_id) -> TaskEvidence:
    """Evidence of a target the user sees (receiving unit or issuer above it); 404 otherwise."""
    visible = TaskTarget.objects.restrict(user, VIEW_TARGET_PERM).values("pk")
    try:
        return TaskEvidence.objects.filter(report__target__in=visible).get(pk=int(evidence_id))
    except (TaskEvidence.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
