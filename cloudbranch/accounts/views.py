from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cloudbranch.audit.services import audit_record
from cloudbranch.core.errors import DomainError

from .forms import TokenForm
from .models import ApiToken
from .services import api_token_create, api_token_revoke


def profile(request):
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at")[:50]
    return render(request, "accounts/profile.html", {"tokens": tokens, "form": TokenForm()})


@require_POST
def token_create(request):
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            token, clear = api_token_create(actor=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at")[:50]
            return render(request, "accounts/profile.html", {"tokens": tokens, "form": TokenForm(), "new_token": clear})
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at")[:50]
    return render(request, "accounts/profile.html", {"tokens": tokens, "form": form}, status=422)


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
        user = form.save()
        if user.must_change_password:
            user.must_change_password = False
            user.save(update_fields=["must_change_password"])
        update_session_auth_hash(request, user)
        audit_record(actor=user, action="accounts.password.change", target=user)
        messages.success(request, "密码已修改。")
        return redirect("accounts:profile")
    return render(request, "accounts/password_change.html", {"form": form}, status=422 if form.errors else 200)
