"""Chinese full-text search of resources (ADR 0007): an FTS5 table on SQLite, a GIN index on
PostgreSQL. The SQLite table is written by ``learning.search.index_resource``."""

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS learning_resource_fts USING fts5(title, body, tokenize = 'unicode61')",
    # Rows that exist already (search_text: title tokens, newline, the rest).
    """INSERT INTO learning_resource_fts(rowid, title, body)
       SELECT id,
              CASE WHEN instr(search_text, char(10)) > 0
                   THEN substr(search_text, 1, instr(search_text, char(10)) - 1) ELSE search_text END,
              CASE WHEN instr(search_text, char(10)) > 0
                   THEN substr(search_text, instr(search_text, char(10)) + 1) ELSE '' END
       FROM learning_resource""",
]
SQLITE_BACKWARD = ["DROP TABLE IF EXISTS learning_resource_fts"]
POSTGRES_FORWARD = [
    "CREATE INDEX IF NOT EXISTS learning_resource_search_gin "
    "ON learning_resource USING gin (to_tsvector('simple', search_text))",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS learning_resource_search_gin"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, ()):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("learning", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
            elidable=False,
        ),
    ]
