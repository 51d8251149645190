"""The online Party school (网上党校, SPEC §3): training classes with sessions (offline with
check-in, online courses built from library resources, live lectures with replays), class hours,
assignments, a final exam through the exam engine, and verifiable certificates."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import ScopedQuerySet
from cloudbranch.people.models import Person

from .choices import (
    CheckInMethod,
    ClassKind,
    ClassStatus,
    EnrolmentSource,
    EnrolmentStatus,
    HourSource,
    SessionKind,
    SubmissionStatus,
)


def upload_path(instance, filename: str) -> str:
    return f"school/{timezone.now():%Y/%m}/{secrets.token_hex(8)}-{filename[-80:]}"


def _secret() -> str:
    return secrets.token_urlsafe(32)


def _checkin_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def _verification_code() -> str:
    return secrets.token_urlsafe(12)


class TrainingClass(models.Model):
    """A class of one kind in one term, run by a unit (the school committee or a college) for
    its subtree. Passing needs ``pass_hours`` class hours, every required assignment graded at
    or above its pass score, and (when there is a final exam) a passing attempt."""

    scope_path = "unit__path"

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("举办单位"))
    kind = models.CharField(_("班次类型"), max_length=16, choices=ClassKind.choices)
    title = models.CharField(_("班次名称"), max_length=120)
    year = models.PositiveSmallIntegerField(_("年度"))
    term = models.CharField(_("期次"), max_length=32, blank=True, help_text=_("如“第 45 期”“春季班”"))
    starts_on = models.DateField(_("开班日期"))
    ends_on = models.DateField(_("结业日期"))
    capacity = models.PositiveIntegerField(_("招收人数"))
    pass_hours = models.DecimalField(_("结业所需学时"), max_digits=5, decimal_places=1, default=24)
    period_minutes = models.PositiveSmallIntegerField(_("每学时分钟数"), default=45)
    head_teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("班主任")
    )
    lecturers = models.CharField(_("授课教师"), max_length=300, blank=True)
    description = models.TextField(_("培训方案"), blank=True)
    enrolment_rule = models.JSONField(_("报名条件"), default=dict, blank=True)
    exam_paper = models.ForeignKey(
        "learning.Paper", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("结业考试")
    )
    exam_pass_score = models.DecimalField(
        _("考试合格分"), max_digits=6, decimal_places=1, null=True, blank=True, help_text=_("留空则按试卷及格分")
    )
    status = models.CharField(_("状态"), max_length=16, choices=ClassStatus.choices, default=ClassStatus.DRAFT)
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("培训班")
        verbose_name_plural = _("培训班")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="school_class_period"),
            models.CheckConstraint(condition=Q(period_minutes__gte=1), name="school_class_period_minutes"),
        ]

    def __str__(self) -> str:
        return self.title


class ClassSession(models.Model):
    """One item of the syllabus: an offline session (QR check-in), an online course (library
    resources with tracked study time) or a live lecture (check-in during the live window; the
    replay, a library resource uploaded afterwards, counts as online study of the same content)."""

    scope_path = "training_class__unit__path"

    training_class = models.ForeignKey(TrainingClass, on_delete=models.CASCADE, related_name="sessions")
    kind = models.CharField(_("形式"), max_length=16, choices=SessionKind.choices)
    title = models.CharField(_("课程名称"), max_length=120)
    lecturer = models.CharField(_("授课人"), max_length=64, blank=True)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    starts_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    ends_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    place = models.CharField(_("地点"), max_length=200, blank=True)
    stream_url = models.URLField(_("直播或会议链接"), max_length=500, blank=True)
    hours = models.DecimalField(_("学时"), max_digits=4, decimal_places=1, default=0)
    replay = models.ForeignKey(
        "learning.Resource", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("回放")
    )
    checkin_secret = models.CharField(max_length=64, default=_secret, editable=False)
    checkin_code = models.CharField(max_length=6, default=_checkin_code, editable=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("课程")
        verbose_name_plural = _("课程")
        ordering = ["position", "starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(starts_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="school_session_order",
            )
        ]

    def __str__(self) -> str:
        return self.title


class CourseItem(models.Model):
    """A library resource in an online course, with the class hours its completion earns."""

    session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="items")
    resource = models.ForeignKey("learning.Resource", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)
    hours = models.DecimalField(_("学时"), max_digits=4, decimal_places=1)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["session", "resource"], name="school_item_once")]


class Enrolment(models.Model):
    """A student in a class. Scoped by the student's own unit, so that a branch secretary follows
    their activists in a class run by the school committee; the class's officers see all of
    their students (a class admits only people of its unit's subtree)."""

    scope_path = "person__unit__path"

    training_class = models.ForeignKey(TrainingClass, on_delete=models.CASCADE, related_name="enrolments")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="school_enrolments")
    status = models.CharField(_("状态"), max_length=24, choices=EnrolmentStatus.choices)
    source = models.CharField(_("来源"), max_length=16, choices=EnrolmentSource.choices)
    enrolled_at = models.DateTimeField(default=timezone.now)
    hours = models.DecimalField(_("累计学时"), max_digits=5, decimal_places=1, default=0)
    exam_score = models.DecimalField(_("考试成绩"), max_digits=6, decimal_places=1, null=True, blank=True)
    withdraw_reason = models.CharField(_("退学原因"), max_length=200, blank=True)
    withdraw_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdraw_decided_at = models.DateTimeField(null=True, blank=True)
    result_at = models.DateTimeField(null=True, blank=True)
    result_note = models.CharField(_("结业说明"), max_length=300, blank=True)
    development_note = models.CharField(_("发展程序衔接"), max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("学员")
        verbose_name_plural = _("学员")
        ordering = ["enrolled_at", "id"]
        constraints = [models.UniqueConstraint(fields=["training_class", "person"], name="school_enrolment_once")]
        indexes = [models.Index(fields=["person", "status"]), models.Index(fields=["training_class", "status"])]


class Attendance(models.Model):
    """A student present at an offline session or at a live lecture during its window."""

    session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="attendances")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="attendances")
    checked_in_at = models.DateTimeField()
    method = models.CharField(max_length=8, choices=CheckInMethod.choices)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "enrolment"], name="school_attendance_once")]


