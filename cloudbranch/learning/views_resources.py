"""Pages of the resources area: the member's study home, the resource library and reading page,
heartbeats, the study record and certificate; managers' resource and topic pages.

Thin: reads through ``resources`` / ``tracking`` selectors, writes through their services;
DomainError → message on the page, 422 (409 for a conflict), nothing written.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.core.ranged import ranged_file_response
from cloudbranch.orgs.scoping import holds, requires_grant

from . import resources as svc
from . import tracking
from .audience import viewer_person
from .choices import Area, Column, PublishStatus, ResourceKind
from .forms_resources import ResourceForm, TopicForm
from .models import KnowledgePoint, TopicItem

PAGE_SIZE = 20


def _url(name: str, *args) -> str | None:
    """The URL of a page another area may not have built yet."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _page(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


# --- member pages -----------------------------------------------------------------------------


@require_GET
def home(request):
    """学习 home on a phone: today's points, the daily quiz and my tasks, recommended reading, and
    the latest of every column."""
    person = svc.require_reader(request.user)
    if person is None:
        return redirect("learning:resource_manage")
    today_points = None
    points_url = _url("points:mine")
    if points_url:
        from cloudbranch.points.models import PointEvent

        today_points = (
            PointEvent.objects.filter(person=person, day=timezone.localdate()).aggregate(s=Sum("points"))["s"] or 0
        )
    today_seconds = person.study_days.filter(day=timezone.localdate()).values_list("seconds", flat=True).first() or 0
    context = {
        "person": person,
        "today_points": today_points,
        "today_minutes": today_seconds // 60,
        "points_url": points_url,
        "daily_url": _url("learning:daily"),
        "tasks_url": _url("learning:my_tasks"),
        "recommended": svc.recommended(person),
        "columns": svc.column_latest(person),
        "can_manage": holds(request.user, svc.VIEW),
    }
    return render(request, "learning/home.html", context)


@require_GET
def resource_list(request):
    svc.require_reader(request.user)
    filters = svc.ResourceFilters.from_params(request.GET)
    page = _page(request, svc.resource_list(request.user, filters))
    context = {
        "page": page,
        "filters": filters,
        "columns": Column.choices,
        "areas": Area.choices,
        "knowledge_points": KnowledgePoint.objects.order_by("position", "name")[:100],
    }
    if request.htmx and request.htmx.target == "resource-results":
        return render(request, "learning/resource_list.html#results", context)
    return render(request, "learning/resource_list.html", context)


@require_GET
def resource_detail(request, resource_id: int):
    resource = svc.access_resource_for_reading(request.user, resource_id)
    person = viewer_person(request.user)
    progress = svc.progress_of(person, resource)
    context = {
        "resource": resource,
        "progress": progress,
        "tracked": person is not None and resource.status == PublishStatus.PUBLISHED,
        "can_change": svc.may_change(request.user, resource),
        "file_url": reverse("learning:resource_file", args=[resource.pk]) if resource.file else "",
        "topics": svc.readable_topics(request.user).filter(items__resource=resource).only("id", "title")[:5],
    }
    return render(request, "learning/resource_detail.html", context)


@require_GET
@xframe_options_sameorigin
def resource_file(request, resource_id: int):
    """The media or PDF of a resource, for those who may read it (404 otherwise), with ranges."""
    resource = svc.access_resource_for_reading(request.user, resource_id)
    if not resource.file:
        raise Http404
    ext = resource.file.name.rsplit(".", 1)[-1].lower() if "." in resource.file.name else ""
    filename = f"{resource.title[:60]}.{ext}" if ext else resource.title[:60]
    return ranged_file_response(
        request,
        resource.file,
        content_type=resource.content_type or "application/octet-stream",
        filename=filename,
        attachment=request.GET.get("download") == "1",
    )


@require_POST
def heartbeat(request, resource_id: int):
    """POST {position, duration} (JSON or form) while the page is visible; answers the progress."""
    resource = svc.access_resource_for_reading(request.user, resource_id)
    person = viewer_person(request.user)
    if person is None or resource.status != PublishStatus.PUBLISHED:
        return JsonResponse({"detail": "只有在册人员学习已发布的资源才记录学习时长", "errors": []}, status=403)
    payload = request.POST
    if request.content_type == "application/json":
        try:
            payload = json.loads(request.body or b"{}")
        except ValueError:
            payload = {}
        if not isinstance(payload, dict):
            payload = {}
    progress = tracking.heartbeat(
        person=person, resource=resource, position=payload.get("position"), duration=payload.get("duration")
    )
    return JsonResponse(_progress_json(progress))


def _progress_json(progress) -> dict:
    return {
        "seconds": progress.seconds,
        "position": progress.position,
        "max_position": progress.max_position,
        "percent": progress.percent,
        "completed": progress.completed_at is not None,
        "completed_at": progress.completed_at.isoformat() if progress.completed_at else None,
    }


