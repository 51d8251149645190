"""Who may manage accounts: the system administrator (系统管理员) only, never a Party role.

三员分立: the system administrator manages accounts and settings, sees no Party data, and is the
only one who may create, edit, unlock or reset accounts and hand out the platform duties.
"""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied

from .choices import Duty


def is_system_admin(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.duty == Duty.SYSTEM)


def require_system_admin(user) -> None:
    if not is_system_admin(user):
        raise PermissionDenied("只有系统管理员可以管理账号。")


def system_admin_required(view):
    """403 for every logged-in user without the system duty (anonymous users never get here:
    LoginRequiredMiddleware sends them to the login page first)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        require_system_admin(request.user)
        return view(request, *args, **kwargs)

    return wrapper


def is_security_admin(user) -> bool:
    """The security administrator (安全管理员): everyone's login history, second-factor resets."""
    return bool(user is not None and user.is_authenticated and user.is_active and user.duty == Duty.SECURITY)


def require_security_admin(user) -> None:
    if not is_security_admin(user):
        raise PermissionDenied("只有安全管理员可以执行此操作。")


def security_admin_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        require_security_admin(request.user)
        return view(request, *args, **kwargs)

    return wrapper
