"""Login history (登录记录) and the login-time bookkeeping, from Django's and django-axes' signals.

``user_logged_in`` (password or single sign-on: both end in ``django.contrib.auth.login``) records a
success row, starts the ``UserSession`` row, stamps the activity clock and decides the second-factor
state of the session. ``user_login_failed`` and axes' ``user_locked_out`` record failures. The tried
password never reaches this module's tables: only the user name, truncated.
"""

from __future__ import annotations

import time

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from cloudbranch.core.middleware import client_identity

from .models import LoginOutcome, LoginRecord, SessionEndReason, User

ACTIVITY_KEY = "cb_last_activity"


def record_login(*, request, user, username: str, outcome: str) -> LoginRecord:
    ip, agent = client_identity(request)
    return LoginRecord.objects.create(
        user=user if user is not None and user.pk else None,
        username=(username or "")[:150],
        outcome=outcome,
        ip=ip,
        user_agent=agent,
    )


def _is_sso(user) -> bool:
    """Single sign-on logs in through its own backend (accounts/sso: ``SsoBackend``)."""
    backend = (getattr(user, "backend", "") or "").lower()
    return ".sso." in backend or backend.endswith("ssobackend")


@receiver(user_logged_in, dispatch_uid="accounts.logins.logged_in")
def _logged_in(sender, request, user, **kwargs):
    from .twofactor import OTP_STATE_KEY, login_state
    from .usersessions import session_started

    if request is None:
        return
    outcome = LoginOutcome.SSO if _is_sso(user) else LoginOutcome.SUCCESS
    record_login(request=request, user=user, username=user.get_username(), outcome=outcome)
    session = getattr(request, "session", None)
    if session is not None:
        session[ACTIVITY_KEY] = time.time()
        session[OTP_STATE_KEY] = login_state(user)
        session_started(request, user)


@receiver(user_logged_out, dispatch_uid="accounts.logins.logged_out")
def _logged_out(sender, request, user, **kwargs):
    from .usersessions import session_ended

    session = getattr(request, "session", None)
    if session is not None:
        session_ended(session.session_key, getattr(request, "_cb_end_reason", SessionEndReason.LOGOUT))


def _username(credentials) -> str:
    credentials = credentials or {}
    return str(credentials.get("username") or credentials.get(User.USERNAME_FIELD) or "")[:150]


@receiver(user_login_failed, dispatch_uid="accounts.logins.login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    if request is None:
        return
    username = _username(credentials)
    locked = bool(getattr(request, "axes_locked_out", False))
    if locked and getattr(request, "_cb_locked_recorded", False):
        return  # the lockout itself was recorded by _locked_out for this request
    user = User.objects.filter(username=username).first() if username else None
    record_login(
        request=request,
        user=user,
        username=username,
        outcome=LoginOutcome.LOCKED if locked else LoginOutcome.BAD_PASSWORD,
    )


def _locked_out(sender, request, username=None, ip_address=None, **kwargs):
    if request is None:
        return
    username = (username or "")[:150]
    user = User.objects.filter(username=username).first() if username else None
    record_login(request=request, user=user, username=username, outcome=LoginOutcome.LOCKED)
    request._cb_locked_recorded = True


def connect() -> None:
    from axes.signals import user_locked_out

    user_locked_out.connect(_locked_out, dispatch_uid="accounts.logins.locked_out")
