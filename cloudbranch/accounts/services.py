"""Writes for accounts: personal API tokens, the user's own password, and account management by the
system administrator (系统管理员). Every function is keyword-only, checks the actor, runs in one
transaction and writes its audit row in that transaction. Password material never reaches the
audit log: a password change is recorded as ``{"password": {"changed": True}}``.
"""

from __future__ import annotations

import datetime
import secrets
import string

from axes.utils import reset as axes_reset
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.services import audit_record, field_changes, snapshot
from cloudbranch.core.errors import ConflictError, DomainError

from .choices import Duty
from .models import ApiToken, User
from .permissions import require_system_admin

USER_AUDIT_FIELDS = ("username", "display_name", "email", "is_active", "duty", "must_change_password")

# Sentinel for "not given" in partial updates (None may be a meaningful value elsewhere).
UNSET = object()


def _field_error(field: str, message: str) -> DomainError:
    return DomainError(message, errors=[{"field": field, "message": message}])


# ---------------------------------------------------------------- personal API tokens


def api_token_create(*, actor, name: str, days: int = 90) -> tuple[ApiToken, str]:
    """Issue a personal token; the clear token is returned once and never stored."""
    if not actor.is_authenticated:
        raise PermissionDenied
    name = (name or "").strip()
    if not name:
        raise _field_error("name", "请填写令牌名称。")
    if len(name) > 64:
        raise _field_error("name", "令牌名称不能超过 64 个字符。")
    if not 1 <= days <= 365:
        raise _field_error("days", "有效期须在 1 至 365 天之间。")
    clear = ApiToken.generate()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=actor,
            name=name,
            prefix=clear[3:9],
            digest=ApiToken.digest_of(clear),
            expires_at=timezone.now() + datetime.timedelta(days=days),
        )
        audit_record(actor=actor, action="accounts.token.create", target=token, changes={"name": {"new": name}})
    return token, clear


def api_token_revoke(*, actor, token_id: int) -> ApiToken:
    """Revoke one of the actor's own tokens: another user's token is not found (404)."""
    if not actor.is_authenticated:
        raise PermissionDenied
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id, user=actor).first()
        if token is None:
            raise Http404
        if token.revoked_at is not None:
            raise ConflictError("令牌已撤销。")
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="accounts.token.revoke", target=token)
    return token


# ---------------------------------------------------------------- the user's own password


def user_password_change(*, actor, new_password: str) -> User:
    """The user sets a new password (already checked by the form: old password, policy, twice).

    Clears ``must_change_password``, so a temporary password set by the administrator is used once.
    """
    if not actor.is_authenticated:
        raise PermissionDenied
    _check_password(new_password, user=actor)
    with transaction.atomic():
        actor.set_password(new_password)
        actor.must_change_password = False
        actor.save(update_fields=["password", "must_change_password"])
        audit_record(
            actor=actor, action="accounts.password.change", target=actor, changes={"password": {"changed": True}}
        )
    return actor


# ---------------------------------------------------------------- account management (system administrator)


def _check_password(password: str, *, user=None, field: str = "password") -> None:
    """AUTH_PASSWORD_VALIDATORS (length ≥ 8, not common, not all digits, 3 character classes)."""
    if not password:
        raise _field_error(field, "请填写密码。")
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        messages = list(exc.messages)
        raise DomainError("密码不符合安全要求。", errors=[{"field": field, "message": m} for m in messages]) from exc


def _clean_profile(*, display_name, email) -> tuple[str, str]:
    display_name = (display_name or "").strip()
    email = (email or "").strip()
    errors = []
    if len(display_name) > 64:
        errors.append({"field": "display_name", "message": "姓名不能超过 64 个字符。"})
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.append({"field": "email", "message": "请输入有效的电子邮箱地址。"})
    if errors:
        raise DomainError(errors[0]["message"], errors=errors)
    return display_name, email


def generate_temporary_password(length: int = 14) -> str:
    """A random password that passes the policy (all four character classes present)."""
    alphabet = string.ascii_letters + string.digits + "!@#$%*-_+="  # nothing HTML would escape
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if (
            any(c.islower() for c in candidate)
            and any(c.isupper() for c in candidate)
            and any(c.isdigit() for c in candidate)
            and any(not c.isalnum() for c in candidate)
        ):
            return candidate


def user_create(*, actor, username: str, password: str, display_name: str = "", email: str = "") -> User:
    """Create an account with an initial password that must be changed at first login."""
    require_system_admin(actor)
    username = (username or "").strip()
    if not username:
        raise _field_error("username", "请填写用户名。")
    if len(username) > 150:
        raise _field_error("username", "用户名不能超过 150 个字符。")
    try:
        User.username_validator(username)
    except ValidationError as exc:
        raise _field_error("username", "用户名只能包含字母、数字和 @/./+/-/_ 字符。") from exc
    display_name, email = _clean_profile(display_name=display_name, email=email)
    user = User(username=username, display_name=display_name, email=email, must_change_password=True)
    _check_password(password, user=user)
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise _field_error("username", "该用户名已被使用。")
        user.set_password(password)
        user.save()
        audit_record(
            actor=actor,
            action="accounts.user.create",
            target=user,
            changes={
                **{f: {"new": getattr(user, f)} for f in USER_AUDIT_FIELDS if getattr(user, f) not in ("", None)},
                "password": {"changed": True},
            },
        )
    return user


