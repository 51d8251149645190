"""The house policy for rich text written by users (article bodies of learning and news).

``clean_html`` keeps only the tags of ``ALLOWED_TAGS``; links go to http(s) only; images come
from http(s) or our own media; scripts and styles are dropped with their content, every ``on*``
handler, ``style`` attribute and ``javascript:`` / ``data:`` URL goes (nh3, i.e. ammonia).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import nh3
from django.conf import settings

ALLOWED_TAGS = {
    "p", "h2", "h3", "h4", "strong", "em", "u", "ul", "ol", "li", "blockquote", "a", "img", "br",
    "table", "thead", "tbody", "tr", "th", "td", "caption",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}


def _media_prefix() -> str:
    return settings.MEDIA_URL if settings.MEDIA_URL.startswith("/") else "/media/"


def safe_url(value: str, *, allow_media: bool) -> bool:
    value = (value or "").strip()
    if allow_media and value.startswith(_media_prefix()):
        return "//" not in value and ".." not in value
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _attribute_filter(tag: str, attr: str, value: str):
    if tag == "a" and attr == "href":
        return value if safe_url(value, allow_media=False) else None
    if tag == "img" and attr == "src":
        return value if safe_url(value, allow_media=True) else None
    return value


def clean_html(value: str) -> str:
    """The rich text as it may be stored and shown (idempotent: cleaning clean HTML changes nothing)."""
    return nh3.clean(
        value or "",
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer nofollow",
    ).strip()
