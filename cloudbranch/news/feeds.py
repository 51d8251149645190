"""RSS 2.0 and Atom feeds of the portal: the 20 latest public articles, absolute links."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.views.decorators.http import require_safe

from . import portal_services as svc
from .portal_cache import PAGE_TTL


class PortalRssFeed(Feed):
    feed_type = Rss201rev2Feed

    def get_object(self, request, *args, **kwargs):
        unit = svc.portal_unit()
        if unit is None:
            raise Http404("尚未建立党组织。")
        return unit

    def title(self, unit):
        return f"{unit.name} · 党建动态与党务公开"

    def link(self, unit):
        return reverse("public:home")

    def description(self, unit):
        return f"{unit.name}公开发布的党建动态、通知公告与党务公开信息。"

    def items(self, unit):
        return svc.feed_articles(unit)

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return svc.article_text(item)

    def item_link(self, item):
        return reverse("public:article", args=[item.pk])

    def item_guid(self, item):
        return self.item_link(item)

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_categories(self, item):
        return [item.get_category_display()]

    def item_author_name(self, item):
        return item.unit.name  # the issuing unit, never a person


class PortalAtomFeed(PortalRssFeed):
    feed_type = Atom1Feed

    def subtitle(self, unit):
        return self.description(unit)


_rss, _atom = PortalRssFeed(), PortalAtomFeed()


def _serve(feed, request):
    response = feed(request)
    patch_cache_control(response, public=True, max_age=PAGE_TTL)
    return response


@login_not_required
@require_safe
def rss(request):
    return _serve(_rss, request)


@login_not_required
@require_safe
def atom(request):
    return _serve(_atom, request)