def _lock_user(user_id: int) -> User:
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise Http404
    return user


def _other_active_holders(duty: str, *, exclude_pk: int) -> int:
    # Locking the holders serializes two administrators removing the last two holders at once.
    return len(
        User.objects.select_for_update()
        .filter(duty=duty, is_active=True)
        .exclude(pk=exclude_pk)
        .values_list("pk", flat=True)
    )


def _check_keeps_a_holder(user: User, *, losing: str) -> None:
    """三员分立 needs each duty staffed: the last active holder of a duty cannot lose it."""
    if losing and user.is_active and _other_active_holders(losing, exclude_pk=user.pk) == 0:
        label = Duty(losing).label
        raise ConflictError(
            f"“{user}”是唯一的{label}，不能撤销其职责或停用该账号；请先为其他账号授予{label}职责。",
            errors=[{"field": "duty", "message": f"至少须保留一名{label}。"}],
        )


def _check_duty_grant(user: User, duty: str) -> None:
    """A duty holder holds no Party role (三员分立): the account must have no active role assignment."""
    if duty not in Duty.values:
        raise _field_error("duty", "无效的平台职责。")
    if not duty:
        return
    if not user.is_active:
        raise _field_error("duty", "停用的账号不能担任平台职责。")
    # Reverse relation of orgs.RoleAssignment: no import of orgs (accounts sits below it).
    if user.role_assignments.filter(revoked_at__isnull=True).exists():
        raise ConflictError(
            "该账号持有党组织角色，不能同时担任平台职责（三员分立）；请先撤销其党组织角色。",
            errors=[{"field": "duty", "message": "该账号持有党组织角色。"}],
        )


def user_update(*, actor, user_id: int, display_name=UNSET, email=UNSET, is_active=UNSET, duty=UNSET) -> User:
    """Change an account's name, e-mail, active flag and/or platform duty; fields not given stay."""
    require_system_admin(actor)
    with transaction.atomic():
        user = _lock_user(user_id)
        before = snapshot(user, USER_AUDIT_FIELDS)
        if display_name is not UNSET or email is not UNSET:
            name, mail = _clean_profile(
                display_name=user.display_name if display_name is UNSET else display_name,
                email=user.email if email is UNSET else email,
            )
            user.display_name, user.email = name, mail
        if is_active is not UNSET and bool(is_active) != user.is_active:
            if not is_active:
                if user.pk == actor.pk:
                    raise _field_error("is_active", "不能停用自己的账号。")
                _check_keeps_a_holder(user, losing=user.duty)
            user.is_active = bool(is_active)
        if duty is not UNSET and (duty or "") != user.duty:
            duty = duty or ""
            _check_duty_grant(user, duty)
            _check_keeps_a_holder(user, losing=user.duty)
            user.duty = duty
        changes = field_changes(before, user, fields=USER_AUDIT_FIELDS)
        if changes:
            user.save(update_fields=[f for f in USER_AUDIT_FIELDS if f in changes])
            action = "accounts.user.set_duty" if set(changes) == {"duty"} else "accounts.user.update"
            audit_record(actor=actor, action=action, target=user, changes=changes)
    return user


def user_set_duty(*, actor, user_id: int, duty: str) -> User:
    """Give or take the system / security / audit duty (see ``user_update`` for the rules)."""
    return user_update(actor=actor, user_id=user_id, duty=duty)


def user_reset_password(*, actor, user_id: int, password: str = "") -> tuple[User, str]:
    """Set a temporary password (given, or generated when blank) that must be changed at next login.

    The account's API tokens are revoked too: a reset means the old credentials are not trusted.
    Returns the user and the temporary password, to be shown once and never stored in clear.
    """
    require_system_admin(actor)
    with transaction.atomic():
        user = _lock_user(user_id)
        password = password or generate_temporary_password()
        _check_password(password, user=user)
        user.set_password(password)
        user.must_change_password = True
        user.save(update_fields=["password", "must_change_password"])
        revoked = ApiToken.objects.active().filter(user=user).update(revoked_at=timezone.now())
        audit_record(
            actor=actor,
            action="accounts.user.reset_password",
            target=user,
            changes={"password": {"changed": True}, "must_change_password": {"new": True}, "tokens_revoked": revoked},
        )
    return user, password


def user_unlock(*, actor, user_id: int) -> int:
    """Clear the django-axes lockout of the account's user name; returns the attempts removed."""
    require_system_admin(actor)
    with transaction.atomic():
        user = _lock_user(user_id)
        cleared = axes_reset(username=user.username)
        if user.otp_locked_until is not None or user.otp_failures:  # the second factor's lock too
            User.objects.filter(pk=user.pk).update(otp_failures=0, otp_locked_until=None)
            cleared += 1
        audit_record(actor=actor, action="accounts.user.unlock", target=user, changes={"attempts_cleared": cleared})
    return cleared
