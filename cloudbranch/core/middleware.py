import ipaddress
import uuid

from django.conf import settings

from . import context


def client_ip(request) -> str | None:
    """The client's address. ``X-Forwarded-For`` is believed only when the direct peer is one of
    ``TRUSTED_PROXIES`` (the reverse proxy in front; an empty peer is a Unix socket, which only
    the proxy can reach): then the right-most address that is not itself a trusted proxy is the
    client. Anyone else could write that header, so it is ignored for them (audit IPs, login
    lockouts and rate limits key on this)."""
    meta = getattr(request, "META", None) or {}
    peer = meta.get("REMOTE_ADDR") or ""
    trusted = set(getattr(settings, "TRUSTED_PROXIES", ()))
    if trusted and (peer in trusted or not peer):
        for hop in reversed([h.strip() for h in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]):
            if hop not in trusted and _is_ip(hop):
                return hop
    return peer or None


def client_identity(request) -> tuple[str | None, str]:
    """(client address, user agent cut to 200 characters), as audit rows, login records and
    session lists keep them; ``request`` may be None (signals fired outside a request)."""
    meta = getattr(request, "META", None) or {}
    return client_ip(request), (meta.get("HTTP_USER_AGENT") or "")[:200]


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = request.headers.get("X-Request-Id") or uuid.uuid4().hex[:16]
        ip, user_agent = client_identity(request)
        token = context.bind(context.RequestContext(ip=ip, request_id=rid[:64], user_agent=user_agent))
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-Id"] = rid[:64]
        return response
