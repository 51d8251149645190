"""Second factor (二次验证): TOTP through django-otp, plus 10 one-time recovery codes stored hashed.

The state of a login is kept in its session (``OTP_STATE_KEY``), decided once when the user logs in:
``verify`` (a confirmed device, code not yet given), ``setup`` (the second factor is mandatory for the
user and no device exists) or ``ok``. The middleware reads only the session, so pages pay no query.
"""

from __future__ import annotations

import datetime
import secrets
from base64 import b32encode
from binascii import unhexlify

import segno
from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from cloudbranch.audit.services import audit_record
from cloudbranch.core.errors import ConflictError, DomainError

from .choices import Duty
from .models import LoginOutcome, RecoveryCode, SessionEndReason, User

OTP_STATE_KEY = "cb_otp_state"
PENDING_KEY = "cb_otp_pending"
STATE_VERIFY, STATE_SETUP, STATE_OK = "verify", "setup", "ok"
RECOVERY_CODE_COUNT = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


def _field_error(field: str, message: str) -> DomainError:
    return DomainError(message, errors=[{"field": field, "message": message}])


# ---------------------------------------------------------------- reads


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def required_for(user) -> bool:
    """Whether the second factor is mandatory for ``user``: a platform duty, or one of
    TWO_FACTOR_REQUIRED_ROLES held anywhere (read through the reverse relation: orgs is a layer above)."""
    if not settings.TWO_FACTOR_MANDATORY or not user.is_authenticated:
        return False
    if user.duty != Duty.NONE:
        return True
    return user.role_assignments.filter(revoked_at__isnull=True, role__in=settings.TWO_FACTOR_REQUIRED_ROLES).exists()


def login_state(user) -> str:
    if confirmed_device(user) is not None:
        return STATE_VERIFY
    return STATE_SETUP if required_for(user) else STATE_OK


def recovery_codes_left(user) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def is_locked(user) -> bool:
    return user.otp_locked_until is not None and user.otp_locked_until > timezone.now()


# ---------------------------------------------------------------- recovery codes


