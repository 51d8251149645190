"""Assignments (作业): essays and reflections the head teacher sets, students submit online, the
head teacher grades or returns for revision.

Rules:

* The class's managers (``access.may_manage``: head teacher or ``school.change_trainingclass``
  at the class unit) create assignments while the class is not finished or cancelled;
  ``pass_score`` ≤ ``max_score``.
* A student of the class (their own Enrolment, in the class: enrolled or asking to withdraw)
  submits plain text (never sanitized: stored as typed, escaped on output) of at least
  ``min_chars`` characters (whitespace not counted) with an optional PDF/Office file (content
  checked, ≤ 10 MB).
* Due time: a submission after ``due_at`` is ACCEPTED and flagged late (``is_late``: submitted_at
  > due_at); the head teacher sees the flag and decides (grades it, returns it or gives a low
  score). Nothing is refused for lateness, so a student who missed the date by an hour is not
  locked out by the system — the decision stays with a person.
* Resubmission replaces the text (and the file when a new one is sent) while the submission is
  waiting to be graded or has been returned for revision; a graded submission is final
  (ConflictError).
* Grading: a score 0..max_score with an optional comment, or a return for revision with a
  required comment. Grading a returned submission waits for the student (ConflictError);
  a graded one may be re-graded until the class is finished.

Every write is audited in its transaction; students and head teacher are notified
(Category.LEARNING) after commit.
"""

from __future__ import annotations

import datetime
import os

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.services import audit_record, field_changes
from cloudbranch.core import images as core_images
from cloudbranch.core.documents import matches_extension
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.notifications.choices import Category
from cloudbranch.notifications.services import notify

from . import access
from .choices import ClassStatus, EnrolmentStatus, SubmissionStatus
from .models import Assignment, Enrolment, Submission, TrainingClass

MB = 1024 * 1024
MAX_FILE_BYTES = 10 * MB
FILE_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
FILE_HINT = "附件只能是 PDF、Word（.docx）、Excel（.xlsx）或 PowerPoint（.pptx），不超过 10 MB。"
CLOSED_CLASS = (ClassStatus.FINISHED, ClassStatus.CANCELLED)
#: Enrolments that may submit work.
SUBMITTING = (EnrolmentStatus.ENROLLED, EnrolmentStatus.WITHDRAWAL_REQUESTED)
ASSIGNMENT_FIELDS = ("title", "prompt", "due_at", "required", "min_chars", "max_score", "pass_score")


def is_late(submission: Submission, assignment: Assignment | None = None) -> bool:
    assignment = assignment or submission.assignment
    return submission.submitted_at > assignment.due_at


def count_chars(text: str) -> int:
    """Characters that count towards ``min_chars``: every character except whitespace."""
    return sum(1 for ch in text or "" if not ch.isspace())


def _on_commit_notify(**kwargs) -> None:
    transaction.on_commit(lambda: notify(**kwargs))


def _open_class(tc: TrainingClass) -> None:
    if tc.status in CLOSED_CLASS:
        raise ConflictError(f"培训班{tc.get_status_display()}，不能再布置或提交作业。")


# --- assignments -----------------------------------------------------------------------------


def check_assignment(data: dict) -> list[dict]:
    errors = []
    if not (data.get("title") or "").strip():
        errors.append({"field": "title", "message": "请填写作业题目。"})
    if not (data.get("prompt") or "").strip():
        errors.append({"field": "prompt", "message": "请填写作业要求。"})
    if not data.get("due_at"):
        errors.append({"field": "due_at", "message": "请填写截止时间。"})
    max_score, pass_score = data.get("max_score"), data.get("pass_score")
    if max_score is None or int(max_score) < 1:
        errors.append({"field": "max_score", "message": "满分至少为 1 分。"})
    if pass_score is None or int(pass_score) < 0:
        errors.append({"field": "pass_score", "message": "合格分不能为负数。"})
    elif max_score is not None and int(pass_score) > int(max_score):
        errors.append({"field": "pass_score", "message": f"合格分不能高于满分 {max_score} 分。"})
    if data.get("min_chars") is not None and int(data["min_chars"]) < 0:
        errors.append({"field": "min_chars", "message": "最少字数不能为负数。"})
    return errors


