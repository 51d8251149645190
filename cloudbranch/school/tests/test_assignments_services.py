"""Assignments: who sets them, the submission rules (min chars, late flagged not refused, file
checks, resubmission while not graded or when returned), grading and returns, audit, scope."""

import datetime
import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.notifications.models import Notification
from cloudbranch.orgs.roles import Role
from cloudbranch.school import assignments
from cloudbranch.school.choices import ClassStatus, SubmissionStatus
from cloudbranch.testing.factories import UserFactory, grant

from .factories import make_assignment, make_class, make_enrolment, make_student

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(world):
    teacher = UserFactory(display_name="班主任")
    tc = make_class(world.college_a, head_teacher=teacher, status=ClassStatus.RUNNING)
    user, person = make_student(world.branch_a1, name="赵学员")
    enrolment = make_enrolment(tc, person)
    return teacher, tc, user, enrolment


def _create(actor, tc, **kw):
    data = {
        "title": "心得体会",
        "prompt": "写一篇心得",
        "due_at": timezone.now() + datetime.timedelta(days=3),
        "min_chars": 10,
        "max_score": 100,
        "pass_score": 60,
    } | kw
    return assignments.assignment_create(actor=actor, class_id=tc.pk, **data)


def test_head_teacher_creates_assignment_audited_and_students_notified(
    world, setup, django_capture_on_commit_callbacks
):
    teacher, tc, user, _ = setup
    with django_capture_on_commit_callbacks(execute=True):
        a = _create(teacher, tc)
    assert a.training_class == tc and a.required
    assert AuditEvent.objects.filter(action="school.assignment.create", target_id=str(a.pk)).exists()
    assert Notification.objects.filter(recipient=user, title__contains="心得体会").exists()


def test_assignment_rules_and_permissions(world, setup):
    teacher, tc, user, _ = setup
    with pytest.raises(DomainError) as exc:
        _create(teacher, tc, pass_score=120)
    assert exc.value.errors[0]["field"] == "pass_score"
    with pytest.raises(PermissionDenied):  # a student sees the class but does not run it
        _create(user, tc)
    with pytest.raises(Http404):  # a sibling branch's secretary does not see it
        _create(world.users["secretary2"], tc)
    cs_b = UserFactory()
    grant(cs_b, world.college_b, Role.COMMITTEE_SECRETARY)
    with pytest.raises(Http404):  # sibling college
        _create(cs_b, tc)
    cs_a = UserFactory()
    grant(cs_a, world.college_a, Role.COMMITTEE_SECRETARY)
    assert _create(cs_a, tc).pk
    tc.status = ClassStatus.FINISHED
    tc.save()
    with pytest.raises(ConflictError):
        _create(teacher, tc)


def test_min_chars_counts_non_blank_characters(world, setup):
    teacher, tc, user, _ = setup
    a = _create(teacher, tc, min_chars=10)
    with pytest.raises(DomainError) as exc:
        assignments.submission_submit(actor=user, assignment_id=a.pk, text="九 个 字 不 够 十 个 字 呀")
    assert "不少于 10 字，目前 9 字" in exc.value.errors[0]["message"]
    sub = assignments.submission_submit(actor=user, assignment_id=a.pk, text="<b>十个字刚刚好够了的</b>")
    assert sub.status == SubmissionStatus.SUBMITTED
    assert sub.text == "<b>十个字刚刚好够了的</b>"  # stored as typed (escaped on output)


