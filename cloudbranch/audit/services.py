"""Writing audit rows. Called by every service inside its own transaction."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models

from cloudbranch.core import context

from .models import AuditEvent


def _jsonable(value):
    if isinstance(value, models.Model):
        return value.pk
    return value


def field_changes(before: dict, after, *, fields: Iterable[str], sensitive: Iterable[str] = ()) -> dict:
    """The fields whose value differs between ``before`` (a dict) and ``after`` (object or dict).

    Sensitive fields are reported as changed without their values.
    """
    sensitive = set(sensitive)
    get = after.get if isinstance(after, dict) else (lambda f: getattr(after, f))
    out = {}
    for f in fields:
        old, new = _jsonable(before.get(f)), _jsonable(get(f))
        if old != new:
            out[f] = {"changed": True} if f in sensitive else {"old": old, "new": new}
    return out


def snapshot(obj, fields: Iterable[str]) -> dict:
    return {f: _jsonable(getattr(obj, f)) for f in fields}


def _target(target) -> tuple[str, str, str]:
    if target is None:
        return "", "", ""
    if isinstance(target, models.Model):
        return target._meta.label_lower, str(target.pk), str(target)[:200]
    return str(target[0]), str(target[1]), str(target[2])[:200]


def audit_event(actor, *, action: str, target=None, changes: dict | None = None) -> AuditEvent:
    """Build (not save) an audit row, for bulk writes."""
    ctx = context.current()
    ttype, tid, trepr = _target(target)
    return AuditEvent(
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_name=(actor.get_username() if actor is not None and actor.is_authenticated else "system"),
        action=action,
        target_type=ttype,
        target_id=tid,
        target_repr=trepr,
        changes=changes or {},
        ip=ctx.ip,
        request_id=ctx.request_id,
    )


def audit_record(*, actor, action: str, target=None, changes: dict | None = None) -> AuditEvent:
    """Write one audit row now. ``target`` is a model instance or a (type, id, repr) triple."""
    event = audit_event(actor, action=action, target=target, changes=changes)
    event.save(force_insert=True)
    return event


def audit_bulk(events: list[AuditEvent], batch_size: int = 2000) -> None:
    AuditEvent.objects.bulk_create(events, batch_size=batch_size)


def audit_verify_run(*, actor, days=None, via: str = "page"):
    """Run the chain verification and record it (the last recorded run is shown on the
    integrity page). Returns the report."""
    from .selectors import require_auditor
    from .verify import verify_chain

    if actor is not None:
        require_auditor(actor)
    report = verify_chain(days)
    result = report.as_dict()
    result["problems"] = result["problems"][:50]
    result["problem_count"] = len(report.problems)
    result["via"] = via
    audit_record(actor=actor, action="audit.chain.verify", changes=result)
    return report
