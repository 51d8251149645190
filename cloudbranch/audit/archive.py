"""Archiving whole days older than the retention period (网络安全法 Art. 21: at least six months).

One gzip JSON-lines file per day (``audit-YYYY-MM-DD.jsonl.gz``, the same line format as the
export, see chain.record) plus a manifest (``AuditArchive`` row and ``.manifest.json`` beside the
file). The file is read back and its chain recomputed BEFORE the rows are deleted; the delete
passes the triggers only through an ``AuditArchivePermit`` inserted and removed in the same
transaction. Every archived day is itself audited (``audit.archive.create``).
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import json
import os
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

from cloudbranch.core.errors import DomainError

from . import chain
from .models import AuditArchive, AuditArchivePermit, AuditChainHead, AuditEvent

MIN_RETENTION_DAYS = 183  # 网络安全法 Art. 21: logs kept no less than six months


class ArchiveError(Exception):
    pass


def retention_days() -> int:
    days = int(getattr(settings, "AUDIT_RETENTION_DAYS", 365))
    if days < MIN_RETENTION_DAYS:
        raise DomainError(
            f"审计日志保存期限 AUDIT_RETENTION_DAYS={days} 天，少于《网络安全法》第二十一条要求的六个月"
            f"（至少 {MIN_RETENTION_DAYS} 天），拒绝归档。"
        )
    return days


def archive_dir(directory=None) -> Path:
    if directory:
        return Path(directory)
    return Path(getattr(settings, "AUDIT_ARCHIVE_DIR", "") or Path(settings.DATA_DIR) / "audit-archive")


def cutoff_day() -> datetime.date:
    """Days strictly before this one are older than the retention period."""
    return chain.chain_today() - datetime.timedelta(days=retention_days())


def file_name(day: datetime.date) -> str:
    return f"audit-{day.isoformat()}.jsonl.gz"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_archive(manifest: AuditArchive, *, directory=None):
    """The rows of an archived day from its file, after checking the file's SHA-256."""
    path = archive_dir(directory) / manifest.file_name
    if not path.exists():
        raise ArchiveError(f"文件 {path} 不存在 / file missing")
    if _sha256(path) != manifest.file_sha256:
        raise ArchiveError(f"文件 {path.name} 的 SHA-256 与清单不符 / file checksum differs")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            row["chain_day"] = datetime.date.fromisoformat(row["chain_day"])
            yield row


def _write_day(day, directory: Path) -> dict:
    """Write one day's rows; return the manifest fields (not yet saved)."""
    from .verify import VALUE_FIELDS

    directory.mkdir(parents=True, exist_ok=True)
    path = directory / file_name(day)
    tmp = path.with_suffix(".tmp")
    count, first, last, prev = 0, None, None, None
    with gzip.open(tmp, "wb", compresslevel=6) as fh:
        rows = AuditEvent.objects.filter(chain_day=day).order_by("seq").values(*VALUE_FIELDS)
        for row in rows.iterator(chunk_size=5000):
            fh.write(chain.record_line(row))
            count += 1
            if first is None:
                first, prev = row["hash"], row["prev_hash"]
            last = row["hash"]
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    tmp.replace(path)
    return {
        "day": day,
        "count": count,
        "prev_hash": prev or "",
        "first_hash": first or "",
        "last_hash": last or "",
        "file_name": path.name,
        "file_sha256": _sha256(path),
        "file_size": path.stat().st_size,
    }


def archive_day(day: datetime.date, *, actor=None, directory=None) -> AuditArchive:
    """Archive one day (must be older than the retention period and have an intact chain)."""
    from .services import audit_record
    from .verify import Report, check_rows, verify_chain

    if day >= cutoff_day():
        raise DomainError(
            f"{day} 的审计日志尚未超过保存期限（{retention_days()} 天，早于 {cutoff_day()} 的日期才能归档），拒绝归档。"
        )
    if AuditArchive.objects.filter(day=day).exists():
        raise DomainError(f"{day} 已经归档。")
    report = verify_chain([day])
    if not report.ok:
        raise DomainError(f"{day} 的哈希链校验失败，拒绝归档：{report.problems[0].message}")
    folder = archive_dir(directory)
    fields = _write_day(day, folder)
    manifest = AuditArchive(archived_by=actor.get_username() if actor is not None else "system", **fields)
    # Read back before anything is deleted: checksum, count, and the chain recomputed from the file.
    check = Report()
    count, last, first_prev = check_rows(day, read_archive(manifest, directory=folder), manifest.prev_hash, check)
    if not check.ok or count != manifest.count or last != (manifest.last_hash or None):
        raise DomainError(f"{day} 的归档文件回读校验失败，未删除任何记录。")
    (folder / f"audit-{day.isoformat()}.manifest.json").write_text(
        json.dumps(manifest.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8"
    )
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().filter(day=day).first()
        if head is None or head.seq != manifest.count or head.last_hash != manifest.last_hash:
            raise DomainError(f"{day} 的链头与归档文件不符，拒绝归档。")
        manifest.save(force_insert=True)
        AuditArchivePermit.objects.create(day=day)
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditevent WHERE chain_day = %s", [day])
            deleted = cursor.rowcount
        AuditArchivePermit.objects.filter(day=day).delete()
        if deleted != manifest.count:
            raise DomainError(f"{day} 删除了 {deleted} 条，清单为 {manifest.count} 条，已回滚。")
        audit_record(
            actor=actor,
            action="audit.archive.create",
            target=("audit.auditarchive", day.isoformat(), manifest.file_name),
            changes={"day": day.isoformat(), **{k: v for k, v in manifest.as_dict().items() if k != "day"}},
        )
    return manifest


def archive_before(before: datetime.date | None = None, *, actor=None, directory=None) -> list[AuditArchive]:
    """Archive every not yet archived day before ``before`` (default: the retention cutoff)."""
    cutoff = cutoff_day()
    if before is None:
        before = cutoff
    if before > cutoff:
        raise DomainError(
            f"只能归档超过保存期限（{retention_days()} 天）的日期：--before 不能晚于 {cutoff}，拒绝归档。"
        )
    archived = set(AuditArchive.objects.values_list("day", flat=True))
    days = AuditEvent.objects.filter(chain_day__lt=before).order_by("chain_day").values_list("chain_day", flat=True)
    todo = [d for d in days.distinct() if d not in archived]
    return [archive_day(day, actor=actor, directory=directory) for day in todo]
