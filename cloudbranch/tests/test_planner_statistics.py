from django.core.management import call_command
from django.db import connection

from cloudbranch.core.db import refresh_planner_statistics
from cloudbranch.testing.factories import PersonFactory


def test_analyze_fills_sqlite_statistics(world):
    if connection.vendor != "sqlite":
        return
    PersonFactory.create_batch(5, unit=world.branch_a1)
    refresh_planner_statistics("people_person")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'people_person'")
        assert cursor.fetchone()[0] > 0


def test_migrate_refreshes_statistics(db):
    call_command("migrate", verbosity=0)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            assert cursor.fetchone()[0] == 1
