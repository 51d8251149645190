"""Check-in (签到) at offline sessions and live lectures, the same mechanism and UX as meetings
(``meetings/checkin.py``): a rotating QR code on the head teacher's screen (``core.qrtoken``
under the namespace ``school.checkin`` and the session's own ``checkin_secret``; used nonces kept
in ``CheckInNonce`` so a scan cannot be replayed), the session's 6-digit code as fallback (5
wrong codes per user per 10 minutes, then locked), and a manual record by the head teacher or an
officer with a required reason.

Who: students of the class whose enrolment is active (enrolled, or withdrawal requested), and
only while the class is RUNNING. When: offline sessions from 30 minutes before the start until
the end; live lectures only while live (start to end). One Attendance per (session, enrolment):
a second check-in is a 409. Checking in credits the session's class hours (``hours``).
"""

from __future__ import annotations

import datetime
import re

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.services import audit_record
from cloudbranch.core import qrtoken
from cloudbranch.core.errors import ConflictError, DomainError

from . import access, hours
from .choices import CheckInMethod, ClassStatus, EnrolmentStatus, SessionKind
from .models import Attendance, CheckInNonce, ClassSession, Enrolment

NAMESPACE = "school.checkin"
OPENS_BEFORE = datetime.timedelta(minutes=30)
CODE_MAX_FAILURES = 5
CODE_LOCK_SECONDS = 600
CHECKIN_KINDS = (SessionKind.OFFLINE, SessionKind.LIVE)
ACTIVE_STATUSES = hours.ACTIVE_STATUSES
slot_of = qrtoken.slot_of
seconds_left_in_slot = qrtoken.seconds_left_in_slot


class TooManyAttempts(DomainError):
    status = 429
    code = "rate_limited"


# --- windows ---------------------------------------------------------------------------------


def window(session: ClassSession) -> tuple[datetime.datetime, datetime.datetime] | None:
    """(opens, closes) of the session's check-in, or None (online courses, unscheduled sessions)."""
    if session.kind not in CHECKIN_KINDS or not session.starts_at or not session.ends_at:
        return None
    opens = session.starts_at - OPENS_BEFORE if session.kind == SessionKind.OFFLINE else session.starts_at
    return opens, session.ends_at


def window_open(session: ClassSession, now: datetime.datetime) -> bool:
    w = window(session)
    return w is not None and w[0] <= now <= w[1]


def _check_class(session: ClassSession) -> None:
    training_class = session.training_class
    if training_class.status != ClassStatus.RUNNING:
        raise ConflictError(f"班次状态为“{training_class.get_status_display()}”，只有培训中的班次可以签到。")


def _check_window(session: ClassSession, now: datetime.datetime) -> None:
    _check_class(session)
    w = window(session)
    if w is None:
        raise DomainError("网络课程无需签到，完成课程中的学习资源即可获得学时。")
    opens, closes = w
    if now < opens:
        at = timezone.localtime(opens).strftime("%m-%d %H:%M")
        if session.kind == SessionKind.LIVE:
            raise DomainError(f"直播进行中才能签到，直播将于 {at} 开始。")
        raise DomainError(f"签到尚未开始，将于 {at} 开放（开课前 30 分钟）。")
    if now > closes:
        if session.kind == SessionKind.LIVE:
            raise DomainError("直播已结束，签到已关闭；可在回放上线后观看回放获得学时。")
        raise DomainError("课程已结束，签到已关闭，如需补签请联系班主任。")


# --- tokens ----------------------------------------------------------------------------------


def make_token(session: ClassSession, *, now: datetime.datetime | None = None) -> str:
    return qrtoken.make_token(NAMESPACE, session.pk, session.checkin_secret, now=now or timezone.now())


def _own_enrolment(actor, session: ClassSession) -> Enrolment:
    enrolment = (
        Enrolment.objects.select_for_update()
        .select_related("person")
        .filter(training_class_id=session.training_class_id, person__user_id=actor.pk)
        .first()
    )
    if enrolment is None:
        raise DomainError(f"您不是“{session.training_class.title}”的学员，不能签到。")
    if enrolment.status not in ACTIVE_STATUSES:
        raise DomainError(f"您在本班的状态为“{enrolment.get_status_display()}”，不能签到。")
    return enrolment


