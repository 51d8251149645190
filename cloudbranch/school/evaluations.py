"""Evaluations (课程评价): a student rates a session's content and its lecturer, 1–5 each, with an
optional comment (at most 300 characters), once per session.

Rules (issue 13 item 5):

* Who: a student of the class — their own Enrolment (through Person.user) in status enrolled,
  passed or failed. Waitlisted, withdrawal-requested and withdrawn students cannot rate (a
  withdrawal request is pending, its outcome decides; a withdrawn student has left the class).
  Someone who sees the class but is not its student (head teacher, officer) → 403; someone who
  does not see it → 404.
* When: the class is running or finished (not draft, enrolling or cancelled). An offline session
  or a live lecture can be rated once it has started; an online course at any time while the
  class runs (or after it finished).
* Only after taking part: offline / live — an Attendance row of the student for the session
  (the live replay is not an attendance; a student who only watched the replay rates nothing);
  online — at least one HourEntry credited for one of the session's course items (the hours
  module credits an item as "resource:<id>", so a resource shared with an earlier session counts).
* Once: a second rating is a ConflictError (409), even when racing (the unique constraint).
  No edits.
* Anonymous: pages, exports and the API show averages and comments without names, dates or
  ids. Only the audit log (read by the audit administrator, not by the lecturer or the class's
  officers) records who rated; it holds the ratings, not the comment text.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.services import audit_record
from cloudbranch.core.errors import ConflictError, DomainError

from . import access
from .choices import ClassStatus, EnrolmentStatus, HourSource, SessionKind
from .models import Attendance, ClassSession, CourseItem, Enrolment, Evaluation, HourEntry

#: Students who may rate.
RATING_STATUSES = (EnrolmentStatus.ENROLLED, EnrolmentStatus.PASSED, EnrolmentStatus.FAILED)
#: Classes in which ratings are accepted.
OPEN_CLASS_STATUSES = (ClassStatus.RUNNING, ClassStatus.FINISHED)
MAX_COMMENT = 300
RATINGS = (1, 2, 3, 4, 5)


@dataclass
class EvaluationState:
    """What the evaluate page shows: the session, the student's enrolment (or None), their own
    evaluation if already given, and why they cannot rate now ("" when they can)."""

    session: ClassSession
    enrolment: Enrolment | None
    evaluation: Evaluation | None
    refusal: str


def session_for_student(user, session_id) -> ClassSession:
    """The session if ``user`` sees its class (404 otherwise)."""
    try:
        session = ClassSession.objects.select_related("training_class").get(pk=session_id)
    except (ClassSession.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    access.class_for_viewer(user, session.training_class_id)
    return session


def _refusal(session: ClassSession, enrolment: Enrolment | None, now) -> str:
    """Why ``enrolment`` may not rate ``session`` now ("" when it may). 2 queries at most."""
    if enrolment is None:
        return "只有本班学员可以评价课程。"
    if enrolment.status not in RATING_STATUSES:
        return f"你在本班的状态为“{EnrolmentStatus(enrolment.status).label}”，不能评价课程。"
    training_class = session.training_class
    if training_class.status not in OPEN_CLASS_STATUSES:
        return "培训班尚未开课，暂不能评价。"
    if session.kind in (SessionKind.OFFLINE, SessionKind.LIVE):
        if session.starts_at is None or session.starts_at > now:
            return "课程尚未开始，开始后才能评价。"
        if not Attendance.objects.filter(session=session, enrolment=enrolment).exists():
            what = "直播" if session.kind == SessionKind.LIVE else "本次课程"
            return f"你没有{what}的签到记录，不能评价。"
        return ""
    resources = CourseItem.objects.filter(session=session).values("resource_id")
    studied = HourEntry.objects.filter(enrolment=enrolment, source=HourSource.ONLINE, resource_id__in=resources)
    if not studied.exists():
        return "学习本课程的内容后才能评价。"
    return ""


def evaluation_state(user, session_id, *, now=None) -> EvaluationState:
    """For the evaluate page (404 when the class is invisible; no 403: the page explains)."""
    session = session_for_student(user, session_id)
    enrolment = access.enrolment_of(user, session.training_class)
    evaluation = None
    if enrolment is not None:
        evaluation = Evaluation.objects.filter(session=session, enrolment=enrolment).first()
    refusal = "" if evaluation else _refusal(session, enrolment, now or timezone.now())
    return EvaluationState(session=session, enrolment=enrolment, evaluation=evaluation, refusal=refusal)


def _check_data(content_rating, lecturer_rating, comment) -> tuple[int, int, str]:
    errors = []

    def rating(value, field, label):
        try:
            n = int(value)
        except (TypeError, ValueError):
            n = None
        if n is None or n not in RATINGS or (isinstance(value, float) and value != n):
            errors.append({"field": field, "message": f"请为{label}打 1–5 星。"})
        return n

    c = rating(content_rating, "content_rating", "课程内容")
    lr = rating(lecturer_rating, "lecturer_rating", "授课人")
    text = (comment or "").strip()
    if len(text) > MAX_COMMENT:
        errors.append({"field": "comment", "message": f"意见建议最多 {MAX_COMMENT} 字（现 {len(text)} 字）。"})
    if errors:
        raise DomainError("评价未提交：请检查评分和意见。", errors=errors)
    return c, lr, text


def evaluation_submit(*, actor, session_id, content_rating, lecturer_rating, comment: str = "", now=None) -> Evaluation:
    """The student ``actor`` rates session ``session_id`` (see the module docstring for the rules).

    404 when the class is invisible, 403 when visible but ``actor`` is not its student,
    DomainError (422) for a broken rule or an out-of-range rating, ConflictError (409) when
    already rated. Audited (without the comment text)."""
    now = now or timezone.now()
    session = session_for_student(actor, session_id)
    enrolment = access.enrolment_of(actor, session.training_class)
    if enrolment is None:
        raise PermissionDenied
    c, lr, text = _check_data(content_rating, lecturer_rating, comment)
    with transaction.atomic():
        enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
        if Evaluation.objects.filter(session=session, enrolment=enrolment).exists():
            raise ConflictError("你已评价过本次课程，评价提交后不能修改。")
        refusal = _refusal(session, enrolment, now)
        if refusal:
            raise DomainError(refusal)
        try:
            with transaction.atomic():
                evaluation = Evaluation.objects.create(
                    session=session,
                    enrolment=enrolment,
                    content_rating=c,
                    lecturer_rating=lr,
                    comment=text,
                    created_at=now,
                )
        except IntegrityError:
            raise ConflictError("你已评价过本次课程，评价提交后不能修改。") from None
        audit_record(
            actor=actor,
            action="school.evaluation.create",
            target=("school.evaluation", evaluation.pk, f"{session.title}（课程评价）"),
            changes={
                "session": {"new": session.pk},
                "content_rating": {"new": c},
                "lecturer_rating": {"new": lr},
                "comment": {"changed": True} if text else {"new": ""},
            },
        )
    return evaluation


# --- anonymous reads -----------------------------------------------------------------------------


def comments_of_class(training_class, *, session_id=None):
    """The comments of a class's sessions, newest first, as anonymous rows
    (session title, lecturer, the two ratings, the comment) — a queryset of dicts to paginate."""
    qs = Evaluation.objects.filter(session__training_class=training_class).exclude(comment="")
    if session_id:
        qs = qs.filter(session_id=session_id)
    return qs.order_by("-id").values(
        "session_id", "session__title", "session__lecturer", "content_rating", "lecturer_rating", "comment"
    )
