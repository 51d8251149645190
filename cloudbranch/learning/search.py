"""Chinese full-text search of resources without a word segmenter (ADR 0007).

Text is cut into tokens that need no dictionary: every run of CJK characters gives its character
**bigrams** plus its last character alone (so every character starts some token and a one-character
query matches as a prefix); every run of ASCII letters/digits gives one lower-case word.
``Resource.search_text`` holds two lines: the title's tokens, then the tokens of the summary, the
body (HTML stripped) and the knowledge point names.

* SQLite: an FTS5 table ``learning_resource_fts(title, body)`` (``rowid`` = resource id), written
  by ``index_resource`` in the same transaction as the resource (not by triggers: Django rebuilds a
  SQLite table when a later migration alters it, and that would silently drop triggers). A query
  is its tokens ANDed.
* PostgreSQL: a GIN index on ``to_tsvector('simple', search_text)``; a query is
  ``to_tsquery('simple', 't1 & t2 ...')`` (a one-character query: a substring filter instead).

Ranking is the same on both (``_rank_sql``): how often the query's tokens occur, a title occurrence
counting ``TITLE_WEIGHT`` (10) times.
Any other backend (or a database without the index) falls back to ``search_text LIKE`` per token.
"""

from __future__ import annotations

import html
import re
import unicodedata

from django.db import connection
from django.db.models import BooleanField, FloatField, Q
from django.db.models.expressions import RawSQL

FTS_TABLE = "learning_resource_fts"
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


def search_text_for(*, title: str, summary: str = "", body: str = "", knowledge_points=()) -> str:
    """The value of ``Resource.search_text``: title tokens on the first line, the rest on the second."""
    rest = " ".join([summary or "", strip_html(body), " ".join(knowledge_points)])
    return " ".join(tokens(title)) + "\n" + " ".join(tokens(rest))


def _split(search_text: str) -> tuple[str, str]:
    title, _, rest = (search_text or "").partition("\n")
    return title, rest


_fts_known: dict[str, bool] = {}


def _fts_available() -> bool:
    """Whether this SQLite database has the FTS5 table (asked once per database file)."""
    if connection.vendor != "sqlite":
        return False
    key = str(connection.settings_dict.get("NAME"))
    if key not in _fts_known:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [FTS_TABLE])
            _fts_known[key] = cursor.fetchone() is not None
    return _fts_known[key]


def index_resource(resource) -> None:
    """Recompute ``search_text`` of a saved resource (its knowledge points set) and write the index.
    Call inside the transaction that changed the resource."""
    names = [kp.name for kp in resource.knowledge_points.all()]
    text = search_text_for(title=resource.title, summary=resource.summary, body=resource.body, knowledge_points=names)
    type(resource).objects.filter(pk=resource.pk).update(search_text=text)
    resource.search_text = text
    if connection.vendor == "sqlite":
        _fts_write([(resource.pk, text)])


def _fts_write(rows) -> None:
    if not _fts_available():
        return
    with connection.cursor() as cursor:
        for pk, text in rows:
            title, rest = _split(text)
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [pk])
            cursor.execute(f"INSERT INTO {FTS_TABLE}(rowid, title, body) VALUES (%s, %s, %s)", [pk, title, rest])


def forget_resource(resource_id: int) -> None:
    if _fts_available():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [resource_id])


def reindex(queryset=None) -> int:
    """Recompute every resource's ``search_text`` and rebuild the SQLite index (after bulk loads
    such as the demo seed, which bypass ``index_resource``). Returns the number of resources."""
    from .models import Resource

    qs = (queryset if queryset is not None else Resource.objects.all()).prefetch_related("knowledge_points")
    rows = []
    for r in qs.only("id", "title", "summary", "body"):
        text = search_text_for(
            title=r.title, summary=r.summary, body=r.body, knowledge_points=[k.name for k in r.knowledge_points.all()]
        )
        rows.append((r.pk, text))
    for pk, text in rows:
        Resource.objects.filter(pk=pk).update(search_text=text)
    if queryset is None and _fts_available():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE}")
    _fts_write(rows)
    return len(rows)


def _fts_match(terms: list[str]) -> str:
    """An FTS5 query: every token quoted, ANDed; a lone one-character token as a prefix."""
    if len(terms) == 1 and len(terms[0]) == 1:
        return f'"{terms[0]}"*'
    return " AND ".join(f'"{t}"' for t in terms)


def _ts_query(terms: list[str]) -> str:
    if len(terms) == 1 and len(terms[0]) == 1:
        return f"'{terms[0]}':*"
    return " & ".join(f"'{t}'" for t in terms)


def _rank_sql(table: str, terms: list[str]) -> tuple[str, list[str]]:
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


def apply_search(queryset, text: str):
    """Filter a Resource queryset by a search text and annotate ``search_rank`` (higher is better);
    returns ``(queryset, ranked)``: ``ranked`` is False when the text has no searchable token."""
    terms = query_tokens(text)
    if not terms:
        return queryset, False
    table = queryset.model._meta.db_table
    rank_sql, rank_params = _rank_sql(table, terms)
    rank = RawSQL(rank_sql, rank_params, output_field=FloatField())
    if _fts_available():
        # Not correlated: SQLite runs the full-text query once and probes its result per row.
        matched = RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [_fts_match(terms)])
        return queryset.filter(pk__in=matched).annotate(search_rank=rank), True
    if connection.vendor == "postgresql":
        if len(terms) == 1 and len(terms[0]) == 1:
            # One character: found in nearly every text, where rechecking the index would rebuild
            # the tsvector of every row; a plain substring scan is far cheaper (ADR 0007).
            return queryset.filter(search_text__contains=terms[0]).annotate(search_rank=rank), True
        hit = RawSQL(
            f"to_tsvector('simple', {table}.search_text) @@ to_tsquery('simple', %s)",
            [_ts_query(terms)],
            output_field=BooleanField(),
        )
        return queryset.filter(hit).annotate(search_rank=rank), True
    cond = Q()
    for t in terms:
        cond &= Q(search_text__contains=t)
    return queryset.filter(cond).annotate(search_rank=rank), True
