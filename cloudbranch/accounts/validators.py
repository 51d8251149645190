import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class CharacterClassValidator:
    """A password must mix at least three of: lower case, upper case, digits, symbols (等保 2.0 practice)."""

    classes = (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]")

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        found = sum(1 for pattern in self.classes if re.search(pattern, password))
        if found < self.min_classes:
            raise ValidationError(
                _("密码须包含小写字母、大写字母、数字、符号中的至少 %(n)d 类。") % {"n": self.min_classes},
                code="password_too_simple",
            )

    def get_help_text(self):
        return _("密码须包含小写字母、大写字母、数字、符号中的至少 %(n)d 类。") % {"n": self.min_classes}


class PasswordHistoryValidator:
    """Refuse the user's current password and the last PASSWORD_HISTORY_COUNT ones; record each new one.

    Django calls ``password_changed`` after every save of a new password (``set_password`` + ``save``),
    whatever the path: the user's own change, a reset by the administrator, onboarding's reset link.
    """

    def _count(self) -> int:
        from django.conf import settings

        return getattr(settings, "PASSWORD_HISTORY_COUNT", 5)

    def validate(self, password, user=None):
        from django.contrib.auth.hashers import check_password

        from .models import PasswordHistory

        if user is None or user.pk is None:
            return
        hashes = list(
            PasswordHistory.objects.filter(user_id=user.pk)
            .order_by("-created_at", "-pk")
            .values_list("password", flat=True)[: self._count()]
        )
        if user.password and user.password not in hashes:
            hashes.append(user.password)
        if any(check_password(password, encoded) for encoded in hashes if encoded):
            raise ValidationError(_("不能使用最近 %(n)d 次用过的密码。") % {"n": self._count()}, code="password_reused")

    def password_changed(self, password, user=None):
        from .models import PasswordHistory

        if user is None or user.pk is None or not user.has_usable_password():
            return
        PasswordHistory.objects.create(user_id=user.pk, password=user.password)
        stale = list(
            PasswordHistory.objects.filter(user_id=user.pk)
            .order_by("-created_at", "-pk")
            .values_list("pk", flat=True)[self._count() :]
        )
        if stale:
            PasswordHistory.objects.filter(pk__in=stale).delete()

    def get_help_text(self):
        return _("不能使用最近 %(n)d 次用过的密码。") % {"n": self._count()}
