"""The hash chain of the audit log: one chain per day (Asia/Shanghai), linked across days.

Pure functions only (no queries), shared by the services that seal new rows, the data migration
that chained the rows written before, ``audit_verify`` and the archive/export readers, so an
outside verifier needs nothing but this file's rules (see docs/adr/0011-audit-hash-chain.md):

    hash = SHA-256( canonical JSON of {occurred_at, actor_id, actor_name, action, target_type,
                    target_id, target_repr, changes, ip, request_id, chain_day, seq, prev_hash} )

canonical JSON = sorted keys, separators (",", ":"), UTF-8, no ASCII escaping; ``occurred_at``
in UTC, ISO 8601 with microseconds; ``chain_day`` ISO date; ``ip`` null when empty.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from zoneinfo import ZoneInfo

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

CHAIN_TZ = ZoneInfo("Asia/Shanghai")
GENESIS = "0" * 64
CONTENT_FIELDS = (
    "occurred_at",
    "actor_id",
    "actor_name",
    "action",
    "target_type",
    "target_id",
    "target_repr",
    "changes",
    "ip",
    "request_id",
)
# The order of a row in exports and archives: content, chain position, hashes.
RECORD_FIELDS = ("id", *CONTENT_FIELDS, "chain_day", "seq", "prev_hash", "hash")


def chain_today() -> datetime.date:
    """The chain day a row written now belongs to (tests replace this to write on other days)."""
    return timezone.now().astimezone(CHAIN_TZ).date()


def local_day(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(CHAIN_TZ).date()


def normalize_changes(changes) -> dict:
    """``changes`` exactly as it reads back from the JSON column (tuples become lists, dates and
    decimals strings), so the hash of a row sealed in memory equals the hash recomputed later."""
    return json.loads(json.dumps(changes or {}, cls=DjangoJSONEncoder))


def iso_utc(moment) -> str:
    if isinstance(moment, str):
        moment = datetime.datetime.fromisoformat(moment)
    return moment.astimezone(datetime.UTC).isoformat(timespec="microseconds")


def payload(values: dict) -> dict:
    """The hashed fields of one row, from a dict with the model's attribute names (or a record)."""
    day = values["chain_day"]
    return {
        "occurred_at": iso_utc(values["occurred_at"]),
        "actor_id": values["actor_id"],
        "actor_name": values["actor_name"],
        "action": values["action"],
        "target_type": values["target_type"],
        "target_id": values["target_id"],
        "target_repr": values["target_repr"],
        "changes": values["changes"] or {},
        "ip": values["ip"] or None,
        "request_id": values["request_id"],
        "chain_day": day if isinstance(day, str) else day.isoformat(),
        "seq": values["seq"],
        "prev_hash": values["prev_hash"],
    }


def canonical(values: dict) -> bytes:
    return json.dumps(
        payload(values), sort_keys=True, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder
    ).encode()


def compute_hash(values: dict) -> str:
    return hashlib.sha256(canonical(values)).hexdigest()


def record(values: dict) -> dict:
    """One row as written to an export or archive line (JSON-ready): the payload plus id and hash."""
    out = payload(values)
    out["id"] = values["id"]
    out["hash"] = values["hash"]
    return {k: out[k] for k in RECORD_FIELDS}


def record_line(values: dict) -> bytes:
    return json.dumps(record(values), ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder).encode() + b"\n"