def _record(actor, session, enrolment, *, method: str, now, note: str = "") -> Attendance:
    try:
        with transaction.atomic():
            row = Attendance.objects.create(
                session=session, enrolment=enrolment, checked_in_at=now, method=method, note=note[:200]
            )
    except IntegrityError:
        row = Attendance.objects.filter(session=session, enrolment=enrolment).first()
        at = timezone.localtime(row.checked_in_at).strftime("%H:%M") if row else ""
        raise ConflictError(f"{enrolment.person.name} 已于 {at} 签到，无需重复签到。") from None
    audit_record(
        actor=actor,
        action="school.attendance.checkin" if method != CheckInMethod.MANUAL else "school.attendance.manual",
        target=row,
        changes={
            "session": {"new": session.pk},
            "enrolment": {"new": enrolment.pk},
            "method": {"new": method},
            **({"reason": {"new": note}} if note else {}),
        },
    )
    row.hour_entry = hours.credit_session(actor=actor, enrolment=enrolment, session=session, now=now)
    row.session = session
    row.enrolment = enrolment
    return row


def _load_session(pk):
    return ClassSession.objects.select_related("training_class").filter(pk=pk).first()


def checkin_with_token(*, actor, token: str, session_id: int | None = None, now=None) -> Attendance:
    """Check in by scanning the head teacher's QR code."""
    now = now or timezone.now()
    try:
        session, nonce = qrtoken.read_token(
            token, NAMESPACE, load=_load_session, secret_of=lambda s: s.checkin_secret, now=now
        )
    except qrtoken.TokenInvalid:
        raise DomainError("签到二维码无效，请重新扫描班主任屏幕上的二维码。") from None
    except qrtoken.TokenExpired:
        raise DomainError("签到二维码已过期（有效期约 1 分钟），请扫描屏幕上最新的二维码。") from None
    if session_id is not None and int(session_id) != session.pk:
        raise DomainError("该二维码不属于本次课程，请扫描本课程的签到二维码。")
    with transaction.atomic():
        enrolment = _own_enrolment(actor, session)
        _check_window(session, now)
        try:
            with transaction.atomic():
                CheckInNonce.objects.create(session=session, person=enrolment.person, nonce=nonce, used_at=now)
        except IntegrityError:
            raise ConflictError("该签到二维码您已使用过，请勿重复扫码。") from None
        return _record(actor, session, enrolment, method=CheckInMethod.QR, now=now)


def _failures_key(actor) -> str:
    return f"school:checkin-code-failures:{actor.pk}"


def code_attempts_left(actor) -> int:
    return max(0, CODE_MAX_FAILURES - (cache.get(_failures_key(actor)) or 0))


def _count_failure(actor) -> None:
    key = _failures_key(actor)
    cache.add(key, 0, CODE_LOCK_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, CODE_LOCK_SECONDS)


def checkin_with_code(*, actor, code: str, now=None) -> Attendance:
    """Check in by typing the session's 6-digit code, looked up among the actor's own classes.
    Wrong codes: 5 per user per 10 minutes, then locked (codes cannot be guessed)."""
    now = now or timezone.now()
    if code_attempts_left(actor) <= 0:
        raise TooManyAttempts("签到码错误次数过多，请 10 分钟后再试，或扫描二维码签到。")
    code = re.sub(r"\s+", "", code or "")
    if not re.fullmatch(r"\d{6}", code):
        message = "请输入 6 位数字签到码"
        raise DomainError(message, errors=[{"field": "code", "message": message}])
    candidates = list(
        ClassSession.objects.filter(
            checkin_code=code,
            kind__in=CHECKIN_KINDS,
            training_class__enrolments__person__user_id=actor.pk,
        )
        .select_related("training_class")
        .order_by("starts_at")
        .distinct()
    )
    if not candidates:
        _count_failure(actor)
        message = f"签到码不正确，或您不是该课程的学员（还可尝试 {code_attempts_left(actor)} 次）"
        raise DomainError(message, errors=[{"field": "code", "message": message}])
    open_now = [s for s in candidates if window_open(s, now)]
    if not open_now:
        with transaction.atomic():
            _own_enrolment(actor, candidates[-1])
            _check_window(candidates[-1], now)  # raises the class / "not yet" / "closed" message
    session = min(open_now, key=lambda s: abs((s.starts_at - now).total_seconds()))
    with transaction.atomic():
        enrolment = _own_enrolment(actor, session)
        _check_class(session)
        return _record(actor, session, enrolment, method=CheckInMethod.CODE, now=now)


