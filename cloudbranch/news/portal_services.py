"""What the public portal reads. Everything here serves anonymous visitors, so every selector
returns public data only: published articles with visibility "public" under the portal unit's
tree (visibility.visible_articles of an anonymous user), and the public, answered messages to
the portal unit with their public replies (board.board_messages of a visitor). No personal data
leaves here: no authors, no visitors' names or contacts.

Writing (a visitor's message), the captcha and the rate limit are the board area's
(board.message_create, captcha, ratelimit).

The portal unit is the university committee: a root unit (no parent), the one whose code is
``settings.PUBLIC_PORTAL_UNIT_CODE`` if several roots exist, else the first root.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Case, F, IntegerField, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import Truncator

from cloudbranch.orgs.choices import UnitStatus
from cloudbranch.orgs.models import OrgUnit

from . import board
from .choices import ArticleStatus, Category, DisclosureType, MessageCategory, MessageStatus, Visibility
from .models import Article, Message
from .visibility import visible_articles

HOME_PER_CATEGORY = 6
HOME_HOT_MESSAGES = 5
FEED_ITEMS = 20
SHOWN_MESSAGE_STATUSES = (MessageStatus.ANSWERED, MessageStatus.CLOSED)


# --- selectors --------------------------------------------------------------------------------


def portal_unit_code() -> str:
    return getattr(settings, "PUBLIC_PORTAL_UNIT_CODE", "") or ""


def portal_unit(*, with_policy: bool = False) -> OrgUnit | None:
    """The root unit the portal shows (one query; ``with_policy`` joins its NewsPolicy)."""
    code = portal_unit_code()
    roots = OrgUnit.objects.filter(parent__isnull=True)
    if with_policy:
        roots = roots.select_related("news_policy")
    if code:
        roots = roots.annotate(
            code_match=Case(When(code=code, then=Value(0)), default=Value(1), output_field=IntegerField())
        ).order_by("code_match", "sort_order", "id")
    else:
        roots = roots.order_by("sort_order", "id")
    return roots.first()


def public_articles(unit: OrgUnit):
    """Published public articles of the unit's tree: what an anonymous reader may read
    (visibility.visible_articles) under the portal unit."""
    return visible_articles(AnonymousUser()).filter(
        status=ArticleStatus.PUBLISHED,
        visibility=Visibility.PUBLIC,
        unit__path__startswith=unit.path,
    )


def _day(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d") if value else ""


def _article_row(row: dict) -> dict:
    return {
        "id": row["id"],
        "title": row["title"],
        "summary": row["summary"],
        "category": row["category"],
        "disclosure_type": str(DisclosureType(row["disclosure_type"]).label) if row["disclosure_type"] else "",
        "period": (
            f"{row['disclosure_from']:%Y-%m-%d} 至 {row['disclosure_to']:%Y-%m-%d}"
            if row["disclosure_from"] and row["disclosure_to"]
            else (f"{row['disclosure_from']:%Y-%m-%d} 起" if row["disclosure_from"] else "")
        ),
        "published": _day(row["published_at"]),
        "pinned": row["pinned"],
        "unit_name": row["unit__name"],
    }


def home_context(unit: OrgUnit) -> dict:
    """Everything the home page shows, as plain JSON-friendly data, in two queries (articles: the
    latest few of each category in one windowed query; messages: the hot topics, only while the
    board is open to visitors). ``unit`` from ``portal_unit(with_policy=True)``."""
    order = [F("pinned").desc(), F("published_at").desc(nulls_last=True), F("id").desc()]
    rows = (
        public_articles(unit)
        .annotate(rank=Window(RowNumber(), partition_by=[F("category")], order_by=order))
        .filter(rank__lte=HOME_PER_CATEGORY)
        .order_by("category", *order)
        .values(
            "id",
            "title",
            "summary",
            "category",
            "disclosure_type",
            "disclosure_from",
            "disclosure_to",
            "published_at",
            "pinned",
            "unit__name",
        )
    )
    sections = {c.value: [] for c in Category}
    for row in rows:
        sections.setdefault(row["category"], []).append(_article_row(row))
    messages = (
        Message.objects.filter(unit=unit, public=True, status__in=SHOWN_MESSAGE_STATUSES)
        .order_by("-pinned", "-created_at", "-id")
        .values("id", "category", "title", "pinned", "created_at")[:HOME_HOT_MESSAGES]
        if board_open(unit)
        else []
    )
    hot = [
        {
            "id": m["id"],
            "title": m["title"],
            "category": str(MessageCategory(m["category"]).label) if m["category"] in MessageCategory.values else "",
            "pinned": m["pinned"],
            "date": _day(m["created_at"]),
        }
        for m in messages
    ]
    return {
        "active": "home",
        "unit": {"name": unit.name, "description": unit.description},
        "sections": [
            {"key": str(key), "label": str(Category(key).label), "items": sections.get(key, [])}
            for key in (Category.NOTICE, Category.NEWS, Category.DISCLOSURE)
        ],
        "hot_messages": hot,
        "board_open": board_open(unit),
    }


def public_article(unit: OrgUnit, pk: int) -> Article | None:
    return public_articles(unit).select_related("unit").filter(pk=pk).first()


def article_text(article: Article, length: int = 200) -> str:
    """A plain-text summary (feeds, meta description)."""
    return article.summary or Truncator(strip_tags(article.body)).chars(length)


def feed_articles(unit: OrgUnit):
    return public_articles(unit).select_related("unit").order_by("-published_at", "-id")[:FEED_ITEMS]


def public_messages(unit: OrgUnit):
    """The portal board: what board.board_messages shows a visitor (public messages, public
    replies in ``public_replies``), answered ones only (an unanswered message is not published
    on the university's home), and nothing while the unit's board is closed to visitors. Pages
    show the replier as the unit, never by name. Three queries a page (count, rows, replies)."""
    if not board_open(unit):
        return Message.objects.none()
    return board.board_messages(user=None, unit=unit).filter(status__in=SHOWN_MESSAGE_STATUSES)


def board_open(unit: OrgUnit) -> bool:
    """Whether visitors without login may read and write the unit's board (its
    NewsPolicy.public_board; ``unit`` comes from ``portal_unit(with_policy=True)``: no query)."""
    policy = getattr(unit, "news_policy", None)
    return bool(policy and policy.public_board and unit.status == UnitStatus.ACTIVE)