class CheckInNonce(models.Model):
    """A used QR token of a session, kept so that a scan cannot be replayed."""

    session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=32)
    used_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "person", "nonce"], name="school_nonce_once")]


class HourEntry(models.Model):
    """Class hours credited to a student. ``content_key`` names the content ("session:<id>" for
    an offline session, a live lecture and its replay alike; "resource:<id>" for a library
    resource), unique per student: the same content never counts twice."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="hour_entries")
    content_key = models.CharField(max_length=40)
    source = models.CharField(max_length=16, choices=HourSource.choices)
    session = models.ForeignKey(ClassSession, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    resource = models.ForeignKey(
        "learning.Resource", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    hours = models.DecimalField(max_digits=4, decimal_places=1)
    credited_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["credited_at", "id"]
        constraints = [models.UniqueConstraint(fields=["enrolment", "content_key"], name="school_hours_once")]


class Assignment(models.Model):
    scope_path = "training_class__unit__path"

    training_class = models.ForeignKey(TrainingClass, on_delete=models.CASCADE, related_name="assignments")
    title = models.CharField(_("作业题目"), max_length=120)
    prompt = models.TextField(_("要求"))
    due_at = models.DateTimeField(_("截止时间"))
    required = models.BooleanField(_("结业必需"), default=True)
    min_chars = models.PositiveIntegerField(_("最少字数"), default=0)
    max_score = models.PositiveSmallIntegerField(_("满分"), default=100)
    pass_score = models.PositiveSmallIntegerField(_("合格分"), default=60)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("作业")
        verbose_name_plural = _("作业")
        ordering = ["due_at", "id"]


class Submission(models.Model):
    scope_path = "enrolment__person__unit__path"

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="submissions")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="submissions")
    text = models.TextField(_("作业内容"))
    file = models.FileField(_("附件"), upload_to=upload_path, max_length=255, blank=True)
    status = models.CharField(max_length=16, choices=SubmissionStatus.choices, default=SubmissionStatus.SUBMITTED)
    submitted_at = models.DateTimeField(default=timezone.now)
    score = models.PositiveSmallIntegerField(_("成绩"), null=True, blank=True)
    comment = models.CharField(_("评语"), max_length=500, blank=True)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    graded_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assignment", "enrolment"], name="school_submission_once")]


class Certificate(models.Model):
    """A completion certificate (结业证书): a serial number unique across the school and a random
    verification code for the public verification page (QR on the PDF). Revocation is recorded,
    never deleted."""

    scope_path = "enrolment__person__unit__path"

    enrolment = models.OneToOneField(Enrolment, on_delete=models.PROTECT, related_name="certificate")
    serial = models.CharField(_("证书编号"), max_length=32, unique=True)
    code = models.CharField(max_length=32, unique=True, default=_verification_code, editable=False)
    issued_on = models.DateField(_("颁发日期"))
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(_("撤销原因"), max_length=200, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("结业证书")
        verbose_name_plural = _("结业证书")
        ordering = ["serial"]


class SerialCounter(models.Model):
    """The last certificate number issued per prefix and year (locked while issuing)."""

    key = models.CharField(max_length=32, unique=True)
    value = models.PositiveIntegerField(default=0)


class Evaluation(models.Model):
    """A student's rating of a session's content and lecturer (1–5), once per session."""

    session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="evaluations")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="evaluations")
    content_rating = models.PositiveSmallIntegerField(_("课程评价"))
    lecturer_rating = models.PositiveSmallIntegerField(_("授课人评价"))
    comment = models.CharField(_("意见建议"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "enrolment"], name="school_evaluation_once"),
            models.CheckConstraint(
                condition=Q(
                    content_rating__gte=1, content_rating__lte=5, lecturer_rating__gte=1, lecturer_rating__lte=5
                ),
                name="school_evaluation_range",
            ),
        ]
