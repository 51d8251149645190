import pytest
from django.db import DatabaseError, connection, transaction

from cloudbranch.audit import guard
from cloudbranch.audit.models import AppendOnlyError, AuditEvent
from cloudbranch.audit.services import audit_record


def test_model_refuses_update_and_delete(db):
    event = audit_record(actor=None, action="test.thing.create")
    event.action = "test.thing.tampered"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.thing.create"


@pytest.mark.django_db(transaction=True)
def test_database_triggers_refuse_raw_update_and_delete():
    """With the triggers installed (as the migration does outside tests), even raw SQL cannot
    change or remove an audit row. Uninstalled afterwards, and the row removed, so pytest-django's
    flush between transactional tests keeps working."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite variant; PostgreSQL is covered by the postgres-marked suite")
    event = audit_record(actor=None, action="test.thing.create")
    guard.install(connection)
    try:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [event.pk])
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
        assert AuditEvent.objects.get(pk=event.pk).action == "test.thing.create"
    finally:
        guard.uninstall(connection)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
    assert not AuditEvent.objects.exists()
