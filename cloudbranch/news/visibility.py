"""Who may read an article: the one place the rule is written (issue 8 item 1, SPEC §6).

* ``public``: anyone, anonymous visitors included;
* ``school``: every logged-in user with a person record in the same tree (same root unit);
* ``subtree``: persons whose unit is the article's unit or below it;
* ``members``: the same, Party members only (probationary or full);
* besides, a manager holding ``news.view_article`` over the article's unit reads it whatever its
  visibility (they manage that subtree).

Readers see *published* articles only; drafts and the like are seen by their author and the
unit's managers on the management pages (``articles.access_article_for_management``).
Everything that shows an article to a reader (list, detail, search, API, the comments and the
public portal) goes through ``visible_articles`` or ``may_read``; anything else is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from cloudbranch.orgs.scoping import granted_prefixes, scope_q
from cloudbranch.people.choices import PARTY_MEMBER_STATUSES

from .choices import ArticleStatus, Visibility
from .models import Article

VIEW = "news.view_article"


@dataclass(frozen=True)
class Reader:
    """What the rule needs to know about a viewer (computed once per request)."""

    authenticated: bool
    person_id: int | None = None
    unit_path: str = ""
    party_member: bool = False
    managed: tuple[str, ...] = ()

    @property
    def root_prefix(self) -> str:
        """``"/1/7/42/"`` → ``"/1/"``."""
        return "/" + self.unit_path.strip("/").split("/")[0] + "/" if self.unit_path else ""

    @property
    def ancestor_paths(self) -> list[str]:
        """``"/1/7/42/"`` → ``["/1/", "/1/7/", "/1/7/42/"]`` (the person's unit and every unit above)."""
        parts = self.unit_path.strip("/").split("/") if self.unit_path else []
        return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def reader_of(user) -> Reader:
    """The viewer's person record (unit, Party membership) and management grants; cached on the
    user object (one query per request at most, besides the grants every page loads)."""
    if user is None or not user.is_authenticated:
        return Reader(authenticated=False)
    cached = getattr(user, "_cb_news_reader", None)
    if cached is not None:
        return cached
    from cloudbranch.people.models import Person

    row = Person.objects.filter(user_id=user.pk).values_list("pk", "unit__path", "political_status").first()
    reader = Reader(
        authenticated=True,
        person_id=row[0] if row else None,
        unit_path=row[1] if row else "",
        party_member=bool(row) and row[2] in PARTY_MEMBER_STATUSES,
        managed=granted_prefixes(user, VIEW),
    )
    user._cb_news_reader = reader
    return reader


def readable_q(user) -> Q:
    """The condition on Article rows (any status) under which ``user`` may read them."""
    reader = reader_of(user)
    q = Q(visibility=Visibility.PUBLIC)
    if reader.person_id is not None and reader.unit_path:
        q |= Q(visibility=Visibility.SCHOOL, unit__path__startswith=reader.root_prefix)
        q |= Q(visibility=Visibility.SUBTREE, unit__path__in=reader.ancestor_paths)
        if reader.party_member:
            q |= Q(visibility=Visibility.MEMBERS, unit__path__in=reader.ancestor_paths)
    if reader.managed:
        q |= scope_q("unit__path", reader.managed)
    return q


def visible_articles(user):
    """The published articles ``user`` may read (a queryset to filter further)."""
    return Article.objects.filter(readable_q(user), status=ArticleStatus.PUBLISHED)


def may_read(user, article: Article) -> bool:
    """Whether ``user`` may read this (published) article; the same rule as ``visible_articles``."""
    if article.status != ArticleStatus.PUBLISHED:
        return False
    return readable_by(reader_of(user), article)


def readable_by(reader: Reader, article: Article) -> bool:
    """The rule on one article, whatever its status."""
    path = article.unit.path
    if reader.managed and path.startswith(reader.managed):
        return True
    if article.visibility == Visibility.PUBLIC:
        return True
    if reader.person_id is None or not reader.unit_path:
        return False
    if article.visibility == Visibility.SCHOOL:
        return path.startswith(reader.root_prefix)
    if article.visibility == Visibility.SUBTREE:
        return reader.unit_path.startswith(path)
    if article.visibility == Visibility.MEMBERS:
        return reader.party_member and reader.unit_path.startswith(path)
    return False


def audience_q(article: Article, prefix: str = "") -> Q:
    """Person rows who are asked to read ``article`` (read receipts): on the roster, in the
    article's unit or below (a unit asks its own people, whatever wider visibility it chose), and
    Party members only for a members-only article. ``prefix`` for lookups through a relation."""
    from cloudbranch.people.choices import RosterStatus

    q = Q(**{f"{prefix}roster_status": RosterStatus.ACTIVE, f"{prefix}unit__path__startswith": article.unit.path})
    if article.visibility == Visibility.MEMBERS:
        q &= Q(**{f"{prefix}political_status__in": PARTY_MEMBER_STATUSES})
    return q
