"""Force a password change: a user with ``must_change_password`` (an initial or temporary password
set by the system administrator) can do nothing but change it or log out."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

API_PREFIX = "/api/"


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.must_change_password and not self._allowed(request):
            return self._refuse(request)
        return self.get_response(request)

    @staticmethod
    def _allowed(request) -> bool:
        path = request.path_info
        allowed = (reverse("accounts:password_change"), reverse("accounts:logout"), reverse("healthz"))
        static = "/" + settings.STATIC_URL.lstrip("/")
        return path in allowed or path.startswith(static)

    @staticmethod
    def _refuse(request):
        if request.path_info.startswith(API_PREFIX):
            return JsonResponse({"detail": "请先修改密码。", "errors": []}, status=403)
        if request.headers.get("HX-Request") == "true":  # HtmxMiddleware runs after this one
            # A fragment (e.g. the unread badge on the password page) must not swap in a whole
            # page or loop on HX-Redirect: refuse it quietly, htmx leaves the target unchanged.
            return HttpResponse(status=403)
        return redirect("accounts:password_change")
