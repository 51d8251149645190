"""Backups of the database and the uploaded files, and their verified restore.

An archive is one uncompressed tar file ``cloudbranch-YYYYMMDD-HHMMSS.tar`` holding:

- ``manifest.json``: vendor, time, the row count of every table, a SHA-256 of the contents of the
  key tables (people, units, roles, users, audit, dues ledger and bills) and the SHA-256 of every
  other member of the archive;
- ``database.sqlite3.gz`` (SQLite: an online copy made with the backup API, consistent while the
  application runs) or ``database.pgdump`` (PostgreSQL: ``pg_dump -Fc`` of the same snapshot the
  manifest was computed from);
- ``media.tar.gz``: the uploaded files when they are on local disk (S3 buckets are versioned and
  replicated by the provider instead).

Restore refuses an archive whose members do not match their recorded checksums, restores, then
recomputes the counts and checksums and refuses (SQLite: before replacing anything) when they
differ from the manifest.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connections

FORMAT = 1
PREFIX = "cloudbranch-"
SUFFIX = ".tar"
# Tables whose contents (not only their row counts) are checksummed; those absent are skipped.
KEY_TABLES = (
    "accounts_user",
    "orgs_orgunit",
    "orgs_roleassignment",
    "people_person",
    "audit_auditevent",
    "fees_bill",
    "fees_ledgerentry",
)
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot proceed; the message says why (shown by the commands)."""


@dataclass
class Snapshot:
    counts: dict[str, int]
    checksums: dict[str, str]


# -- table statistics ------------------------------------------------------------------------


def _row_bytes(row) -> bytes:
    return json.dumps([v.hex() if isinstance(v, bytes | memoryview) else v for v in row], default=str).encode()


