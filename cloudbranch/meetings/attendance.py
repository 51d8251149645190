"""Attendance of meetings: leave requests and decisions, manual marking, counts and a member's own view.

Who may do what: the host side holds ``meetings.change_meeting`` at the meeting's unit (the
secretary, organization officer, admins above). A member acts on a meeting because they are an
INVITEE of it (an ``Invitee`` row whose person is linked to their account), not through a grant.
Check-in itself (QR tokens and the 6-digit code) lives in ``checkin.py``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cloudbranch.audit.services import audit_record, field_changes, snapshot
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.notifications.choices import Category
from cloudbranch.notifications.services import notify
from cloudbranch.orgs.scoping import can
from cloudbranch.points.services import point_award

from .choices import AttendanceStatus, CheckInMethod, MeetingStatus
from .models import Invitee, Meeting

CHANGE_PERM = "meetings.change_meeting"
REASON_MAX = 500
# Statuses in which attendance may still change (not a draft, not cancelled, not archived).
OPEN_STATUSES = (MeetingStatus.SCHEDULED, MeetingStatus.HELD)
# Once a meeting took place, an invitee who neither came nor had approved leave is absent.
TOOK_PLACE = (MeetingStatus.HELD, MeetingStatus.ARCHIVED)
AUDIT_FIELDS = ("status", "leave_reason", "leave_decided_by", "checked_in_at", "check_in_method", "manual_reason")


def meeting_url(meeting: Meeting) -> str:
    return reverse("meetings:detail", args=[meeting.pk])


# --- access -----------------------------------------------------------------------------------


def is_host_side(user, meeting: Meeting) -> bool:
    """Whether ``user`` runs this meeting (approves leave, marks attendance, shows the QR screen)."""
    return can(user, CHANGE_PERM, meeting.unit)


def own_invitee(user, meeting: Meeting) -> Invitee | None:
    if not user.is_authenticated:
        return None
    return Invitee.objects.select_related("person").filter(meeting=meeting, person__user=user).first()


def access_meeting(user, meeting_id, *, host: bool = False) -> tuple[Meeting, Invitee | None]:
    """The meeting if the user sees it by scope or is invited to it, with the user's own invitee row.

    404 when neither (a sibling branch learns nothing); with ``host=True`` 403 when visible but
    the user does not hold ``meetings.change_meeting`` at the meeting's unit.
    """
    try:
        meeting = Meeting.objects.select_related("unit").get(pk=int(meeting_id))
    except (Meeting.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    visible = Meeting.objects.restrict(user, "view").filter(pk=meeting.pk).exists()
    mine = own_invitee(user, meeting)
    if not visible and mine is None:
        raise Http404
    if host and not is_host_side(user, meeting):
        raise PermissionDenied
    return meeting, mine


def access_invitee(user, invitee_id, *, host: bool = True) -> Invitee:
    """An invitee row of a meeting the user sees (404 otherwise); 403 unless the user is on the host side."""
    try:
        invitee = Invitee.objects.select_related("meeting__unit", "person").get(pk=int(invitee_id))
    except (Invitee.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    meeting = invitee.meeting
    visible = Meeting.objects.restrict(user, "view").filter(pk=meeting.pk).exists()
    if not visible and invitee.person.user_id != user.pk:
        raise Http404
    if host and not is_host_side(user, meeting):
        raise PermissionDenied
    return invitee


def _clean_reason(reason: str | None, *, field: str = "reason", what: str = "") -> str:
    reason = (reason or "").strip()
    if not reason:
        message = what or _("请填写原因")
        raise DomainError(message, errors=[{"field": field, "message": message}])
    if len(reason) > REASON_MAX:
        message = _("原因不能超过 %(n)d 个字") % {"n": REASON_MAX}
        raise DomainError(message, errors=[{"field": field, "message": message}])
    return reason


# --- leave ------------------------------------------------------------------------------------


def leave_request(*, actor, meeting_id: int, reason: str, now: datetime.datetime | None = None) -> Invitee:
    """An invitee asks for leave (请假) from a scheduled meeting that has not started yet.

    Only the invitee himself may ask; asking again replaces a pending or rejected request. The
    host side is told in their inbox.
    """
    now = now or timezone.now()
    meeting, mine = access_meeting(actor, meeting_id)
    if mine is None:
        raise DomainError(_("您不在本次会议的参会名单中，无需请假"))
    reason = _clean_reason(reason, what=_("请填写请假事由"))
    with transaction.atomic():
        invitee = Invitee.objects.select_for_update().select_related("person").get(pk=mine.pk)
        if meeting.status != MeetingStatus.SCHEDULED:
            raise ConflictError(_("会议状态为“%(s)s”，不能请假") % {"s": meeting.get_status_display()})
        if now >= meeting.starts_at:
            raise DomainError(_("会议已经开始，不能再请假，请联系支部书记"))
        if invitee.status == AttendanceStatus.PRESENT:
            raise ConflictError(_("您已签到，无需请假"))
        if invitee.status == AttendanceStatus.LEAVE_APPROVED:
            raise ConflictError(_("您的请假已获批准"))
        before = snapshot(invitee, AUDIT_FIELDS)
        invitee.status = AttendanceStatus.LEAVE_REQUESTED
        invitee.leave_reason = reason
        invitee.leave_requested_at = now
        invitee.leave_decided_by = None
        invitee.leave_decided_at = None
        invitee.save(
            update_fields=["status", "leave_reason", "leave_requested_at", "leave_decided_by", "leave_decided_at"]
        )
        audit_record(
            actor=actor,
            action="meetings.invitee.leave_request",
            target=invitee,
            changes=field_changes(before, invitee, fields=AUDIT_FIELDS),
        )
        if meeting.created_by_id and meeting.created_by_id != actor.pk:
            notify(
                recipients=[meeting.created_by_id],
                category=Category.MEETING,
                title=_("%(name)s 申请请假：%(title)s") % {"name": invitee.person.name, "title": meeting.title},
                body=reason,
                url=meeting_url(meeting),
                actor=actor,
            )
    return invitee


def leave_decide(*, actor, invitee_id: int, approve: bool, now: datetime.datetime | None = None) -> Invitee:
    """The host side approves or rejects a pending leave request; the requester is notified."""
    now = now or timezone.now()
    found = access_invitee(actor, invitee_id, host=True)
    meeting = found.meeting
    with transaction.atomic():
        invitee = Invitee.objects.select_for_update().select_related("person").get(pk=found.pk)
        if meeting.status not in OPEN_STATUSES:
            raise ConflictError(_("会议状态为“%(s)s”，不能审批请假") % {"s": meeting.get_status_display()})
        if invitee.status != AttendanceStatus.LEAVE_REQUESTED:
            raise ConflictError(_("%(name)s 没有待审批的请假申请") % {"name": invitee.person.name})
        before = snapshot(invitee, AUDIT_FIELDS)
        invitee.status = AttendanceStatus.LEAVE_APPROVED if approve else AttendanceStatus.LEAVE_REJECTED
        invitee.leave_decided_by = actor
        invitee.leave_decided_at = now
        invitee.save(update_fields=["status", "leave_decided_by", "leave_decided_at"])
        audit_record(
            actor=actor,
            action="meetings.invitee.leave_approve" if approve else "meetings.invitee.leave_reject",
            target=invitee,
            changes=field_changes(before, invitee, fields=AUDIT_FIELDS),
        )
        if invitee.person.user_id:
            verdict = _("已批准") if approve else _("未获批准")
            notify(
                recipients=[invitee.person.user_id],
                category=Category.MEETING,
                title=_("您的请假%(verdict)s：%(title)s") % {"verdict": verdict, "title": meeting.title},
                body=_("会议时间：%(t)s") % {"t": timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M")},
                url=reverse("meetings:my_meetings"),
                actor=actor,
            )
    invitee.meeting = meeting
    return invitee


# --- manual marking ---------------------------------------------------------------------------


def mark_attendance(
    *, actor, invitee_id: int, status: str, reason: str, now: datetime.datetime | None = None
) -> Invitee:
    """The host side marks an invitee present (补签) or absent by hand, with a reason kept in the audit."""
    now = now or timezone.now()
    if status not in (AttendanceStatus.PRESENT, AttendanceStatus.ABSENT):
        message = _("只能标记为出席或缺席")
        raise DomainError(message, errors=[{"field": "status", "message": message}])
    reason = _clean_reason(reason, what=_("请填写补签或标记缺席的原因"))
    found = access_invitee(actor, invitee_id, host=True)
    meeting = found.meeting
    with transaction.atomic():
        invitee = Invitee.objects.select_for_update().select_related("person").get(pk=found.pk)
        if meeting.status not in OPEN_STATUSES:
            raise ConflictError(_("会议状态为“%(s)s”，不能修改出席情况") % {"s": meeting.get_status_display()})
        before = snapshot(invitee, AUDIT_FIELDS)
        invitee.status = status
        invitee.manual_reason = reason
        invitee.check_in_method = CheckInMethod.MANUAL if status == AttendanceStatus.PRESENT else ""
        invitee.checked_in_at = now if status == AttendanceStatus.PRESENT else None
        invitee.save(update_fields=["status", "manual_reason", "check_in_method", "checked_in_at"])
        changes = field_changes(before, invitee, fields=AUDIT_FIELDS)
        changes["reason"] = reason
        audit_record(actor=actor, action="meetings.invitee.mark", target=invitee, changes=changes)
        if status == AttendanceStatus.PRESENT:
            award_attendance_points(invitee, now=now)
    invitee.meeting = meeting
    return invitee


def award_attendance_points(invitee: Invitee, *, now: datetime.datetime) -> None:
    """Pay the "meeting_attendance" points when an invitee becomes present (checked in or marked),
    in the caller's transaction; once per (person, meeting) whatever happens later (points app,
    idempotent per source object)."""
    point_award(
        person=invitee.person,
        action="meeting_attendance",
        source_type="meetings.meeting",
        source_id=invitee.meeting_id,
        occurred_at=now,
    )


# --- counts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceSummary:
    """应到 expected, 实到 present, 请假 leave (approved), 缺席 absent; rate = present / expected."""

    expected: int = 0
    present: int = 0
    leave: int = 0
    absent: int = 0
    pending_leave: int = 0

    @property
    def rate(self) -> float | None:
        return self.present / self.expected if self.expected else None

    @property
    def rate_percent(self) -> int | None:
        return round(self.present * 100 / self.expected) if self.expected else None


_COUNTS = {
    "expected": Count("id"),
    "present": Count("id", filter=Q(status=AttendanceStatus.PRESENT)),
    "leave": Count("id", filter=Q(status=AttendanceStatus.LEAVE_APPROVED)),
    "marked_absent": Count("id", filter=Q(status=AttendanceStatus.ABSENT)),
    "pending_leave": Count("id", filter=Q(status=AttendanceStatus.LEAVE_REQUESTED)),
}


def _summary(row: dict, meeting_status: str) -> AttendanceSummary:
    expected, present, leave = row["expected"], row["present"], row["leave"]
    # Before the meeting took place only those marked absent by hand count as absent.
    absent = expected - present - leave if meeting_status in TOOK_PLACE else row["marked_absent"]
    return AttendanceSummary(expected, present, leave, absent, row["pending_leave"])


def attendance_summary(meeting: Meeting) -> AttendanceSummary:
    """Counts of one meeting in one query."""
    row = Invitee.objects.filter(meeting=meeting).aggregate(**_COUNTS)
    return _summary(row, meeting.status)


def attendance_summaries(meetings) -> dict[int, AttendanceSummary]:
    """Counts for many meetings in one query: ``{meeting_id: AttendanceSummary}`` (meetings without
    invitees get zeros). ``meetings`` are Meeting objects (their status is read from them)."""
    meetings = list(meetings)
    status_of = {m.pk: m.status for m in meetings}
    rows = Invitee.objects.filter(meeting_id__in=status_of).values("meeting_id").annotate(**_COUNTS).order_by()
    out = {pk: AttendanceSummary() for pk in status_of}
    for row in rows:
        out[row["meeting_id"]] = _summary(row, status_of[row["meeting_id"]])
    return out


# --- selectors --------------------------------------------------------------------------------


def invitee_list(*, user, meeting: Meeting):
    """The invitees of a meeting the user reaches (found with ``access_meeting``): all of them for
    the host side, only his own row for anyone else."""
    qs = Invitee.objects.filter(meeting=meeting).select_related("person", "leave_decided_by")
    if not is_host_side(user, meeting):
        qs = qs.filter(person__user=user)
    return qs.order_by("person__name", "id")


def my_invitations(user):
    """The logged-in person's invitee rows (no grant needed: everyone sees their own)."""
    if not user.is_authenticated:
        return Invitee.objects.none()
    return (
        Invitee.objects.filter(person__user=user)
        .exclude(meeting__status=MeetingStatus.DRAFT)
        .select_related("meeting", "meeting__unit")
    )


def my_upcoming(user, *, now: datetime.datetime | None = None):
    """Scheduled meetings of mine that have not ended, soonest first."""
    now = now or timezone.now()
    return (
        my_invitations(user)
        .filter(meeting__status=MeetingStatus.SCHEDULED, meeting__ends_at__gte=now)
        .order_by("meeting__starts_at", "id")
    )


def my_history(user, *, now: datetime.datetime | None = None):
    """Meetings of mine that took place or have ended, latest first."""
    now = now or timezone.now()
    return (
        my_invitations(user)
        .filter(
            Q(meeting__status__in=TOOK_PLACE) | Q(meeting__status=MeetingStatus.SCHEDULED, meeting__ends_at__lt=now)
        )
        .order_by("-meeting__starts_at", "-id")
    )


def my_yearly_rate(user, *, year: int) -> AttendanceSummary:
    """The person's own attendance over the meetings of ``year`` that took place (one query)."""
    row = (
        my_invitations(user).filter(meeting__status__in=TOOK_PLACE, meeting__starts_at__year=year).aggregate(**_COUNTS)
    )
    return _summary(row, MeetingStatus.HELD)