def _normalize(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def _digest(user, code: str) -> str:
    return salted_hmac("cloudbranch.accounts.recovery", f"{user.pk}:{_normalize(code)}").hexdigest()


def _new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes (the old ones stop working); returns the clear codes once."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create([RecoveryCode(user=user, digest=_digest(user, c)) for c in codes])
    return codes


def _use_recovery_code(user, code: str) -> bool:
    return bool(
        RecoveryCode.objects.filter(user=user, digest=_digest(user, code), used_at__isnull=True).update(
            used_at=timezone.now()
        )
    )


def _check_code(user, code: str, device: TOTPDevice | None) -> str | None:
    """'totp' or 'recovery' when the code is right, else None. Six digits are a TOTP code."""
    code = (code or "").strip().replace(" ", "")
    if not code:
        return None
    if code.isdigit() and len(code) == 6:
        if device is not None and device.verify_token(code):
            return "totp"
        return None
    return "recovery" if _use_recovery_code(user, code) else None


# ---------------------------------------------------------------- setup


def pending_secret(request) -> str:
    """The secret offered on the setup page, kept in the session until confirmed (no write on GET)."""
    key = request.session.get(PENDING_KEY)
    if not key:
        key = random_hex(20)
        request.session[PENDING_KEY] = key
    return key


def provisioning(user, key: str) -> dict:
    """What the setup page shows: an inline SVG QR code (no network) and the secret for typing in."""
    device = TOTPDevice(user=user, key=key, name="身份验证器")
    qr = segno.make(device.config_url, error="m")
    return {
        "qr_svg": qr.svg_inline(scale=4, dark="#000", light="#fff"),
        "secret": b32encode(unhexlify(key)).decode().rstrip("="),
    }


def otp_setup_confirm(*, actor, request, code: str) -> list[str]:
    """Confirm the pending secret with a code from the app: the device is saved, 10 recovery codes are
    generated (returned in clear this once) and the current session counts as verified."""
    if not actor.is_authenticated:
        raise PermissionDenied
    key = request.session.get(PENDING_KEY)
    if not key:
        raise _field_error("code", "设置已过期，请重新扫描二维码。")
    code = (code or "").strip().replace(" ", "")
    probe = TOTP(unhexlify(key), step=30, t0=0, digits=6, drift=0)
    if not (code.isdigit() and len(code) == 6 and probe.verify(int(code), tolerance=1)):
        raise _field_error("code", "验证码不正确，请核对手机上的时间后重试。")
    now = probe.t()  # this code (and older ones) cannot be replayed at the next login
    with transaction.atomic():
        if TOTPDevice.objects.select_for_update().filter(user=actor, confirmed=True).exists():
            raise ConflictError("已经启用了二次验证。")
        TOTPDevice.objects.filter(user=actor).delete()
        device = TOTPDevice.objects.create(user=actor, name="身份验证器", key=key, confirmed=True, last_t=now)
        codes = _new_recovery_codes(actor)
        User.objects.filter(pk=actor.pk).update(otp_failures=0, otp_locked_until=None)
        audit_record(actor=actor, action="accounts.otp.enable", target=actor, changes={"device": {"new": device.name}})
    del request.session[PENDING_KEY]
    otp_login(request, device)
    request.session[OTP_STATE_KEY] = STATE_OK
    return codes


# ---------------------------------------------------------------- verify at login


def otp_verify(*, request, code: str) -> str:
    """Check the code of a logged-in, not yet verified session. Right: the session is verified.
    Wrong: counted and audited; at OTP_FAILURE_LIMIT the user is logged out and the second factor
    is locked for AXES_COOLOFF_TIME hours. Returns 'totp' or 'recovery'; raises DomainError."""
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied
    if is_locked(user):
        _lock_logout(request)
        raise DomainError("二次验证失败次数过多，账号已暂时锁定，请稍后再试或联系系统管理员。")
    device = confirmed_device(user)
    with transaction.atomic():
        kind = _check_code(user, code, device)
        if kind is not None:
            User.objects.filter(pk=user.pk).update(otp_failures=0, otp_locked_until=None)
            changes = {"method": kind}
            if kind == "recovery":
                changes["recovery_codes_left"] = recovery_codes_left(user)
            audit_record(actor=user, action="accounts.otp.verify", target=user, changes=changes)
    if kind is not None:
        if device is not None:
            otp_login(request, device)
        request.session[OTP_STATE_KEY] = STATE_OK
        return kind
    return _failure(request, user)


def _failure(request, user):
    from .logins import record_login

    with transaction.atomic():
        locked_user = User.objects.select_for_update().get(pk=user.pk)
        failures = locked_user.otp_failures + 1
        locked = failures >= settings.OTP_FAILURE_LIMIT
        fields = {"otp_failures": 0 if locked else failures}
        if locked:
            fields["otp_locked_until"] = timezone.now() + datetime.timedelta(hours=float(settings.AXES_COOLOFF_TIME))
        User.objects.filter(pk=user.pk).update(**fields)
        audit_record(
            actor=user, action="accounts.otp.fail", target=user, changes={"failures": failures, "locked": locked}
        )
        record_login(request=request, user=user, username=user.get_username(), outcome=LoginOutcome.OTP_FAILED)
    if locked:
        _lock_logout(request)
        raise DomainError("二次验证失败次数过多，已退出登录，账号暂时锁定。")
    left = settings.OTP_FAILURE_LIMIT - failures
    raise _field_error("code", f"验证码不正确，还可以再试 {left} 次。")


def _lock_logout(request) -> None:
    request._cb_end_reason = SessionEndReason.OTP_LOCKED
    logout(request)


# ---------------------------------------------------------------- manage


def otp_remove(*, actor, code: str) -> None:
    """Remove the actor's own device (with a current code); refused to those who must have one."""
    if not actor.is_authenticated:
        raise PermissionDenied
    device = confirmed_device(actor)
    if device is None:
        raise ConflictError("尚未启用二次验证。")
    if required_for(actor):
        raise ConflictError("您的角色必须启用二次验证，不能移除唯一的验证设备。")
    with transaction.atomic():
        if _check_code(actor, code, device) is None:
            raise _field_error("code", "验证码不正确。")
        TOTPDevice.objects.filter(user=actor).delete()
        RecoveryCode.objects.filter(user=actor).delete()
        audit_record(actor=actor, action="accounts.otp.remove", target=actor)


def recovery_codes_regenerate(*, actor, code: str) -> list[str]:
    """New recovery codes (the old ones stop working), with a current code from the app."""
    if not actor.is_authenticated:
        raise PermissionDenied
    device = confirmed_device(actor)
    if device is None:
        raise ConflictError("尚未启用二次验证。")
    code = (code or "").strip()
    with transaction.atomic():
        if not (code.isdigit() and device.verify_token(code)):
            raise _field_error("code", "请输入身份验证器上当前的 6 位验证码。")
        codes = _new_recovery_codes(actor)
        audit_record(actor=actor, action="accounts.otp.recovery_regenerate", target=actor)
    return codes


def otp_reset(*, actor, user_id: int) -> User:
    """The security administrator (安全管理员) removes someone's second factor (lost phone): devices and
    recovery codes are deleted, the lock cleared, and every session of that user ended."""
    from .permissions import require_security_admin
    from .usersessions import end_all_sessions

    require_security_admin(actor)
    with transaction.atomic():
        target = User.objects.select_for_update().filter(pk=user_id).first()
        if target is None:
            raise Http404
        removed = TOTPDevice.objects.filter(user=target).delete()[0]
        RecoveryCode.objects.filter(user=target).delete()
        User.objects.filter(pk=target.pk).update(otp_failures=0, otp_locked_until=None)
        audit_record(actor=actor, action="accounts.otp.reset", target=target, changes={"devices_removed": removed})
        end_all_sessions(actor=actor, user=target, reason=SessionEndReason.RESET, action="accounts.session.end_all")
    return target
