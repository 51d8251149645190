"""manage.py backup / restore: a verified round trip on SQLite (and on PostgreSQL, marked), a
damaged archive refused, retention."""

import io
import json
import tarfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from cloudbranch.audit.services import audit_record
from cloudbranch.core import backup
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.people.models import Person
from cloudbranch.testing.factories import PersonFactory, make_unit


def _seed():
    root = make_unit(name="备份测试党委", code="BK")
    branch = make_unit(parent=root, name="备份测试支部", code="BK01")
    people = [PersonFactory(unit=branch, name=f"备份{i}") for i in range(3)]
    audit_record(actor=None, action="core.backup.create", target=("check", "1", "备份"))
    return branch, people


def _assert_matches(manifest):
    assert backup.compare(manifest, backup.database_snapshot()) == []


def _rewrite(archive: Path, out: Path, *, member: str, change) -> Path:
    """Copy ``archive`` to ``out`` with ``member``'s bytes passed through ``change``."""
    with tarfile.open(archive) as src, tarfile.open(out, "w") as dst:
        for info in src.getmembers():
            data = src.extractfile(info).read()
            if info.name == member:
                data = change(data)
                info.size = len(data)
            dst.addfile(info, io.BytesIO(data))
    return out


@pytest.fixture
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGE_BACKEND = "local"
    (tmp_path / "media" / "meetings").mkdir(parents=True)
    (tmp_path / "media" / "meetings" / "minutes.pdf").write_bytes(b"%PDF-1.4 minutes")
    return tmp_path / "media"


@pytest.mark.django_db(transaction=True)
def test_sqlite_backup_then_restore_undoes_changes_and_verifies(tmp_path, media):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite round trip")
    branch, people = _seed()
    out = tmp_path / "backups"

    call_command("backup", "--out", str(out), stdout=io.StringIO())
    (archive,) = backup.list_backups(out)
    assert archive.stat().st_mode & 0o777 == 0o600
    with tarfile.open(archive) as tar:
        assert set(tar.getnames()) == {"manifest.json", "database.sqlite3.gz", "media.tar.gz"}
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["counts"]["people_person"] == Person.objects.count() == 3
    assert set(manifest["checksums"]) >= {"people_person", "orgs_orgunit", "audit_auditevent", "fees_ledgerentry"}
    _assert_matches(manifest)

    # Changes after the backup: a new person, an edited name, a deleted upload.
    PersonFactory(unit=branch, name="备份之后")
    Person.objects.filter(pk=people[0].pk).update(name="改过的名字")
    (media / "meetings" / "minutes.pdf").unlink()
    assert backup.compare(manifest, backup.database_snapshot()) != []

    stdout = io.StringIO()
    call_command("restore", str(archive), "--yes", stdout=stdout)
    assert "verified" in stdout.getvalue()

    _assert_matches(manifest)
    assert not Person.objects.filter(name="备份之后").exists()
    assert Person.objects.get(pk=people[0].pk).name == "备份0"
    assert OrgUnit.objects.filter(code="BK01").exists()
    assert (media / "meetings" / "minutes.pdf").read_bytes() == b"%PDF-1.4 minutes"


@pytest.mark.django_db(transaction=True)
def test_damaged_or_mismatching_archives_are_refused_and_change_nothing(tmp_path, media, monkeypatch):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite archives")
    branch, _ = _seed()
    archive = backup.create_backup(tmp_path / "b", keep=3)
    PersonFactory(unit=branch, name="恢复后应仍在")

    def flip(data):
        return data[:100] + bytes([data[100] ^ 0xFF]) + data[101:]

    corrupted = _rewrite(archive, tmp_path / "corrupted.tar", member="database.sqlite3.gz", change=flip)
    with pytest.raises(CommandError, match="checksum"):
        call_command("restore", str(corrupted), "--yes")
    with pytest.raises(CommandError, match="checksum"):
        call_command("restore", str(corrupted), "--check")

    def lie(data):
        manifest = json.loads(data)
        manifest["counts"]["people_person"] += 1
        return json.dumps(manifest).encode()

    lying = _rewrite(archive, tmp_path / "lying.tar", member="manifest.json", change=lie)
    with pytest.raises(backup.BackupError, match="people_person"):
        backup.restore_backup(lying)

    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(archive.read_bytes()[:2000])
    with pytest.raises(backup.BackupError):
        backup.restore_backup(truncated)

    assert Person.objects.filter(name="恢复后应仍在").exists()  # nothing was replaced
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal: no question asked
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(archive))


def test_retention_keeps_the_newest(tmp_path):
    out = tmp_path / "b"
    out.mkdir()
    names = [f"cloudbranch-20261126-0{h}0000-000000.tar" for h in range(1, 5)]
    for name in names:
        (out / name).write_bytes(b"archive")
    (out / "unrelated.tar").write_bytes(b"kept")

    deleted = backup.prune(out, 2)

    assert [p.name for p in deleted] == names[:2]
    assert [p.name for p in backup.list_backups(out)] == names[2:]
    assert (out / "unrelated.tar").exists()
    assert backup.prune(out, 0) == []  # 0: keep everything


@pytest.mark.django_db
def test_backup_inside_a_transaction_is_refused_not_hung(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite backup API")
    with pytest.raises(backup.BackupError, match="transaction"):
        backup.create_backup(tmp_path / "b")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_round_trip_with_pg_dump_and_pg_restore(tmp_path, settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (make test-postgres)")
    settings.MEDIA_ROOT = tmp_path / "no-media"
    branch, people = _seed()
    archive = backup.create_backup(tmp_path / "b", keep=2)
    with tarfile.open(archive) as tar:
        assert "database.pgdump" in tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))

    PersonFactory(unit=branch, name="备份之后")
    Person.objects.filter(pk=people[0].pk).update(name="改过的名字")

    backup.restore_backup(archive)

    _assert_matches(manifest)
    assert not Person.objects.filter(name="备份之后").exists()
    assert Person.objects.get(pk=people[0].pk).name == "备份0"
