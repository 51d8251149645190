"""Pages of the attendance area: the student's phone view (my classes, one session, check-in),
the head teacher's QR screen and attendance list, and a student's class hours. Thin: rules live
in ``attendance``, ``hours`` and ``selectors_student``."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core import qrtoken
from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error

from . import access, attendance, hours
from . import selectors_student as sel
from .choices import CheckInMethod, ClassStatus, HourSource, SessionKind
from .forms_attendance import CodeForm, ManualAttendanceForm, ManualHoursForm

PAGE_SIZE = 20
KIND_ICONS = {SessionKind.OFFLINE: "bi-people", SessionKind.ONLINE: "bi-laptop", SessionKind.LIVE: "bi-broadcast"}


def _percent(value, total) -> int:
    if not total:
        return 100
    return max(0, min(100, int(Decimal(value or 0) * 100 / Decimal(total))))


def _status(exc: DomainError) -> int:
    return exc.status if exc.status in (409, 422, 429) else 422


# --- the student's phone view ----------------------------------------------------------------


@login_required
@require_GET
def my(request):
    """My classes with hours progress, today's sessions with a big check-in button, what's next,
    and the online course to continue."""
    user = request.user
    now = timezone.now()
    page = Paginator(sel.my_enrolments(user), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    exams = sel.final_exams(rows[0].person if rows else None, [e.training_class.exam_paper_id for e in rows])
    for e in rows:
        e.percent = _percent(e.hours, e.training_class.pass_hours)
        e.exam = exams.get(e.training_class.exam_paper_id)
        e.exam_action = sel.exam_action(e, e.exam, now)
    page.object_list = rows
    today = list(sel.today_sessions(user, now=now))
    for s in today:
        s.can_checkin = not s.checked_in and attendance.window_open(s, now)
        s.live_now = s.kind == SessionKind.LIVE and attendance.window_open(s, now)
        s.icon = KIND_ICONS.get(s.kind, "bi-journal")
    context = {
        "page": page,
        "today": today,
        "upcoming": list(sel.next_sessions(user, now=now)),
        "continue_item": sel.continue_item(user),
        "now": now,
        "Running": ClassStatus.RUNNING,
    }
    return render(request, "school/my.html", context)


@login_required
@require_GET
def session_detail(request, session_id: int):
    """One session, by kind: offline (time/place, check-in), live (stream link while live,
    check-in, replay afterwards), online (items with my progress and "继续学习")."""
    user = request.user
    session = attendance.session_for_viewer(user, session_id)
    training_class = session.training_class
    now = timezone.now()
    mine = access.enrolment_of(user, training_class)
    credited = []
    if mine is not None:
        mine.training_class = training_class
        credited = hours.catch_up(enrolment=mine, session=session, actor=user, now=now)
        if credited:
            mine.refresh_from_db(fields=["hours"])
    items = []
    if session.kind == SessionKind.ONLINE:
        items = list(sel.session_items(session, mine.person_id if mine else None))
    w = attendance.window(session)
    is_open = attendance.window_open(session, now)
    context = {
        "session": session,
        "tc": training_class,
        "mine": mine,
        "active": mine is not None and mine.status in hours.ACTIVE_STATUSES,
        "running": training_class.status == ClassStatus.RUNNING,
        "manage": access.may_manage(user, training_class),
        "my_attendance": sel.my_attendance(session, mine),
        "window": w,
        "window_open": is_open,
        "before_window": w is not None and now < w[0],
        "after_window": w is not None and now > w[1],
        # The rating page explains what is still missing (attendance, hours) itself.
        "show_rate": mine is not None
        and (session.kind == SessionKind.ONLINE or (session.starts_at is not None and now >= session.starts_at)),
        "show_replay": session.kind == SessionKind.LIVE and session.replay_id and (w is None or now > w[1]),
        "items": items,
        "credited": credited,
        "form": CodeForm(),
        "icon": KIND_ICONS.get(session.kind, "bi-journal"),
        "Kind": SessionKind,
        "now": now,
    }
    return render(request, "school/session_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def checkin(request):
    """Phone-first check-in: the 6-digit code, or the QR scan landing (?t=<token>; the page posts
    the token at once, nothing changes on GET)."""
    form = CodeForm(request.POST if request.method == "POST" else None)
    context = {"token": request.GET.get("t", ""), "result": None, "error": "", "form": form}
    status = 200
    if request.method == "POST":
        token = request.POST.get("token", "").strip()
        try:
            if token:
                result = attendance.checkin_with_token(actor=request.user, token=token)
            else:
                result = attendance.checkin_with_code(actor=request.user, code=request.POST.get("code", ""))
        except DomainError as exc:
            context["error"] = exc.message
            if not token:
                apply_domain_error(form, exc)
            status = _status(exc)
        else:
            context["result"] = result
        context["token"] = ""
    return render(request, "school/checkin.html", context, status=status)


# --- the head teacher's side -------------------------------------------------------------------


def _qr_context(request, session) -> dict:
    now = timezone.now()
    token = attendance.make_token(session, now=now)
    url = request.build_absolute_uri(reverse("school:checkin") + "?t=" + token)
    return {
        "session": session,
        "tc": session.training_class,
        "qr_svg": qrtoken.qr_svg(url),
        "checkin_url": url,
        "seconds_left": attendance.seconds_left_in_slot(now),
        "window_open": attendance.window_open(session, now),
        "running": session.training_class.status == ClassStatus.RUNNING,
        "summary": attendance.attendance_summary(session),
        "Kind": SessionKind,
    }


@login_required
@require_GET
def checkin_screen(request, session_id: int):
    """The head teacher's screen: a QR code changing every 30 s (HTMX polls every 10 s), the
    6-digit code in large digits and the live count."""
    session = attendance.session_for_manager(request.user, session_id)
    return render(request, "school/checkin_screen.html", _qr_context(request, session))


@login_required
@require_GET
def checkin_qr(request, session_id: int):
    session = attendance.session_for_manager(request.user, session_id)
    return render(request, "school/checkin_screen.html#qr", _qr_context(request, session))


def _attendance_page(request, session, *, form=None, status=200) -> HttpResponse:
    page = Paginator(attendance.attendance_rows(session), PAGE_SIZE).get_page(request.GET.get("page"))
    labels = dict(CheckInMethod.choices)
    for row in page.object_list:
        row.method_label = labels.get(row.checkin_method, "")
        row.can_record = row.checked_in_at is None and row.status in hours.ACTIVE_STATUSES
    now = timezone.now()
    w = attendance.window(session)
    context = {
        "session": session,
        "tc": session.training_class,
        "page": page,
        "summary": attendance.attendance_summary(session),
        "form": form or ManualAttendanceForm(),
        "may_record": session.training_class.status == ClassStatus.RUNNING and w is not None and now >= w[0],
    }
    template = "school/attendance.html#list" if request.htmx else "school/attendance.html"
    return render(request, template, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def attendance_list(request, session_id: int):
    """Who checked in, when and how; a manual record with a reason for each student not yet in."""
    session = attendance.session_for_manager(request.user, session_id)
    if request.method == "GET":
        return _attendance_page(request, session)
    form = ManualAttendanceForm(request.POST)
    if not form.is_valid():
        return _attendance_page(request, session, form=form, status=422)
    try:
        row = attendance.attendance_record(
            actor=request.user,
            session_id=session.pk,
            enrolment_id=form.cleaned_data["enrolment"],
            reason=form.cleaned_data["reason"],
        )
    except DomainError as exc:
        apply_domain_error(form, exc, summary=True)
        return _attendance_page(request, session, form=form, status=_status(exc))
    messages.success(request, f"已为 {row.enrolment.person.name} 补记签到。")
    if request.htmx:
        return _attendance_page(request, session)
    return redirect("school:attendance", session.pk)


# --- class hours -----------------------------------------------------------------------------


def _hours_page(request, enrolment, *, form=None, status=200) -> HttpResponse:
    page = Paginator(hours.hour_entries(enrolment), PAGE_SIZE).get_page(request.GET.get("page"))
    tc = enrolment.training_class
    context = {
        "enrolment": enrolment,
        "tc": tc,
        "page": page,
        "percent": _percent(enrolment.hours, tc.pass_hours),
        "by_source": hours.hours_by_source(enrolment),
        "rules": hours.HOUR_RULES,
        "source_labels": dict(HourSource.choices),
        "manage": access.may_manage(request.user, tc),
        "is_self": enrolment.person.user_id == request.user.pk,
        "form": form or ManualHoursForm(),
    }
    template = (
        "school/hours.html#entries" if request.htmx and request.htmx.target == "hour-entries" else "school/hours.html"
    )
    return render(request, template, context, status=status)


@login_required
@require_GET
def hours_list(request, enrolment_id: int):
    """A student's hour entries with their sources (the student, the class's managers and
    viewers, the student's branch secretary; others 404)."""
    enrolment = hours.enrolment_for_viewer(request.user, enrolment_id)
    return _hours_page(request, enrolment)


@login_required
@require_POST
def hours_credit(request, enrolment_id: int):
    enrolment = hours.enrolment_for_viewer(request.user, enrolment_id)
    form = ManualHoursForm(request.POST)
    if not form.is_valid():
        return _hours_page(request, enrolment, form=form, status=422)
    try:
        hours.manual_credit(
            actor=request.user,
            enrolment_id=enrolment.pk,
            hours=form.cleaned_data["hours"],
            reason=form.cleaned_data["reason"],
        )
    except DomainError as exc:
        apply_domain_error(form, exc)
        return _hours_page(request, enrolment, form=form, status=_status(exc))
    messages.success(request, "学时已补记。")
    return redirect("school:hours", enrolment.pk)
