"""Eight threads write audited changes at the same moment: every seq is taken once and the chain
verifies. Needs real concurrency: PostgreSQL (bash scripts/test-postgres.sh this file)."""

import threading

import pytest
from django.db import connection, transaction

from cloudbranch.audit.models import AuditChainHead, AuditEvent
from cloudbranch.audit.services import audit_bulk, audit_event, audit_record
from cloudbranch.audit.verify import verify_chain

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS, ROUNDS = 8, 5


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("runs against PostgreSQL (make test starts one)")


def test_eight_concurrent_writers_keep_one_chain():
    barrier = threading.Barrier(THREADS)
    errors = []

    def write(n):
        try:
            barrier.wait(timeout=10)
            for r in range(ROUNDS):
                with transaction.atomic():
                    audit_record(actor=None, action="test.thing.update", target=("thing", str(n), f"线程{n}"))
                    audit_bulk([audit_event(None, action="test.thing.import", target=("thing", str(n), str(r)))] * 1)
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    total = THREADS * ROUNDS * 2
    seqs = sorted(AuditEvent.objects.values_list("seq", flat=True))
    assert seqs == list(range(1, total + 1))
    assert AuditChainHead.objects.get().seq == total
    report = verify_chain()
    assert report.ok and report.events == total, report.problems


def test_archive_passes_the_postgres_triggers_only_with_a_permit(monkeypatch, tmp_path, settings):
    import datetime

    from django.db import DatabaseError

    from cloudbranch.audit import guard
    from cloudbranch.audit.archive import archive_day

    from .chain_helpers import DAY1, on_day, raw, write_days

    settings.AUDIT_ARCHIVE_DIR = tmp_path
    write_days(monkeypatch, days=(DAY1,))
    on_day(monkeypatch, DAY1 + datetime.timedelta(days=400))
    guard.install(connection)
    try:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            raw("DELETE FROM audit_auditevent WHERE chain_day = %s", [DAY1])
        archive_day(DAY1)
        assert not AuditEvent.objects.filter(chain_day=DAY1).exists()
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            raw("UPDATE audit_auditevent SET action = 'x'")
        assert verify_chain(archive=True).ok
    finally:
        guard.uninstall(connection)
