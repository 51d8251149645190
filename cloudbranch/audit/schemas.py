from datetime import date, datetime

from ninja import Schema


class AuditEventOut(Schema):
    id: int
    occurred_at: datetime
    actor_name: str
    action: str
    target_type: str
    target_id: str
    target_repr: str
    changes: dict
    ip: str | None
    request_id: str


class AuditFilterIn(Schema):
    since: date | None = None
    until: date | None = None
    actor: str = ""
    action: str = ""
    target_type: str = ""
    target_id: str = ""
