"""Pages of quantified assessment (量化考核). Thin: reads through ``selectors`` (who sees what is
decided there), writes through ``services``; a DomainError/ConflictError is shown on the page with
its status (422/409) and nothing is written."""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.orgs.choices import UnitKind, UnitStatus
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import granted_prefixes, holds, scope_q

from . import selectors, services
from .choices import ScoringRule, SetStatus
from .forms import IndicatorForm, ManualScoreForm, RankingFilterForm, SetForm

PAGE_SIZE = 20
UPPER_KINDS = (UnitKind.COMMITTEE, UnitKind.SUB_COMMITTEE, UnitKind.GENERAL_BRANCH)


def _page(request, items):
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


def _kind_labels(s) -> str:
    labels = dict(UnitKind.choices)
    return "、".join(str(labels.get(k, k)) for k in s.unit_kinds)


def _status(exc) -> int:
    return exc.status


@login_required
@require_GET
def set_list(request):
    """/assessment/ — sets I assess, and the published results of the units I am responsible for."""
    if not holds(request.user, services.VIEW):
        raise PermissionDenied
    context = {
        "page": _page(request, selectors.sets_for(request.user)),
        "results": Paginator(selectors.my_results(request.user), PAGE_SIZE).get_page(request.GET.get("rpage")),
        "can_create": holds(request.user, services.MANAGE),
    }
    return render(request, "assessment/set_list.html", context)


def _manageable_units(user):
    """Units where the user may open a set: where the grant sits and the upper units below it."""
    prefixes = granted_prefixes(user, services.MANAGE)
    if not prefixes:
        return []
    return list(
        OrgUnit.objects.filter(scope_q("path", prefixes), kind__in=UPPER_KINDS, status=UnitStatus.ACTIVE).order_by(
            "path"
        )[:200]
    )


