"""Task pages: the handler's board and target page, the issuer's list, task page (per-target table,
per-child roll-up, review), forms, downloads, statistics and export. Thin: reads through
``selectors``, writes through ``tasks`` services; a broken rule is shown on the page with status
422 (409 for a transition that does not fit the state) and nothing written."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.orgs.scoping import can, holds, requires_grant

from . import selectors, tasks
from .choices import ReviewDecision, TargetStatus, TaskStatus
from .forms import (
    AssignForm,
    CancelForm,
    IssueForm,
    ReportForm,
    ReviewForm,
    SubmitForm,
    TargetFilterForm,
    TaskFilterForm,
    TaskForm,
)

PAGE_SIZE = 20
CANDIDATE_LIMIT = 500
PEOPLE_LIMIT = 300
FIELD_MAP = {"issuer_id": "issuer"}
STATUS_BADGES = {
    TaskStatus.DRAFT: "secondary",
    TaskStatus.ISSUED: "primary",
    TaskStatus.CLOSED: "dark",
    TaskStatus.CANCELLED: "danger",
    TargetStatus.ISSUED: "warning",
    TargetStatus.RECEIVED: "info",
    TargetStatus.IN_PROGRESS: "primary",
    TargetStatus.SUBMITTED: "secondary",
    TargetStatus.RETURNED: "danger",
    TargetStatus.ACCEPTED: "success",
}


def _may_see_tasks(user) -> bool:
    return holds(user, tasks.VIEW_TARGET_PERM) or holds(user, tasks.VIEW_TASK_PERM)


# --- handler: board and target ---------------------------------------------------------------------


@require_GET
@requires_grant(tasks.VIEW_TARGET_PERM)
def board(request):
    units = selectors.board_units(request.user)
    unit = selectors.board_unit(request.user, request.GET.get("unit"), units)
    if unit is not None and unit not in units:
        units = [*units, unit]
    now = timezone.now()
    context = {"units": units, "unit": unit, "now": now, "badges": STATUS_BADGES, "columns": [], "page": None}
    col = request.GET.get("col", "")
    if unit is not None:
        if col in selectors.COLUMNS:
            qs = selectors.board_targets(request.user, unit, statuses=selectors.COLUMNS[col][1])
            page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
            for c in page.object_list:
                c.overdue = tasks.is_overdue(c, now)
            context.update(page=page, col=col, col_label=selectors.COLUMNS[col][0])
        else:
            context["columns"] = selectors.board(request.user, unit, now=now)
    context["can_issue"] = holds(request.user, tasks.ADD_PERM)
    context["can_view_issued"] = holds(request.user, tasks.VIEW_TASK_PERM)
    return render(request, "worktasks/board.html", context)


def _target_context(request, target, **extra):
    now = timezone.now()
    reports, reviews = selectors.target_history(target)
    handle = tasks.can_handle(request.user, target) and target.task.status == TaskStatus.ISSUED
    editable = handle and target.status not in (TargetStatus.SUBMITTED, TargetStatus.ACCEPTED)
    people = list(tasks.assignable_people(target)[:PEOPLE_LIMIT]) if editable else []
    context = {
        "target": target,
        "task": target.task,
        "attachments": list(target.task.attachments.order_by("pk")),
        "reports": reports,
        "reviews": reviews,
        "overdue": tasks.is_overdue(target, now),
        "editable": editable,
        "can_review": tasks.can_review(request.user, target) and target.status == TargetStatus.SUBMITTED,
        "assign_form": AssignForm(people=people, initial={"person": target.responsible_id}),
        "report_form": ReportForm(initial={"progress": target.progress}, auto_id="report_%s"),
        "submit_form": SubmitForm(auto_id="submit_%s"),
        "review_form": ReviewForm(auto_id="review_%s"),
        "badges": STATUS_BADGES,
        "now": now,
    }
    context.update(extra)
    return context


@require_GET
def target_detail(request, target_id: int):
    target = tasks.access_target(request.user, target_id)
    target = tasks.target_open(actor=request.user, target=target)
    return render(request, "worktasks/target.html", _target_context(request, target))


def _target_refused(request, target_id, exc: DomainError, **forms):
    target = tasks.access_target(request.user, target_id)
    for form in forms.values():
        apply_domain_error(form, exc)
    context = _target_context(request, target, error=exc.message, **forms)
    return render(request, "worktasks/target.html", context, status=exc.status)


@require_POST
def target_assign(request, target_id: int):
    target = tasks.access_target(request.user, target_id, action=tasks.HANDLE_PERM)
    form = AssignForm(request.POST, people=tasks.assignable_people(target)[:PEOPLE_LIMIT])
    try:
        tasks.target_assign(actor=request.user, target_id=target_id, person_id=request.POST.get("person"))
    except DomainError as exc:
        return _target_refused(request, target_id, exc, assign_form=form)
    messages.success(request, "已指定责任人。")
    return redirect("worktasks:target", target_id=target_id)


@require_POST
def target_report(request, target_id: int):
    form = ReportForm(request.POST, auto_id="report_%s")
    try:
        tasks.target_report(
            actor=request.user,
            target_id=target_id,
            text=request.POST.get("text"),
            progress=request.POST.get("progress"),
        )
    except DomainError as exc:
        return _target_refused(request, target_id, exc, report_form=form)
    messages.success(request, "已报告进展。")
    return redirect("worktasks:target", target_id=target_id)


@require_POST
def target_submit(request, target_id: int):
    form = SubmitForm(request.POST, request.FILES, auto_id="submit_%s")
    try:
        tasks.target_submit(
            actor=request.user,
            target_id=target_id,
            text=request.POST.get("text"),
            files=request.FILES.getlist("files"),
        )
    except DomainError as exc:
        return _target_refused(request, target_id, exc, submit_form=form)
    messages.success(request, "已报送完成情况，等待上级审核。")
    return redirect("worktasks:target", target_id=target_id)


@require_POST
def target_review(request, target_id: int):
    form = ReviewForm(request.POST, auto_id="review_%s")
    decision = request.POST.get("decision", "")
    try:
        target = tasks.access_target(request.user, target_id)
        tasks.target_review(
            actor=request.user, target_id=target_id, decision=decision, comment=request.POST.get("comment")
        )
    except DomainError as exc:
        return _target_refused(request, target_id, exc, review_form=form)
    messages.success(request, "已审核通过。" if decision == ReviewDecision.ACCEPT else "已退回，承办单位将重新报送。")
    back = request.POST.get("next", "")
    if back == "task":
        return redirect("worktasks:task", task_id=target.task_id)
    return redirect("worktasks:target", target_id=target_id)


# --- issuer: list, task page, forms, transitions -------------------------------------------------


@require_GET
@requires_grant(tasks.VIEW_TASK_PERM)
def issued(request):
    form = TaskFilterForm(request.GET)
    qs = selectors.issued_tasks(request.user, filters=form.filters())
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "badges": STATUS_BADGES, "can_add": holds(request.user, tasks.ADD_PERM)}
    return render(request, "worktasks/issued.html", context)


def _task_context(request, task, **extra):
    now = timezone.now()
    filter_form = TargetFilterForm(request.GET)
    status = filter_form.status_value()
    page = Paginator(selectors.task_targets(task, status=status), PAGE_SIZE).get_page(request.GET.get("page"))
    for t in page.object_list:
        t.task = task
        t.overdue = tasks.is_overdue(t, now)
    may_change = can(request.user, tasks.ADD_PERM, task.issuer)
    context = {
        "task": task,
        "page": page,
        "status": status,
        "status_choices": filter_form.fields["status"].choices,
        "counts": selectors.target_status_counts(task) if task.status != TaskStatus.DRAFT else {},
        "rollup": selectors.task_rollup(task, now=now) if task.status != TaskStatus.DRAFT else None,
        "attachments": list(task.attachments.order_by("pk")),
        "may_change": may_change,
        "may_review": can(request.user, tasks.REVIEW_PERM, task.issuer),
        "badges": STATUS_BADGES,
        "target_kinds": tasks.TARGET_KINDS,
        "now": now,
    }
    if task.status == TaskStatus.DRAFT and may_change:
        context["candidates"] = list(tasks.target_candidates(task.issuer)[:CANDIDATE_LIMIT])
    context.update(extra)
    return context


@require_GET
def task_detail(request, task_id: int):
    task = tasks.access_task(request.user, task_id)
    return render(request, "worktasks/task.html", _task_context(request, task))


def _task_refused(request, task_id, exc: DomainError):
    task = tasks.access_task(request.user, task_id)
    return render(request, "worktasks/task.html", _task_context(request, task, error=exc.message), status=exc.status)


def _render_form(request, form, *, task=None, status=200, error=""):
    return render(request, "worktasks/task_form.html", {"form": form, "task": task, "error": error}, status=status)


@require_http_methods(["GET", "POST"])
@requires_grant(tasks.ADD_PERM)
def task_create(request):
    issuers = list(tasks.issuable_units(request.user)[:CANDIDATE_LIMIT])
    raw = request.POST.get("issuer") or request.GET.get("issuer")
    issuer = next((u for u in issuers if str(u.pk) == str(raw)), issuers[0] if issuers else None)
    candidates = list(tasks.target_candidates(issuer)[:CANDIDATE_LIMIT]) if issuer else []
    form = TaskForm(
        request.POST if request.method == "POST" else None,
        request.FILES or None,
        issuers=issuers,
        candidates=candidates,
        initial={"issuer": issuer.pk if issuer else None},
    )
    if request.method == "POST":
        if form.is_valid():
            issue = request.POST.get("action") == "issue"
            try:
                task = tasks.task_create(
                    actor=request.user,
                    issue=issue,
                    target_kinds=form.cleaned_data["target_kinds"],
                    target_unit_ids=form.cleaned_data["target_units"],
                    **form.service_kwargs(),
                )
            except DomainError as exc:
                apply_domain_error(form, exc, field_map=FIELD_MAP, summary=True)
                return _render_form(request, form, status=exc.status)
            messages.success(request, f"任务“{task.title}”已下发。" if issue else f"任务“{task.title}”已保存为草稿。")
            return redirect("worktasks:task", task_id=task.pk)
        return _render_form(request, form, status=422)
    return _render_form(request, form)


@require_http_methods(["GET", "POST"])
def task_edit(request, task_id: int):
    task = tasks.access_task(request.user, task_id, action=tasks.ADD_PERM)
    initial = {
        "title": task.title,
        "requirements": task.requirements,
        "evidence_expected": task.evidence_expected,
        "deadline": timezone.localtime(task.deadline),
    }
    form = TaskForm(
        request.POST if request.method == "POST" else None, request.FILES or None, editing=True, initial=initial
    )
    if task.status != TaskStatus.DRAFT:
        return _render_form(request, form, task=task, status=409, error="任务已下发（或已结束），不能再修改。")
    if request.method == "POST":
        if form.is_valid():
            try:
                tasks.task_update(
                    actor=request.user,
                    task_id=task.pk,
                    remove_attachment_ids=request.POST.getlist("remove_attachments"),
                    **form.service_kwargs(),
                )
            except DomainError as exc:
                apply_domain_error(form, exc, summary=True)
                return _render_form(request, form, task=task, status=exc.status)
            messages.success(request, "草稿已保存。")
            return redirect("worktasks:task", task_id=task.pk)
        return _render_form(request, form, task=task, status=422)
    return _render_form(request, form, task=task)


@require_POST
def task_issue(request, task_id: int):
    task = tasks.access_task(request.user, task_id, action=tasks.ADD_PERM)
    form = IssueForm(request.POST, candidates=tasks.target_candidates(task.issuer))
    form.is_valid()
    try:
        task = tasks.task_issue(
            actor=request.user,
            task_id=task_id,
            target_kinds=request.POST.getlist("target_kinds"),
            target_unit_ids=request.POST.getlist("target_units"),
        )
    except DomainError as exc:
        return _task_refused(request, task_id, exc)
    messages.success(request, f"任务已下发给 {task.targets.count()} 个单位。")
    return redirect("worktasks:task", task_id=task_id)


@require_POST
def task_cancel(request, task_id: int):
    form = CancelForm(request.POST)
    form.is_valid()
    try:
        tasks.task_cancel(actor=request.user, task_id=task_id, reason=request.POST.get("reason"))
    except DomainError as exc:
        return _task_refused(request, task_id, exc)
    messages.success(request, "任务已撤销，已通知承办单位。")
    return redirect("worktasks:task", task_id=task_id)


@require_POST
def task_close(request, task_id: int):
    try:
        tasks.task_close(actor=request.user, task_id=task_id)
    except DomainError as exc:
        return _task_refused(request, task_id, exc)
    messages.success(request, "任务已结束，不再接受报送。")
    return redirect("worktasks:task", task_id=task_id)


@require_GET
def task_export(request, task_id: int):
    data, task = tasks.task_export(actor=request.user, task_id=task_id)
    response = HttpResponse(data, content_type=tasks.XLSX_TYPE)
    name = f"任务承办情况-{task.pk}.xlsx"
    response["Content-Disposition"] = f"attachment; filename=\"task-{task.pk}.xlsx\"; filename*=UTF-8''{quote(name)}"
    return response


# --- downloads and statistics ----------------------------------------------------------------------


def _download(row):
    response = FileResponse(row.file.open("rb"), as_attachment=True, filename=row.name, content_type=row.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_GET
def attachment_download(request, attachment_id: int):
    return _download(tasks.attachment_for_download(request.user, attachment_id))


@require_GET
def evidence_download(request, evidence_id: int):
    return _download(tasks.evidence_for_download(request.user, evidence_id))


@require_GET
@requires_grant(tasks.VIEW_TARGET_PERM)
def stats(request):
    tops = selectors.stats_units(request.user)
    unit = selectors.stats_unit(request.user, request.GET.get("unit"), tops)
    rollup = selectors.subtree_stats(request.user, unit) if unit is not None else None
    context = {
        "tops": tops,
        "unit": unit,
        "rollup": rollup,
        "can_view_issued": holds(request.user, tasks.VIEW_TASK_PERM),
    }
    return render(request, "worktasks/stats.html", context)