def snapshot_of(cursor, tables: Iterable[str], quote) -> Snapshot:
    """Row counts of ``tables`` and checksums of the key tables among them, read through ``cursor``
    (a DB-API cursor on SQLite or PostgreSQL); rows in primary-key order, so equal data hash equal."""
    counts, checksums = {}, {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")
        counts[table] = cursor.fetchone()[0]
        if table in KEY_TABLES:
            digest = hashlib.sha256()
            cursor.execute(f"SELECT * FROM {quote(table)} ORDER BY 1")
            while rows := cursor.fetchmany(2000):
                for row in rows:
                    digest.update(_row_bytes(row))
                    digest.update(b"\n")
            checksums[table] = digest.hexdigest()
    return Snapshot(counts, checksums)


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    # sqlite_stat1 & co. (ANALYZE) are not data.
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'")
    return [r[0] for r in rows]


def _sqlite_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_snapshot(conn: sqlite3.Connection) -> Snapshot:
    return snapshot_of(conn.cursor(), _sqlite_tables(conn), _sqlite_quote)


def database_snapshot(using: str = "default") -> Snapshot:
    connection = connections[using]
    if connection.vendor == "sqlite":
        # A plain connection, not Django's: its type converters would turn stored text into
        # datetimes and booleans, and the manifest hashes the stored values.
        raw = sqlite3.connect(connection.settings_dict["NAME"], uri=True)
        try:
            return sqlite_snapshot(raw)
        finally:
            raw.close()
    if connection.vendor == "postgresql":
        raw = _pg_raw(connection)
        try:
            with raw.cursor() as cursor:
                return snapshot_of(cursor, _pg_tables(cursor), connection.ops.quote_name)
        finally:
            raw.rollback()
            raw.close()
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        return snapshot_of(cursor, tables, connection.ops.quote_name)


def _pg_raw(connection):
    """A plain driver connection (not Django's wrapper, whose type loaders depend on settings), in
    UTC and one repeatable-read snapshot, so that backup and restore read the same values alike."""
    connection.ensure_connection()
    raw = connection.get_new_connection(connection.get_connection_params())
    raw.autocommit = False
    with raw.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SET LOCAL TIME ZONE 'UTC'")
    return raw


def _pg_tables(cursor) -> list[str]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
    return [r[0] for r in cursor.fetchall()]


def compare(expected: dict, actual: Snapshot) -> list[str]:
    """Differences between a manifest and a snapshot, as readable lines (empty: equal)."""
    problems = []
    for table, count in sorted(expected["counts"].items()):
        got = actual.counts.get(table)
        if got != count:
            problems.append(f"{table}: {got} rows, manifest says {count}")
    for table in sorted(set(actual.counts) - set(expected["counts"])):
        problems.append(f"{table}: table not in the manifest")
    for table, digest in sorted(expected["checksums"].items()):
        if actual.checksums.get(table) != digest:
            problems.append(f"{table}: contents checksum differs")
    return problems


# -- helpers ---------------------------------------------------------------------------------


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _gzip_file(src: Path, dst: Path) -> None:
    with open(src, "rb") as fin, gzip.open(dst, "wb", compresslevel=6) as fout:
        shutil.copyfileobj(fin, fout, CHUNK)


def _gunzip_file(src: Path, dst: Path) -> None:
    with gzip.open(src, "rb") as fin, open(dst, "wb") as fout:
        shutil.copyfileobj(fin, fout, CHUNK)


def _media_root() -> Path | None:
    if getattr(settings, "STORAGE_BACKEND", "local") != "local":
        return None
    return Path(settings.MEDIA_ROOT)


def find_pg_tool(name: str, major: int | None = None) -> str:
    """``pg_dump`` / ``pg_restore``: the server's major version under /usr/lib/postgresql first
    (Debian keeps several side by side), then the newest there, then PATH."""
    candidates = []
    if major:
        candidates.append(Path(f"/usr/lib/postgresql/{major}/bin/{name}"))
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0
    )
    candidates += [v / name for v in reversed(versions)]
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return str(c)
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} not found (install postgresql-client of the server's version).")
    return found


def _pg_env_args(connection) -> tuple[dict, list[str]]:
    s = connection.settings_dict
    env = {**os.environ}
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = str(s["PASSWORD"])
    args = []
    if s.get("HOST"):
        args += ["-h", str(s["HOST"])]
    if s.get("PORT"):
        args += ["-p", str(s["PORT"])]
    if s.get("USER"):
        args += ["-U", str(s["USER"])]
    args += ["-d", str(s["NAME"])]
    return env, args


def _pg_major(connection) -> int:
    return connection.pg_version // 10000 if connection.pg_version >= 100000 else connection.pg_version // 100


# -- backup ----------------------------------------------------------------------------------


def _backup_sqlite(connection, work: Path) -> tuple[Path, Snapshot]:
    copy = work / "database.sqlite3"
    if connection.in_atomic_block:
        # The backup API would wait forever for the write lock this very connection holds.
        raise BackupError("cannot back up from inside a transaction")
    connection.ensure_connection()
    dst = sqlite3.connect(copy)
    try:
        # The backup API copies a consistent snapshot page by page while others keep writing (WAL).
        connection.connection.backup(dst)
        snap = sqlite_snapshot(dst)
    finally:
        dst.close()
    packed = work / "database.sqlite3.gz"
    _gzip_file(copy, packed)
    copy.unlink()
    return packed, snap


def _backup_postgresql(connection, work: Path) -> tuple[Path, Snapshot]:
    out = work / "database.pgdump"
    env, args = _pg_env_args(connection)
    connection.ensure_connection()
    pg_dump = find_pg_tool("pg_dump", _pg_major(connection))
    # The manifest and the dump read the same snapshot: ours is exported and pg_dump imports it
    # while our transaction keeps it alive.
    raw = _pg_raw(connection)
    try:
        with raw.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot_id = cursor.fetchone()[0]
            snap = snapshot_of(cursor, _pg_tables(cursor), connection.ops.quote_name)
            result = subprocess.run(
                [pg_dump, "-Fc", "--no-owner", "--no-privileges", f"--snapshot={snapshot_id}", "-f", str(out), *args],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
        raw.rollback()
    finally:
        raw.close()
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    return out, snap


def create_backup(out_dir: Path | None = None, *, keep: int | None = None, using: str = "default") -> Path:
    """Write a backup archive into ``out_dir`` (settings.BACKUP_DIR) and prune to ``keep`` archives."""
    out_dir = Path(out_dir or settings.BACKUP_DIR)
    keep = settings.BACKUP_KEEP if keep is None else keep
    out_dir.mkdir(parents=True, exist_ok=True)
    connection = connections[using]
    now = datetime.datetime.now(datetime.UTC)
    name = f"{PREFIX}{now:%Y%m%d-%H%M%S-%f}{SUFFIX}"
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".work-") as tmp:
        work = Path(tmp)
        if connection.vendor == "sqlite":
            db_file, snap = _backup_sqlite(connection, work)
        elif connection.vendor == "postgresql":
            db_file, snap = _backup_postgresql(connection, work)
        else:
            raise BackupError(f"no backup method for {connection.vendor}")
        members = [db_file]
        media = _media_root()
        if media is not None and media.is_dir():
            media_file = work / "media.tar.gz"
            with tarfile.open(media_file, "w:gz", compresslevel=6) as tar:
                tar.add(media, arcname="media")
            members.append(media_file)
        manifest = {
            "format": FORMAT,
            "created": now.isoformat(),
            "vendor": connection.vendor,
            "database": db_file.name,
            "media": "media.tar.gz" if len(members) > 1 else None,
            "files": {m.name: _sha256_file(m) for m in members},
            "counts": snap.counts,
            "checksums": snap.checksums,
        }
        partial = out_dir / f".{name}.partial"
        with tarfile.open(partial, "w") as tar:
            data = json.dumps(manifest, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            info.mtime = int(now.timestamp())
            tar.addfile(info, io.BytesIO(data))
            for m in members:
                tar.add(m, arcname=m.name)
        partial.chmod(0o600)  # the dump holds encrypted ID numbers and password hashes
        final = out_dir / name
        partial.rename(final)
    prune(out_dir, keep)
    return final


def list_backups(out_dir: Path) -> list[Path]:
    return sorted(p for p in Path(out_dir).glob(f"{PREFIX}*{SUFFIX}") if p.is_file())


def prune(out_dir: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` archives (names sort by time); returns the deleted ones."""
    if keep <= 0:
        return []
    old = list_backups(out_dir)[:-keep]
    for p in old:
        p.unlink()
    return old


# -- restore ---------------------------------------------------------------------------------


def read_verified(archive: Path, into: Path) -> dict:
    """Unpack ``archive`` into ``into`` and return its manifest; BackupError if any member is
    missing, unexpected or does not match its recorded SHA-256."""
    try:
        with tarfile.open(archive, "r:") as tar:
            names = tar.getnames()
            if "manifest.json" not in names:
                raise BackupError("not a CloudBranch backup: no manifest.json")
            manifest = json.load(tar.extractfile("manifest.json"))
            if manifest.get("format") != FORMAT:
                raise BackupError(f"unknown backup format {manifest.get('format')!r}")
            expected = set(manifest["files"]) | {"manifest.json"}
            if set(names) != expected:
                raise BackupError(f"archive members {sorted(names)} do not match the manifest")
            for member in tar.getmembers():
                if member.name == "manifest.json":
                    continue
                if not member.isfile() or "/" in member.name:
                    raise BackupError(f"unexpected member {member.name}")
                with tar.extractfile(member) as src, open(into / member.name, "wb") as dst:
                    shutil.copyfileobj(src, dst, CHUNK)
    except (tarfile.TarError, json.JSONDecodeError, KeyError, EOFError) as exc:
        raise BackupError(f"unreadable backup: {exc}") from exc
    for name, digest in manifest["files"].items():
        if _sha256_file(into / name) != digest:
            raise BackupError(f"{name}: checksum does not match the manifest (corrupted backup)")
    return manifest


def _restore_sqlite(connection, manifest: dict, work: Path) -> None:
    copy = work / "restore.sqlite3"
    try:
        _gunzip_file(work / manifest["database"], copy)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise BackupError(f"database copy unreadable: {exc}") from exc
    src = sqlite3.connect(copy)
    try:
        try:
            problems = compare(manifest, sqlite_snapshot(src))
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"database copy unreadable: {exc}") from exc
        if problems:
            raise BackupError("database copy does not match the manifest: " + "; ".join(problems[:10]))
        if connection.in_atomic_block:
            raise BackupError("cannot restore from inside a transaction")
        connection.close()
        connection.ensure_connection()
        # Copy page by page into the live database (file or, in tests, shared memory).
        src.backup(connection.connection)
    finally:
        src.close()
    connection.close()


def _restore_postgresql(connection, manifest: dict, work: Path) -> None:
    env, args = _pg_env_args(connection)
    connection.ensure_connection()
    pg_restore = find_pg_tool("pg_restore", _pg_major(connection))
    connection.close()
    result = subprocess.run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            *args,
            str(work / manifest["database"]),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()[:2000]}")


def _restore_media(work: Path, manifest: dict) -> None:
    media = _media_root()
    if not manifest.get("media") or media is None:
        return
    staging = Path(tempfile.mkdtemp(dir=media.parent, prefix=".media-restore-"))
    try:
        with tarfile.open(work / manifest["media"], "r:gz") as tar:
            tar.extractall(staging, filter="data")
        restored = staging / "media"
        if media.exists():
            old = media.with_name(f".{media.name}-before-restore")
            shutil.rmtree(old, ignore_errors=True)
            media.rename(old)
            restored.rename(media)
            shutil.rmtree(old, ignore_errors=True)
        else:
            restored.rename(media)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def restore_backup(archive: Path, *, using: str = "default") -> dict:
    """Restore ``archive`` over the database (and the media directory); returns its manifest.

    Raises BackupError, with nothing changed, for a damaged archive or a database copy that does
    not match its manifest; after a PostgreSQL restore that does not verify, the message says so.
    """
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"{archive}: no such file")
    connection = connections[using]
    with tempfile.TemporaryDirectory(prefix="cloudbranch-restore-") as tmp:
        work = Path(tmp)
        manifest = read_verified(archive, work)
        if manifest["vendor"] != connection.vendor:
            raise BackupError(f"backup of a {manifest['vendor']} database, this site uses {connection.vendor}")
        if connection.vendor == "sqlite":
            _restore_sqlite(connection, manifest, work)
        else:
            _restore_postgresql(connection, manifest, work)
        problems = compare(manifest, database_snapshot(using))
        if problems:
            raise BackupError("restored database does not match the manifest: " + "; ".join(problems[:10]))
        _restore_media(work, manifest)
    return manifest
