"""Attendance pages: the panel on the meeting page, the host's QR screen, the member's phone
check-in, leave requests and "my meetings". Thin: rules live in attendance.py and checkin.py."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core import qrtoken
from cloudbranch.core.errors import DomainError

from . import attendance, checkin
from .choices import AttendanceStatus, MeetingStatus

PAGE_SIZE = 20
PANEL = "meetings/attendance_panel.html"


def _panel_context(request, meeting, mine, *, error: str = "", form_errors: dict | None = None) -> dict:
    user = request.user
    host = attendance.is_host_side(user, meeting)
    now = timezone.now()
    context = {
        "meeting": meeting,
        "mine": mine,
        "host": host,
        "error": error,
        "form_errors": form_errors or {},
        "window_open": checkin.window_open(meeting, now),
        "can_request_leave": (
            mine is not None
            and meeting.status == MeetingStatus.SCHEDULED
            and now < meeting.starts_at
            and mine.status not in (AttendanceStatus.PRESENT, AttendanceStatus.LEAVE_APPROVED)
        ),
        "meeting_open": meeting.status in attendance.OPEN_STATUSES,
        # Once held, whoever neither checked in nor had leave approved counts as absent (as the
        # summary counts them), whatever their row still says.
        "meeting_over": meeting.status in (MeetingStatus.HELD, MeetingStatus.ARCHIVED),
        "Status": AttendanceStatus,
    }
    context["summary"] = attendance.attendance_summary(meeting)
    if host:
        rows = attendance.invitee_list(user=user, meeting=meeting)
        status = request.GET.get("status", "")
        if status in AttendanceStatus.values:
            rows = rows.filter(status=status)
        context["status_filter"] = status
        context["statuses"] = AttendanceStatus.choices
        context["page"] = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return context


def _render_panel(request, meeting, mine, *, status: int = 200, **extra) -> HttpResponse:
    context = _panel_context(request, meeting, mine, **extra)
    template = f"{PANEL}#panel" if request.htmx else PANEL
    return render(request, template, context, status=status)


@require_GET
def attendance_panel(request, meeting_id: int):
    """HTMX fragment on the meeting page; a plain invitee sees his own status and the leave form."""
    meeting, mine = attendance.access_meeting(request.user, meeting_id)
    return _render_panel(request, meeting, mine)


def _back(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


@require_POST
def leave_request(request, meeting_id: int):
    meeting, mine = attendance.access_meeting(request.user, meeting_id)
    try:
        attendance.leave_request(actor=request.user, meeting_id=meeting.pk, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        if request.htmx:
            mine = attendance.own_invitee(request.user, meeting)
            return _render_panel(request, meeting, mine, status=422, error=exc.message)
        messages.error(request, exc.message)
        return redirect(_back(request, reverse("meetings:my_meetings")))
    if request.htmx:
        mine = attendance.own_invitee(request.user, meeting)
        return _render_panel(request, meeting, mine)
    messages.success(request, "请假申请已提交，请等待审批。")
    return redirect(_back(request, reverse("meetings:my_meetings")))


def _after_host_action(request, invitee, *, ok: str, exc: DomainError | None = None) -> HttpResponse:
    meeting = invitee.meeting
    if request.htmx:
        mine = attendance.own_invitee(request.user, meeting)
        if exc is not None:
            return _render_panel(request, meeting, mine, status=422, error=exc.message)
        return _render_panel(request, meeting, mine)
    if exc is not None:
        messages.error(request, exc.message)
    else:
        messages.success(request, ok)
    return redirect(_back(request, reverse("meetings:attendance_panel", args=[meeting.pk])))


@require_POST
def leave_decide(request, invitee_id: int):
    invitee = attendance.access_invitee(request.user, invitee_id, host=True)
    approve = request.POST.get("decision") == "approve"
    try:
        invitee = attendance.leave_decide(actor=request.user, invitee_id=invitee.pk, approve=approve)
    except DomainError as exc:
        return _after_host_action(request, invitee, ok="", exc=exc)
    verdict = "已批准" if approve else "已驳回"
    return _after_host_action(request, invitee, ok=f"{invitee.person.name} 的请假{verdict}。")


@require_POST
def mark_attendance(request, invitee_id: int):
    invitee = attendance.access_invitee(request.user, invitee_id, host=True)
    try:
        invitee = attendance.mark_attendance(
            actor=request.user,
            invitee_id=invitee.pk,
            status=request.POST.get("status", ""),
            reason=request.POST.get("reason", ""),
        )
    except DomainError as exc:
        return _after_host_action(request, invitee, ok="", exc=exc)
    return _after_host_action(request, invitee, ok=f"已将 {invitee.person.name} 标记为{invitee.get_status_display()}。")


def _qr_context(request, meeting) -> dict:
    now = timezone.now()
    token = checkin.make_token(meeting, now=now)
    url = request.build_absolute_uri(reverse("meetings:checkin") + "?t=" + token)
    return {
        "meeting": meeting,
        "qr_svg": qrtoken.qr_svg(url),
        "checkin_url": url,
        "seconds_left": checkin.seconds_left_in_slot(now),
        "window_open": checkin.window_open(meeting, now),
        "summary": attendance.attendance_summary(meeting),
        "now": now,
    }


@require_GET
def checkin_screen(request, meeting_id: int):
    """The host's screen: a QR code that changes every 30 seconds (HTMX polls the fragment) and
    the 6-digit code in large digits."""
    meeting, _mine = attendance.access_meeting(request.user, meeting_id, host=True)
    return render(request, "meetings/checkin_screen.html", _qr_context(request, meeting))


@require_GET
def checkin_qr(request, meeting_id: int):
    meeting, _mine = attendance.access_meeting(request.user, meeting_id, host=True)
    return render(request, "meetings/checkin_screen.html#qr", _qr_context(request, meeting))


@require_http_methods(["GET", "POST"])
def checkin_page(request):
    """Phone-first check-in: type the 6-digit code, or arrive from the QR code with ?t=<token>
    (the landing page posts the token at once; nothing changes on GET)."""
    context = {"token": request.GET.get("t", ""), "result": None, "error": "", "code": ""}
    status = 200
    if request.method == "POST":
        token = request.POST.get("token", "").strip()
        code = request.POST.get("code", "").strip()
        context["code"] = code
        try:
            if token:
                invitee = checkin.checkin_with_token(actor=request.user, token=token)
            else:
                invitee = checkin.checkin_with_code(actor=request.user, code=code)
        except DomainError as exc:
            context["error"] = exc.message
            status = exc.status if exc.status in (409, 422, 429) else 422
        else:
            context["result"] = invitee
        context["token"] = ""
    return render(request, "meetings/checkin_page.html", context, status=status)


@require_GET
def my_meetings(request):
    """The logged-in person's upcoming meetings (check in, ask for leave) and attendance history."""
    user = request.user
    now = timezone.now()
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    upcoming = Paginator(attendance.my_upcoming(user, now=now), PAGE_SIZE).get_page(request.GET.get("up"))
    for invitee in upcoming.object_list:
        invitee.can_checkin = checkin.window_open(invitee.meeting, now) and invitee.status != AttendanceStatus.PRESENT
        invitee.can_leave = now < invitee.meeting.starts_at and invitee.status not in (
            AttendanceStatus.PRESENT,
            AttendanceStatus.LEAVE_APPROVED,
        )
    history = Paginator(attendance.my_history(user, now=now), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "upcoming": upcoming,
        "history": history,
        "page": history,
        "year": year,
        "years": list(range(timezone.localdate().year, timezone.localdate().year - 5, -1)),
        "rate": attendance.my_yearly_rate(user, year=year),
        "now": now,
        "opens_before": checkin.OPENS_BEFORE,
        "Status": AttendanceStatus,
    }
    if request.htmx and request.htmx.target == "my-history":
        return render(request, "meetings/my_meetings.html#history", context)
    return render(request, "meetings/my_meetings.html", context)