def test_late_submission_accepted_and_flagged(world, setup, django_capture_on_commit_callbacks):
    teacher, tc, user, _ = setup
    a = make_assignment(tc, due_at=timezone.now() - datetime.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        sub = assignments.submission_submit(actor=user, assignment_id=a.pk, text="迟交的作业内容")
    assert assignments.is_late(sub)
    event = AuditEvent.objects.get(action="school.submission.submit", target_id=str(sub.pk))
    assert event.changes["late"] == {"new": True}
    assert Notification.objects.filter(recipient=teacher, title__contains="逾期").exists()


def test_resubmit_while_pending_and_after_return_but_not_after_grading(world, setup):
    teacher, tc, user, _ = setup
    a = make_assignment(tc)
    sub = assignments.submission_submit(actor=user, assignment_id=a.pk, text="第一稿")
    again = assignments.submission_submit(actor=user, assignment_id=a.pk, text="第二稿")
    assert again.pk == sub.pk and again.text == "第二稿"
    with pytest.raises(DomainError):
        assignments.submission_return(actor=teacher, submission_id=sub.pk, comment="  ")
    returned = assignments.submission_return(actor=teacher, submission_id=sub.pk, comment="请补充联系实际的内容")
    assert returned.status == SubmissionStatus.RETURNED
    with pytest.raises(ConflictError):  # waiting for the student
        assignments.submission_grade(actor=teacher, submission_id=sub.pk, score=80)
    third = assignments.submission_submit(actor=user, assignment_id=a.pk, text="第三稿，已联系实际")
    assert third.status == SubmissionStatus.SUBMITTED
    graded = assignments.submission_grade(actor=teacher, submission_id=sub.pk, score=85, comment="好")
    assert (graded.status, graded.score, graded.graded_by) == (SubmissionStatus.GRADED, 85, teacher)
    with pytest.raises(ConflictError):
        assignments.submission_submit(actor=user, assignment_id=a.pk, text="第四稿")
    actions = set(AuditEvent.objects.filter(target_id=str(sub.pk)).values_list("action", flat=True))
    assert actions == {
        "school.submission.submit",
        "school.submission.resubmit",
        "school.submission.return",
        "school.submission.grade",
    }


def test_score_range(world, setup):
    teacher, tc, user, _ = setup
    a = make_assignment(tc, max_score=50, pass_score=30)
    sub = assignments.submission_submit(actor=user, assignment_id=a.pk, text="作业")
    with pytest.raises(DomainError) as exc:
        assignments.submission_grade(actor=teacher, submission_id=sub.pk, score=51)
    assert "0 到 50" in exc.value.errors[0]["message"]
    assert assignments.submission_grade(actor=teacher, submission_id=sub.pk, score=0).score == 0


def test_only_managers_grade(world, setup):
    teacher, tc, user, _ = setup
    a = make_assignment(tc)
    sub = assignments.submission_submit(actor=user, assignment_id=a.pk, text="作业")
    with pytest.raises(PermissionDenied):
        assignments.submission_grade(actor=user, submission_id=sub.pk, score=100)
    with pytest.raises(Http404):
        assignments.submission_grade(actor=world.users["secretary2"], submission_id=sub.pk, score=100)


def test_non_students_cannot_submit(world, setup):
    teacher, tc, _user, _ = setup
    a = make_assignment(tc)
    with pytest.raises(Http404):
        assignments.submission_submit(actor=world.users["member1"], assignment_id=a.pk, text="作业")
    with pytest.raises(PermissionDenied):  # the head teacher manages, is not a student
        assignments.submission_submit(actor=teacher, assignment_id=a.pk, text="作业")


def _docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def test_file_checked_by_content_and_size(world, setup):
    teacher, tc, user, _ = setup
    a = make_assignment(tc)
    fake = SimpleUploadedFile("心得.pdf", b"not a pdf", content_type="application/pdf")
    with pytest.raises(DomainError) as exc:
        assignments.submission_submit(actor=user, assignment_id=a.pk, text="作业", file=fake)
    assert exc.value.errors[0]["field"] == "file"
    exe = SimpleUploadedFile("a.exe", b"MZ....", content_type="application/octet-stream")
    with pytest.raises(DomainError):
        assignments.submission_submit(actor=user, assignment_id=a.pk, text="作业", file=exe)
    big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), content_type="application/pdf")
    with pytest.raises(DomainError) as exc:
        assignments.submission_submit(actor=user, assignment_id=a.pk, text="作业", file=big)
    assert "10 MB" in exc.value.errors[0]["message"]
    good = SimpleUploadedFile("心得.docx", _docx())
    sub = assignments.submission_submit(actor=user, assignment_id=a.pk, text="作业", file=good)
    assert sub.file.name.endswith("心得.docx")
