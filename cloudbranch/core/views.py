import logging

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@login_not_required
@require_GET
@never_cache
def healthz(request):
    """Liveness and database check for load balancers: 200 when a query round-trips, else 503."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("health check: database unavailable")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def _error(request, template, status, exception=None):
    return render(request, template, {"exception": exception}, status=status)


def bad_request(request, exception=None):
    # A body over DATA_UPLOAD_MAX_MEMORY_SIZE or with too many fields/files: say so clearly.
    if isinstance(exception, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        too_big = isinstance(exception, RequestDataTooBig)
        message = "提交的内容过大，请压缩或拆分后重试。" if too_big else "一次提交的字段或文件过多，请分批提交。"
        status = 413 if too_big else 400
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message, "errors": []}, status=status)
        return render(request, "errors/413.html", {"message": message}, status=status)
    return _error(request, "errors/400.html", 400)


def permission_denied(request, exception=None):
    return _error(request, "errors/403.html", 403)


def page_not_found(request, exception=None):
    return _error(request, "errors/404.html", 404)


SERVER_ERROR = "系统出现错误，已记录。请稍后重试。"


def server_error(request):
    """500: JSON for the API; the full page when it can be drawn, otherwise a page that needs
    nothing but the template engine. While the database is down (a restart, a failover) the menu
    and the user behind the full page cannot be read, and an error page that fails itself would
    leave the visitor with the server's bare "Internal Server Error"."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": SERVER_ERROR, "errors": []}, status=500)
    try:
        return render(request, "errors/500.html", status=500)
    except Exception:  # the full page needs the database; draw the plain one instead
        logger.exception("the full error page could not be drawn")
        return HttpResponse(render_to_string("errors/500_plain.html"), status=500)
