"""Chinese full-text search without a word segmenter (ADR 0007), shared by learning and news.

Text is cut into tokens that need no dictionary: every run of CJK characters gives its character
**bigrams** plus its last character alone (so every character starts some token and a one-character
query matches as a prefix); every run of ASCII letters/digits gives one lower-case word.
A model's ``search_text`` holds two lines: the title's tokens, then the tokens of the rest.

* SQLite: an FTS5 table ``<name>(title, body)`` (``rowid`` = the row's id), written by the app's
  ``index_*`` function in the same transaction as the row (``fts_write``). A query is its tokens ANDed.
* PostgreSQL: a GIN index on ``to_tsvector('simple', search_text)``; a query is
  ``to_tsquery('simple', 't1 & t2 ...')`` (a one-character query: a substring filter instead).

Ranking is the same on both (``rank_sql``): how often the query's tokens occur, a title occurrence
counting ``TITLE_WEIGHT`` (10) times. Any other backend (or a database without the FTS table)
falls back to ``search_text LIKE`` per token.
"""

from __future__ import annotations

import html
import re
import unicodedata

from django.db import connection
from django.db.models import BooleanField, FloatField, Q
from django.db.models.expressions import RawSQL

TITLE_WEIGHT = 10.0
MAX_QUERY_TOKENS = 16

# CJK Unified Ideographs (+ extension A, compatibility ideographs), ASCII words.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN_RUNS = re.compile(rf"([{_CJK}]+)|([a-z0-9]+)")
_TAGS = re.compile(r"<[^>]*>")


def normalize(text: str) -> str:
    """NFKC (full-width letters and digits become ASCII) and lower case."""
    return unicodedata.normalize("NFKC", text or "").lower()


def strip_html(value: str) -> str:
    return html.unescape(_TAGS.sub(" ", value or ""))


def tokens(text: str) -> list[str]:
    """``"学习党章 2024"`` → ``["学习", "习党", "党章", "章", "2024"]`` (in order, repeats kept)."""
    out: list[str] = []
    for cjk, word in _TOKEN_RUNS.findall(normalize(text)):
        if cjk:
            out.extend(cjk[i : i + 2] for i in range(len(cjk) - 1))
            out.append(cjk[-1])
        else:
            out.append(word)
    return out


def query_tokens(text: str) -> list[str]:
    """The distinct tokens a query must all match: bigrams only (a one-character run gives its
    character, matched as a prefix); at most ``MAX_QUERY_TOKENS``."""
    out: list[str] = []
    for cjk, word in _TOKEN_RUNS.findall(normalize(text)):
        if cjk:
            grams = [cjk[i : i + 2] for i in range(len(cjk) - 1)] or [cjk]
        else:
            grams = [word]
        for g in grams:
            if g not in out:
                out.append(g)
    return out[:MAX_QUERY_TOKENS]


def build_search_text(title: str, *rest: str) -> str:
    """A ``search_text`` value: title tokens on the first line, the tokens of ``rest`` (plain
    text; pass HTML through ``strip_html`` first) on the second."""
    return " ".join(tokens(title)) + "\n" + " ".join(tokens(" ".join(r or "" for r in rest)))


def split_search_text(search_text: str) -> tuple[str, str]:
    title, _, rest = (search_text or "").partition("\n")
    return title, rest


# --- SQLite FTS5 ---------------------------------------------------------------------------------

_fts_known: dict[tuple[str, str], bool] = {}


def fts_available(table: str) -> bool:
    """Whether this SQLite database has the FTS5 table ``table`` (asked once per database file)."""
    if connection.vendor != "sqlite":
        return False
    key = (str(connection.settings_dict.get("NAME")), table)
    if key not in _fts_known:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
            _fts_known[key] = cursor.fetchone() is not None
    return _fts_known[key]


def fts_write(table: str, rows) -> None:
    """Replace the index rows of ``(pk, search_text)`` pairs (no-op without the table)."""
    if not fts_available(table):
        return
    with connection.cursor() as cursor:
        for pk, text in rows:
            title, rest = split_search_text(text)
            cursor.execute(f"DELETE FROM {table} WHERE rowid = %s", [pk])
            cursor.execute(f"INSERT INTO {table}(rowid, title, body) VALUES (%s, %s, %s)", [pk, title, rest])


def fts_delete(table: str, pk: int) -> None:
    if fts_available(table):
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE rowid = %s", [pk])


def fts_clear(table: str) -> None:
    if fts_available(table):
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table}")


def fts_match(terms: list[str]) -> str:
    """An FTS5 query: every token quoted, ANDed; a lone one-character token as a prefix."""
    if len(terms) == 1 and len(terms[0]) == 1:
        return f'"{terms[0]}"*'
    return " AND ".join(f'"{t}"' for t in terms)


def ts_query(terms: list[str]) -> str:
    """A PostgreSQL ``to_tsquery('simple', …)`` text of the same meaning."""
    if len(terms) == 1 and len(terms[0]) == 1:
        return f"'{terms[0]}':*"
    return " & ".join(f"'{t}'" for t in terms)


def rank_sql(table: str, terms: list[str]) -> tuple[str, list[str]]:
    """Match count with the title weighted: Σ over the query's tokens of (occurrences in the
    whole text + (TITLE_WEIGHT − 1) × occurrences in the title line). Plain string functions of
    both SQLite and PostgreSQL, computed for the matched rows only (linear in their text)."""
    col = f"{table}.search_text"
    if connection.vendor == "postgresql":
        title = f"split_part({col}, E'\\n', 1)"
    else:
        title = f"substr({col}, 1, instr({col} || char(10), char(10)))"
    parts, params = [], []
    weight = int(TITLE_WEIGHT) - 1
    for t in terms:
        parts.append(
            f"((length({col}) - length(replace({col}, %s, ''))) "
            f"+ {weight} * (length({title}) - length(replace({title}, %s, '')))) / {len(t)}"
        )
        params += [t, t]
    return "(" + " + ".join(parts) + ")", params


def apply_search(queryset, text: str, *, fts_table: str):
    """Filter a queryset of a model with ``search_text`` by a search text and annotate
    ``search_rank`` (higher is better); returns ``(queryset, ranked)``: ``ranked`` is False when
    the text has no searchable token. ``fts_table`` is the model's SQLite FTS5 table."""
    terms = query_tokens(text)
    if not terms:
        return queryset, False
    table = queryset.model._meta.db_table
    sql, params = rank_sql(table, terms)
    rank = RawSQL(sql, params, output_field=FloatField())
    if fts_available(fts_table):
        # Not correlated: SQLite runs the full-text query once and probes its result per row.
        matched = RawSQL(f"SELECT rowid FROM {fts_table} WHERE {fts_table} MATCH %s", [fts_match(terms)])
        return queryset.filter(pk__in=matched).annotate(search_rank=rank), True
    if connection.vendor == "postgresql":
        if len(terms) == 1 and len(terms[0]) == 1:
            # One character: found in nearly every text, where rechecking the index would rebuild
            # the tsvector of every row; a plain substring scan is far cheaper (ADR 0007).
            return queryset.filter(search_text__contains=terms[0]).annotate(search_rank=rank), True
        hit = RawSQL(
            f"to_tsvector('simple', {table}.search_text) @@ to_tsquery('simple', %s)",
            [ts_query(terms)],
            output_field=BooleanField(),
        )
        return queryset.filter(hit).annotate(search_rank=rank), True
    cond = Q()
    for t in terms:
        cond &= Q(search_text__contains=t)
    return queryset.filter(cond).annotate(search_rank=rank), True
