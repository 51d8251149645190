"""Export of a period with the hashes (gzip JSON lines, streamed), so a verifier outside the
system can recompute the chain with nothing but the rules in chain.py."""

from __future__ import annotations

import datetime
import zlib
from collections.abc import Iterator

from . import chain
from .models import AuditEvent
from .selectors import require_auditor
from .services import audit_record


def chain_rows(since: datetime.date | None, until: datetime.date | None):
    qs = AuditEvent.objects.all()
    if since:
        qs = qs.filter(chain_day__gte=since)
    if until:
        qs = qs.filter(chain_day__lte=until)
    return qs.order_by("chain_day", "seq")


def export_chain(
    *, user, since: datetime.date | None, until: datetime.date | None, via: str = "page"
) -> Iterator[bytes]:
    """Audit the export (row count known up front), then return the gzip stream of its rows in
    chain order (whole chain days: ``since``/``until`` are chain days, both included)."""
    from .verify import VALUE_FIELDS

    require_auditor(user)
    qs = chain_rows(since, until)
    count = qs.count()
    own = audit_record(
        actor=user,
        action="audit.log.export",
        changes={
            "format": "jsonl.gz",
            "since": since.isoformat() if since else "",
            "until": until.isoformat() if until else "",
            "rows": count,
            "via": via,
        },
    )
    rows = qs.exclude(pk=own.pk).values(*VALUE_FIELDS)  # the file holds the period as counted

    def stream() -> Iterator[bytes]:
        gz = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: gzip container
        buffer = []
        for row in rows.iterator(chunk_size=2000):
            buffer.append(chain.record_line(row))
            if len(buffer) >= 500:
                yield gz.compress(b"".join(buffer))
                buffer.clear()
        yield gz.compress(b"".join(buffer)) + gz.flush()

    return stream()
