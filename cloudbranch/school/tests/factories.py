"""Shared helpers of the school tests (APPEND only: every area adds its factories at the end).

Objects are created directly (no permission checks); use the services in the tests that test them."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from cloudbranch.orgs.roles import Role
from cloudbranch.school.choices import ClassKind, ClassStatus, EnrolmentSource, EnrolmentStatus, SessionKind
from cloudbranch.school.models import ClassSession, CourseItem, Enrolment, TrainingClass
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant


def make_class(unit, *, head_teacher=None, created_by=None, **fields) -> TrainingClass:
    """A class at ``unit`` (default: an activists' class, 30 places, 24 hours, enrolling)."""
    head_teacher = head_teacher or UserFactory()
    today = timezone.localdate()
    data = {
        "kind": ClassKind.ACTIVIST,
        "title": "第 1 期入党积极分子培训班",
        "year": today.year,
        "starts_on": today,
        "ends_on": today + datetime.timedelta(days=30),
        "capacity": 30,
        "pass_hours": Decimal("24"),
        "status": ClassStatus.ENROLLING,
    } | fields
    return TrainingClass.objects.create(
        unit=unit, head_teacher=head_teacher, created_by=created_by or head_teacher, **data
    )


def make_session(training_class, *, kind=SessionKind.OFFLINE, **fields) -> ClassSession:
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=1)
    data = {"title": "党的基本理论", "position": 1, "hours": Decimal("2")} | fields
    if kind in (SessionKind.OFFLINE, SessionKind.LIVE):
        data.setdefault("starts_at", start)
        data.setdefault("ends_at", start + datetime.timedelta(minutes=90))
    if kind == SessionKind.OFFLINE:
        data.setdefault("place", "学院报告厅")
    if kind == SessionKind.LIVE:
        data.setdefault("stream_url", "https://live.example.edu/room/1")
    return ClassSession.objects.create(training_class=training_class, kind=kind, **data)


def make_item(session, resource, *, hours=Decimal("1"), position=1) -> CourseItem:
    return CourseItem.objects.create(session=session, resource=resource, hours=hours, position=position)


def make_enrolment(training_class, person=None, *, status=EnrolmentStatus.ENROLLED, **fields) -> Enrolment:
    person = person or PersonFactory(unit=training_class.unit, political_status="activist")
    data = {"source": EnrolmentSource.MANUAL} | fields
    return Enrolment.objects.create(training_class=training_class, person=person, status=status, **data)


def make_student(unit, *, political_status="activist", name=None, with_user=True, **fields):
    """A person at ``unit`` (activist by default) with a member login; returns (user, person)."""
    user = None
    if with_user:
        user = UserFactory()
        grant(user, unit, Role.MEMBER)
    kwargs = {"unit": unit, "political_status": political_status, "user": user} | fields
    if name:
        kwargs["name"] = name
    if political_status in ("activist", "candidate", "applicant", "masses"):
        kwargs.setdefault("joined_on", None)
        kwargs.setdefault("confirmed_on", None)
    if political_status == "probationary":
        kwargs.setdefault("confirmed_on", None)
    return user, PersonFactory(**kwargs)


# --- attendance area: running classes, dated sessions, library resources, completing them ------


def make_running_class(unit, **fields) -> TrainingClass:
    """A class in the RUNNING state (check-in and class hours are only for running classes)."""
    return make_class(unit, **({"status": ClassStatus.RUNNING} | fields))


def session_at(training_class, starts_at, *, kind=SessionKind.OFFLINE, minutes=90, **fields) -> ClassSession:
    """An offline session or live lecture starting at ``starts_at`` for ``minutes``."""
    return make_session(
        training_class,
        kind=kind,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(minutes=minutes),
        **fields,
    )


def library_resource(unit, *, kind="article", min_seconds=20, **fields):
    """A published library resource at ``unit`` (articles complete after ``min_seconds`` of reading)."""
    from cloudbranch.learning.tests.test_resources_support import make_resource

    author = fields.pop("created_by", None) or UserFactory()
    if kind in ("video", "audio"):
        fields.setdefault("duration_seconds", 60)
    return make_resource(unit, author, kind=kind, min_seconds=min_seconds, **fields)


