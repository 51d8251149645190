"""Meeting pages: list, form, detail with lifecycle buttons, monthly themes. Thin: reads
through selectors, writes through services; a broken rule is shown on the page (422, or 409
for an illegal transition) and nothing is written."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import can, holds, requires_grant

from . import selectors, services
from .choices import InviteeScope, MeetingStatus
from .forms import CancelForm, MeetingFilterForm, MeetingForm, ThemeForm

PAGE_SIZE = 20
STATUS_BADGES = {
    MeetingStatus.DRAFT: "secondary",
    MeetingStatus.SCHEDULED: "primary",
    MeetingStatus.HELD: "success",
    MeetingStatus.ARCHIVED: "dark",
    MeetingStatus.CANCELLED: "danger",
}
TRANSITION_VIEWS = {
    MeetingStatus.SCHEDULED: ("meetings:schedule", "发布通知", "btn-primary", "bi-send"),
    MeetingStatus.HELD: ("meetings:mark_held", "标记为已召开", "btn-success", "bi-check2-circle"),
    MeetingStatus.ARCHIVED: ("meetings:archive", "归档", "btn-dark", "bi-archive"),
}


# --- list ---------------------------------------------------------------------------------


@require_GET
@requires_grant("meetings.view_meeting")
def meeting_list(request):
    form = MeetingFilterForm(request.GET)
    filters = form.filters()
    qs = selectors.meeting_list(user=request.user, filters=filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "meetings": page.object_list,
        "badges": STATUS_BADGES,
        "can_add": holds(request.user, "meetings.add_meeting"),
    }
    if request.htmx and request.htmx.target == "meeting-rows":
        return render(request, "meetings/meeting_list.html#rows", context)
    context["units"] = list(
        OrgUnit.objects.restrict(request.user, "meetings.view_meeting")
        .filter(status="active")
        .only("id", "name", "code")
        .order_by("path")[:200]
    )
    return render(request, "meetings/meeting_list.html", context)


# --- form ---------------------------------------------------------------------------------


def _form_unit(request, form: MeetingForm, meeting=None) -> OrgUnit | None:
    """The unit whose people, groups and themes the form offers."""
    if meeting is not None:
        return meeting.unit
    raw = form.data.get("unit") if form.is_bound else request.GET.get("unit")
    code = (form.data.get("unit_code") or "").strip() if form.is_bound else ""
    qs = OrgUnit.objects.restrict(request.user, "meetings.add_meeting")
    if code:
        return qs.filter(code__iexact=code).first()
    if raw and str(raw).isdigit():
        return qs.filter(pk=int(raw)).first()
    return form.units[0] if len(form.units) == 1 else None


def _parts_context(unit: OrgUnit | None, month) -> dict:
    return {
        "unit_obj": unit,
        "people": selectors.unit_people(unit),
        "groups": selectors.unit_groups(unit),
        "themes": list(selectors.themes_for_unit(unit, month=month)) if unit else [],
    }


def _form_month(form: MeetingForm, meeting=None):
    if form.is_bound:
        raw = form.data.get("starts_at") or ""
        try:
            return datetime.date.fromisoformat(raw[:10])
        except ValueError:
            return None
    if meeting is not None:
        return timezone.localtime(meeting.starts_at).date()
    return None


def _selected(form: MeetingForm, name: str):
    if form.is_bound:
        if name in ("joint_units", "chosen_people"):
            return [v for v in form.data.getlist(name)]
        return form.data.get(name) or ""
    value = form.initial.get(name)
    if isinstance(value, list):
        return [str(v) for v in value]
    return "" if value is None else str(value)


def _render_form(request, form: MeetingForm, *, meeting=None, status=200):
    unit = _form_unit(request, form, meeting)
    context = {
        "form": form,
        "meeting": meeting,
        "units": form.units,
        "selected": {
            n: _selected(form, n)
            for n in ("unit", "joint_units", "host", "recorder", "invitee_group", "chosen_people", "theme")
        },
        **_parts_context(unit, _form_month(form, meeting)),
    }
    return render(request, "meetings/meeting_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@requires_grant("meetings.add_meeting")
def meeting_create(request):
    units = selectors.meeting_units(request.user)
    initial = {"invitee_scope": InviteeScope.WHOLE_UNIT, "unit": request.GET.get("unit") or ""}
    form = MeetingForm(request.POST or None, user=request.user, units=units, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                meeting = services.meeting_create(actor=request.user, **form.service_kwargs())
            except DomainError as exc:
                apply_domain_error(form, exc, summary=True)
            else:
                messages.success(request, f"已创建会议“{meeting.title}”（草稿）。")
                return redirect("meetings:detail", meeting_id=meeting.pk)
        return _render_form(request, form, status=422)
    return _render_form(request, form)


@require_GET
@requires_grant("meetings.add_meeting")
def meeting_form_parts(request):
    """HTMX fragment: host, recorder, group, chosen people and theme pickers for the chosen unit."""
    code = (request.GET.get("unit_code") or "").strip()
    qs = OrgUnit.objects.restrict(request.user, "meetings.add_meeting")
    raw = request.GET.get("unit") or ""
    unit = qs.filter(code__iexact=code).first() if code else (qs.filter(pk=raw).first() if raw.isdigit() else None)
    month = None
    try:
        month = datetime.date.fromisoformat((request.GET.get("starts_at") or "")[:10])
    except ValueError:
        pass
    context = {
        **_parts_context(unit, month),
        "selected": {n: request.GET.get(n, "") for n in ("host", "recorder", "invitee_group", "theme")}
        | {"chosen_people": request.GET.getlist("chosen_people")},
        "form": MeetingForm(user=request.user),
    }
    return render(request, "meetings/meeting_form.html#unit_parts", context)


@require_http_methods(["GET", "POST"])
def meeting_edit(request, meeting_id: int):
    meeting = selectors.access_meeting_by_id(request.user, meeting_id, action="change")
    form = MeetingForm(request.POST or None, user=request.user, editing=True, initial=MeetingForm.initial_for(meeting))
    if meeting.status not in (MeetingStatus.DRAFT, MeetingStatus.SCHEDULED):
        form.add_error(None, f"{meeting.get_status_display()}的会议不能修改。")
        return _render_form(request, form, meeting=meeting, status=409 if request.method == "POST" else 200)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.meeting_update(actor=request.user, meeting_id=meeting.pk, **form.service_kwargs())
            except DomainError as exc:
                apply_domain_error(form, exc, summary=True)
                return _render_form(request, form, meeting=meeting, status=exc.status)
            else:
                messages.success(request, "已保存。" + ("已通知参会人员。" if meeting.status == "scheduled" else ""))
                return redirect("meetings:detail", meeting_id=meeting.pk)
        return _render_form(request, form, meeting=meeting, status=422)
    return _render_form(request, form, meeting=meeting)


# --- detail and transitions ---------------------------------------------------------------


def _detail_context(request, meeting) -> dict:
    user = request.user
    allowed = services.allowed_transitions(user, meeting)
    return {
        "m": meeting,
        "meeting": meeting,
        "badge": STATUS_BADGES.get(meeting.status, "secondary"),
        "joint_units": selectors.meeting_joint_units(meeting),
        "invitee_count": selectors.meeting_invitee_count(meeting),
        "materials": (meeting.theme.materials.splitlines() if meeting.theme else []),
        "buttons": [(s, *TRANSITION_VIEWS[s]) for s in allowed if s in TRANSITION_VIEWS],
        "can_cancel": MeetingStatus.CANCELLED in allowed,
        "can_edit": bool(allowed) and meeting.status in (MeetingStatus.DRAFT, MeetingStatus.SCHEDULED),
        "cancel_form": CancelForm(),
        "can_add": can(user, "meetings.add_meeting", meeting.unit),
    }


def _meeting_for_detail(user, meeting_id):
    from .models import Meeting

    qs = Meeting.objects.select_related(
        "unit", "theme", "theme__unit", "host", "recorder", "invitee_group", "created_by"
    )
    return selectors.access_meeting_by_id(user, meeting_id, queryset=qs)


@require_GET
def meeting_detail(request, meeting_id: int):
    meeting = _meeting_for_detail(request.user, meeting_id)
    return render(request, "meetings/meeting_detail.html", _detail_context(request, meeting))


def _transition(request, meeting_id: int, service, success: str, **kwargs):
    try:
        meeting = service(actor=request.user, meeting_id=meeting_id, **kwargs)
    except DomainError as exc:
        meeting = _meeting_for_detail(request.user, meeting_id)
        context = _detail_context(request, meeting)
        context["error"] = exc
        if "reason" in kwargs:
            context["cancel_form"] = CancelForm(request.POST)
        return render(request, "meetings/meeting_detail.html", context, status=exc.status)
    messages.success(request, success)
    return redirect("meetings:detail", meeting_id=meeting.pk)


@require_POST
def meeting_schedule(request, meeting_id: int):
    return _transition(request, meeting_id, services.meeting_schedule, "已发布会议通知，参会人员已收到消息。")


@require_POST
def meeting_cancel(request, meeting_id: int):
    form = CancelForm(request.POST)
    reason = form.data.get("reason", "")
    return _transition(request, meeting_id, services.meeting_cancel, "会议已取消。", reason=reason)


@require_POST
def meeting_mark_held(request, meeting_id: int):
    return _transition(request, meeting_id, services.meeting_mark_held, "已标记为已召开。")


@require_POST
def meeting_archive(request, meeting_id: int):
    return _transition(request, meeting_id, services.meeting_archive, "会议已归档，记录转为只读。")


# --- monthly themes -----------------------------------------------------------------------


def _themes_page(request, form: ThemeForm | None = None, status: int = 200):
    qs = selectors.theme_list(user=request.user)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    units = list(selectors.theme_units(request.user))
    if form is None and units:
        form = ThemeForm(initial={"unit": units[0].pk})
    return render(
        request,
        "meetings/theme_list.html",
        {"page": page, "themes": page.object_list, "form": form if units else None, "units": units},
        status=status,
    )


@require_GET
@requires_grant("meetings.view_monthlytheme")
def theme_list(request):
    return _themes_page(request)


@require_POST
@requires_grant("meetings.add_monthlytheme")
def theme_create(request):
    form = ThemeForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            theme = services.monthly_theme_publish(
                actor=request.user,
                unit_id=d["unit"],
                month=d["month"],
                title=d["title"],
                description=d["description"],
                materials=d["materials"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc, summary=True)
            return _themes_page(request, form, status=exc.status)
        messages.success(request, f"已发布 {theme.month:%Y 年 %m 月}主题“{theme.title}”。")
        return redirect("meetings:themes")
    return _themes_page(request, form, status=422)
