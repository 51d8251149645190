from django.db import connection

TREE_LOCK_KEY = 0x0C1B_0001


def lock_org_tree() -> None:
    """Serialize writes to the tree for the rest of the current transaction.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: transactions start IMMEDIATE
    (settings), which already takes the database write lock at BEGIN.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TREE_LOCK_KEY])
