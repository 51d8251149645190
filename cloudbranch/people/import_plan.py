"""Preview → confirm → undo for Excel imports: hashes, fingerprints, snapshots, conditional transitions.

No models here: an importer keeps these values on its own job model. The roster import
(``people/importing.py``) is the first user; another importer (dues bases, development batches,
school enrolment, the question bank) plugs in the same way:

1. **Preview** (background task): read and check the whole file exactly as for a real import,
   but write nothing. Store on the job ``file_sha256 = sha256_hex(file bytes)``, the planned
   changes as a list of JSON-safe dicts in file order and ``plan_sha256 = plan_hash(plan)``, and
   for every existing row the plan would change ``fingerprint(obj)`` (``{pk: fingerprint}``).
2. **Confirm**: ``transition(Job.objects.filter(pk=...), "previewed", "confirming")`` inside the
   write transaction (0 rows → someone else confirmed: 409). Re-read the stored file and compare
   its hash, re-run the checks and compare ``plan_hash``, compare each stored fingerprint with
   ``fingerprint`` of the row as it is now (``changed_since``); any difference → raise 409 so the
   transaction rolls back and nothing is written. Then write as usual and keep for undo: the ids
   created, ``row_state(obj)`` of every updated row taken *before* the write, and
   ``fingerprint`` of every touched row *after* it (re-read from the database).
3. **Undo**: ``transition(..., "succeeded", "undoing")``; refuse (409) if ``changed_since`` finds
   any touched row changed, or ``dependents`` finds rows in other tables pointing at a created
   row (never cascade); then delete the created rows and ``apply_state`` + ``bulk_update`` the
   stored before-states (every concrete field, ``updated_at`` included: ``bulk_update`` does not
   run ``auto_now``), and finish with ``transition(..., "undoing", "undone")``.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterable

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import timezone

from cloudbranch.core.errors import ConflictError

_BYTES = "__b64__"
PREVIEW_EXPIRED = "预览已过期，请重新上传预览"


def jsonable(value):
    """A value as JSON can carry it, in a form that compares and hashes stably."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return {_BYTES: base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return str(value)


def canonical_json(value) -> bytes:
    """One byte string per value: sorted keys, no spaces, UTF-8."""
    return json.dumps(jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(bytes(data)).hexdigest()


def plan_hash(plan: list) -> str:
    """The hash of the checked data: a list of planned changes, in file order."""
    return sha256_hex(canonical_json(plan))


def _concrete(model) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def row_state(obj: models.Model) -> dict:
    """Every concrete field of ``obj`` (by attname, encrypted columns as stored), JSON-safe."""
    return {f.attname: jsonable(f.value_from_object(obj)) for f in _concrete(type(obj))}


def fingerprint(obj: models.Model) -> str:
    """The hash of every concrete field of ``obj`` as it is now."""
    return sha256_hex(canonical_json(row_state(obj)))


def apply_state(obj: models.Model, state: dict) -> list[str]:
    """Put a ``row_state`` back on ``obj``; returns the attnames to pass to ``bulk_update``."""
    names = []
    for f in _concrete(type(obj)):
        if f.attname not in state:
            continue
        value = state[f.attname]
        if isinstance(value, dict) and _BYTES in value:
            value = base64.b64decode(value[_BYTES])
        elif value is not None and not isinstance(f, models.JSONField):
            value = f.to_python(value)
        setattr(obj, f.attname, value)
        names.append(f.name)
    return names


def changed_since(model, fingerprints: dict, *, chunk: int = 500) -> tuple[list[models.Model], list[str]]:
    """Rows whose fingerprint differs from the stored one, and the ids that no longer exist."""
    ids = [int(pk) for pk in fingerprints]
    changed, found = [], set()
    for start in range(0, len(ids), chunk):
        for obj in model._base_manager.filter(pk__in=ids[start : start + chunk]):
            found.add(obj.pk)
            if fingerprint(obj) != fingerprints[str(obj.pk)]:
                changed.append(obj)
    missing = [str(pk) for pk in ids if pk not in found]
    return changed, missing


def transition(queryset, source: str | Iterable[str], target: str, **fields) -> bool:
    """A conditional ``UPDATE ... WHERE status IN (source)``: True if this caller made the move."""
    sources = [source] if isinstance(source, str) else list(source)
    return bool(queryset.filter(status__in=sources).update(status=target, **fields))


def dependents(model, ids: list[int], *, allowed: dict | None = None) -> list[tuple[str, int]]:
    """Rows in other tables that point at ``ids`` of ``model`` (every reverse FK, one-to-one and
    many-to-many), as (verbose name, count). ``allowed`` maps a related model to a ``Q`` of rows
    the caller will remove itself (e.g. the history rows written by the import). Foreign keys
    declared with ``related_name="+"`` count too; the rows of ``model``'s own many-to-many
    fields (their auto-created through tables) do not: they belong to the row itself."""
    allowed = allowed or {}
    found = []
    if not ids:
        return found
    rels = [
        f
        for f in model._meta.get_fields(include_hidden=True)
        if f.auto_created and not f.concrete and (f.one_to_many or f.one_to_one or f.many_to_many)
    ]
    for rel in rels:
        related = rel.related_model
        if related._meta.auto_created and rel.hidden:  # the through table of model's own M2M field
            continue
        qs = related._base_manager.filter(**{f"{rel.field.name}__in": ids})
        if related in allowed:
            qs = qs.exclude(allowed[related])
        count = qs.count()
        if count:
            found.append((str(related._meta.verbose_name), count))
    return found


# --- preview expiry ------------------------------------------------------------------------------
# A job model of an importer declares ``preview_stamp``: the field that dates its preview (when it
# was stored). Previews older than ``IMPORT_PREVIEW_TTL_HOURS`` cannot be confirmed; the nightly
# ``import_previews_expire`` marks them expired and drops their stored files.


def preview_ttl() -> datetime.timedelta:
    """How long a preview can be confirmed (setting ``IMPORT_PREVIEW_TTL_HOURS``, default 24)."""
    return datetime.timedelta(hours=float(getattr(settings, "IMPORT_PREVIEW_TTL_HOURS", 24)))


def refuse_if_expired(jobs, stamp: datetime.datetime | None) -> None:
    """Before a confirm: a preview stored at ``stamp`` and now older than the TTL becomes expired
    (``jobs`` is the one job's queryset) and the confirm gets 409."""
    if stamp is not None and timezone.now() - stamp > preview_ttl():
        transition(jobs, "previewed", "expired", file_data=b"", message=PREVIEW_EXPIRED)
        raise ConflictError(PREVIEW_EXPIRED)


def expire_previews(model, **filters) -> int:
    """Mark ``model``'s previews older than the TTL expired and drop their files; how many."""
    cutoff = timezone.now() - preview_ttl()
    stale = model._default_manager.filter(status="previewed", **{f"{model.preview_stamp}__lt": cutoff}, **filters)
    return stale.update(status="expired", file_data=b"", message=PREVIEW_EXPIRED)


def preview_job_models() -> list[type[models.Model]]:
    """Every importer's job model (those declaring ``preview_stamp``)."""
    return [m for m in apps.get_models() if getattr(m, "preview_stamp", None)]
