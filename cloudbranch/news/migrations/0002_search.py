"""Chinese full-text search of articles and feed posts (ADR 0007, cloudbranch.core.search): FTS5
tables on SQLite, GIN indexes on PostgreSQL. The SQLite tables are written by
``news.search.index_article`` / ``index_post``. The statements are spelled out here (a migration
must not change when core.search changes)."""

from django.db import migrations


def _sqlite(fts: str, source: str) -> tuple[list[str], list[str]]:
    split = "instr(search_text, char(10))"
    forward = [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5(title, body, tokenize = 'unicode61')",
        f"""INSERT INTO {fts}(rowid, title, body)
           SELECT id,
                  CASE WHEN {split} > 0 THEN substr(search_text, 1, {split} - 1) ELSE search_text END,
                  CASE WHEN {split} > 0 THEN substr(search_text, {split} + 1) ELSE '' END
           FROM {source}""",
    ]
    return forward, [f"DROP TABLE IF EXISTS {fts}"]


def _postgres(source: str) -> tuple[list[str], list[str]]:
    return (
        [f"CREATE INDEX IF NOT EXISTS {source}_search_gin ON {source} USING gin (to_tsvector('simple', search_text))"],
        [f"DROP INDEX IF EXISTS {source}_search_gin"],
    )


_A_SQLITE = _sqlite("news_article_fts", "news_article")
_P_SQLITE = _sqlite("news_post_fts", "news_post")
_A_PG = _postgres("news_article")
_P_PG = _postgres("news_post")
FORWARD = {"sqlite": _A_SQLITE[0] + _P_SQLITE[0], "postgresql": _A_PG[0] + _P_PG[0]}
BACKWARD = {"sqlite": _A_SQLITE[1] + _P_SQLITE[1], "postgresql": _A_PG[1] + _P_PG[1]}


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, ()):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("news", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False),
    ]