@login_required
@require_http_methods(["GET", "POST"])
def set_create(request):
    if not holds(request.user, services.MANAGE):
        raise PermissionDenied
    form = SetForm(request.POST or None, units=_manageable_units(request.user))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                s = services.set_create(actor=request.user, unit_id=form.cleaned_data.pop("unit"), **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = _status(exc)
            else:
                messages.success(request, "考核方案已创建。")
                return redirect("assessment:set", s.pk)
        else:
            status = 422
    return render(request, "assessment/set_form.html", {"form": form}, status=status)


@login_required
@require_GET
def set_detail(request, set_id: int):
    access = selectors.access_set(request.user, set_id)
    s = access.set
    inds = selectors.indicators(s)
    context = {
        "s": s,
        "access": access,
        "indicators": inds,
        "Status": SetStatus,
        "total_max": sum((i.max_score for i in inds), 0),
        "unit_count": selectors.assessed_units_qs(s).count() if s.status != SetStatus.DRAFT else None,
        "kind_labels": _kind_labels(s),
    }
    if not access.assessor:
        context["own_results"] = list(
            s.results.filter(unit_id__in=access.own_unit_ids).select_related("unit").order_by("unit__path")
        )
    return render(request, "assessment/set_detail.html", context)


@login_required
@require_POST
def set_copy(request, set_id: int):
    try:
        s = services.set_copy(actor=request.user, set_id=set_id)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("assessment:set", set_id)
    messages.success(request, "已复制为下一年度的草稿方案。")
    return redirect("assessment:set", s.pk)


ADVANCE_DONE = {
    "start": "已开始评分，自动得分已计算。",
    "recompute": "自动得分已重新计算。",
    "publish": "考核结果已公布。",
}


@login_required
@require_POST
def set_advance(request, set_id: int):
    action = request.POST.get("action", "")
    try:
        services.set_advance(actor=request.user, set_id=set_id, action=action)
    except DomainError as exc:
        access = selectors.access_set(request.user, set_id)
        messages.error(request, exc.message)
        context = {
            "s": access.set,
            "access": access,
            "indicators": selectors.indicators(access.set),
            "Status": SetStatus,
            "error": exc.message,
            "kind_labels": _kind_labels(access.set),
        }
        return render(request, "assessment/set_detail.html", context, status=_status(exc))
    messages.success(request, ADVANCE_DONE[action])
    return redirect("assessment:set", set_id)


@login_required
@require_http_methods(["GET", "POST"])
def indicator_add(request, set_id: int):
    s = services.access_set_manage(request.user, set_id)
    form = IndicatorForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.indicator_add(actor=request.user, set_id=s.pk, **form.service_kwargs())
            except DomainError as exc:
                apply_domain_error(form, exc, field_map={"params": "target"})
                status = _status(exc)
            else:
                messages.success(request, "指标已添加。")
                return redirect("assessment:set", s.pk)
        else:
            status = 422
    return render(request, "assessment/indicator_form.html", {"form": form, "s": s}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def indicator_edit(request, indicator_id: int):
    ind = services.access_indicator_manage(request.user, indicator_id)
    s = ind.indicator_set
    form = IndicatorForm(request.POST or None, initial=IndicatorForm.initial_for(ind))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.indicator_update(actor=request.user, indicator_id=ind.pk, **form.service_kwargs())
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = _status(exc)
            else:
                messages.success(request, "指标已修改。")
                return redirect("assessment:set", s.pk)
        else:
            status = 422
    return render(request, "assessment/indicator_form.html", {"form": form, "s": s, "indicator": ind}, status=status)


@login_required
@require_POST
def indicator_delete(request, indicator_id: int):
    ind = services.access_indicator_manage(request.user, indicator_id)
    try:
        services.indicator_delete(actor=request.user, indicator_id=ind.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "指标已删除。")
    return redirect("assessment:set", ind.indicator_set_id)


def _require_assessor(access) -> None:
    if not access.assessor:
        raise PermissionDenied


@login_required
@require_GET
def scores(request, set_id: int):
    """/assessment/<id>/scores/ — units × indicators (auto / manual / final), 20 units a page."""
    access = selectors.access_set(request.user, set_id)
    _require_assessor(access)
    s = access.set
    filter_form = RankingFilterForm(request.GET or None)
    kind = request.GET.get("kind", "") if request.GET.get("kind") in UnitKind.values else ""
    inds = selectors.indicators(s)
    page = _page(request, selectors.assessed_units_qs(s, kind=kind))
    context = {
        "s": s,
        "access": access,
        "indicators": inds,
        "page": page,
        "rows": selectors.score_rows(s, page.object_list, inds),
        "filter_form": filter_form,
        "editable": access.can_score and s.status == SetStatus.SCORING,
        "Status": SetStatus,
    }
    return render(request, "assessment/scores.html", context)


def _cell_context(request, sc, form=None, error=""):
    s = sc.indicator.indicator_set
    editable = (
        s.status == SetStatus.SCORING
        and services.can(request.user, services.SCORE, s.unit)
        and not services.is_own_unit(request.user, sc.unit)
    )
    return {
        "sc": sc,
        "ind": sc.indicator,
        "editable": editable,
        "form": form,
        "error": error,
        "no_data": sc.indicator.rule != ScoringRule.MANUAL and sc.value is None,
    }


@login_required
@require_http_methods(["GET", "POST"])
def score_cell(request, score_id: int):
    """One cell of the scoring table (HTMX): GET ?edit=1 shows the manual score form; POST saves."""
    sc = services.access_score(request.user, score_id)
    if not services.can(request.user, services.VIEW, sc.indicator.indicator_set.unit):
        raise PermissionDenied  # the assessed unit's own officers see results once published, not cells
    if request.method == "GET":
        form = ManualScoreForm(initial={"manual_score": sc.manual_score, "evidence": sc.evidence})
        ctx = _cell_context(request, sc, form if request.GET.get("edit") else None)
        if request.GET.get("edit") and not ctx["editable"]:
            raise PermissionDenied
        return render(request, "assessment/score_cell.html", ctx)
    form = ManualScoreForm(request.POST)
    if not form.is_valid():
        return render(request, "assessment/score_cell.html", _cell_context(request, sc, form), status=422)
    try:
        sc = services.score_manual(actor=request.user, score_id=sc.pk, **form.cleaned_data)
    except DomainError as exc:
        apply_domain_error(form, exc)
        return render(
            request, "assessment/score_cell.html", _cell_context(request, sc, form, exc.message), status=_status(exc)
        )
    sc = services.access_score(request.user, sc.pk)
    return render(request, "assessment/score_cell.html", _cell_context(request, sc))


@login_required
@require_GET
def ranking(request, set_id: int):
    """/assessment/<id>/ranking/?kind= — totals and ranks (provisional until published)."""
    access = selectors.access_set(request.user, set_id)
    s = access.set
    kind = request.GET.get("kind", "") if request.GET.get("kind") in UnitKind.values else ""
    rows = selectors.ranking(s, access, kind=kind)
    context = {
        "s": s,
        "access": access,
        "page": _page(request, rows),
        "filter_form": RankingFilterForm(request.GET or None),
        "own_rows": [r for r in rows if r["own"]],
        "Status": SetStatus,
    }
    return render(request, "assessment/ranking.html", context)


@login_required
@require_GET
def unit_detail(request, set_id: int, unit_id: int):
    """/assessment/<id>/units/<unit id>/ — the drill-down of one unit's scores."""
    access = selectors.access_set(request.user, set_id)
    unit = selectors.access_unit(request.user, access, unit_id)
    context = {"s": access.set, "access": access, "unit": unit, **selectors.unit_detail(access.set, unit)}
    return render(request, "assessment/unit_detail.html", context)


@login_required
@require_GET
def export(request, set_id: int):
    """/assessment/<id>/export.xlsx — the ranking with every indicator's score (assessors)."""
    from openpyxl import Workbook

    access = selectors.access_set(request.user, set_id)
    _require_assessor(access)
    s = access.set
    inds, rows = selectors.export_rows(s)
    wb = Workbook()
    ws = wb.active
    ws.title = "考核结果"
    ws.append([s.title])
    ws.append(["排名", "组织", "类型", *[f"{i.name}（{i.max_score}）" for i in inds], "总分"])
    labels = dict(UnitKind.choices)
    for r in rows:
        ws.append(
            [
                r["rank"],
                r["unit"].name,
                str(labels.get(r["unit"].kind, r["unit"].kind)),
                *[float(c.final) if c is not None and c.final is not None else None for c in r["cells"]],
                float(r["total"]),
            ]
        )
    ws.append([])
    ws.append(["计分规则"])
    for i in inds:
        ws.append([i.name, i.metric_label, i.rule_text, float(i.max_score)])
    buf = io.BytesIO()
    wb.save(buf)
    response = HttpResponse(
        buf.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="assessment-{s.pk}.xlsx"'
    return response
