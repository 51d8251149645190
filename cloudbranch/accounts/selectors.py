"""Reads for account management. Every function checks that the reader is the system administrator."""

from __future__ import annotations

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .choices import Duty
from .models import ApiToken, LoginOutcome, LoginRecord, User, UserSession
from .permissions import require_security_admin, require_system_admin

STATUS_FILTERS = {
    "active": "启用",
    "inactive": "停用",
    "locked": "已锁定",
}
DUTY_FILTERS = {"none": "无平台职责", **{d.value: str(d.label) for d in Duty if d.value}}


def lockout_threshold():
    """Attempts newer than this still count toward the django-axes lockout (AXES_COOLOFF_TIME)."""
    cooloff = get_cool_off()
    return None if cooloff is None else timezone.now() - cooloff


def locked_attempts() -> QuerySet:
    """django-axes rows that currently lock a user name out (on some IP address)."""
    qs = AccessAttempt.objects.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT)
    threshold = lockout_threshold()
    if threshold is not None:
        qs = qs.filter(attempt_time__gte=threshold)
    return qs


def _with_lock_state(qs: QuerySet) -> QuerySet:
    return qs.annotate(is_locked=Exists(locked_attempts().filter(username=OuterRef("username"))))


def user_list(*, actor, q: str = "", status: str = "", duty: str = "") -> QuerySet:
    """All accounts (the system administrator's scope is the whole platform), with ``is_locked``.

    One query for the page whatever the number of rows: the lock state is a correlated EXISTS.
    """
    require_system_admin(actor)
    qs = _with_lock_state(User.objects.all())
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
    if status == "active":
        qs = qs.filter(is_active=True)
    elif status == "inactive":
        qs = qs.filter(is_active=False)
    elif status == "locked":
        qs = qs.filter(is_locked=True)
    if duty == "none":
        qs = qs.filter(duty=Duty.NONE)
    elif duty in Duty.values and duty:
        qs = qs.filter(duty=duty)
    return qs.order_by("username", "pk")


def access_user_by_id(*, actor, user_id: int) -> User:
    """One account for the system administrator (403 for anyone else, 404 if it does not exist)."""
    require_system_admin(actor)
    return get_object_or_404(_with_lock_state(User.objects.all()), pk=user_id)


def user_holds_party_role(user) -> bool:
    """Whether the account holds an active Party role (through the reverse relation: accounts
    sits below orgs in the layering and does not import it)."""
    return user.role_assignments.filter(revoked_at__isnull=True).exists()


def api_token_list(*, user) -> QuerySet:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


# ---------------------------------------------------------------- login security (sessions, history, 2FA)

LOGIN_OUTCOME_FILTERS = {o.value: str(o.label) for o in LoginOutcome}


def session_list(*, user) -> QuerySet:
    """The user's own logins, active ones first, then the most recent."""
    return UserSession.objects.filter(user=user).order_by(F("ended_at").desc(nulls_first=True), "-last_seen_at", "-pk")


def login_history(*, user) -> QuerySet:
    """The user's own login records (我的登录记录)."""
    return LoginRecord.objects.filter(user=user).order_by("-at", "-pk")


def login_records(*, actor, username: str = "", outcome: str = "", date_from=None, date_to=None) -> QuerySet:
    """Everyone's login records, for the security administrator only (403 for anyone else)."""
    require_security_admin(actor)
    qs = LoginRecord.objects.select_related("user")
    username = (username or "").strip()
    if username:
        qs = qs.filter(username__icontains=username)
    if outcome in LoginOutcome.values:
        qs = qs.filter(outcome=outcome)
    if date_from:
        qs = qs.filter(at__date__gte=date_from)
    if date_to:
        qs = qs.filter(at__date__lte=date_to)
    return qs.order_by("-at", "-pk")


def otp_user_list(*, actor, q: str = "") -> QuerySet:
    """Accounts with their second-factor state, for the security administrator."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    require_security_admin(actor)
    qs = User.objects.annotate(
        has_otp=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
    )
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
    return qs.order_by("username", "pk")
