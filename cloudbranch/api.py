"""The REST API: one NinjaAPI, a router per app, docs at /api/docs.

Errors always have the shape ``{"detail": "...", "errors": [{"field"|"row"|"column": ..., "message": ...}]}``.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, HttpBearer

from cloudbranch.accounts.models import ApiToken
from cloudbranch.core.errors import DomainError


class BearerToken(HttpBearer):
    """``Authorization: Bearer cb_...``: a personal API token."""

    def authenticate(self, request, token: str):
        digest = ApiToken.digest_of(token)
        row = ApiToken.objects.active().select_related("user").filter(digest=digest).first()
        if row is None or not row.user.is_active:
            return None
        now = timezone.now()
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 300:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.user = row.user
        return row.user


class SessionAuth(APIKeyCookie):
    """The browser session; unsafe methods also need the CSRF token (X-CSRFToken header)."""

    param_name = "sessionid"

    def __init__(self):
        super().__init__(csrf=True)

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        return user if user is not None and user.is_authenticated else None


api = NinjaAPI(
    title="CloudBranch 云端支部 API",
    version="1",
    description="智慧党建平台接口。认证：浏览器会话（写操作需 X-CSRFToken），或个人 API 令牌 `Authorization: Bearer <token>`。",
    urls_namespace="api",
    auth=[BearerToken(), SessionAuth()],
    docs_url="/docs",
)


def error(request, status: int, detail, errors=None):
    return api.create_response(request, {"detail": str(detail), "errors": errors or []}, status=status)


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    return error(request, exc.status, exc.message, exc.errors)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error(request, 404, "未找到。")


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return error(request, 403, "没有权限执行此操作。")


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return error(request, 401, "请先登录或提供有效的 API 令牌。")


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return error(request, exc.status_code, exc.message or "请求有误。")


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc: NinjaValidationError):
    errors = []
    for item in exc.errors:
        loc = [str(p) for p in item.get("loc", ()) if p not in ("body", "query", "path", "payload", "form", "file")]
        errors.append({"field": ".".join(loc), "message": item.get("msg", "")})
    return error(request, 422, "请求数据有误。", errors)


@api.exception_handler(ValidationError)
def _django_validation_error(request, exc: ValidationError):
    if hasattr(exc, "message_dict"):
        errors = [{"field": f, "message": m} for f, msgs in exc.message_dict.items() for m in msgs]
    else:
        errors = [{"field": "", "message": m} for m in exc.messages]
    return error(request, 422, "请求数据有误。", errors)


api.add_router("/me", "cloudbranch.portal.api.router")
api.add_router("/me", "cloudbranch.accounts.api.router")
api.add_router("/orgs", "cloudbranch.orgs.api.router")
api.add_router("/people/imports", "cloudbranch.people.import_api.router")
api.add_router("/people", "cloudbranch.people.api.router")
api.add_router("/meetings", "cloudbranch.meetings.api.router")
api.add_router("/fees", "cloudbranch.fees.api.router")
api.add_router("/development", "cloudbranch.development.api.router")
api.add_router("/learning", "cloudbranch.learning.api.router")
api.add_router("/points", "cloudbranch.points.api.router")
api.add_router("/news", "cloudbranch.news.api.router")
api.add_router("/service", "cloudbranch.volunteering.api.router")
api.add_router("/democracy", "cloudbranch.voting.api.router")
api.add_router("/school", "cloudbranch.school.api.router")
api.add_router("/documents", "cloudbranch.paperwork.api.router")
api.add_router("/onboarding", "cloudbranch.onboarding.api.router")
api.add_router("/tasks", "cloudbranch.worktasks.api.router")
api.add_router("/cockpit", "cloudbranch.cockpit.api.router")
api.add_router("/assessment", "cloudbranch.assessment.api.router")
api.add_router("/accounts", "cloudbranch.accounts.admin_api.router")
api.add_router("/audit", "cloudbranch.audit.api.router")
api.add_router("/notifications", "cloudbranch.notifications.api.router")


def api_urls():
    """The API's URL patterns, exempt from LoginRequiredMiddleware: the API authenticates each
    request itself (session or Bearer token) and answers 401 in its error format instead of
    redirecting to the login page."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback.login_required = False
    return patterns, app_name, namespace
