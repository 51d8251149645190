from datetime import date, datetime

from ninja import Field, Schema


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


class PeriodIn(Schema):
    """Chain days, both included (``from``/``to`` in the query string or the body)."""

    since: date | None = Field(None, alias="from")
    until: date | None = Field(None, alias="to")


class ProblemOut(Schema):
    day: date
    kind: str
    seq: int | None
    event_id: int | None
    message: str


class VerifyOut(Schema):
    ok: bool
    days: int
    first_day: date | None
    last_day: date | None
    events: int
    archived_days: int
    problems: list[ProblemOut]
    summary: str


class ArchiveOut(Schema):
    day: date
    count: int
    prev_hash: str
    first_hash: str
    last_hash: str
    file_name: str
    file_sha256: str
    file_size: int
    archived_at: datetime
    archived_by: str
