"""Accounts that people open themselves: attempts (for lockout), one-time codes, the console
channel's outbox, and invitation batches."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cloudbranch.orgs.scoping import ScopedQuerySet


class Purpose(models.TextChoices):
    ACTIVATION = "activation", _("账号开通")
    RESET = "reset", _("找回密码")


class ActivationAttempt(models.Model):
    """One try at activation or password reset, counted for the lockout.

    ``identity_key`` is a keyed hash of what identifies the person tried (the ID number entered
    for activation, the staff number for a reset): never the value itself.
    """

    purpose = models.CharField(_("用途"), max_length=16, choices=Purpose.choices)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    identity_key = models.CharField(max_length=64)
    success = models.BooleanField(_("成功"), default=False)
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("开通尝试")
        verbose_name_plural = _("开通尝试")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["identity_key", "success", "at"], name="onboarding_attempt_identity"),
            models.Index(fields=["ip", "success", "at"], name="onboarding_attempt_ip"),
        ]


class OneTimeCode(models.Model):
    """A 6-digit code sent to the roster phone/email. Only a salted keyed hash is stored."""

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(_("用途"), max_length=16, choices=Purpose.choices)
    channel = models.CharField(_("渠道"), max_length=32)
    salt = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    tries = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("过期时间"))
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("验证码")
        verbose_name_plural = _("验证码")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["person", "purpose", "created_at"], name="onboarding_code_person")]


class OutboundCode(models.Model):
    """The outbox of the console (sandbox) channel: what an SMS gateway would have sent.

    For development and tests only; the address is kept masked plus a keyed hash to find it.
    """

    channel = models.CharField(_("渠道"), max_length=32)
    to_masked = models.CharField(_("收件人"), max_length=64)
    to_hash = models.CharField(max_length=64, db_index=True)
    text = models.TextField(_("内容"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("发件箱（沙箱）")
        verbose_name_plural = _("发件箱（沙箱）")
        ordering = ["-created_at", "-id"]


class InvitationBatch(models.Model):
    """Invitations sent in bulk to a filtered roster of one unit's subtree, by a background task.

    Idempotent: a person already activated, invited within the cool-down, or already invited by
    this batch is skipped, so running a batch twice sends nothing twice.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("发送中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    scope_path = "unit__path"

    unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("党组织"))
    filters = models.JSONField(_("筛选条件"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(_("人数"), default=0)
    processed = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(_("已发送"), default=0)
    skipped = models.PositiveIntegerField(_("已跳过"), default=0)
    failed = models.PositiveIntegerField(_("失败"), default=0)
    message = models.CharField(max_length=500, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("邀请批次")
        verbose_name_plural = _("邀请批次")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"邀请批次 #{self.pk}"

    @property
    def progress_percent(self) -> int:
        if self.status in (self.Status.DONE, self.Status.FAILED):
            return 100
        return min(100, int(self.processed * 100 / self.total)) if self.total else 0

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class Invitation(models.Model):
    """One person invited by one batch (at most once per batch)."""

    class Status(models.TextChoices):
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    scope_path = "person__unit__path"

    batch = models.ForeignKey(InvitationBatch, on_delete=models.CASCADE, related_name="invitations")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("渠道"), max_length=32)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.SENT)
    error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("邀请")
        verbose_name_plural = _("邀请")
        ordering = ["-sent_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["batch", "person"], name="onboarding_invitation_once_per_batch")]
        indexes = [models.Index(fields=["person", "status", "sent_at"], name="onboarding_invitation_recent")]
