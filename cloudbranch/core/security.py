"""Request protection: Content-Security-Policy with a per-request nonce, the headers Django does
not set itself (Permissions-Policy), a request-size ceiling, and fixed-window rate limits.

``ProtectionMiddleware`` sits right after Django's AuthenticationMiddleware (it needs
``request.user``). Settings (all optional, see settings/base.py):

- ``CSP_ENABLED`` / ``CSP_REPORT_ONLY`` / ``CSP_EXTRA_SOURCES`` ({directive: [source, ...]}).
  ``style-src`` keeps ``'unsafe-inline'``: ~200 ``style=""`` attributes and ECharts' inline
  styles need it; scripts never get it (inline scripts carry ``nonce="{{ request.csp_nonce }}"``,
  behaviour lives in static/cloudbranch/app.js).
- ``PERMISSIONS_POLICY``: no page uses the camera, microphone or location (QR check-in codes are
  scanned by the phone's own camera app, which opens a URL).
- ``RATE_LIMIT_ENABLED``, ``API_RATE_LIMIT_USER`` / ``API_RATE_LIMIT_ANON`` /
  ``ANON_POST_RATE_LIMIT`` as (requests, window seconds); a limit of 0 switches that one off.
- ``MAX_REQUEST_BYTES``: bodies above it are refused with 413 before anything reads them.

Other apps limit their own public forms with :func:`rate_limit` or :func:`rate_limited`.
"""

from __future__ import annotations

import functools
import hashlib
import math
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

from .middleware import client_ip

PREFIX = "cb:sec:rl:"

CSP_BASE = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "media-src": ["'self'", "blob:"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}

TOO_MANY = "请求过于频繁，请 {seconds} 秒后再试。"
TOO_BIG = "提交的内容过大（上限 {limit}），请压缩或拆分后重试。"


def _now() -> float:
    """The limiter's clock (tests move it instead of sleeping)."""
    return time.time()


# --- rate limits -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    allowed: bool
    count: int
    retry_after: int  # seconds until the current window ends


def rate_limit(key: str, limit: int, window: int) -> Limit:
    """Count one hit on ``key`` in a fixed window of ``window`` seconds; allowed while the window
    holds at most ``limit`` hits. Atomic on the shared cache (``add`` then ``incr``: local memory
    in tests, Redis in production), so every web process shares the count."""
    now = _now()
    slot = int(now // window)
    full = f"{PREFIX}{key}:{slot}"
    retry_after = max(1, math.ceil((slot + 1) * window - now))
    cache.add(full, 0, timeout=window + 1)
    try:
        count = cache.incr(full)
    except ValueError:  # expired between add and incr
        cache.add(full, 1, timeout=window + 1)
        count = 1
    return Limit(count <= limit, count, retry_after)


def too_many_response(request, retry_after: int) -> HttpResponse:
    """429 with Retry-After: JSON {"detail", "errors"} for the API, a page (or a fragment for
    HTMX) otherwise."""
    message = TOO_MANY.format(seconds=retry_after)
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message, "errors": []}, status=429)
    elif getattr(request, "htmx", False):
        response = HttpResponse(f'<div class="alert alert-warning" role="alert">{message}</div>', status=429)
    else:
        html = render_to_string("errors/429.html", {"message": message}, request=request)
        response = HttpResponse(html, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def rate_limited(scope: str, limit: int, window: int, *, methods=("POST",), by: str = "ip"):
    """View decorator: at most ``limit`` requests (of ``methods``) per ``window`` seconds per
    client IP (``by="ip"``) or per user, falling back to the IP for visitors (``by="user"``)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method in methods and settings.RATE_LIMIT_ENABLED:
                who = _client_key(request) if by == "user" else f"ip:{client_ip(request) or 'unknown'}"
                result = rate_limit(f"{scope}:{who}", limit, window)
                if not result.allowed:
                    return too_many_response(request, result.retry_after)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _client_key(request) -> str:
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        return "tok:" + hashlib.sha256(auth[7:].strip().encode()).hexdigest()[:24]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{client_ip(request) or 'unknown'}"


def _request_limit(request) -> tuple[str, tuple[int, int]] | None:
    """Which global limit applies to this request: the API (per token or user, per IP for
    visitors) or the backstop on every anonymous POST; None for the rest."""
    if request.path.startswith("/api/"):
        who = _client_key(request)
        return f"api:{who}", settings.API_RATE_LIMIT_ANON if who.startswith("ip:") else settings.API_RATE_LIMIT_USER
    if request.method == "POST" and not request.user.is_authenticated:
        return f"anonpost:ip:{client_ip(request) or 'unknown'}", settings.ANON_POST_RATE_LIMIT
    return None


# --- headers -----------------------------------------------------------------------------------


def csp_header(nonce: str, *, frame_ancestors: str | None = None) -> str:
    directives = {name: list(sources) for name, sources in CSP_BASE.items()}
    for name, sources in (settings.CSP_EXTRA_SOURCES or {}).items():
        directives.setdefault(name, ["'self'"]).extend(sources)
    directives["script-src"].append(f"'nonce-{nonce}'")
    if frame_ancestors:
        directives["frame-ancestors"] = [frame_ancestors]
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def _too_big_response(request) -> HttpResponse:
    limit = settings.MAX_REQUEST_BYTES
    message = TOO_BIG.format(limit=f"{limit // (1024 * 1024)} MB")
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "errors": []}, status=413)
    return HttpResponse(
        render_to_string("errors/413.html", {"message": message}, request=request),
        status=413,
    )


class ProtectionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self._guard(request) or self.get_response(request)
        self._headers(request, response)
        return response

    def _guard(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if settings.MAX_REQUEST_BYTES and length > settings.MAX_REQUEST_BYTES:
            return _too_big_response(request)
        if not settings.RATE_LIMIT_ENABLED:
            return None
        applies = _request_limit(request)
        if applies is None:
            return None
        key, (limit, window) = applies
        if not limit:
            return None
        result = rate_limit(key, limit, window)
        if not result.allowed:
            return too_many_response(request, result.retry_after)
        return None

    @staticmethod
    def _headers(request, response):
        if settings.CSP_ENABLED:
            name = "Content-Security-Policy-Report-Only" if settings.CSP_REPORT_ONLY else "Content-Security-Policy"
            if name not in response:
                # A view that allows same-origin framing (the PDF viewer) gets frame-ancestors 'self'.
                sameorigin = response.get("X-Frame-Options", "").upper() == "SAMEORIGIN"
                response[name] = csp_header(request.csp_nonce, frame_ancestors="'self'" if sameorigin else None)
        if settings.PERMISSIONS_POLICY and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = settings.PERMISSIONS_POLICY