# --- the head teacher's side -------------------------------------------------------------------


def session_for_viewer(user, session_id) -> ClassSession:
    """The session if ``user`` may see its class (head teacher, officers, students, followers), else 404."""
    try:
        pk = int(session_id)
    except (TypeError, ValueError):
        raise Http404 from None
    session = (
        ClassSession.objects.select_related("training_class__unit", "training_class__head_teacher", "replay")
        .filter(training_class__in=access.visible_classes(user), pk=pk)
        .first()
    )
    if session is None:
        raise Http404
    return session


def session_for_manager(user, session_id) -> ClassSession:
    """404 when the class is invisible to ``user``, 403 when visible but not theirs to run."""
    session = session_for_viewer(user, session_id)
    if not access.may_manage(user, session.training_class):
        raise PermissionDenied
    return session


def attendance_record(*, actor, session_id: int, enrolment_id: int, reason: str, now=None) -> Attendance:
    """The head teacher or an officer records a student as present (e.g. a phone without
    battery). A reason is required; the class must be running and the session must have begun
    (its check-in window opened)."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    with transaction.atomic():
        session = session_for_manager(actor, session_id)
        _check_class(session)
        w = window(session)
        if w is None:
            raise DomainError("网络课程无需签到。")
        if now < w[0]:
            raise DomainError("课程尚未开始，不能补记签到。")
        enrolment = (
            Enrolment.objects.select_for_update()
            .select_related("person")
            .filter(training_class_id=session.training_class_id, pk=enrolment_id)
            .first()
            if str(enrolment_id).isdigit()
            else None
        )
        if enrolment is None:
            message = "请选择本班学员"
            raise DomainError(message, errors=[{"field": "enrolment", "message": message}])
        if enrolment.status not in ACTIVE_STATUSES:
            message = f"该学员状态为“{enrolment.get_status_display()}”，不能补记签到"
            raise DomainError(message, errors=[{"field": "enrolment", "message": message}])
        if not reason:
            message = "请填写补记原因"
            raise DomainError(message, errors=[{"field": "reason", "message": message}])
        return _record(actor, session, enrolment, method=CheckInMethod.MANUAL, now=now, note=reason)


def attendance_rows(session: ClassSession):
    """Students of the session's class who hold a place (and any withdrawn student who had
    checked in), with their check-in time and method: one query per page."""
    mine = Attendance.objects.filter(session=session, enrolment=OuterRef("pk"))
    return (
        Enrolment.objects.filter(training_class_id=session.training_class_id)
        .filter(
            Q(status__in=(*ACTIVE_STATUSES, EnrolmentStatus.PASSED, EnrolmentStatus.FAILED))
            | Q(attendances__session=session)
        )
        .select_related("person__unit")
        .annotate(
            checked_in_at=Subquery(mine.values("checked_in_at")[:1]),
            checkin_method=Subquery(mine.values("method")[:1]),
            checkin_note=Subquery(mine.values("note")[:1]),
        )
        .distinct()
        .order_by(F("checked_in_at").asc(nulls_last=True), "person__name", "id")
    )


def attendance_summary(session: ClassSession) -> dict:
    """Checked in / expected (active students), one query."""
    row = Enrolment.objects.filter(training_class_id=session.training_class_id).aggregate(
        expected=Count("pk", distinct=True, filter=Q(status__in=ACTIVE_STATUSES)),
        present=Count("attendances", distinct=True, filter=Q(attendances__session=session)),
    )
    return {"present": row["present"] or 0, "expected": row["expected"] or 0}
