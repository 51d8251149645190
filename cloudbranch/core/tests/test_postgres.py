"""Behaviour that only PostgreSQL shows: trigger-enforced append-only audit rows, and the
materialized-path subtree queries served by an index. ``make test`` runs these against a
throwaway PostgreSQL server (scripts/test-postgres.sh)."""

import pytest
from django.db import DatabaseError, connection, transaction

from cloudbranch.audit import guard
from cloudbranch.audit.models import AuditEvent
from cloudbranch.audit.services import audit_record
from cloudbranch.orgs.choices import UnitKind
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.people.models import Person
from cloudbranch.testing.factories import make_unit

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _postgresql_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (make test-postgres, or DATABASE_URL=postgresql://...)")


def _refused(sql, params=()):
    """Run ``sql`` in a savepoint; True if the database refused it as append-only."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError as exc:
        assert "append-only" in str(exc)
        return True
    return False


def test_audit_triggers_refuse_raw_update_delete_and_truncate():
    # Test settings leave the triggers out (pytest-django flushes tables); install them here,
    # inside this test's transaction, so they vanish with its rollback.
    guard.install(connection)
    event = audit_record(actor=None, action="core.check.create", target=("check", "1", "检查"))

    assert _refused("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["core.check.forged", event.pk])
    assert _refused("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    with connection.cursor() as cursor:
        # Fire the deferred foreign-key checks of the insert above first: PostgreSQL refuses to
        # TRUNCATE a table with pending trigger events before our trigger gets a say.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert _refused("TRUNCATE audit_auditevent")

    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.action == "core.check.create"
    # Appending is still allowed.
    audit_record(actor=None, action="core.check.create", target=("check", "2", "检查"))
    assert AuditEvent.objects.count() == 2


def test_audit_guard_uninstall_allows_changes_again():
    guard.install(connection)
    event = audit_record(actor=None, action="core.check.create", target=("check", "1", "检查"))
    guard.uninstall(connection)
    assert not _refused("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["core.check.other", event.pk])


@pytest.fixture
def big_tree():
    """A root, 10 colleges and 30 branches under each: 311 units."""
    root = make_unit(name="某大学党委", code="PGROOT")
    colleges = []
    for c in range(10):
        college = make_unit(parent=root, kind=UnitKind.SUB_COMMITTEE, name=f"学院{c}", code=f"PGC{c:02d}")
        for b in range(30):
            make_unit(parent=college, name=f"学院{c}第{b}支部", code=f"PGC{c:02d}B{b:02d}")
        colleges.append(college)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orgs_orgunit")
    return root, colleges


def test_subtree_by_path_prefix_returns_exactly_the_subtree(big_tree):
    root, colleges = big_tree
    college = colleges[3]

    subtree = list(OrgUnit.objects.subtree(college))

    assert len(subtree) == 31
    assert {u.pk for u in subtree} == {college.pk} | set(college.children.values_list("pk", flat=True))
    assert all(u.path.startswith(college.path) for u in subtree)
    assert OrgUnit.objects.subtree(root).count() == 311
    # "/1/" must not match "/11/": the trailing slash separates siblings with common digits.
    assert not any(u.path.startswith(colleges[4].path) for u in subtree)


def test_subtree_query_can_use_an_index(big_tree):
    _, colleges = big_tree
    queryset = OrgUnit.objects.subtree(colleges[3]).values("pk")
    assert "LIKE" in str(queryset.query)

    with connection.cursor() as cursor:
        # With a few hundred rows a sequential scan is cheapest; forbid it to learn whether an
        # index *can* serve the prefix match (what matters at 8,000 units and beyond).
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = queryset.explain()

    assert "Index" in plan, plan


def test_scoped_roster_on_postgresql(world):
    visible = set(Person.objects.restrict(world.users["secretary1"], "view").values_list("name", flat=True))
    assert {"党员一", "张一"} <= visible
    assert not visible & {"李二", "王三"}
