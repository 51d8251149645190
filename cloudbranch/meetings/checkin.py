"""Check-in (签到): a rotating QR code on the host's screen and a 6-digit code as fallback.

The QR token is the shared rotating token of ``core.qrtoken`` under the namespace
``meetings.checkin`` and the meeting's own ``checkin_secret``. It is accepted inside the
check-in window (30 minutes before the start until the end), once per person
(``CheckInToken`` keeps the used nonces).
"""

from __future__ import annotations

import datetime
import re

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cloudbranch.audit.services import audit_record, field_changes, snapshot
from cloudbranch.core import qrtoken
from cloudbranch.core.errors import ConflictError, DomainError

from .attendance import AUDIT_FIELDS, OPEN_STATUSES, award_attendance_points
from .choices import AttendanceStatus, CheckInMethod
from .models import CheckInToken, Invitee, Meeting

SLOT_SECONDS = qrtoken.SLOT_SECONDS
OPENS_BEFORE = datetime.timedelta(minutes=30)
CODE_MAX_FAILURES = 5
CODE_LOCK_SECONDS = 600
NAMESPACE = "meetings.checkin"
slot_of = qrtoken.slot_of
seconds_left_in_slot = qrtoken.seconds_left_in_slot


class TooManyAttempts(DomainError):
    status = 429
    code = "rate_limited"


def make_token(meeting: Meeting, *, now: datetime.datetime | None = None) -> str:
    """The token shown in the QR code for the current slot."""
    return qrtoken.make_token(NAMESPACE, meeting.pk, meeting.checkin_secret, now=now or timezone.now())


def window_open(meeting: Meeting, now: datetime.datetime) -> bool:
    return meeting.starts_at - OPENS_BEFORE <= now <= meeting.ends_at


def _check_window(meeting: Meeting, now: datetime.datetime) -> None:
    if meeting.status not in OPEN_STATUSES:
        raise ConflictError(_("会议状态为“%(s)s”，不能签到") % {"s": meeting.get_status_display()})
    if now < meeting.starts_at - OPENS_BEFORE:
        opens = timezone.localtime(meeting.starts_at - OPENS_BEFORE)
        raise DomainError(_("签到尚未开始，将于 %(t)s 开放（会前 30 分钟）") % {"t": opens.strftime("%m-%d %H:%M")})
    if now > meeting.ends_at:
        raise DomainError(_("会议已结束，签到已关闭，如需补签请联系主持人"))


def _invitee_of(actor, meeting: Meeting) -> Invitee:
    invitee = (
        Invitee.objects.select_for_update().select_related("person").filter(meeting=meeting, person__user=actor).first()
    )
    if invitee is None:
        raise DomainError(_("您不在“%(title)s”的参会名单中，无法签到") % {"title": meeting.title})
    return invitee


def _record(actor, invitee: Invitee, *, method: str, now: datetime.datetime) -> Invitee:
    if invitee.status == AttendanceStatus.PRESENT:
        at = timezone.localtime(invitee.checked_in_at).strftime("%H:%M") if invitee.checked_in_at else ""
        raise ConflictError(_("您已于 %(t)s 签到，无需重复签到") % {"t": at})
    before = snapshot(invitee, AUDIT_FIELDS)
    # An invitee with approved leave who comes anyway is present.
    invitee.status = AttendanceStatus.PRESENT
    invitee.checked_in_at = now
    invitee.check_in_method = method
    invitee.save(update_fields=["status", "checked_in_at", "check_in_method"])
    audit_record(
        actor=actor,
        action="meetings.invitee.checkin",
        target=invitee,
        changes=field_changes(before, invitee, fields=AUDIT_FIELDS),
    )
    award_attendance_points(invitee, now=now)
    return invitee


def checkin_with_token(
    *, actor, token: str, meeting_id: int | None = None, now: datetime.datetime | None = None
) -> Invitee:
    """Check in by scanning the host's QR code. ``meeting_id``, when the caller knows which meeting
    the member means, must be the token's meeting."""
    now = now or timezone.now()
    try:
        meeting, nonce = qrtoken.read_token(
            token,
            NAMESPACE,
            load=lambda pk: Meeting.objects.select_related("unit").filter(pk=pk).first(),
            secret_of=lambda m: m.checkin_secret,
            now=now,
        )
    except qrtoken.TokenInvalid:
        raise DomainError(_("签到二维码无效，请重新扫描主持人屏幕上的二维码")) from None
    except qrtoken.TokenExpired:
        raise DomainError(_("签到二维码已过期（有效期约 1 分钟），请扫描屏幕上最新的二维码")) from None
    if meeting_id is not None and int(meeting_id) != meeting.pk:
        raise DomainError(_("该二维码不属于本次会议，请扫描本会议的签到二维码"))
    with transaction.atomic():
        invitee = _invitee_of(actor, meeting)
        _check_window(meeting, now)
        if CheckInToken.objects.filter(meeting=meeting, person=invitee.person, nonce=nonce).exists():
            raise ConflictError(_("该签到二维码您已使用过，请勿重复扫码"))
        try:
            with transaction.atomic():
                CheckInToken.objects.create(meeting=meeting, person=invitee.person, nonce=nonce, used_at=now)
        except IntegrityError:
            raise ConflictError(_("该签到二维码您已使用过，请勿重复扫码")) from None
        invitee = _record(actor, invitee, method=CheckInMethod.QR, now=now)
    invitee.meeting = meeting
    return invitee


def _failures_key(actor) -> str:
    return f"meetings:checkin-code-failures:{actor.pk}"


def code_attempts_left(actor) -> int:
    return max(0, CODE_MAX_FAILURES - (cache.get(_failures_key(actor)) or 0))


def _count_failure(actor) -> None:
    key = _failures_key(actor)
    cache.add(key, 0, CODE_LOCK_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, CODE_LOCK_SECONDS)


def checkin_with_code(*, actor, code: str, now: datetime.datetime | None = None) -> Invitee:
    """Check in by typing the meeting's 6-digit code: the meeting is found among the actor's own
    meetings. Wrong codes are limited to 5 per user per 10 minutes so that codes cannot be guessed."""
    now = now or timezone.now()
    if code_attempts_left(actor) <= 0:
        raise TooManyAttempts(_("签到码错误次数过多，请 10 分钟后再试，或扫描二维码签到"))
    code = re.sub(r"\s+", "", code or "")
    if not re.fullmatch(r"\d{6}", code):
        message = _("请输入 6 位数字签到码")
        raise DomainError(message, errors=[{"field": "code", "message": message}])
    candidates = list(
        Meeting.objects.filter(invitees__person__user=actor, checkin_code=code, status__in=OPEN_STATUSES)
        .select_related("unit")
        .order_by("starts_at")
    )
    if not candidates:
        _count_failure(actor)
        left = code_attempts_left(actor)
        message = _("签到码不正确，或您不在该会议的参会名单中（还可尝试 %(n)d 次）") % {"n": left}
        raise DomainError(message, errors=[{"field": "code", "message": message}])
    open_now = [m for m in candidates if window_open(m, now)]
    if not open_now:
        _check_window(candidates[-1], now)  # raises the "not yet" or "closed" message
    meeting = min(open_now, key=lambda m: abs((m.starts_at - now).total_seconds()))
    with transaction.atomic():
        invitee = _invitee_of(actor, meeting)
        invitee = _record(actor, invitee, method=CheckInMethod.CODE, now=now)
    invitee.meeting = meeting
    return invitee
