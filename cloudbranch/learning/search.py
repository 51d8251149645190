"""Chinese full-text search of resources without a word segmenter (ADR 0007).

The tokenizer, query building, ranking and the SQLite FTS5 / PostgreSQL pieces are generic and
live in ``cloudbranch.core.search`` (news searches the same way); this module holds what is
particular to resources. ``Resource.search_text`` holds two lines: the title's tokens, then the
tokens of the summary, the body (HTML stripped) and the knowledge point names.

* SQLite: an FTS5 table ``learning_resource_fts(title, body)`` (``rowid`` = resource id), written
  by ``index_resource`` in the same transaction as the resource (not by triggers: Django rebuilds a
  SQLite table when a later migration alters it, and that would silently drop triggers).
* PostgreSQL: a GIN index on ``to_tsvector('simple', search_text)``.
"""

from __future__ import annotations

from cloudbranch.core import search as core_search
from cloudbranch.core.search import (  # noqa: F401 - the names this module always offered
    MAX_QUERY_TOKENS,
    TITLE_WEIGHT,
    normalize,
    query_tokens,
    strip_html,
    tokens,
)

FTS_TABLE = "learning_resource_fts"


def search_text_for(*, title: str, summary: str = "", body: str = "", knowledge_points=()) -> str:
    """The value of ``Resource.search_text``: title tokens on the first line, the rest on the second."""
    return core_search.build_search_text(title, summary or "", strip_html(body), " ".join(knowledge_points))


def _fts_available() -> bool:
    return core_search.fts_available(FTS_TABLE)


def index_resource(resource) -> None:
    """Recompute ``search_text`` of a saved resource (its knowledge points set) and write the index.
    Call inside the transaction that changed the resource."""
    names = [kp.name for kp in resource.knowledge_points.all()]
    text = search_text_for(title=resource.title, summary=resource.summary, body=resource.body, knowledge_points=names)
    type(resource).objects.filter(pk=resource.pk).update(search_text=text)
    resource.search_text = text
    core_search.fts_write(FTS_TABLE, [(resource.pk, text)])


def forget_resource(resource_id: int) -> None:
    core_search.fts_delete(FTS_TABLE, resource_id)


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
    if queryset is None:
        core_search.fts_clear(FTS_TABLE)
    core_search.fts_write(FTS_TABLE, rows)
    return len(rows)


def apply_search(queryset, text: str):
    """Filter a Resource queryset by a search text and annotate ``search_rank`` (higher is better);
    returns ``(queryset, ranked)``: ``ranked`` is False when the text has no searchable token."""
    return core_search.apply_search(queryset, text, fts_table=FTS_TABLE)
