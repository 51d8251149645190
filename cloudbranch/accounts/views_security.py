"""Pages of login security: second factor, my sessions, login history, and the security administrator's
views (everyone's login history, second-factor reset). Thin: writes go through twofactor/usersessions."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error

from . import twofactor
from .forms import LoginRecordFilterForm, OtpCodeForm, OtpUserFilterForm
from .middleware import password_days_left
from .permissions import security_admin_required
from .selectors import login_history, login_records, otp_user_list, session_list
from .usersessions import is_current, session_end, sessions_end_others

PAGE_SIZE = 20


def _page(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _query(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# ---------------------------------------------------------------- second factor


@never_cache
def otp_verify(request):
    """Give the second factor after the password (or single sign-on)."""
    if request.session.get(twofactor.OTP_STATE_KEY) != twofactor.STATE_VERIFY:
        return redirect("core:home")
    form = OtpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            kind = twofactor.otp_verify(request=request, code=form.cleaned_data["code"])
        except DomainError as exc:
            if not request.user.is_authenticated:  # locked out and logged out
                messages.error(request, exc.message)
                return redirect("accounts:login")
            apply_domain_error(form, exc)
        else:
            if kind == "recovery":
                left = twofactor.recovery_codes_left(request.user)
                messages.warning(request, f"已使用一个恢复码，还剩 {left} 个。用完前请重新生成。")
            target = request.GET.get("next", "")
            safe = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
            return redirect(target if target and safe else "core:home")
    return render(request, "accounts/otp_verify.html", {"form": form}, status=422 if form.errors else 200)


@never_cache
def otp_setup(request):
    """Scan the QR code with an authenticator app and confirm with a code; recovery codes shown once."""
    if twofactor.confirmed_device(request.user) is not None:
        return redirect("accounts:otp_settings")
    form = OtpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = twofactor.otp_setup_confirm(actor=request.user, request=request, code=form.cleaned_data["code"])
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return render(request, "accounts/otp_codes.html", {"codes": codes, "first": True})
    key = twofactor.pending_secret(request)
    context = {
        "form": form,
        "forced": request.session.get(twofactor.OTP_STATE_KEY) == twofactor.STATE_SETUP,
        **twofactor.provisioning(request.user, key),
    }
    return render(request, "accounts/otp_setup.html", context, status=422 if form.errors else 200)


def otp_settings(request):
    device = twofactor.confirmed_device(request.user)
    context = {
        "device": device,
        "required": twofactor.required_for(request.user),
        "codes_left": twofactor.recovery_codes_left(request.user) if device else 0,
        "form": OtpCodeForm(),
    }
    return render(request, "accounts/otp_settings.html", context)


@never_cache
@require_POST
def otp_remove(request):
    form = OtpCodeForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError("请输入验证码。", errors=[{"field": "code", "message": "请输入验证码。"}])
        twofactor.otp_remove(actor=request.user, code=form.cleaned_data["code"])
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:otp_settings")
    messages.success(request, "已关闭二次验证。")
    return redirect("accounts:otp_settings")


@never_cache
@require_POST
def otp_recovery_codes(request):
    form = OtpCodeForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError("请输入验证码。", errors=[{"field": "code", "message": "请输入验证码。"}])
        codes = twofactor.recovery_codes_regenerate(actor=request.user, code=form.cleaned_data["code"])
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:otp_settings")
    return render(request, "accounts/otp_codes.html", {"codes": codes, "first": False})


# ---------------------------------------------------------------- my sessions, my logins


def sessions(request):
    page = _page(request, session_list(user=request.user))
    for row in page.object_list:
        row.current = is_current(row, request)
    return render(request, "accounts/sessions.html", {"page": page})


@require_POST
def session_end_view(request, session_id: int):
    try:
        session_end(actor=request.user, session_id=session_id, current_key=request.session.session_key)
        messages.success(request, "已结束该设备的登录。")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("accounts:sessions")


@require_POST
def sessions_end_others_view(request):
    count = sessions_end_others(actor=request.user, current_key=request.session.session_key)
    messages.success(request, f"已结束其他 {count} 个设备的登录。")
    return redirect("accounts:sessions")


def logins(request):
    page = _page(request, login_history(user=request.user))
    return render(request, "accounts/logins.html", {"page": page})


# ---------------------------------------------------------------- security administrator


@security_admin_required
def security_logins(request):
    filters = LoginRecordFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    qs = login_records(
        actor=request.user,
        username=data.get("username", ""),
        outcome=data.get("outcome", ""),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
    )
    context = {"filters": filters, "page": _page(request, qs), "query": _query(request)}
    template = "accounts/security_logins.html#results" if request.htmx else "accounts/security_logins.html"
    return render(request, template, context)


@security_admin_required
def security_otp(request):
    filters = OtpUserFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    qs = otp_user_list(actor=request.user, q=data.get("q", ""))
    context = {"filters": filters, "page": _page(request, qs), "query": _query(request)}
    return render(request, "accounts/security_otp.html", context)


@require_POST
@security_admin_required
def otp_reset_view(request, user_id: int):
    target = twofactor.otp_reset(actor=request.user, user_id=user_id)
    messages.success(request, f"已重置“{target.username}”的二次验证，并结束了其全部登录。")
    return redirect("accounts:security_otp")


def expiry_context(user) -> dict:
    from django.conf import settings

    left = password_days_left(user)
    warn = left is not None and left <= settings.PASSWORD_EXPIRY_WARNING_DAYS
    return {"password_days_left": left, "password_expiry_warning": warn}
