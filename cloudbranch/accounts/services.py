from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from cloudbranch.audit.services import audit_record
from cloudbranch.core.errors import DomainError

from .models import ApiToken


def api_token_create(*, actor, name: str, days: int = 90) -> tuple[ApiToken, str]:
    """Issue a personal token; the clear token is returned once and never stored."""
    if not actor.is_authenticated:
        raise PermissionDenied
    name = (name or "").strip()
    if not name:
        raise DomainError("请填写令牌名称。", errors=[{"field": "name", "message": "请填写令牌名称。"}])
    if not 1 <= days <= 365:
        raise DomainError("有效期须在 1 至 365 天之间。", errors=[{"field": "days", "message": "有效期须在 1 至 365 天之间。"}])
    clear = ApiToken.generate()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=actor, name=name, prefix=clear[3:9], digest=ApiToken.digest_of(clear),
            expires_at=timezone.now() + datetime.timedelta(days=days),
        )
        audit_record(actor=actor, action="accounts.token.create", target=token, changes={"name": {"new": name}})
    return token, clear


def api_token_revoke(*, actor, token_id: int) -> ApiToken:
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id, user=actor, revoked_at__isnull=True).first()
        if token is None:
            raise DomainError("令牌不存在或已撤销。")
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="accounts.token.revoke", target=token)
    return token
