from django.db import models
from django.utils.translation import gettext_lazy as _


class Duty(models.TextChoices):
    """The three platform duties kept apart (三员分立). One field, so no account holds two."""

    NONE = "", _("无")
    SYSTEM = "system", _("系统管理员")
    SECURITY = "security", _("安全管理员")
    AUDIT = "audit", _("审计管理员")
