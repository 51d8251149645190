from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import Category, DeliveryStatus


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(recipient_id=user.pk)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One message in one user's inbox. The row *is* the in-app inbox; other channels (email,
    SMS, WeChat) are attempts to reach the user recorded as ``Delivery`` rows."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("接收人")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("发送人"),
    )
    category = models.CharField(_("类别"), max_length=16, choices=Category.choices, default=Category.SYSTEM)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notif_recipient_read"),
            models.Index(fields=["recipient", "-created_at"], name="notif_recipient_created"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """A user's choice for one category on one channel. Absent row = the channel's default."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    category = models.CharField(_("类别"), max_length=16, choices=Category.choices)
    channel = models.CharField(_("渠道"), max_length=32)
    enabled = models.BooleanField(_("接收"), default=True)

    class Meta:
        verbose_name = _("通知设置")
        verbose_name_plural = _("通知设置")
        constraints = [
            models.UniqueConstraint(fields=["user", "category", "channel"], name="notif_pref_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.category}/{self.channel}={self.enabled}"


class Delivery(models.Model):
    """One attempt (possibly retried) to push a notification through one external channel."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("渠道"), max_length=32)
    status = models.CharField(_("状态"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知投递")
        verbose_name_plural = _("通知投递")
        constraints = [
            # A re-run task (worker restart) finds the row and never sends a second email.
            models.UniqueConstraint(fields=["notification", "channel"], name="notif_delivery_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} via {self.channel}: {self.status}"
