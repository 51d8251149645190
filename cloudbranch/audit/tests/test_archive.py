"""Archiving whole days older than the retention period, and the chain across the boundary."""

import datetime
import gzip
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from cloudbranch.audit import chain, guard
from cloudbranch.audit.archive import archive_before, archive_day
from cloudbranch.audit.models import AuditArchive, AuditEvent
from cloudbranch.audit.verify import verify_chain
from cloudbranch.core.errors import DomainError

from .chain_helpers import DAY1, DAY2, on_day, raw, write_days

TODAY = DAY1 + datetime.timedelta(days=400)


@pytest.fixture
def old_log(db, monkeypatch, tmp_path, settings):
    settings.AUDIT_ARCHIVE_DIR = tmp_path
    settings.AUDIT_RETENTION_DAYS = 365
    write_days(monkeypatch, days=(DAY1, DAY2, TODAY - datetime.timedelta(days=30)))
    on_day(monkeypatch, TODAY)
    return tmp_path


def test_archive_writes_files_manifest_and_deletes_only_archived_days(old_log):
    # The triggers stay on: the deletion passes them through the permit only.
    guard.install(connection)
    done = archive_before()
    assert [m.day for m in done] == [DAY1, DAY2]
    assert not AuditEvent.objects.filter(chain_day__in=[DAY1, DAY2]).exclude(action="audit.archive.create").exists()
    assert AuditEvent.objects.filter(chain_day=TODAY - datetime.timedelta(days=30)).count() == 4
    m = AuditArchive.objects.get(day=DAY1)
    assert m.count == 4 and m.prev_hash == chain.GENESIS
    with gzip.open(old_log / "audit-2026-01-05.jsonl.gz", "rt", encoding="utf-8") as fh:
        lines = [json.loads(line) for line in fh]
    assert [r["seq"] for r in lines] == [1, 2, 3, 4] and lines[-1]["hash"] == m.last_hash
    assert all(chain.compute_hash(r) == r["hash"] for r in lines)  # an outside verifier's view
    manifest = json.loads((old_log / "audit-2026-01-05.manifest.json").read_text())
    assert manifest["file_sha256"] == m.file_sha256 and manifest["count"] == 4
    audits = AuditEvent.objects.filter(action="audit.archive.create", chain_day=TODAY)
    assert sorted(a.changes["day"] for a in audits) == ["2026-01-05", "2026-01-06"]
    # The chain still verifies across the boundary, from the manifests and from the files.
    assert verify_chain().ok, verify_chain().problems
    report = verify_chain(archive=True)
    assert report.ok and report.archived_days == 2
    # Without a permit the triggers still refuse.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw("DELETE FROM audit_auditevent WHERE chain_day = %s", [TODAY])


def test_archive_file_tampering_detected(old_log):
    archive_day(DAY1)
    path = old_log / "audit-2026-01-05.jsonl.gz"
    path.write_bytes(gzip.compress(b""))
    report = verify_chain(archive=True)
    assert not report.ok and report.problems[0].day == DAY1 and "SHA-256" in report.problems[0].message


def test_day_younger_than_retention_refused(old_log):
    with pytest.raises(DomainError, match="尚未超过保存期限"):
        archive_day(TODAY - datetime.timedelta(days=30))
    with pytest.raises(CommandError, match="不能晚于"):
        call_command("audit_archive", "--before", TODAY.isoformat())
    assert not AuditArchive.objects.exists()


def test_retention_below_six_months_refused(old_log, settings):
    settings.AUDIT_RETENTION_DAYS = 182
    with pytest.raises(CommandError, match="六个月"):
        call_command("audit_archive")
    assert AuditEvent.objects.filter(chain_day=DAY1).count() == 4


def test_broken_day_is_not_archived(old_log):
    raw("DELETE FROM audit_auditevent WHERE chain_day = %s AND seq = 2", [DAY1])
    with pytest.raises(DomainError, match="校验失败"):
        archive_day(DAY1)
    assert AuditEvent.objects.filter(chain_day=DAY1).count() == 3


def test_system_check_refuses_short_retention(settings):
    from cloudbranch.audit.apps import check_retention

    settings.AUDIT_RETENTION_DAYS = 100
    assert [e.id for e in check_retention()] == ["audit.E001"]
    settings.AUDIT_RETENTION_DAYS = 183
    assert check_retention() == []
