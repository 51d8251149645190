"""Pages of the cockpit dashboard (党建数据座舱): the page (normal and big-screen) and its .xlsx.

Access: ``cockpit.view_cockpit`` held somewhere (else 403), over the asked unit (else 404). The
data comes from ``dashboard.page_data`` (the metric store, cached per unit, period and recompute)."""

from __future__ import annotations

from itertools import zip_longest
from types import SimpleNamespace

from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import can, granted_prefixes, requires_grant

from . import dashboard, exports
from .dashboard import VIEW

SCREEN_REFRESH_SECONDS = 5 * 60  # the big screen reloads itself (fresh figures after a recompute)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _parent_link(user, unit: OrgUnit) -> int | None:
    """The parent's id when the user may open the parent's cockpit too (no query)."""
    if not unit.parent_id:
        return None
    parent_path = unit.path[: unit.path.rstrip("/").rfind("/") + 1]
    return unit.parent_id if can(user, VIEW, SimpleNamespace(path=parent_path)) else None


def _other_tops(user, unit: OrgUnit) -> list[OrgUnit]:
    """The user's other top units (several grants in separate subtrees); one query when there are."""
    prefixes = granted_prefixes(user, VIEW)
    if len(prefixes) < 2:
        return []
    ids = [dashboard.unit_id_of(p) for p in prefixes]
    return list(OrgUnit.objects.filter(pk__in=ids).exclude(pk=unit.pk).order_by("path"))


@require_GET
@requires_grant(VIEW)
def dashboard_page(request):
    unit = dashboard.dashboard_unit(request.user, request.GET.get("unit"))
    period = dashboard.parse_period(request.GET.get("year"), request.GET.get("month"))
    data = dashboard.page_data(unit, period)
    screen = request.GET.get("screen") == "1"
    ranked = dashboard.rank(data, request.GET.get("rank", dashboard.DEFAULT_RANK))
    context = {
        "unit": unit,
        "period": period,
        "data": data,
        "headline": data["headline"],
        "panels": data["panels"],
        "grid": _grid(unit, period, data, ranked, screen),
        "run": data["run"],
        "parent_id": _parent_link(request.user, unit),
        "other_tops": _other_tops(request.user, unit),
        "screen": screen,
        "years": _years(period.year),
        "months": range(1, 13),
        "dashboard_url": reverse("cockpit:dashboard"),
    }
    template = "cockpit/dashboard_screen.html" if screen else "cockpit/dashboard.html"
    return render(request, template, context)


def _tbody(panel: dict, link: str) -> str:
    """The rows of a panel's table as HTML (built here, not in the template: a root unit's
    children tables have hundreds of rows); a child's name links to its cockpit."""
    ids = panel.get("ids") or []
    out = []
    for uid, row in zip_longest(ids, panel["rows"]):
        name = escape(row[0])
        head = f'<a href="{escape(link.format(uid))}">{name}</a>' if uid else name
        cells = "".join(f'<td class="text-end">{"—" if c is None else escape(c)}</td>' for c in row[1:])
        out.append(f'<tr><th scope="row" class="fw-normal">{head}</th>{cells}</tr>')
    if not out:
        out.append(f'<tr><td colspan="{len(panel["columns"])}" class="text-muted">暂无数据。</td></tr>')
    return mark_safe("\n".join(out))  # every value is escaped above


def _grid(unit, period, data, ranked, screen: bool) -> str:
    """The headline, the panels and their JSON: the same for every user of this unit's cockpit, so
    rendered once per (data, big screen, ranking) and cached with the data."""
    key = f"{data['cache_key']}:grid:{int(screen)}:{ranked['key']}"
    html = cache.get(key)
    if html is not None:
        return html
    dashboard_url = reverse("cockpit:dashboard")
    suffix = "&" + period.query() + ("&screen=1" if screen else "")
    link = dashboard_url + "?unit={}" + suffix
    panels = [{**p, "tbody": _tbody(p, link)} for p in data["panels"]]
    html = render_to_string(
        "cockpit/dashboard_grid.html",
        {
            "unit": unit,
            "period": period,
            "headline": data["headline"],
            "panels": panels,
            "panels_json": data["panels"],
            "ranked": ranked,
            "rank_choices": data["rank_choices"],
            "screen": screen,
            "dashboard_url": dashboard_url,
            "client": {
                "drill_url": dashboard_url,
                "query": suffix[1:],
                "screen": screen,
                "refresh_seconds": SCREEN_REFRESH_SECONDS if screen else None,
            },
        },
    )
    cache.set(key, html, dashboard.CACHE_TTL)
    return html


def _years(selected: int) -> list[int]:
    this_year = timezone.localdate().year
    years = list(range(this_year, this_year - 5, -1))
    if selected not in years:
        years.append(selected)
    return years


@require_GET
@requires_grant(VIEW)
def dashboard_export(request):
    unit = dashboard.dashboard_unit(request.user, request.GET.get("unit"))
    period = dashboard.parse_period(request.GET.get("year"), request.GET.get("month"))
    name, content = exports.dashboard_xlsx(actor=request.user, unit=unit, period=period)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
