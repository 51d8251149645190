"""Login-session guards, in MIDDLEWARE order after AuthenticationMiddleware and OTPMiddleware:

- ``SessionSecurityMiddleware``: idle logout after IDLE_TIMEOUT_MINUTES without activity, and logout of
  a session whose ``UserSession`` row was ended. Polling is not activity (see ``is_polling``).
- ``TwoFactorMiddleware``: a session that must still give its second factor (or set one up, when it is
  mandatory for the user) can do nothing else.
- ``PasswordChangeRequiredMiddleware``: an initial, temporary or expired password must be changed.

None of them queries the database on an ordinary request: the state lives in the session (the
activity clock and ``last_seen_at`` are refreshed at most once a minute).
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.messages.storage import default_storage
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.http import urlencode

from .logins import ACTIVITY_KEY
from .models import SessionEndReason

API_PREFIX = "/api/"
ACTIVITY_RESOLUTION = 60  # seconds: the activity clock and last_seen_at are written at most this often

#: Requests that poll by themselves (an HTMX ``every`` trigger) and so are no sign of a person:
#: the unread badge of every page (60 s), the check-in screens' QR codes (10 s), the payment, duel,
#: contest and import progress pollers. Any other poller can send the header ``X-CB-Poll: 1``.
POLLING_URL_NAMES = frozenset(
    {
        "notifications:badge",
        "meetings:checkin_qr",
        "school:checkin_qr",
        "volunteering:checkin_qr",
        "fees:order",
        "learning:duel_state",
        "learning:contest_board",
        "people_import:job_progress",
    }
)
IDLE_MESSAGE = "长时间未操作，已自动退出"
ENDED_MESSAGE = "该登录已被结束，请重新登录。"


def _static_path(path: str) -> bool:
    return path.startswith("/" + settings.STATIC_URL.lstrip("/"))


def _bearer_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX) and request.headers.get("Authorization", "").startswith("Bearer ")


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"  # HtmxMiddleware runs later


def is_polling(request) -> bool:
    if request.headers.get("X-CB-Poll"):
        return True
    if not _is_htmx(request):
        return False
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return match.view_name in POLLING_URL_NAMES


class SessionSecurityMiddleware:
    """Idle logout. The check-in screens (meetings, service, school) are pages like any other: their QR
    polling does not keep the login alive, so a projector left alone is logged out after the idle time
    and its next poll sends the whole screen to the login page (HX-Redirect), showing no stale code."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or _bearer_api(request) or _static_path(request.path_info):
            return self.get_response(request)
        now = time.time()
        last = request.session.get(ACTIVITY_KEY)
        timeout = settings.IDLE_TIMEOUT_MINUTES * 60
        if timeout and last is not None and now - last > timeout:
            return self._logout(request, SessionEndReason.IDLE, IDLE_MESSAGE)
        if last is None or now - last >= ACTIVITY_RESOLUTION:
            if not is_polling(request):
                from .usersessions import touch

                request.session[ACTIVITY_KEY] = now
                if not touch(request):
                    return self._logout(request, SessionEndReason.ENDED, ENDED_MESSAGE)
        return self.get_response(request)

    @staticmethod
    def _logout(request, reason: str, message: str):
        from cloudbranch.audit.services import audit_record

        user = request.user
        if reason == SessionEndReason.IDLE:
            audit_record(actor=user, action="accounts.session.idle_logout", target=user)
        request._cb_end_reason = reason
        logout(request)
        if request.path_info.startswith(API_PREFIX):
            return JsonResponse({"detail": "登录已过期，请重新登录。", "errors": []}, status=401)
        login_url = reverse(settings.LOGIN_URL)
        if _is_htmx(request):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = login_url
            return response
        # MessageMiddleware comes later in the chain: use the storage directly so the message
        # survives to the login page.
        storage = default_storage(request)
        storage.add(messages.WARNING, message)
        response = redirect(f"{login_url}?{urlencode({'next': request.get_full_path()})}")
        storage.update(response)
        return response


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not _bearer_api(request):
            from .twofactor import OTP_STATE_KEY, STATE_SETUP, STATE_VERIFY, login_state

            state = request.session.get(OTP_STATE_KEY)
            if state is None:  # a session from before the second factor existed
                state = request.session[OTP_STATE_KEY] = login_state(user)
            if state in (STATE_VERIFY, STATE_SETUP):
                target = "accounts:otp_verify" if state == STATE_VERIFY else "accounts:otp_setup"
                allowed = (reverse(target), reverse("accounts:logout"), reverse("healthz"))
                if request.path_info not in allowed and not _static_path(request.path_info):
                    return self._refuse(request, target)
        return self.get_response(request)

    @staticmethod
    def _refuse(request, target: str):
        if request.path_info.startswith(API_PREFIX):
            return JsonResponse({"detail": "需要完成二次验证", "errors": []}, status=403)
        if _is_htmx(request):
            return HttpResponse(status=403)
        return redirect(target)


def password_expired(user) -> bool:
    """PASSWORD_MAX_AGE_DAYS after the last change (0: never). SSO-only accounts have no password."""
    days = settings.PASSWORD_MAX_AGE_DAYS
    if not days or not user.has_usable_password() or user.password_changed_at is None:
        return False
    return (timezone.now() - user.password_changed_at).days >= days


def password_days_left(user) -> int | None:
    days = settings.PASSWORD_MAX_AGE_DAYS
    if not days or not user.has_usable_password() or user.password_changed_at is None:
        return None
    return days - (timezone.now() - user.password_changed_at).days


class PasswordChangeRequiredMiddleware:
    """Force a password change: a user with ``must_change_password`` (an initial or temporary password
    set by the system administrator) or an expired password can do nothing but change it or log out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and (user.must_change_password or password_expired(user))
            and not self._allowed(request)
        ):
            return self._refuse(request)
        return self.get_response(request)

    @staticmethod
    def _allowed(request) -> bool:
        path = request.path_info
        allowed = (
            reverse("accounts:password_change"),
            reverse("accounts:logout"),
            reverse("healthz"),
            reverse("accounts:otp_verify"),
            reverse("accounts:otp_setup"),
        )
        return path in allowed or _static_path(path)

    @staticmethod
    def _refuse(request):
        if request.path_info.startswith(API_PREFIX):
            return JsonResponse({"detail": "请先修改密码。", "errors": []}, status=403)
        if _is_htmx(request):
            # A fragment (e.g. the unread badge on the password page) must not swap in a whole
            # page or loop on HX-Redirect: refuse it quietly, htmx leaves the target unchanged.
            return HttpResponse(status=403)
        return redirect("accounts:password_change")
