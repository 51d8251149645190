"""What a student sees on the phone: my classes, today's and next sessions, the course to
continue, one session with its items and my progress. Every function is a fixed number of
queries whatever the number of rows."""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from cloudbranch.learning.models import StudyProgress

from .choices import ClassStatus, SessionKind
from .hours import ACTIVE_STATUSES
from .models import Attendance, ClassSession, CourseItem, Enrolment

NEXT_LIMIT = 5


def my_enrolments(user):
    """All of the user's enrolments, running classes first, newest classes next."""
    return (
        Enrolment.objects.filter(person__user_id=user.pk)
        .select_related("training_class__unit", "training_class__head_teacher", "certificate", "person__unit")
        .order_by("-training_class__starts_on", "-id")
    )


def _my_sessions(user):
    """Dated sessions (offline, live) of the user's running classes where they are studying,
    annotated with whether they checked in."""
    return (
        ClassSession.objects.filter(
            training_class__status=ClassStatus.RUNNING,
            training_class__enrolments__person__user_id=user.pk,
            training_class__enrolments__status__in=ACTIVE_STATUSES,
            kind__in=(SessionKind.OFFLINE, SessionKind.LIVE),
            starts_at__isnull=False,
        )
        .select_related("training_class")
        .annotate(
            checked_in=Exists(Attendance.objects.filter(session=OuterRef("pk"), enrolment__person__user_id=user.pk))
        )
        .order_by("starts_at", "id")
    )


def today_sessions(user, *, now: datetime.datetime | None = None):
    now = now or timezone.now()
    today = timezone.localdate(now)
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(today, datetime.time.min, tzinfo=tz)
    end = start + datetime.timedelta(days=1)
    return _my_sessions(user).filter(starts_at__lt=end, ends_at__gte=start)


def next_sessions(user, *, now: datetime.datetime | None = None, limit: int = NEXT_LIMIT):
    now = now or timezone.now()
    today = timezone.localdate(now)
    tz = timezone.get_current_timezone()
    tomorrow = datetime.datetime.combine(today, datetime.time.min, tzinfo=tz) + datetime.timedelta(days=1)
    return _my_sessions(user).filter(starts_at__gte=tomorrow)[:limit]


def continue_item(user) -> CourseItem | None:
    """The first online course item (syllabus order) of the user's running classes that they have
    not completed yet: "continue studying" (one query)."""
    done = StudyProgress.objects.filter(
        person__user_id=user.pk, resource_id=OuterRef("resource_id"), completed_at__isnull=False
    )
    return (
        CourseItem.objects.filter(
            session__kind=SessionKind.ONLINE,
            session__training_class__status=ClassStatus.RUNNING,
            session__training_class__enrolments__person__user_id=user.pk,
            session__training_class__enrolments__status__in=ACTIVE_STATUSES,
        )
        .exclude(Exists(done))
        .select_related("session__training_class", "resource")
        .order_by("session__training_class__starts_on", "session__position", "session_id", "position", "id")
        .first()
    )


def session_items(session: ClassSession, person_id: int | None):
    """The course items of an online session with ``person_id``'s progress (percent, seconds,
    completed_at): one query."""
    qs = CourseItem.objects.filter(session=session).select_related("resource").order_by("position", "id")
    if person_id is None:
        return qs
    mine = StudyProgress.objects.filter(person_id=person_id, resource_id=OuterRef("resource_id"))
    return qs.annotate(
        my_percent=Subquery(mine.values("percent")[:1]),
        my_seconds=Subquery(mine.values("seconds")[:1]),
        my_completed_at=Subquery(mine.values("completed_at")[:1]),
    )


def my_attendance(session: ClassSession, enrolment: Enrolment | None) -> Attendance | None:
    if enrolment is None:
        return None
    return Attendance.objects.filter(session=session, enrolment=enrolment).first()


def final_exams(person, paper_ids) -> dict:
    """The final exams ``paper_ids`` as ``person`` may take them (learning's "my exams" rows: open
    and close times, attempts allowed and made, best score, running attempt), by paper id. A
    paper the person may not take (not published, audience not covering them) is left out. One
    query, none without papers."""
    from cloudbranch.learning.exams import my_exams

    ids = {i for i in paper_ids if i}
    if person is None or not ids:
        return {}
    return {p.pk: p for p in my_exams(person).filter(pk__in=ids)}


def exam_action(enrolment: Enrolment, paper, now: datetime.datetime) -> str:
    """What the student may do about the class's final exam: "continue" (an attempt is running),
    "start" (open, attempts left, studying in a running class), or "" (only the state is shown)."""
    if paper is None:
        return ""
    if paper.my_running:
        return "continue"
    studying = enrolment.status in ACTIVE_STATUSES and enrolment.training_class.status == ClassStatus.RUNNING
    if studying and paper.opens_at <= now < paper.closes_at and (paper.my_attempts or 0) < paper.attempts_allowed:
        return "start"
    return ""
