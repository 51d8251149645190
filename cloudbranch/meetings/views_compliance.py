"""Compliance pages: the roll-up of a subtree and the calendar of one unit (read-only)."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import compliance
from .choices import ComplianceState, MeetingKind

PAGE_SIZE = 20


def _kind_labels(kinds) -> str:
    return "、".join(str(MeetingKind(k).label) for k in kinds)


@require_GET
def compliance_rollup(request):
    """Roll-up for a subtree: kinds × periods with met / warning / missed counts, the units behind
    now (paginated), and the child units to drill down into."""
    unit_id = request.GET.get("unit")
    if unit_id:
        unit = compliance.access_compliance_unit(request.user, unit_id)
    else:
        unit = compliance.default_compliance_unit(request.user)
    year = compliance.parse_year(request.GET.get("year"))
    rollup = compliance.compliance_rollup(unit, year)
    page = Paginator(rollup.behind, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = [
        {
            "unit": b.unit,
            "month": _kind_labels(b.month),
            "quarter": _kind_labels(b.quarter),
            "year": _kind_labels(b.year),
            "missed": b.missed,
        }
        for b in page.object_list
    ]
    context = {
        "unit": unit,
        "year": year,
        "years": list(range(rollup.today.year, rollup.today.year - 5, -1)),
        "rollup": rollup,
        "rows": compliance.summary_rows(rollup),
        "months": range(1, 13),
        "page": page,
        "children": [
            {
                "unit": child,
                "met": t[ComplianceState.MET],
                "warning": t[ComplianceState.WARNING],
                "missed": t[ComplianceState.MISSED],
            }
            for child, t in rollup.child_totals()
        ],
        "totals": rollup.totals(),
        "chart": rollup.monthly_chart(),
    }
    if getattr(request, "htmx", False) and request.GET.get("page"):
        return render(request, "meetings/compliance_rollup.html#behind", context)
    return render(request, "meetings/compliance_rollup.html", context)


@require_GET
def compliance_calendar(request, unit_id: int):
    """One unit's year: a month grid (desktop) or a list (phone) of held / required per kind."""
    unit = compliance.access_compliance_unit(request.user, unit_id)
    year = compliance.parse_year(request.GET.get("year"))
    try:
        month = int(request.GET.get("month", 0))
    except ValueError:
        month = 0
    rollup = compliance.unit_calendar(unit, year)
    rows = compliance.calendar_rows(rollup, unit.pk)
    spans = {s.key: s for s in rollup.periods}
    items = [
        {
            "cell": c,
            "span": spans[c.key],
            "label": MeetingKind(c.kind).label,
            "tone": compliance.STATE_TONES[c.state],
            "state": ComplianceState(c.state).label,
        }
        for c in rollup.cells.get(unit.pk, [])
    ]
    items.sort(key=lambda i: (i["span"].start, -len(i["span"].months)))
    return render(
        request,
        "meetings/compliance_calendar.html",
        {
            "unit": unit,
            "year": year,
            "month": month if 1 <= month <= 12 else 0,
            "years": list(range(rollup.today.year, rollup.today.year - 5, -1)),
            "months": range(1, 13),
            "rows": rows,
            "items": items,
        },
    )
