"""Reading the audit log: the audit administrator only (三员分立 — nobody else, not even the
organization department, sees it)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from .models import AuditEvent

# ``accounts.choices.Duty.AUDIT``; audit sits below accounts in the layering (every write,
# accounts' included, is audited), so the value is spelled out rather than imported.
AUDIT_DUTY = "audit"


def is_auditor(user) -> bool:
    return bool(
        user is not None and user.is_authenticated and user.is_active and getattr(user, "duty", "") == AUDIT_DUTY
    )


def require_auditor(user) -> None:
    if not is_auditor(user):
        raise PermissionDenied


@dataclass
class AuditFilters:
    since: datetime.date | None = None
    until: datetime.date | None = None
    actor: str = ""
    action: str = ""
    target_type: str = ""
    target_id: str = ""

    @classmethod
    def from_query(cls, data) -> AuditFilters:
        return cls(
            since=_date(data.get("since")),
            until=_date(data.get("until")),
            actor=(data.get("actor") or "").strip(),
            action=(data.get("action") or "").strip(),
            target_type=(data.get("target_type") or "").strip(),
            target_id=(data.get("target_id") or "").strip(),
        )

    def as_dict(self) -> dict:
        out = {
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
            "actor": self.actor,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
        }
        return {k: v for k, v in out.items() if v}


def _date(value) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def audit_event_list(*, user, filters: AuditFilters | None = None):
    """Audit events matching the filters, newest first (no joins: the actor's name is stored on
    the row, so one query per page whatever the size). Dates are days in local time, both ends
    included; ``action`` is a prefix (``people.`` or ``people.person.update``)."""
    require_auditor(user)
    f = filters or AuditFilters()
    qs = AuditEvent.objects.all()
    if f.since:
        qs = qs.filter(occurred_at__gte=_day_start(f.since))
    if f.until:
        qs = qs.filter(occurred_at__lt=_day_start(f.until + datetime.timedelta(days=1)))
    if f.actor:
        qs = qs.filter(actor_name=f.actor)
    if f.action:
        qs = qs.filter(action__startswith=f.action)
    if f.target_type:
        qs = qs.filter(target_type=f.target_type.lower())
    if f.target_id:
        qs = qs.filter(target_id=f.target_id)
    return qs.order_by("-occurred_at", "-id")


def access_audit_event_by_id(*, user, event_id) -> AuditEvent:
    require_auditor(user)
    from django.shortcuts import get_object_or_404

    return get_object_or_404(AuditEvent, pk=event_id)


def change_rows(event: AuditEvent) -> list[dict]:
    """``changes`` as rows for display: ``{field, old, new, changed}``; other keys as plain values."""
    rows = []
    for key, value in (event.changes or {}).items():
        if isinstance(value, dict) and ({"old", "new"} & value.keys() or "changed" in value):
            rows.append({"field": key, "old": value.get("old"), "new": value.get("new"), "masked": "old" not in value})
        else:
            rows.append({"field": key, "value": value})
    return rows