def assignment_create(
    *,
    actor,
    class_id,
    title: str,
    prompt: str,
    due_at: datetime.datetime,
    required: bool = True,
    min_chars: int = 0,
    max_score: int = 100,
    pass_score: int = 60,
) -> Assignment:
    data = {
        "title": (title or "").strip(),
        "prompt": (prompt or "").strip(),
        "due_at": due_at,
        "required": bool(required),
        "min_chars": 0 if min_chars is None else min_chars,
        "max_score": max_score,
        "pass_score": pass_score,
    }
    with transaction.atomic():
        tc = access.class_for_manager(actor, class_id)
        tc = TrainingClass.objects.select_for_update().get(pk=tc.pk)
        _open_class(tc)
        errors = check_assignment(data)
        if errors:
            raise DomainError("作业信息有误，请检查标注的项目。", errors=errors)
        assignment = Assignment.objects.create(training_class=tc, **data)
        audit_record(
            actor=actor,
            action="school.assignment.create",
            target=assignment,
            changes=field_changes({}, assignment, fields=ASSIGNMENT_FIELDS),
        )
        users = list(
            Enrolment.objects.filter(training_class=tc, status__in=SUBMITTING, person__user__isnull=False).values_list(
                "person__user_id", flat=True
            )
        )
        if users:
            _on_commit_notify(
                recipients=users,
                category=Category.LEARNING,
                title=f"新作业：{assignment.title}",
                body=f"{tc.title}布置了作业，截止时间 {timezone.localtime(due_at):%Y-%m-%d %H:%M}。",
                url=reverse("school:assignment", args=[assignment.pk]),
                actor=actor,
            )
    return assignment


def assignments_of(training_class: TrainingClass):
    """The class's assignments with ``submitted_count``, ``pending_count`` and ``graded_count``."""
    return (
        Assignment.objects.filter(training_class=training_class)
        .annotate(
            submitted_count=Count("submissions"),
            pending_count=Count("submissions", filter=Q(submissions__status=SubmissionStatus.SUBMITTED)),
            graded_count=Count("submissions", filter=Q(submissions__status=SubmissionStatus.GRADED)),
        )
        .order_by("due_at", "id")
    )


def assignment_for_viewer(user, assignment_id) -> tuple[Assignment, bool, Enrolment | None]:
    """(assignment, may_manage, the user's own enrolment) — 404 unless the user manages the class
    or is one of its students (followers of one student see the class's roster, not its work)."""
    try:
        assignment = Assignment.objects.select_related("training_class__unit", "training_class__head_teacher").get(
            pk=int(assignment_id)
        )
    except (Assignment.DoesNotExist, ValueError, TypeError):
        assignment = None
    if assignment is None:
        raise Http404
    tc = assignment.training_class
    manage = access.may_manage(user, tc)
    mine = access.enrolment_of(user, tc)
    if not manage and mine is None:
        raise Http404
    return assignment, manage, mine


def class_for_assignments(user, class_id) -> tuple[TrainingClass, bool, Enrolment | None]:
    """The class's assignment list is for its managers and its students; other viewers 403."""
    tc = access.class_for_viewer(user, class_id)
    manage = access.may_manage(user, tc)
    mine = access.enrolment_of(user, tc)
    if not manage and mine is None:
        raise PermissionDenied
    return tc, manage, mine


# --- submissions -----------------------------------------------------------------------------


