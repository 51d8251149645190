"""The two legs of a single sign-on login, and the optional provider logout.

Every view is 404 while single sign-on is off. Refusals go back to the login page with the reason
as a message; nothing is logged in.
"""

from __future__ import annotations

import hmac
import logging
import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cloudbranch.audit.services import audit_record

from . import BACKEND_PATH, SsoBackend, SsoError, get_provider

logger = logging.getLogger(__name__)

FLOW_KEY = "sso_flow"
STALE = "登录请求已失效，请重新点击“统一身份认证登录”。"


def _provider_or_404():
    provider = get_provider()
    if provider is None:
        raise Http404
    return provider


def _safe_next(request, candidate: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _refuse(request, message: str):
    messages.error(request, message)
    return redirect("accounts:login")


@never_cache
@login_not_required
@require_GET
def sso_login(request):
    """Start a login: remember ``state`` and ``next`` in the session, send the browser to the provider."""
    provider = _provider_or_404()
    next_url = _safe_next(request, request.GET.get("next", ""))
    if request.user.is_authenticated:
        return redirect(next_url)
    state = secrets.token_urlsafe(32)
    flow = {"state": state, "next": next_url}
    try:
        url = provider.login_url(request, state, flow)
    except SsoError as exc:
        return _refuse(request, exc.message)
    request.session[FLOW_KEY] = flow
    return redirect(url)


@never_cache
@login_not_required
@require_GET
def sso_callback(request):
    """The provider sends the browser back here: check state, verify the answer, log the user in."""
    provider = _provider_or_404()
    flow = request.session.pop(FLOW_KEY, None)  # one use: a replayed callback finds nothing
    state = request.GET.get("state", "")
    if not isinstance(flow, dict) or not state or not hmac.compare_digest(str(flow.get("state", "")), state):
        return _refuse(request, STALE)
    backend = SsoBackend()
    try:
        identity = provider.authenticate(request, flow)
        user = backend.authenticate(request, sso_identity=identity)
    except SsoError as exc:
        return _refuse(request, exc.message)
    with transaction.atomic():
        login(request, user, backend=BACKEND_PATH)
        audit_record(
            actor=user,
            action="accounts.login.sso",
            target=user,
            changes={"provider": provider.name, "identity": identity.identity},
        )
    return redirect(_safe_next(request, str(flow.get("next", ""))))


@never_cache
@login_not_required
def sso_logged_out(request):
    """Where ``LOGOUT_REDIRECT_URL`` points when ``SSO_LOGOUT_REDIRECT`` is on: end the provider's
    session too (CAS ``/logout``), then come back to our login page."""
    provider = _provider_or_404()
    return redirect(provider.logout_url(request) or "accounts:login")
