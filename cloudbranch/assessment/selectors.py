"""Reads of quantified assessment, scoped.

Who sees what (decided here, used by the pages and the API alike):
* ASSESSORS — ``assessment.view_result`` over the set's unit (``IndicatorSet.objects.restrict``):
  the set, every assessed unit's scores, the scoring table, the ranking and the drill-down, in
  every status.
* ASSESSED UNITS' officers — ``assessment.view_result`` over an assessed unit, the set being
  PUBLISHED: the set's indicators, their own units' totals, ranks and drill-down, and the
  ranking list of the units of the same kind (unit names, totals and ranks — not the other
  units' indicator scores). Before publication a set does not exist for them (404).
* Anyone else: 404 (a sibling branch never learns another branch's scores).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q
from django.http import Http404

from cloudbranch.cockpit import selectors_metrics
from cloudbranch.core import metrics as catalogue_mod
from cloudbranch.orgs.choices import UnitKind
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import can

from . import scoring
from .choices import ScoringRule, SetStatus
from .models import Indicator, IndicatorSet, Result, Score
from .services import MANAGE, SCORE, VIEW, period_of, unit_totals


@dataclass
class SetAccess:
    set: IndicatorSet
    assessor: bool
    can_manage: bool = False
    can_score: bool = False
    own_unit_ids: set[int] = field(default_factory=set)


def sets_for(user):
    """Sets the user assesses (any status) and published sets in which one of their units was assessed."""
    assessed = Result.objects.restrict(user, VIEW).values("indicator_set_id")
    return (
        IndicatorSet.objects.filter(
            Q(pk__in=IndicatorSet.objects.restrict(user, VIEW).values("pk"))
            | Q(status=SetStatus.PUBLISHED, pk__in=assessed)
        )
        .select_related("unit")
        .order_by("-year", "-id")
    )


def my_results(user):
    """Published results of the units the user is responsible for (newest first), in the sets
    the user does NOT assess: an assessor reads those on the set's own ranking page (an
    organization department would otherwise get every assessed branch of the tree here)."""
    return (
        Result.objects.restrict(user, VIEW)
        .filter(indicator_set__status=SetStatus.PUBLISHED)
        .exclude(indicator_set__in=IndicatorSet.objects.restrict(user, VIEW).values("pk"))
        .select_related("indicator_set", "unit")
        .order_by("-indicator_set__year", "-indicator_set_id", "unit__path")
    )


def access_set(user, set_id) -> SetAccess:
    s = (
        IndicatorSet.objects.restrict(user, VIEW).select_related("unit").filter(pk=set_id).first()
        if _ok(set_id)
        else None
    )
    if s is not None:
        return SetAccess(s, True, can(user, MANAGE, s.unit), can(user, SCORE, s.unit))
    if not _ok(set_id):
        raise Http404
    own = set(
        Result.objects.restrict(user, VIEW)
        .filter(indicator_set_id=set_id, indicator_set__status=SetStatus.PUBLISHED)
        .values_list("unit_id", flat=True)
    )
    if not own:
        raise Http404
    s = IndicatorSet.objects.select_related("unit").get(pk=set_id)
    return SetAccess(s, False, own_unit_ids=own)


def _ok(pk) -> bool:
    try:
        return 0 < int(pk) < 2**31
    except (TypeError, ValueError):
        return False


def indicators(s: IndicatorSet) -> list[Indicator]:
    cat = catalogue_mod.catalogue()
    out = list(s.indicators.all())
    for ind in out:
        m = cat.get(ind.metric_key)
        ind.metric_label = m.label if m else ind.metric_key
        ind.metric_unit = m.unit if m else ""
        ind.rule_text = scoring.describe_rule(ind.rule, ind.params, unit=ind.metric_unit)
    return out


def assessed_units_qs(s: IndicatorSet, *, kind: str = ""):
    """The units that have scores in the set (the assessed units as of the start of scoring)."""
    qs = OrgUnit.objects.filter(pk__in=Score.objects.filter(indicator__indicator_set=s).values("unit_id"))
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("path")


def score_rows(s: IndicatorSet, units, inds: list[Indicator]) -> list[dict]:
    """Rows of the scoring table for a page of units: {unit, cells: [Score|None per indicator], total}.
    One query whatever the number of units on the page."""
    units = list(units)
    by = {
        (sc.unit_id, sc.indicator_id): sc
        for sc in Score.objects.filter(indicator__indicator_set=s, unit_id__in=[u.pk for u in units])
    }
    rows = []
    for u in units:
        cells = [by.get((u.pk, i.pk)) for i in inds]
        for c, i in zip(cells, inds, strict=True):
            if c is not None:
                c.indicator = i
                c.no_data = i.rule != ScoringRule.MANUAL and c.value is None
        rows.append({"unit": u, "cells": cells, "total": scoring.total(c.final for c in cells if c is not None)})
    return rows


def ranking(s: IndicatorSet, access: SetAccess, *, kind: str = "") -> list[dict]:
    """The ranking: [{unit_id, name, kind, kind_label, path, total, rank, own}] ordered by kind,
    rank, path. Published: the Result rows; before: provisional totals from the scores.
    Assessed units see only the kinds of their own units. One or two queries."""
    labels = dict(UnitKind.choices)
    if s.status == SetStatus.PUBLISHED:
        qs = Result.objects.filter(indicator_set=s).values_list(
            "unit_id", "unit__name", "unit__kind", "unit__path", "total", "rank"
        )
        rows = [
            {"unit_id": u, "name": n, "kind": k, "path": p, "total": t, "rank": r}
            for u, n, k, p, t, r in qs.order_by("unit__kind", "rank", "unit__path")
        ]
    else:
        totals = unit_totals(s)
        names = dict(OrgUnit.objects.filter(pk__in=[t[0] for t in totals]).values_list("pk", "name"))
        rows = [
            {"unit_id": u, "name": names.get(u, ""), "kind": k, "path": p, "total": t, "rank": r}
            for u, k, p, t, r in scoring.competition_ranks(totals)
        ]
    if not access.assessor:
        own_kinds = {r["kind"] for r in rows if r["unit_id"] in access.own_unit_ids}
        rows = [r for r in rows if r["kind"] in own_kinds]
    if kind:
        rows = [r for r in rows if r["kind"] == kind]
    for r in rows:
        r["kind_label"] = str(labels.get(r["kind"], r["kind"]))
        r["own"] = r["unit_id"] in access.own_unit_ids
    return rows


def access_unit(user, access: SetAccess, unit_id) -> OrgUnit:
    """An assessed unit of the set the user may drill into (404 otherwise)."""
    if not _ok(unit_id):
        raise Http404
    if access.assessor:
        visible = Score.objects.restrict(user, VIEW).filter(indicator__indicator_set=access.set, unit_id=unit_id)
        if not visible.exists():
            raise Http404
    elif int(unit_id) not in access.own_unit_ids:
        raise Http404
    return OrgUnit.objects.get(pk=unit_id)


def unit_detail(s: IndicatorSet, unit: OrgUnit) -> dict:
    """The drill-down of one unit: every indicator with its figure, the numerator and denominator
    of ratio figures (from the cockpit store), the rule and the computation in words, the manual
    score's evidence. Four queries whatever the number of indicators."""
    inds = indicators(s)
    cat = catalogue_mod.catalogue()
    scores = {
        sc.indicator_id: sc
        for sc in Score.objects.filter(indicator__indicator_set=s, unit=unit).select_related("scored_by")
    }
    keys: list[str] = []
    for ind in inds:
        m = cat.get(ind.metric_key)
        if m is None:
            continue
        for k in (ind.metric_key, m.numerator, m.denominator):
            if k and k not in keys:
                keys.append(k)
    kind, start = period_of(s)
    figs = selectors_metrics.figures(unit, keys, kind, start) if keys else {}
    items = []
    for ind in inds:
        sc = scores.get(ind.pk)
        m = cat.get(ind.metric_key)
        value = sc.value if sc is not None else None
        item = {
            "indicator": ind,
            "score": sc,
            "value": value,
            "current_value": figs.get(ind.metric_key),
            "no_data": ind.rule != ScoringRule.MANUAL and value is None,
            "auto": sc.auto_score if sc else None,
            "manual": sc.manual_score if sc else None,
            "final": sc.final if sc else None,
            "explain": scoring.explain(ind.rule, ind.params, ind.max_score, value, unit=ind.metric_unit),
            "numerator": None,
            "denominator": None,
        }
        if m is not None and m.is_ratio:
            nm, dm = cat.get(m.numerator), cat.get(m.denominator)
            item["numerator"] = {"key": m.numerator, "label": nm.label if nm else m.numerator,
                                 "unit": nm.unit if nm else "", "value": figs.get(m.numerator)}  # fmt: skip
            item["denominator"] = {"key": m.denominator, "label": dm.label if dm else m.denominator,
                                   "unit": dm.unit if dm else "", "value": figs.get(m.denominator)}  # fmt: skip
            item["scale"] = m.scale
        items.append(item)
    total = scoring.total(i["final"] for i in items)
    result = Result.objects.filter(indicator_set=s, unit=unit).first() if s.status == SetStatus.PUBLISHED else None
    return {"items": items, "total": result.total if result else total, "rank": result.rank if result else None}


def export_rows(s: IndicatorSet) -> tuple[list[Indicator], list[dict]]:
    """Every assessed unit with every indicator's final score, the total and the rank (for the
    .xlsx): three queries."""
    inds = indicators(s)
    units = list(assessed_units_qs(s))
    rows = score_rows(s, units, inds)
    ranks = {
        r[0]: r[4]
        for r in scoring.competition_ranks((r["unit"].pk, r["unit"].kind, r["unit"].path, r["total"]) for r in rows)
    }
    if s.status == SetStatus.PUBLISHED:
        ranks = dict(Result.objects.filter(indicator_set=s).values_list("unit_id", "rank"))
    for r in rows:
        r["rank"] = ranks.get(r["unit"].pk)
    rows.sort(key=lambda r: (r["unit"].kind, r["rank"] or 0, r["unit"].path))
    return inds, rows
