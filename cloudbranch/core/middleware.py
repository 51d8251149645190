import uuid

from . import context


def client_ip(request) -> str | None:
    # Behind a trusted proxy the deployment sets REMOTE_ADDR correctly (e.g. via
    # gunicorn's forwarded_allow_ips); X-Forwarded-For from clients is not trusted here.
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = request.headers.get("X-Request-Id") or uuid.uuid4().hex[:16]
        token = context.bind(
            context.RequestContext(
                ip=client_ip(request),
                request_id=rid[:64],
                user_agent=request.headers.get("User-Agent", "")[:200],
            )
        )
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-Id"] = rid[:64]
        return response
