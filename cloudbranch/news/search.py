"""Chinese search of articles and feed posts (issue 8 item 6), the same approach as learning's
resources (``cloudbranch.core.search``: CJK bigrams, an FTS5 table on SQLite, a GIN index on
PostgreSQL). ``Article.search_text`` / ``Post.search_text`` hold the title's tokens on the first
line and the rest on the second; ``index_article`` / ``index_post`` recompute them and write the
SQLite index: call them inside the transaction that changed the row.
"""

from __future__ import annotations

from cloudbranch.core import search as core_search
from cloudbranch.core.search import query_tokens, strip_html  # noqa: F401 - offered to the areas

ARTICLE_FTS = "news_article_fts"
POST_FTS = "news_post_fts"


def article_search_text(article) -> str:
    extra = article.get_disclosure_type_display() if article.disclosure_type else ""
    return core_search.build_search_text(article.title, article.summary or "", extra, strip_html(article.body))


def post_search_text(post) -> str:
    # A post has no title: everything is body text.
    return core_search.build_search_text("", post.body or "")


def index_article(article) -> None:
    text = article_search_text(article)
    type(article).objects.filter(pk=article.pk).update(search_text=text)
    article.search_text = text
    core_search.fts_write(ARTICLE_FTS, [(article.pk, text)])


def index_post(post) -> None:
    text = post_search_text(post)
    type(post).objects.filter(pk=post.pk).update(search_text=text)
    post.search_text = text
    core_search.fts_write(POST_FTS, [(post.pk, text)])


def forget_article(article_id: int) -> None:
    core_search.fts_delete(ARTICLE_FTS, article_id)


def forget_post(post_id: int) -> None:
    core_search.fts_delete(POST_FTS, post_id)


def search_articles(queryset, text: str):
    """``(queryset filtered and annotated with search_rank, ranked)``; see core.search.apply_search."""
    return core_search.apply_search(queryset, text, fts_table=ARTICLE_FTS)


def search_posts(queryset, text: str):
    return core_search.apply_search(queryset, text, fts_table=POST_FTS)


def reindex() -> tuple[int, int]:
    """Recompute every article's and post's ``search_text`` and rebuild the SQLite indexes (after
    bulk loads such as demo data). Returns (articles, posts)."""
    from .models import Article, Post

    counts = []
    for model, table, build in ((Article, ARTICLE_FTS, article_search_text), (Post, POST_FTS, post_search_text)):
        rows = []
        for obj in model.objects.all().iterator():
            text = build(obj)
            rows.append((obj.pk, text))
            if text != obj.search_text:
                model.objects.filter(pk=obj.pk).update(search_text=text)
        core_search.fts_clear(table)
        core_search.fts_write(table, rows)
        counts.append(len(rows))
    return counts[0], counts[1]
