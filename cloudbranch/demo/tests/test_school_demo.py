"""The Party school demo (issue 13 item 8): one class of each kind with students in every state,
activist1 in a running class with today's session open, a finished candidates' class linked to the
development cases, certificates that verify, at a small scale (seeded once per module)."""

import datetime

import pytest
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.demo import school_demo, seeding
from cloudbranch.demo.generator import ScaleParams
from cloudbranch.development.models import StepRecord
from cloudbranch.learning.models import StudyProgress
from cloudbranch.people.models import Person
from cloudbranch.school import access, attendance, certificates, results
from cloudbranch.school.choices import ClassKind, ClassStatus, EnrolmentStatus, HourSource, SubmissionStatus
from cloudbranch.school.models import (
    Certificate,
    ClassSession,
    Enrolment,
    Evaluation,
    HourEntry,
    SerialCounter,
    Submission,
    TrainingClass,
)

from .parts import module_seed

PARAMS = ScaleParams(universities=1, colleges=3, branches=12, people=900)
allow_accounts = override_settings(DEBUG=True, DEMO_PASSWORD="demo12345")
MODELS = (TrainingClass, ClassSession, Enrolment, HourEntry, Submission, Certificate, Evaluation)


def seed():
    with allow_accounts:
        return seeding.seed(scale="demo", seed=1, params=PARAMS)


_media, _only_these_parts, _seed_of_the_module = module_seed(
    "development", "learning", "school", seed=seed, media="school"
)


@pytest.fixture
def seeded(_seed_of_the_module, db):
    assert _seed_of_the_module.created and _seed_of_the_module.school
    return _seed_of_the_module


def running_class():
    return TrainingClass.objects.get(kind=ClassKind.ACTIVIST, status=ClassStatus.RUNNING)


def test_one_class_of_each_kind_this_year(seeded):
    kinds = {(c.kind, c.status) for c in TrainingClass.objects.all()}
    assert (ClassKind.ACTIVIST, ClassStatus.RUNNING) in kinds
    assert (ClassKind.CANDIDATE, ClassStatus.FINISHED) in kinds
    assert (ClassKind.SECRETARY, ClassStatus.FINISHED) in kinds
    assert (ClassKind.PROBATIONARY, ClassStatus.ENROLLING) in kinds
    c = seeded.school
    assert c["classes"] == 4 and c["classes_bulk"] >= 1
    assert AuditEvent.objects.get(action=school_demo.SCHOOL_ACTION).changes["classes"] == 4
    assert AuditEvent.objects.filter(action="school.class.finalize").count() == 2  # through the service
    for tc in TrainingClass.objects.all():
        assert tc.year == tc.starts_on.year


def test_students_at_every_state(seeded):
    statuses = set(Enrolment.objects.values_list("status", flat=True))
    assert statuses == set(EnrolmentStatus.values)
    tc = running_class()
    here = set(tc.enrolments.values_list("status", flat=True))
    assert {
        EnrolmentStatus.ENROLLED,
        EnrolmentStatus.WAITLISTED,
        EnrolmentStatus.WITHDRAWAL_REQUESTED,
        EnrolmentStatus.WITHDRAWN,
    } <= here
    assert tc.enrolments.filter(status=EnrolmentStatus.ENROLLED, hours__gt=0).exists()
    failed = Enrolment.objects.filter(status=EnrolmentStatus.FAILED, training_class__kind=ClassKind.CANDIDATE)
    assert failed.exists() and all(e.result_note.startswith("未达到：") for e in failed)
    subs = set(Submission.objects.values_list("status", flat=True))
    assert subs == set(SubmissionStatus.values)
    assert Evaluation.objects.exclude(comment="").exists()
    assert HourEntry.objects.filter(source=HourSource.REPLAY).exists()
    assert HourEntry.objects.filter(source=HourSource.ONLINE).exists()


def test_candidates_class_records_training_step_and_exam(seeded):
    tc = TrainingClass.objects.get(kind=ClassKind.CANDIDATE)
    assert tc.exam_paper_id and tc.enrolments.filter(exam_score__isnull=False).count() >= 3
    passed = tc.enrolments.filter(status=EnrolmentStatus.PASSED)
    assert passed.count() >= 2
    linked = passed.filter(development_note=results.DEV_OK)
    assert linked.exists()
    for e in linked:
        record = StepRecord.objects.get(case__person=e.person, step__code="training")
        assert record.data["certificate"] == e.certificate.serial
    revoked = Certificate.objects.filter(revoked_at__isnull=False)
    assert revoked.count() == 1 and revoked.get().revoke_reason


def test_activist1_checks_in_to_todays_session(seeded, client):
    me = Person.objects.get(user__username="activist1")
    tc = running_class()
    mine = tc.enrolments.get(person=me)
    assert mine.status == EnrolmentStatus.ENROLLED and 0 < mine.hours < tc.pass_hours
    assert access.visible_classes(me.user).filter(pk=tc.pk).exists()
    head = tc.head_teacher
    assert head.username == "college1"
    now = timezone.now()
    today = [s for s in tc.sessions.all() if attendance.window_open(s, now)]
    assert len(today) == 1
    session = today[0]
    assert attendance.session_for_manager(head, session.pk) == session  # the head teacher sees the code
    before = mine.hours
    attendance.checkin_with_code(actor=me.user, code=session.checkin_code)
    mine.refresh_from_db()
    assert mine.hours == before + session.hours
    # The online course is partly done.
    assert HourEntry.objects.filter(enrolment=mine, source=HourSource.ONLINE).count() >= 1
    online = tc.sessions.get(kind="online")
    assert HourEntry.objects.filter(enrolment=mine, source=HourSource.ONLINE).count() < online.items.count()
    # ... with one item half read, for 继续学习 (the learning demo has had activist1 read most articles).
    half_read = StudyProgress.objects.filter(
        person=me, resource__in=online.items.values("resource"), completed_at__isnull=True, seconds__gt=0
    )
    assert half_read.exists()
    client.force_login(me.user)
    assert client.get(reverse("school:my")).status_code == 200


def test_certificate_verifies(seeded, client):
    cert = Certificate.objects.filter(revoked_at__isnull=True).order_by("id").first()
    found = certificates.verify(cert.code)
    assert found is not None
    page = client.get(reverse("school:verify", args=[cert.code]))
    assert page.status_code == 200
    assert cert.serial in page.content.decode()
    # Serial counters agree with the numbers issued.
    for counter in SerialCounter.objects.all():
        assert Certificate.objects.filter(serial__startswith=counter.key).count() == counter.value


def test_secretary1_passed_and_heads_the_enrolling_class(seeded):
    sec = TrainingClass.objects.get(kind=ClassKind.SECRETARY)
    assert sec.enrolments.filter(person__user__username="secretary1", status=EnrolmentStatus.PASSED).exists()
    prob = TrainingClass.objects.get(kind=ClassKind.PROBATIONARY)
    assert prob.head_teacher.username == "secretary1"
    assert prob.enrolments.filter(status=EnrolmentStatus.WAITLISTED).exists()


def test_second_seed_adds_nothing(seeded):
    before = {m.__name__: m.objects.count() for m in MODELS}
    again = seed()
    assert not again.created and again.school is None
    assert {m.__name__: m.objects.count() for m in MODELS} == before


def test_dates(seeded):
    today = timezone.localdate()
    for tc in TrainingClass.objects.filter(status=ClassStatus.FINISHED):
        assert tc.ends_on <= today - datetime.timedelta(days=20)
