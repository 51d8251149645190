"""Database triggers that refuse UPDATE and DELETE on audit rows (SQLite and PostgreSQL).

The one way to delete rows is archiving (audit/archive.py): inside its transaction it inserts an
``AuditArchivePermit`` for a day that already has a verified manifest (``AuditArchive``); the
DELETE trigger lets rows of exactly such a day through. UPDATE and TRUNCATE are always refused.
"""

_NO_PERMIT = """NOT EXISTS (SELECT 1 FROM audit_auditarchivepermit p JOIN audit_auditarchive a ON a.day = p.day
                   WHERE p.day = OLD.chain_day)"""

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_update",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_delete",
]
SQLITE_SQL = [
    *SQLITE_DROP,
    """CREATE TRIGGER audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    f"""CREATE TRIGGER audit_auditevent_no_delete BEFORE DELETE ON audit_auditevent
       WHEN {_NO_PERMIT}
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS audit_auditevent_guard ON audit_auditevent",
    "DROP TRIGGER IF EXISTS audit_auditevent_guard_truncate ON audit_auditevent",
]
POSTGRES_SQL = [
    f"""CREATE OR REPLACE FUNCTION audit_auditevent_refuse() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'DELETE' THEN
           IF NOT {_NO_PERMIT} THEN
             RETURN OLD;
           END IF;
         END IF;
         RAISE EXCEPTION 'audit events are append-only';
       END; $$ LANGUAGE plpgsql""",
    *POSTGRES_DROP,
    """CREATE TRIGGER audit_auditevent_guard BEFORE UPDATE OR DELETE ON audit_auditevent
       FOR EACH ROW EXECUTE FUNCTION audit_auditevent_refuse()""",
    """CREATE TRIGGER audit_auditevent_guard_truncate BEFORE TRUNCATE ON audit_auditevent
       FOR EACH STATEMENT EXECUTE FUNCTION audit_auditevent_refuse()""",
]

# The first version (migration 0002), before the chain columns and the permit table existed.
SQLITE_SQL_V1 = [
    """CREATE TRIGGER IF NOT EXISTS audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_auditevent_no_delete BEFORE DELETE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
]
POSTGRES_SQL_V1 = [
    """CREATE OR REPLACE FUNCTION audit_auditevent_refuse() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql""",
    *POSTGRES_DROP,
    """CREATE TRIGGER audit_auditevent_guard BEFORE UPDATE OR DELETE ON audit_auditevent
       FOR EACH ROW EXECUTE FUNCTION audit_auditevent_refuse()""",
    """CREATE TRIGGER audit_auditevent_guard_truncate BEFORE TRUNCATE ON audit_auditevent
       FOR EACH STATEMENT EXECUTE FUNCTION audit_auditevent_refuse()""",
]


def _run(connection, by_vendor) -> None:
    with connection.cursor() as cursor:
        for sql in by_vendor.get(connection.vendor, []):
            cursor.execute(sql)


def install(connection) -> None:
    _run(connection, {"sqlite": SQLITE_SQL, "postgresql": POSTGRES_SQL})


def install_v1(connection) -> None:
    _run(connection, {"sqlite": SQLITE_SQL_V1, "postgresql": POSTGRES_SQL_V1})


def uninstall(connection) -> None:
    _run(connection, {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP})
