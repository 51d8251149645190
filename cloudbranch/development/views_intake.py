"""Intake lists (春季/秋季发展名单) of a unit's subtree: the page, the delay reasons and the export."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from cloudbranch.core.errors import DomainError
from cloudbranch.orgs.scoping import requires_grant

from . import intake, pipeline

PAGE_SIZE = 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _kind(value) -> str | None:
    return value if value in intake.Kind.values else None


@require_GET
@requires_grant(pipeline.VIEW_PERM)
def intake_page(request):
    """The round's three lists for the chosen unit's subtree, grouped by branch, overdue flagged;
    paginated (the rows are computed in four queries whatever their number)."""
    today = timezone.localdate()
    unit = pipeline.pipeline_unit(request.user, request.GET.get("unit"))
    try:
        rnd = intake.parse_round(request.GET.get("round"), today=today)
    except DomainError:
        rnd = intake.round_for(today)
    kind = _kind(request.GET.get("kind"))
    flagged_only = request.GET.get("flagged") == "1"
    rows = intake.intake_rows([unit], rnd, today=today)
    totals = intake.Totals.of(rows)
    shown = [r for r in rows if (kind is None or r.kind == kind) and (not flagged_only or r.flagged)]
    page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("page"))
    for r in page.object_list:
        r.can_record = intake.may_record(request.user, r)
    tops, _chain = pipeline.picker_units(request.user, unit)
    context = {
        "unit": unit,
        "tops": tops,
        "round": rnd,
        "rounds": intake.round_choices(today),
        "kind": kind or "",
        "flagged_only": flagged_only,
        "kinds": intake.Kind.choices,
        "totals": totals,
        "page": page,
        "today": today,
    }
    if getattr(request, "htmx", False) and request.GET.get("page"):
        return render(request, "development/intake_list.html#rows", context)
    return render(request, "development/intake_list.html", context)


@require_GET
@requires_grant(pipeline.VIEW_PERM)
def intake_export(request):
    today = timezone.localdate()
    unit = pipeline.pipeline_unit(request.user, request.GET.get("unit"))
    try:
        rnd = intake.parse_round(request.GET.get("round"), today=today)
    except DomainError as exc:
        return HttpResponse(exc.message, status=422, content_type="text/plain; charset=utf-8")
    name, data = intake.intake_export(actor=request.user, unit=unit, rnd=rnd, today=today)
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@requires_grant("development.record_step")
def intake_delay(request, case_id: int):
    """Record or withdraw (``clear``) a delay reason; answers the row's reason cell (HTMX) or
    goes back to the list."""
    kind = request.POST.get("kind", "")
    status = 200
    error = ""
    try:
        if request.POST.get("clear"):
            intake.intake_delay_clear(actor=request.user, case_id=case_id, kind=kind)
            delay = None
        else:
            delay = intake.intake_delay_record(
                actor=request.user, case_id=case_id, kind=kind, reason=request.POST.get("reason", "")
            )
    except DomainError as exc:
        status, error, delay = 422, exc.message, None
    context = {"case_id": case_id, "kind": kind, "delay": delay, "error": error, "can_record": True}
    if getattr(request, "htmx", False):
        return render(request, "development/intake_delay.html", context, status=status)
    if status != 200:
        return render(request, "development/intake_delay.html", context, status=status)
    back = request.POST.get("back", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("development:intake")
    return redirect(back)
