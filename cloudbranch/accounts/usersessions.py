"""我的登录设备: one ``UserSession`` row per login, ended on logout, idle timeout or by the user.

Ending a session deletes it from the session store of ``SESSION_ENGINE`` (the database engine, or the
cache engine on Redis), so its next request is anonymous; the middleware also logs out a request whose
row was ended (belt and braces, e.g. for a store that could not be reached).
"""

from __future__ import annotations

import hashlib
import hmac
from importlib import import_module

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.services import audit_record
from cloudbranch.core.errors import ConflictError
from cloudbranch.core.middleware import client_identity

from .models import SessionEndReason, UserSession


def key_digest(session_key: str) -> str:
    secret = (settings.SECRET_KEY + "|accounts.usersession").encode()
    return hmac.new(secret, session_key.encode(), hashlib.sha256).hexdigest()


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in settings.FIELD_ENCRYPTION_KEYS])


def _encrypt(session_key: str) -> str:
    return _fernet().encrypt(session_key.encode()).decode()


def _decrypt(token: str) -> str | None:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def session_started(request, user) -> UserSession | None:
    """Called on ``user_logged_in``: record the new session (the key was cycled by ``login``)."""
    session = getattr(request, "session", None)
    if session is None:
        return None
    if session.session_key is None:
        session.save()
    key = session.session_key
    ip, agent = client_identity(request)
    row, _ = UserSession.objects.update_or_create(
        key_digest=key_digest(key),
        defaults={"user": user, "key_encrypted": _encrypt(key), "ip": ip, "user_agent": agent, "ended_at": None},
    )
    return row


def session_ended(session_key: str | None, reason: str) -> int:
    """Mark the row of ``session_key`` ended (on logout; the store is flushed by ``logout`` itself)."""
    if not session_key:
        return 0
    return UserSession.objects.filter(key_digest=key_digest(session_key), ended_at__isnull=True).update(
        ended_at=timezone.now(), end_reason=reason
    )


def session_rekeyed(old_key: str | None, new_key: str | None) -> None:
    """The session key changed within a login (``update_session_auth_hash`` after a password change)."""
    if old_key and new_key and old_key != new_key:
        UserSession.objects.filter(key_digest=key_digest(old_key)).update(
            key_digest=key_digest(new_key), key_encrypted=_encrypt(new_key)
        )


def touch(request) -> bool:
    """Refresh ``last_seen_at`` of the request's session; False if the row was ended (log it out)."""
    key = request.session.session_key
    if not key:
        return True
    digest = key_digest(key)
    now = timezone.now()
    if UserSession.objects.filter(key_digest=digest, ended_at__isnull=True).update(last_seen_at=now):
        return True
    if UserSession.objects.filter(key_digest=digest).exists():
        return False
    session_started(request, request.user)  # a session from before this feature: adopt it
    return True


def _delete_from_store(row: UserSession) -> None:
    key = _decrypt(row.key_encrypted) if row.key_encrypted else None
    if key:
        engine = import_module(settings.SESSION_ENGINE)
        engine.SessionStore(session_key=key).delete()


def is_current(row: UserSession, request) -> bool:
    key = getattr(getattr(request, "session", None), "session_key", None)
    return bool(key) and row.key_digest == key_digest(key)


def session_end(*, actor, session_id: int, current_key: str | None = None) -> UserSession:
    """End one of the actor's own sessions (another user's id: 404; the current one: 409, use logout)."""
    if not actor.is_authenticated:
        raise PermissionDenied
    with transaction.atomic():
        row = UserSession.objects.select_for_update().filter(pk=session_id, user=actor).first()
        if row is None:
            raise Http404
        if row.ended_at is not None:
            raise ConflictError("该登录已结束。")
        if current_key and row.key_digest == key_digest(current_key):
            raise ConflictError("不能结束当前设备的登录，请使用“退出登录”。")
        row.ended_at = timezone.now()
        row.end_reason = SessionEndReason.ENDED
        row.save(update_fields=["ended_at", "end_reason"])
        audit_record(
            actor=actor,
            action="accounts.session.end",
            target=row,
            changes={"ip": row.ip or "", "created_at": row.created_at.isoformat()},
        )
        _delete_from_store(row)
    return row


def sessions_end_others(*, actor, current_key: str | None) -> int:
    """End every active session of the actor except the current one; returns how many."""
    if not actor.is_authenticated:
        raise PermissionDenied
    keep = key_digest(current_key) if current_key else ""
    return _end_all(
        actor=actor, user=actor, reason=SessionEndReason.ENDED, keep=keep, action="accounts.session.end_others"
    )


def _end_all(*, actor, user, reason: str, keep: str = "", action: str) -> int:
    with transaction.atomic():
        rows = list(
            UserSession.objects.select_for_update().filter(user=user, ended_at__isnull=True).exclude(key_digest=keep)
        )
        if rows:
            UserSession.objects.filter(pk__in=[r.pk for r in rows]).update(ended_at=timezone.now(), end_reason=reason)
        audit_record(actor=actor, action=action, target=user, changes={"sessions_ended": len(rows)})
        for r in rows:
            _delete_from_store(r)
    return len(rows)


def end_all_sessions(*, actor, user, reason: str, action: str) -> int:
    """End every session of ``user`` (a second-factor reset by the security administrator)."""
    return _end_all(actor=actor, user=user, reason=reason, action=action)
