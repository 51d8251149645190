"""Pages of points: my points (phone first), rankings, rules (organization department) and the
annual appraisal scores."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.people.selectors import own_person

from . import selectors, services
from .choices import Period
from .forms import RuleForm
from .models import PointRule

PAGE_SIZE = 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _year(value) -> int:
    today = timezone.localdate()
    try:
        year = int(value)
    except (TypeError, ValueError):
        return today.year
    return year if 2000 <= year <= today.year + 1 else today.year


@require_GET
def mine(request):
    """My points: today per action against the daily caps, this week / month / year, my rank in
    my branch this month, and my history."""
    person = own_person(request.user)
    if person is None:
        raise Http404
    today = timezone.localdate()
    month = services.period_start(Period.MONTH, today)
    branch_rank = selectors.viewer_rank(
        path=selectors.branch_path(person), period=Period.MONTH, start=month, person=person
    )
    page = Paginator(selectors.history(person), PAGE_SIZE).get_page(request.GET.get("page"))
    labels = selectors.action_labels()
    for event in page.object_list:
        event.label = labels.get(event.action, event.action)
    return render(
        request,
        "points/mine.html",
        {
            "person": person,
            "today_actions": selectors.today_by_action(person, today=today),
            "totals": selectors.totals(person, today=today),
            "branch_rank": branch_rank,
            "month": month,
            "page": page,
        },
    )


@require_GET
def ranking(request):
    """The ranking of a unit the viewer may see (404 otherwise) for a week, month or year."""
    person = own_person(request.user)
    if not selectors.may_see_rankings(request.user, person):
        raise Http404
    unit = selectors.ranking_unit(request.user, person, request.GET.get("unit"))
    period = selectors.parse_period(request.GET.get("period"))
    start = selectors.parse_start(period, request.GET.get("start"))
    result = selectors.ranking(unit=unit, period=period, start=start, page=request.GET.get("page"), person=person)
    child_units = selectors.child_unit_ranking(unit=unit, period=period, start=start)
    for row in child_units:
        row.visible = selectors.may_see_unit(request.user, person, row.unit)
    context = {
        "person": person,
        "ranking": result,
        "page": result.page,
        "unit": unit,
        "units": selectors.ranking_unit_choices(request.user, person, selected=unit),
        "child_units": child_units,
        "periods": Period.choices,
        "is_current": start >= services.period_start(period, timezone.localdate()),
    }
    if request.htmx:
        return render(request, "points/ranking.html#board", context)
    return render(request, "points/ranking.html", context)


@require_http_methods(["GET", "POST"])
def rules(request):
    """The point rules (organization department): points per award, daily and yearly caps,
    active. Each row is its own small form; a broken rule answers 422 with the message."""
    if not services.may_edit_rules(request.user):
        raise PermissionDenied
    status = 200
    failed: tuple[int, RuleForm] | None = None
    if request.method == "POST":
        rule_id = selectors._int(request.POST.get("rule"))
        form = RuleForm(request.POST)
        if form.is_valid():
            try:
                rule = services.point_rule_update(actor=request.user, rule_id=rule_id, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = 422
            else:
                messages.success(request, f"已保存“{rule.label}”的积分规则")
                return redirect("points:rules")
        else:
            status = 422
        failed = (rule_id, form)
    rows = []
    for rule in PointRule.objects.order_by("action"):
        if failed and failed[0] == rule.pk:
            form = failed[1]
        else:
            form = RuleForm(
                initial={
                    "points": rule.points,
                    "daily_cap": rule.daily_cap,
                    "yearly_cap": rule.yearly_cap,
                    "active": rule.active,
                }
            )
        rows.append((rule, form))
    return render(request, "points/rules.html", {"rows": rows}, status=status)


def _score_context(request):
    unit = selectors.score_unit(request.user, request.GET.get("unit"))
    year = _year(request.GET.get("year"))
    return unit, year, selectors.scheme_for(year)


@require_GET
def scores(request):
    """The annual appraisal score per person of a unit's subtree (learning.view_report or
    points.view_pointevent there): base + points bonus + appraisal (待评议)."""
    unit, year, scheme = _score_context(request)
    page = None
    if scheme is not None:
        page = Paginator(selectors.score_queryset(unit, year), PAGE_SIZE).get_page(request.GET.get("page"))
        offset = (page.number - 1) * PAGE_SIZE
        page.object_list = list(enumerate(selectors.score_rows(page.object_list, scheme), start=offset + 1))
    today = timezone.localdate()
    return render(
        request,
        "points/scores.html",
        {
            "unit": unit,
            "year": year,
            "scheme": scheme,
            "page": page,
            "units": selectors.score_unit_choices(request.user, selected=unit),
            "years": list(range(today.year, today.year - 5, -1)),
        },
    )


@require_GET
def scores_export(request):
    unit, year, _scheme = _score_context(request)
    try:
        name, data = services.scores_export(actor=request.user, unit=unit, year=year)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(f"{reverse('points:scores')}?unit={unit.pk}&year={year}")
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