def complete_resource(person, resource, *, now=None):
    """Complete ``resource`` for ``person`` through learning's own tracking (heartbeats), so that the
    completion hooks run inside learning's transaction. Returns the StudyProgress."""
    from cloudbranch.learning import tracking

    t0 = now or timezone.now()
    if resource.kind in ("video", "audio"):
        duration = resource.duration_seconds or 60
        progress = tracking.heartbeat(person=person, resource=resource, position=0, now=t0)
        t = 0
        while progress.completed_at is None and t < 10 * duration:
            t += 15
            progress = tracking.heartbeat(
                person=person, resource=resource, position=t * 2, now=t0 + datetime.timedelta(seconds=t)
            )
        return progress
    seconds = max(int(resource.min_seconds), 1)
    progress = tracking.heartbeat(person=person, resource=resource, now=t0)
    t = 0
    while progress.completed_at is None and t < 3 * seconds + 60:
        t += 15
        progress = tracking.heartbeat(person=person, resource=resource, now=t0 + datetime.timedelta(seconds=t))
    return progress


# --- results area (assignments, exam, certificates) -----------------------------------------


def make_assignment(training_class, **fields):
    """An assignment of ``training_class`` due in a week (required, 100 points, pass 60)."""
    from cloudbranch.school.models import Assignment

    data = {
        "title": "学习党章心得体会",
        "prompt": "结合专题学习，谈谈对党的性质和宗旨的认识。",
        "due_at": timezone.now() + datetime.timedelta(days=7),
        "required": True,
        "min_chars": 0,
        "max_score": 100,
        "pass_score": 60,
    } | fields
    return Assignment.objects.create(training_class=training_class, **data)


def make_submission(assignment, enrolment, *, status="graded", score=80, **fields):
    """A submission written directly (``status`` graded by default with ``score``)."""
    from cloudbranch.school.models import Submission

    data = {"text": "心得体会正文。", "status": status, "score": score if status == "graded" else None} | fields
    return Submission.objects.create(assignment=assignment, enrolment=enrolment, **data)


def make_certificate(enrolment, *, serial=None, issued_on=None):
    """A certificate written directly (the enrolment is set PASSED)."""
    from cloudbranch.school.models import Certificate

    enrolment.status = EnrolmentStatus.PASSED
    enrolment.save(update_fields=["status"])
    serial = serial or f"JJ{timezone.localdate().year}-{9000 + enrolment.pk:04d}"
    return Certificate.objects.create(enrolment=enrolment, serial=serial, issued_on=issued_on or timezone.localdate())


def finishing_class(unit, *, head_teacher=None, **fields) -> TrainingClass:
    """A RUNNING class whose end date has passed (ready to be finalized)."""
    today = timezone.localdate()
    data = {
        "status": ClassStatus.RUNNING,
        "starts_on": today - datetime.timedelta(days=10),
        "ends_on": today - datetime.timedelta(days=1),
    } | fields
    return make_class(unit, head_teacher=head_teacher, **data)


# --- reports area ----------------------------------------------------------------------------


def make_attendance(session, enrolment, *, method="manual", checked_in_at=None):
    """An Attendance row written directly (no hours credited)."""
    from cloudbranch.school.models import Attendance

    return Attendance.objects.create(
        session=session, enrolment=enrolment, method=method, checked_in_at=checked_in_at or timezone.now()
    )


def make_hour_entry(enrolment, *, hours=Decimal("1"), session=None, resource=None, source=None, content_key=None):
    """An HourEntry written directly and Enrolment.hours bumped (online when a resource is given,
    else the session's kind). ``content_key`` defaults to "resource:<id>" / "session:<id>"."""
    from cloudbranch.school.choices import HourSource
    from cloudbranch.school.models import HourEntry

    if source is None:
        if resource is not None:
            source = HourSource.ONLINE
        elif session is not None and session.kind == SessionKind.LIVE:
            source = HourSource.LIVE
        else:
            source = HourSource.OFFLINE
    if content_key is None:
        content_key = f"resource:{resource.pk}" if source == HourSource.ONLINE else f"session:{session.pk}"
    entry = HourEntry.objects.create(
        enrolment=enrolment, content_key=content_key, source=source, session=session, resource=resource, hours=hours
    )
    Enrolment.objects.filter(pk=enrolment.pk).update(hours=enrolment.hours + Decimal(hours))
    enrolment.refresh_from_db(fields=["hours"])
    return entry


def make_evaluation(session, enrolment, *, content=5, lecturer=5, comment=""):
    """An Evaluation written directly (no rule checked)."""
    from cloudbranch.school.models import Evaluation

    return Evaluation.objects.create(
        session=session, enrolment=enrolment, content_rating=content, lecturer_rating=lecturer, comment=comment
    )