def clean_file(uploaded_file, *, field: str = "file") -> tuple[str, bytes]:
    """(name, bytes) of a valid attachment, or DomainError on ``field``."""
    original = core_images.upload_name(uploaded_file, default="附件")[-120:]
    data = core_images.read_upload(
        uploaded_file, max_bytes=MAX_FILE_BYTES, too_big=f"文件“{original}”超过 10 MB，不能上传。", field=field
    )
    if not data:
        raise core_images.refuse(f"文件“{original}”是空文件。", field=field)
    ext = os.path.splitext(original)[1].lower()
    if ext not in FILE_TYPES:
        raise core_images.refuse(f"不支持的文件类型“{ext or original}”。{FILE_HINT}", field=field)
    if not matches_extension(ext, data):
        raise core_images.refuse(f"文件“{original}”的内容与扩展名 {ext} 不符。{FILE_HINT}", field=field)
    return original, data


def submission_submit(*, actor, assignment_id, text: str, file=None, now=None) -> Submission:
    """Submit or resubmit the actor's own work (see the module docstring for the rules)."""
    now = now or timezone.now()
    text = text or ""
    with transaction.atomic():
        assignment, _manage, mine = assignment_for_viewer(actor, assignment_id)
        if mine is None:
            raise PermissionDenied
        if mine.status not in SUBMITTING:
            raise ConflictError(f"你在本班的状态为“{mine.get_status_display()}”，不能提交作业。")
        _open_class(assignment.training_class)
        errors = []
        chars = count_chars(text)
        if chars == 0:
            errors.append({"field": "text", "message": "请填写作业内容。"})
        elif chars < assignment.min_chars:
            errors.append({"field": "text", "message": f"作业不少于 {assignment.min_chars} 字，目前 {chars} 字。"})
        cleaned = None
        if file:
            try:
                cleaned = clean_file(file)
            except DomainError as exc:
                errors.extend(exc.errors)
        if errors:
            raise DomainError("作业未能提交，请检查标注的项目。", errors=errors)
        existing = Submission.objects.select_for_update().filter(assignment=assignment, enrolment=mine).first()
        if existing is not None and existing.status == SubmissionStatus.GRADED:
            raise ConflictError("作业已批阅，不能再修改。")
        before = {"status": existing.status, "text": existing.text} if existing else {}
        sub = existing or Submission(assignment=assignment, enrolment=mine)
        sub.text = text
        sub.status = SubmissionStatus.SUBMITTED
        sub.submitted_at = now
        if cleaned is not None:
            name, data = cleaned
            sub.file.save(name, ContentFile(data), save=False)
        sub.save()
        late = sub.submitted_at > assignment.due_at
        changes = field_changes(before, sub, fields=("status",))
        changes["chars"] = {"new": chars}
        changes["late"] = {"new": late}
        if cleaned is not None:
            changes["file"] = {"new": cleaned[0]}
        audit_record(
            actor=actor,
            action="school.submission.resubmit" if existing else "school.submission.submit",
            target=sub,
            changes=changes,
        )
        tc = assignment.training_class
        _on_commit_notify(
            recipients=[tc.head_teacher_id],
            category=Category.LEARNING,
            title=f"{mine.person.name}{'重新' if existing else ''}提交了作业：{assignment.title}"
            + ("（逾期）" if late else ""),
            url=reverse("school:assignment", args=[assignment.pk]),
            actor=actor,
        )
    return sub


def _submission_for_manager(actor, submission_id) -> Submission:
    sub = (
        Submission.objects.select_related("assignment__training_class__unit", "enrolment__person")
        .filter(pk=submission_id)
        .first()
    )
    if sub is None:
        raise Http404
    access.require_manage(actor, sub.assignment.training_class)
    return (
        Submission.objects.select_for_update()
        .select_related("assignment__training_class", "enrolment__person")
        .get(pk=sub.pk)
    )


