"""Pipeline pages (read-only): the overview of a subtree, the due / overdue list and the export."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import requires_grant

from . import pipeline

PAGE_SIZE = 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _params(request) -> dict:
    today = timezone.localdate()
    return {
        "today": today,
        "year": pipeline.parse_year(request.GET.get("year"), today=today),
        "funnel_year": pipeline.parse_funnel_year(request.GET.get("funnel_year"), today=today),
        "entry_year": pipeline.parse_entry_year(request.GET.get("entry_year"), today=today),
        "within": pipeline.parse_within(request.GET.get("within")),
    }


@require_GET
@requires_grant(pipeline.VIEW_PERM)
def pipeline_page(request):
    """Counts per stage and status, the two funnels, average time per stage, the children's
    comparison and the overdue warnings of the chain of units above (constant queries)."""
    unit = pipeline.pipeline_unit(request.user, request.GET.get("unit"))
    p = _params(request)
    today = p["today"]
    children = list(OrgUnit.objects.filter(parent=unit).order_by("status", "sort_order", "path"))
    summary = pipeline.pipeline_summary(
        unit, year=p["year"], funnel_year=p["funnel_year"], today=today, within=p["within"], children=children
    )
    tops, chain = pipeline.picker_units(request.user, unit)
    overdue = pipeline.overdue_counts(chain, today=today, known={unit.pk: summary.totals.overdue})
    fresh = pipeline.freshman_funnel(unit, p["entry_year"])
    chart = summary.chart()
    chart["freshman"] = fresh.chart()
    years = list(range(today.year, today.year - 6, -1))
    return render(
        request,
        "development/pipeline_overview.html",
        {
            "unit": unit,
            "summary": summary,
            "totals": summary.totals,
            "stages": [(s, label, summary.totals.stages[s]) for s, label in pipeline.STAGES],
            "funnel_rows": summary.totals.funnel_rows(),
            "fresh": fresh,
            "fresh_note": pipeline.FRESHMAN_NOTE,
            "durations": pipeline.stage_durations_cached(unit, today=today),
            "average_years": pipeline.AVERAGE_YEARS,
            "rows": summary.rows,
            "tops": tops,
            "chain": [(u, overdue.get(u.pk, 0)) for u in chain],
            "chart": chart,
            "years": years,
            "entry_years": years,
            **p,
        },
    )


@require_GET
@requires_grant(pipeline.VIEW_PERM)
def pipeline_export(request):
    unit = pipeline.pipeline_unit(request.user, request.GET.get("unit"))
    p = _params(request)
    name, data = pipeline.pipeline_export(
        actor=request.user,
        unit=unit,
        year=p["year"],
        funnel_year=p["funnel_year"],
        entry_year=p["entry_year"],
        within=p["within"],
    )
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
@requires_grant(pipeline.VIEW_PERM)
def due_list(request):
    """Cases whose next step is due within N days (default 30) or overdue, paginated."""
    unit = pipeline.pipeline_unit(request.user, request.GET.get("unit"))
    today = timezone.localdate()
    within = pipeline.parse_within(request.GET.get("within"))
    page = Paginator(pipeline.due_cases(unit, within=within, today=today), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = pipeline.due_rows(page.object_list, today=today)
    context = {
        "unit": unit,
        "within": within,
        "today": today,
        "page": page,
        "choices": (0, 7, 14, 30, 60, 90),
        "stage_names": pipeline.SHORT_STAGE,
    }
    if getattr(request, "htmx", False) and request.GET.get("page"):
        return render(request, "development/due_list.html#rows", context)
    return render(request, "development/due_list.html", context)
