"""Top-down tasks (任务管理, SPEC §9): an upper unit issues a task to units of its subtree; each
receiving unit assigns a responsible person, reports progress and completion with evidence, and
the issuer accepts or returns it."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import ScopedQuerySet
from cloudbranch.people.models import Person

from .choices import ReportKind, ReviewDecision, TargetStatus, TaskStatus


def upload_path(instance, filename: str) -> str:
    return f"worktasks/{timezone.now():%Y/%m}/{secrets.token_hex(8)}-{filename[-80:]}"


class AssignedTask(models.Model):
    """A task issued by a unit (``issuer``) to some units of its subtree (``TaskTarget`` rows)."""

    scope_path = "issuer__path"

    issuer = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("下发单位"))
    title = models.CharField(_("任务名称"), max_length=200)
    requirements = models.TextField(_("任务要求"))
    evidence_expected = models.CharField(_("需报送的材料"), max_length=300, blank=True)
    deadline = models.DateTimeField(_("完成时限"))
    status = models.CharField(_("状态"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.DRAFT)
    issued_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(_("撤销原因"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("工作任务")
        verbose_name_plural = _("工作任务")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "deadline"])]

    def __str__(self) -> str:
        return self.title


class TaskAttachment(models.Model):
    task = models.ForeignKey(AssignedTask, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=upload_path, max_length=255)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)


class TaskTarget(models.Model):
    """One receiving unit of a task: its own state, responsible person and timing. Scoped by the
    receiving unit, so a branch sees its targets and the issuer (above) sees all of them."""

    scope_path = "unit__path"

    task = models.ForeignKey(AssignedTask, on_delete=models.CASCADE, related_name="targets")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=16, choices=TargetStatus.choices, default=TargetStatus.ISSUED)
    responsible = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("责任人")
    )
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    received_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    on_time = models.BooleanField(null=True, help_text=_("通过的报送是否在时限内"))
    reminded_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("任务承办")
        verbose_name_plural = _("任务承办")
        ordering = ["unit__path"]
        constraints = [models.UniqueConstraint(fields=["task", "unit"], name="worktasks_target_once")]
        indexes = [models.Index(fields=["unit", "status"])]


class TaskReport(models.Model):
    """A progress note or a completion report with evidence files."""

    target = models.ForeignKey(TaskTarget, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(max_length=16, choices=ReportKind.choices)
    text = models.TextField(_("内容"))
    progress = models.PositiveSmallIntegerField(default=0)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["submitted_at", "id"]


class TaskEvidence(models.Model):
    report = models.ForeignKey(TaskReport, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to=upload_path, max_length=255)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)


class TaskReview(models.Model):
    target = models.ForeignKey(TaskTarget, on_delete=models.CASCADE, related_name="reviews")
    decision = models.CharField(max_length=16, choices=ReviewDecision.choices)
    comment = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
