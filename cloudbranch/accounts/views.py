from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error

from .forms import DutyForm, ResetPasswordForm, TokenForm, UserCreateForm, UserEditForm, UserFilterForm
from .middleware import password_expired
from .permissions import is_security_admin, system_admin_required
from .selectors import access_user_by_id, api_token_list, user_holds_party_role, user_list
from .services import (
    api_token_create,
    api_token_revoke,
    user_create,
    user_password_change,
    user_reset_password,
    user_set_duty,
    user_unlock,
    user_update,
)
from .usersessions import session_rekeyed

PAGE_SIZE = 20


# ---------------------------------------------------------------- own account


def _profile_context(request, **extra) -> dict:
    from .twofactor import confirmed_device
    from .views_security import expiry_context

    context = {
        "tokens": api_token_list(user=request.user)[:50],
        "form": TokenForm(),
        "otp_enabled": confirmed_device(request.user) is not None,
        "is_security_admin": is_security_admin(request.user),
        **expiry_context(request.user),
    }
    context.update(extra)
    return context


def profile(request):
    return render(request, "accounts/profile.html", _profile_context(request))


@never_cache
@require_POST
def token_create(request):
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            token, clear = api_token_create(
                actor=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return render(request, "accounts/profile.html", _profile_context(request, new_token=clear))
    return render(request, "accounts/profile.html", _profile_context(request, form=form), status=422)


@require_POST
def token_revoke(request, token_id: int):
    try:
        api_token_revoke(actor=request.user, token_id=token_id)
        messages.success(request, "令牌已撤销。")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("accounts:profile")


def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    for field in form.fields.values():
        field.widget.attrs["class"] = "form-control"
    if request.method == "POST" and form.is_valid():
        try:
            user = user_password_change(actor=request.user, new_password=form.cleaned_data["new_password1"])
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            old_key = request.session.session_key
            update_session_auth_hash(request, user)  # cycles the session key: follow it
            session_rekeyed(old_key, request.session.session_key)
            messages.success(request, "密码已修改。")
            return redirect("accounts:profile")
    expired = password_expired(request.user)
    context = {
        "form": form,
        "forced": request.user.must_change_password or expired,
        "expired": expired and not request.user.must_change_password,
        "max_age": settings.PASSWORD_MAX_AGE_DAYS,
    }
    return render(request, "accounts/password_change.html", context, status=422 if form.errors else 200)


# ---------------------------------------------------------------- account management (system administrator)


@system_admin_required
def users(request):
    filters = UserFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    qs = user_list(actor=request.user, q=data.get("q", ""), status=data.get("status", ""), duty=data.get("duty", ""))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filters": filters, "page": page, "query": query.urlencode()}
    template = "accounts/user_list.html#results" if request.htmx else "accounts/user_list.html"
    return render(request, template, context)


@system_admin_required
def user_create_view(request):
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, f"账号“{user.username}”已创建，用户首次登录须修改密码。")
            return redirect("accounts:user_edit", user_id=user.pk)
    return render(request, "accounts/user_create.html", {"form": form}, status=422 if form.errors else 200)


def _edit_page(request, target, *, status=200, **forms):
    context = {
        "target": target,
        "edit_form": forms.get("edit_form")
        or UserEditForm(
            initial={"display_name": target.display_name, "email": target.email, "is_active": target.is_active}
        ),
        "reset_form": forms.get("reset_form") or ResetPasswordForm(),
        "duty_form": forms.get("duty_form") or DutyForm(initial={"duty": target.duty}),
        "holds_party_role": user_holds_party_role(target),
        "new_password": forms.get("new_password"),
    }
    return render(request, "accounts/user_edit.html", context, status=status)


@system_admin_required
def user_edit(request, user_id: int):
    target = access_user_by_id(actor=request.user, user_id=user_id)
    if request.method != "POST":
        return _edit_page(request, target)
    form = UserEditForm(request.POST)
    if form.is_valid():
        try:
            user_update(actor=request.user, user_id=target.pk, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, "账号信息已保存。")
            return redirect("accounts:user_edit", user_id=target.pk)
    return _edit_page(request, target, status=422, edit_form=form)


@never_cache
@require_POST
@system_admin_required
def user_reset_password_view(request, user_id: int):
    target = access_user_by_id(actor=request.user, user_id=user_id)
    form = ResetPasswordForm(request.POST)
    if form.is_valid():
        try:
            _, password = user_reset_password(
                actor=request.user, user_id=target.pk, password=form.cleaned_data["password"]
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            # Rendered, not redirected: the temporary password must not travel through the
            # messages storage (cookie/session); it is shown this once.
            target.refresh_from_db()
            return _edit_page(request, target, new_password=password)
    return _edit_page(request, target, status=422, reset_form=form)


@require_POST
@system_admin_required
def user_unlock_view(request, user_id: int):
    target = access_user_by_id(actor=request.user, user_id=user_id)
    cleared = user_unlock(actor=request.user, user_id=target.pk)
    if cleared:
        messages.success(request, f"已解除“{target.username}”的登录锁定。")
    else:
        messages.info(request, f"“{target.username}”没有登录锁定记录。")
    return redirect("accounts:user_edit", user_id=target.pk)


@require_POST
@system_admin_required
def user_set_duty_view(request, user_id: int):
    target = access_user_by_id(actor=request.user, user_id=user_id)
    form = DutyForm(request.POST)
    if form.is_valid():
        try:
            user_set_duty(actor=request.user, user_id=target.pk, duty=form.cleaned_data["duty"])
        except DomainError as exc:
            apply_domain_error(form, exc)
            messages.error(request, exc.message)
        else:
            messages.success(request, "平台职责已更新。")
            return redirect("accounts:user_edit", user_id=target.pk)
    return _edit_page(request, target, status=422, duty_form=form)
