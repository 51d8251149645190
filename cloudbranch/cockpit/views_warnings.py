"""Pages of the warnings area: the one warnings list of the user's subtree (open by default, the
"已解除" tab, filters by unit, area, severity and rule, counts per area) and the manual refresh
(organization department). Reads through ``warnings`` selectors; a constant number of queries."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from cloudbranch.core.alerts import SEVERITIES
from cloudbranch.core.metrics import AREAS
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import holds, requires_grant

from . import warnings as engine

PAGE_SIZE = 20
STATES = {"open": "未解除", "cleared": "已解除"}


def filters_from(params) -> dict:
    state = params.get("state") if params.get("state") in STATES else "open"
    return {
        "state": state,
        "unit": params.get("unit") or "",
        "area": params.get("area") if params.get("area") in AREAS else "",
        "severity": params.get("severity") if params.get("severity") in SEVERITIES else "",
        "rule": params.get("rule") or "",
    }


@require_GET
@requires_grant(engine.VIEW_PERM)
def warning_list(request):
    filters = filters_from(request.GET)
    without_area = {**filters, "area": "", "rule": ""}
    counts = engine.area_counts(engine.warning_list(user=request.user, filters=without_area))
    qs = engine.warning_list(user=request.user, filters=filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = engine.decorate(page.object_list)
    unit = None
    if filters["unit"]:
        unit_id = engine._int(filters["unit"])
        unit = OrgUnit.objects.restrict(request.user, engine.VIEW_PERM).filter(pk=unit_id).first() if unit_id else None
    context = {
        "page": page,
        "filters": filters,
        "unit": unit,
        "counts": counts,
        "total": sum(c["count"] for c in counts),
        "states": STATES,
        "severities": SEVERITIES,
        "rules": engine.rule_choices(),
        "can_refresh": holds(request.user, engine.REFRESH_PERM),
    }
    if getattr(request, "htmx", False) and request.GET.get("page"):
        return render(request, "cockpit/warnings.html#rows", context)
    return render(request, "cockpit/warnings.html", context)


@require_POST
@requires_grant(engine.REFRESH_PERM)
def warning_refresh(request):
    result = engine.refresh_now(actor=request.user)
    text = f"预警已刷新：新增 {result.opened} 项，解除 {result.cleared} 项，通知 {result.notified_users} 人。"
    if result.errors:
        messages.warning(request, text + f" {len(result.errors)} 条规则运行失败，请查看日志。")
    else:
        messages.success(request, text)
    return redirect(reverse("cockpit:warnings"))
