import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import Duty


class User(AbstractUser):
    """A login. The human behind it is a ``people.Person`` (``Person.user``).

    ``duty`` holds at most one of the three platform duties (三员分立): a single field makes
    holding two impossible rather than merely checked.
    """

    display_name = models.CharField(_("姓名"), max_length=64, blank=True)
    duty = models.CharField(_("平台职责"), max_length=16, choices=Duty.choices, default=Duty.NONE, blank=True)
    must_change_password = models.BooleanField(_("下次登录须修改密码"), default=False)
    password_changed_at = models.DateTimeField(_("密码修改时间"), default=timezone.now)
    # Wrong second-factor codes in a row; at OTP_FAILURE_LIMIT the second factor is locked until
    # ``otp_locked_until`` (like the django-axes lockout of the password).
    otp_failures = models.PositiveSmallIntegerField(default=0)
    otp_locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username

    def set_password(self, raw_password):
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()

    def save(self, *args, **kwargs):
        # Whoever saves a new password with ``update_fields`` (services here, onboarding's reset,
        # SSO) also saves its date, which the expiry policy reads.
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "password" in update_fields and "password_changed_at" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "password_changed_at"]
        super().save(*args, **kwargs)


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 digest is stored; the token is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=64)
    prefix = models.CharField(max_length=8)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    @staticmethod
    def digest_of(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @staticmethod
    def generate() -> str:
        return "cb_" + secrets.token_urlsafe(32)


class PasswordHistory(models.Model):
    """The hashes of a user's last passwords (PASSWORD_HISTORY_COUNT), so none is reused.

    Written by ``validators.PasswordHistoryValidator.password_changed`` whenever a password is saved.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"])]


class RecoveryCode(models.Model):
    """A one-time recovery code for the second factor. Only a keyed hash is stored; the codes are
    shown once, when generated."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes")
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "digest"])]


class SessionEndReason(models.TextChoices):
    LOGOUT = "logout", _("退出登录")
    IDLE = "idle", _("长时间未操作")
    ENDED = "ended", _("被用户结束")
    RESET = "reset", _("安全管理员重置")
    OTP_LOCKED = "otp_locked", _("二次验证失败过多")


class UserSession(models.Model):
    """One login of a user (我的登录设备). The session key itself is never shown: a keyed hash finds the
    row, and the key is kept encrypted only to delete the session from the store when it is ended."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="user_sessions")
    key_digest = models.CharField(max_length=64, unique=True)
    key_encrypted = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=16, choices=SessionEndReason.choices, blank=True)

    class Meta:
        verbose_name = _("登录会话")
        verbose_name_plural = _("登录会话")
        indexes = [models.Index(fields=["user", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.ip or '-'}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class LoginOutcome(models.TextChoices):
    SUCCESS = "success", _("登录成功")
    BAD_PASSWORD = "bad_password", _("密码错误")
    LOCKED = "locked", _("账号锁定")
    OTP_FAILED = "otp_failed", _("二次验证失败")
    SSO = "sso", _("统一身份认证登录")


class LoginRecord(models.Model):
    """Login history (登录记录): append-only, kept like the audit log. The tried password is never stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="login_records"
    )
    username = models.CharField(_("用户名"), max_length=150, blank=True)
    outcome = models.CharField(_("结果"), max_length=16, choices=LoginOutcome.choices)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("登录记录")
        verbose_name_plural = _("登录记录")
        indexes = [models.Index(fields=["user", "-at"]), models.Index(fields=["outcome", "-at"])]

    def __str__(self) -> str:
        return f"{self.username} {self.outcome} {self.at:%Y-%m-%d %H:%M}"