@require_GET
def topic_list(request):
    svc.require_reader(request.user)
    page = _page(request, svc.topic_list(request.user))
    return render(request, "learning/topic_list.html", {"page": page, "can_manage": holds(request.user, svc.VIEW)})


@require_GET
def topic_detail(request, topic_id: int):
    topic = svc.access_topic_for_reading(request.user, topic_id)
    person = viewer_person(request.user)
    items = svc.topic_items(request.user, topic)
    done = set()
    if person is not None and items:
        done = set(
            person.study_progress.filter(
                resource_id__in=[i.resource_id for i in items], completed_at__isnull=False
            ).values_list("resource_id", flat=True)
        )
    context = {
        "topic": topic,
        "items": items,
        "done": done,
        "done_count": len(done),
        "can_change": svc.may_change(request.user, topic),
    }
    return render(request, "learning/topic_detail.html", context)


@require_GET
def my_study(request):
    person = viewer_person(request.user)
    if person is None:
        raise PermissionDenied
    record = tracking.study_record(person)
    page = _page(request, tracking.completed_resources(person))
    context = {
        "person": person,
        "record": record,
        "page": page,
        "total_hours": tracking.hours(sum(r.seconds for r in record)),
    }
    return render(request, "learning/study_record.html", context)


@require_http_methods(["GET", "POST"])
def certificate(request, year: int):
    """Printable certificate of study hours; POST (the print button) records the printing."""
    person = viewer_person(request.user)
    if person is None:
        raise PermissionDenied
    if not 2000 <= year <= 2100:
        raise Http404
    if request.method == "POST":
        cert = tracking.certificate_printed(actor=request.user, person=person, year=year)
        autoprint = True
    else:
        cert = tracking.certificate(person, year)
        autoprint = False
    return render(request, "learning/certificate.html", {"cert": cert, "autoprint": autoprint})


# --- managers: resources ----------------------------------------------------------------------


@requires_grant(svc.VIEW)
@require_GET
def resource_manage(request):
    filters = svc.ResourceFilters.from_params(request.GET)
    page = _page(request, svc.manage_resource_list(request.user, filters))
    context = {
        "page": page,
        "filters": filters,
        "columns": Column.choices,
        "kinds": ResourceKind.choices,
        "statuses": PublishStatus.choices,
        "can_add": holds(request.user, svc.ADD),
    }
    return render(request, "learning/resource_manage.html", context)


def _render_form(request, form, *, resource=None, status=200):
    return render(request, "learning/resource_form.html", {"form": form, "resource": resource}, status=status)


@requires_grant(svc.ADD)
@require_http_methods(["GET", "POST"])
def resource_create(request):
    units = svc.manager_units(request.user)
    if request.method == "GET":
        return _render_form(request, ResourceForm(units=units))
    form = ResourceForm(request.POST, request.FILES, units=units)
    if not form.is_valid():
        return _render_form(request, form, status=422)
    try:
        resource = svc.resource_create(
            actor=request.user,
            unit_id=form.cleaned_data["unit_id"],
            data=form.service_data(),
            uploaded_file=request.FILES.get("file"),
            knowledge_points=form.cleaned_data.get("knowledge_points", ""),
        )
    except DomainError as exc:
        apply_domain_error(form, exc)
        return _render_form(request, form, status=exc.status)
    messages.success(request, "资源已保存为草稿，确认无误后请发布。")
    return redirect("learning:resource_edit", resource.pk)


@require_http_methods(["GET", "POST"])
def resource_edit(request, resource_id: int):
    resource = svc.access_resource_for_change(request.user, resource_id)
    units = svc.manager_units(request.user)
    if resource.unit not in units:
        units = [resource.unit, *units]
    if request.method == "GET":
        initial = {
            "unit_id": resource.unit_id,
            "kind": resource.kind,
            "title": resource.title,
            "summary": resource.summary,
            "body": resource.body,
            "external_url": resource.external_url,
            "duration_seconds": resource.duration_seconds,
            "column": resource.column,
            "area": resource.area,
            "knowledge_points": "、".join(resource.knowledge_points.values_list("name", flat=True)),
            "audience": resource.audience,
            "author": resource.author,
            "min_seconds": resource.min_seconds,
            "min_percent": resource.min_percent,
        }
        return _render_form(request, ResourceForm(initial=initial, units=units), resource=resource)
    form = ResourceForm(request.POST, request.FILES, units=units)
    if not form.is_valid():
        return _render_form(request, form, resource=resource, status=422)
    try:
        svc.resource_update(
            actor=request.user,
            resource_id=resource.pk,
            data=form.service_data(),
            uploaded_file=request.FILES.get("file"),
            knowledge_points=form.cleaned_data.get("knowledge_points", ""),
            unit_id=form.cleaned_data["unit_id"],
        )
    except DomainError as exc:
        apply_domain_error(form, exc)
        return _render_form(request, form, resource=resource, status=exc.status)
    messages.success(request, "资源已保存。")
    return redirect("learning:resource_edit", resource.pk)