def submission_grade(*, actor, submission_id, score: int | None = None, comment: str = "", now=None) -> Submission:
    """Grade with a score 0..max_score."""
    now = now or timezone.now()
    comment = (comment or "").strip()
    with transaction.atomic():
        sub = _submission_for_manager(actor, submission_id)
        assignment = sub.assignment
        _open_class(assignment.training_class)
        if sub.status == SubmissionStatus.RETURNED:
            raise ConflictError("作业已退回修改，等待学员重新提交后再批阅。")
        if score is None or not (0 <= int(score) <= assignment.max_score):
            raise DomainError(
                "成绩有误。",
                errors=[{"field": "score", "message": f"成绩应在 0 到 {assignment.max_score} 分之间。"}],
            )
        if len(comment) > 500:
            raise DomainError("评语过长。", errors=[{"field": "comment", "message": "评语不超过 500 字。"}])
        before = {"status": sub.status, "score": sub.score, "comment": sub.comment}
        sub.status, sub.score, sub.comment = SubmissionStatus.GRADED, int(score), comment
        sub.graded_by, sub.graded_at = actor, now
        sub.save(update_fields=["status", "score", "comment", "graded_by", "graded_at"])
        audit_record(
            actor=actor,
            action="school.submission.grade",
            target=sub,
            changes=field_changes(before, sub, fields=("status", "score", "comment")),
        )
        user_id = sub.enrolment.person.user_id
        if user_id:
            passed = "合格" if sub.score >= assignment.pass_score else "未达合格分"
            _on_commit_notify(
                recipients=[user_id],
                category=Category.LEARNING,
                title=f"作业已批阅：{assignment.title}",
                body=f"成绩 {sub.score}/{assignment.max_score}（{passed}）。{comment}",
                url=reverse("school:assignment", args=[assignment.pk]),
                actor=actor,
            )
    return sub


def submission_return(*, actor, submission_id, comment: str, now=None) -> Submission:
    """Return for revision; the comment says what to change."""
    now = now or timezone.now()
    comment = (comment or "").strip()
    with transaction.atomic():
        sub = _submission_for_manager(actor, submission_id)
        assignment = sub.assignment
        _open_class(assignment.training_class)
        if not comment:
            raise DomainError("请写明退回修改的意见。", errors=[{"field": "comment", "message": "请写明修改意见。"}])
        if len(comment) > 500:
            raise DomainError("意见过长。", errors=[{"field": "comment", "message": "意见不超过 500 字。"}])
        if sub.status == SubmissionStatus.RETURNED:
            raise ConflictError("作业已经退回修改。")
        before = {"status": sub.status, "score": sub.score, "comment": sub.comment}
        sub.status, sub.score, sub.comment = SubmissionStatus.RETURNED, None, comment
        sub.graded_by, sub.graded_at = actor, now
        sub.save(update_fields=["status", "score", "comment", "graded_by", "graded_at"])
        audit_record(
            actor=actor,
            action="school.submission.return",
            target=sub,
            changes=field_changes(before, sub, fields=("status", "score", "comment")),
        )
        user_id = sub.enrolment.person.user_id
        if user_id:
            _on_commit_notify(
                recipients=[user_id],
                category=Category.LEARNING,
                title=f"作业退回修改：{assignment.title}",
                body=comment,
                url=reverse("school:assignment", args=[assignment.pk]),
                actor=actor,
            )
    return sub


def submissions_of(assignment: Assignment):
    """Every submission of an assignment (for its managers), with the student and unit: one query."""
    return (
        Submission.objects.filter(assignment=assignment)
        .select_related("enrolment__person__unit", "assignment")
        .order_by("status", "submitted_at", "id")
    )


def submissions_of_class(training_class: TrainingClass, *, status: str = ""):
    qs = (
        Submission.objects.filter(assignment__training_class=training_class)
        .select_related("enrolment__person__unit", "assignment")
        .order_by("assignment__due_at", "assignment_id", "submitted_at", "id")
    )
    if status:
        qs = qs.filter(status=status)
    return qs


def submission_for_viewer(user, submission_id) -> Submission:
    """The student's own submission or one of a class the user manages; 404 otherwise."""
    sub = (
        Submission.objects.select_related("assignment__training_class", "enrolment__person")
        .filter(pk=submission_id)
        .first()
    )
    if sub is None:
        raise Http404
    if sub.enrolment.person.user_id == user.pk or access.may_manage(user, sub.assignment.training_class):
        return sub
    raise Http404
