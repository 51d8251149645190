"""Study task pages: managers' list, assignment form, progress per person and per unit, export;
the member's own tasks (phone first). Thin: reads through ``tasks`` selectors, writes through its
services; a broken rule is shown on the page (422, or 409 for a finished task), nothing written."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.orgs.scoping import holds, requires_grant
from cloudbranch.people.models import Person
from cloudbranch.people.selectors import own_person

from . import tasks
from .choices import TaskStatus
from .forms_tasks import CancelForm, ProgressFilterForm, TaskFilterForm, TaskForm

PAGE_SIZE = 20
PEOPLE_LIMIT = 300
STATUS_BADGES = {TaskStatus.ACTIVE: "primary", TaskStatus.CLOSED: "secondary", TaskStatus.CANCELLED: "danger"}
FIELD_MAP = {
    "unit_id": "unit",
    "resource_ids": "resources",
    "paper_id": "paper",
    "person_ids": "people",
    "statuses": "status_group",
}


# --- managers: list --------------------------------------------------------------------------


@require_GET
@requires_grant(tasks.VIEW_PERM)
def task_list(request):
    form = TaskFilterForm(request.GET)
    qs = tasks.task_list(user=request.user, filters=form.filters())
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "badges": STATUS_BADGES,
        "can_add": holds(request.user, tasks.ADD_PERM),
        "today": timezone.localdate(),
    }
    if request.htmx and request.htmx.target == "task-rows":
        return render(request, "learning/task_list.html#rows", context)
    return render(request, "learning/task_list.html", context)


# --- managers: assign ------------------------------------------------------------------------


def _form_unit(request, units):
    raw = request.POST.get("unit") if request.method == "POST" else request.GET.get("unit")
    by_id = {str(u.pk): u for u in units}
    if raw and raw in by_id:
        return by_id[raw]
    return units[0] if units else None


def _render_form(request, form, *, units, unit, status=200):
    people = []
    if unit is not None:
        people = list(
            Person.objects.filter(roster_status="active", unit__path__startswith=unit.path)
            .select_related("unit")
            .order_by("unit__path", "name", "pk")[:PEOPLE_LIMIT]
        )
    chosen = {str(v) for v in (form.data.getlist("people") if form.is_bound else [])}
    picked = {str(v) for v in (form.data.getlist("resources") if form.is_bound else [])}
    context = {
        "form": form,
        "units": units,
        "unit": unit,
        "resources": list(tasks.resource_choices(unit)[:200]) if unit else [],
        "people": people,
        "people_limit": PEOPLE_LIMIT,
        "chosen": chosen,
        "picked": picked,
        "today": timezone.localdate(),
    }
    return render(request, "learning/task_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@requires_grant(tasks.ADD_PERM)
def task_create(request):
    units = list(tasks.assign_units(request.user)[:500])
    unit = _form_unit(request, units)
    papers = list(tasks.paper_choices(unit)[:200]) if unit else []
    form = TaskForm(
        request.POST or None,
        units=units,
        papers=papers,
        initial={"unit": unit.pk if unit else None, "scope": tasks.SCOPE_SUBTREE},
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                task = tasks.task_assign(actor=request.user, **form.service_kwargs())
            except DomainError as exc:
                apply_domain_error(form, exc, field_map=FIELD_MAP, summary=True)
            else:
                count = task.assignees.count()
                messages.success(request, f"已布置学习任务“{task.title}”，共 {count} 人，已通知。")
                return redirect("learning:task", task_id=task.pk)
        return _render_form(request, form, units=units, unit=unit, status=422)
    return _render_form(request, form, units=units, unit=unit)


# --- managers: progress ----------------------------------------------------------------------


@require_GET
def task_detail(request, task_id: int):
    view = tasks.access_task(request.user, task_id)
    task = view.task
    today = timezone.localdate()
    filters = ProgressFilterForm(request.GET)
    status, unit_id = None, None
    if filters.is_valid():
        status, unit_id = filters.cleaned_data.get("status") or None, filters.cleaned_data.get("unit")
    unit = tasks.rollup_unit(view, unit_id) if unit_id else None
    qs = tasks.task_progress(view, status=status, unit=unit, today=today)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = tasks.decorate(page.object_list, task, today=today)
    context = {
        "task": task,
        "view": view,
        "page": page,
        "status": status or "",
        "unit": unit,
        "filters": tasks.PROGRESS_FILTERS,
        "today": today,
        "badges": STATUS_BADGES,
    }
    if request.htmx and request.htmx.target == "progress":
        return render(request, "learning/task_detail.html#progress", context)
    at = unit or task.unit
    context["rollup"] = tasks.task_rollup(view, at=at, today=today)
    context["resources"] = list(task.resources.only("id", "title", "kind"))
    context["days_left"] = (task.deadline - today).days
    context["cancel_form"] = CancelForm()
    return render(request, "learning/task_detail.html", context)


@require_POST
def task_close(request, task_id: int):
    try:
        tasks.task_close(actor=request.user, task_id=task_id)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _detail_with_status(request, task_id, exc.status)
    messages.success(request, "任务已结束。")
    return redirect("learning:task", task_id=task_id)


@require_POST
def task_cancel(request, task_id: int):
    form = CancelForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError("请填写取消原因。", errors=[{"field": "reason", "message": "请填写取消原因"}])
        tasks.task_cancel(actor=request.user, task_id=task_id, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        messages.error(request, exc.message)
        return _detail_with_status(request, task_id, exc.status)
    messages.success(request, "任务已取消。")
    return redirect("learning:task", task_id=task_id)


def _detail_with_status(request, task_id, status):
    request.method = "GET"
    response = task_detail(request, task_id)
    response.status_code = status
    return response


@require_GET
def task_export(request, task_id: int):
    data, task = tasks.task_export(actor=request.user, task_id=task_id)
    response = HttpResponse(data, content_type=tasks.XLSX_TYPE)
    name = quote(f"{task.title}-学习任务完成情况.xlsx")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    return response


# --- members ---------------------------------------------------------------------------------


@require_GET
@login_required
def my_tasks(request):
    person = own_person(request.user)
    context = {"person": person, "today": timezone.localdate()}
    if person is not None:
        open_page = Paginator(tasks.my_assignments(person, done=False), PAGE_SIZE).get_page(request.GET.get("page"))
        done_page = Paginator(tasks.my_assignments(person, done=True), PAGE_SIZE).get_page(request.GET.get("done"))
        open_page.object_list = tasks.with_my_progress(person, open_page.object_list)
        done_page.object_list = tasks.with_my_progress(person, done_page.object_list)
        context |= {"open_page": open_page, "done_page": done_page}
    return render(request, "learning/my_tasks.html", context)