@require_POST
def resource_publish(request, resource_id: int):
    return _transition(request, resource_id, svc.resource_publish, "资源已发布。")


@require_POST
def resource_withdraw(request, resource_id: int):
    return _transition(request, resource_id, svc.resource_withdraw, "资源已撤回。")


def _transition(request, resource_id, service, message):
    try:
        service(actor=request.user, resource_id=resource_id)
    except DomainError as exc:
        messages.error(request, exc.message)
        resource = svc.access_resource_for_change(request.user, resource_id)
        return render(
            request,
            "learning/resource_form.html",
            {"form": None, "resource": resource, "error": exc.message},
            status=exc.status,
        )
    messages.success(request, message)
    return redirect("learning:resource_edit", resource_id)


# --- managers: topics -------------------------------------------------------------------------


@requires_grant(svc.VIEW)
@require_GET
def topic_manage(request):
    page = _page(request, svc.manage_topic_list(request.user))
    return render(request, "learning/topic_manage.html", {"page": page, "can_add": holds(request.user, svc.ADD)})


@requires_grant(svc.ADD)
@require_http_methods(["GET", "POST"])
def topic_create(request):
    units = svc.manager_units(request.user)
    form = TopicForm(request.POST or None, units=units)
    if request.method == "POST":
        if form.is_valid():
            try:
                topic = svc.topic_create(
                    actor=request.user, unit_id=form.cleaned_data["unit_id"], data=form.cleaned_data
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
                return render(request, "learning/topic_form.html", {"form": form}, status=exc.status)
            messages.success(request, "专题已创建，请添加资源。")
            return redirect("learning:topic_edit", topic.pk)
        return render(request, "learning/topic_form.html", {"form": form}, status=422)
    return render(request, "learning/topic_form.html", {"form": form})


def _topic_edit_context(request, topic, form=None):
    q = (request.GET.get("q") or "").strip()
    candidates = []
    if q:
        filters = svc.ResourceFilters(q=q[:100])
        on_list = TopicItem.objects.filter(topic=topic).values("resource_id")
        candidates = list(svc.manage_resource_list(request.user, filters).exclude(pk__in=on_list)[:20])
    return {
        "topic": topic,
        "form": form
        or TopicForm(
            initial={
                "unit_id": topic.unit_id,
                "title": topic.title,
                "description": topic.description,
                "audience": topic.audience,
            },
            units=[topic.unit],
        ),
        "items": list(TopicItem.objects.filter(topic=topic).select_related("resource").order_by("position")),
        "q": q,
        "candidates": candidates,
    }


@require_http_methods(["GET", "POST"])
def topic_edit(request, topic_id: int):
    topic = svc.access_topic_for_change(request.user, topic_id)
    if request.method == "POST":
        form = TopicForm(request.POST, units=[topic.unit])
        if form.is_valid():
            try:
                svc.topic_update(actor=request.user, topic_id=topic.pk, data=form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
                return render(
                    request, "learning/topic_form.html", _topic_edit_context(request, topic, form), status=exc.status
                )
            messages.success(request, "专题已保存。")
            return redirect("learning:topic_edit", topic.pk)
        return render(request, "learning/topic_form.html", _topic_edit_context(request, topic, form), status=422)
    return render(request, "learning/topic_form.html", _topic_edit_context(request, topic))


@require_POST
def topic_items(request, topic_id: int):
    """Add, remove or move one resource of the reading list (``op`` = add / remove / up / down)."""
    topic = svc.access_topic_for_change(request.user, topic_id)
    op = request.POST.get("op")
    resource_id = request.POST.get("resource_id")
    try:
        if op == "add":
            svc.topic_item_add(actor=request.user, topic_id=topic.pk, resource_id=resource_id)
        elif op == "remove":
            svc.topic_item_remove(actor=request.user, topic_id=topic.pk, resource_id=int(resource_id or 0))
        elif op in ("up", "down"):
            svc.topic_item_move(
                actor=request.user, topic_id=topic.pk, resource_id=int(resource_id or 0), offset=-1 if op == "up" else 1
            )
        elif op == "publish":
            svc.topic_set_status(actor=request.user, topic_id=topic.pk, publish=True)
        elif op == "withdraw":
            svc.topic_set_status(actor=request.user, topic_id=topic.pk, publish=False)
        else:
            raise DomainError("不支持的操作")
    except (ValueError, TypeError):
        raise Http404 from None
    except DomainError as exc:
        context = _topic_edit_context(request, topic) | {"error": exc.message}
        return render(request, "learning/topic_form.html", context, status=exc.status)
    messages.success(request, "专题已更新。")
    return redirect("learning:topic_edit", topic.pk)
