"""Writes of quantified assessment (量化考核): indicator sets and their indicators (while draft),
the workflow draft → scoring → published, automatic scores from the cockpit's stored figures,
manual scores by the assessors, and publication (results, ranks, the "assessment.score" figure,
notifications).

Who may do what:
* ``assessment.add_indicatorset`` at the set's unit: create a set, edit its indicators while it
  is a draft, start scoring, recompute, publish;
* ``assessment.score`` at the set's unit (or above): manual scores, with evidence — never on a
  unit where the assessor holds a managing role (a branch secretary never scores their own
  branch).

Figures are read ONLY through ``cloudbranch.cockpit.selectors_metrics`` (the subtree total of
the assessed unit for the set's period: a yearly set reads the Y figures of its year, a
quarterly set the Q figures of its quarter).
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.services import audit_record, field_changes
from cloudbranch.cockpit import selectors_metrics
from cloudbranch.cockpit.models import OrgMetric
from cloudbranch.core import metrics as catalogue_mod
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.notifications.choices import Category
from cloudbranch.notifications.services import notify
from cloudbranch.orgs.choices import UnitKind, UnitStatus
from cloudbranch.orgs.models import OrgUnit, RoleAssignment
from cloudbranch.orgs.roles import MANAGING_ROLES
from cloudbranch.orgs.scoping import access_by_id, can

from . import scoring
from .choices import PeriodKind, ScoringRule, SetStatus
from .defaults import DEFAULT_INDICATORS
from .models import Indicator, IndicatorSet, Result, Score

VIEW = "assessment.view_result"
MANAGE = "assessment.add_indicatorset"
SCORE = "assessment.score"
SCORE_METRIC = "assessment.score"
TEMPLATES = {"default": "使用默认指标模板", "last_year": "复制上一年度方案", "empty": "空白方案"}
SET_FIELDS = ("title", "year", "period_kind", "quarter", "unit_kinds", "status")
INDICATOR_FIELDS = ("name", "metric_key", "rule", "params", "max_score", "description", "position")


# --- helpers -------------------------------------------------------------------------------------


def period_of(s: IndicatorSet) -> tuple[str, datetime.date]:
    """The stored period the set reads: (``"Y"``, Jan 1) or (``"Q"``, the quarter's first day)."""
    if s.period_kind == PeriodKind.QUARTER:
        return "Q", datetime.date(s.year, 3 * (s.quarter - 1) + 1, 1)
    return "Y", datetime.date(s.year, 1, 1)


def assessed_units(s: IndicatorSet):
    """Active units of the set's kinds in the set unit's subtree (the set's own unit excluded)."""
    return (
        OrgUnit.objects.filter(path__startswith=s.unit.path, kind__in=list(s.unit_kinds), status=UnitStatus.ACTIVE)
        .exclude(pk=s.unit_id)
        .order_by("path")
    )


def metric_choices() -> dict[str, catalogue_mod.Metric]:
    """The metrics an indicator may read (the catalogue without the score itself)."""
    return {k: m for k, m in catalogue_mod.catalogue().items() if k != SCORE_METRIC}


def access_set_manage(actor, set_id) -> IndicatorSet:
    """The set, if the actor may manage it: 404 outside scope, 403 when only visible."""
    return access_by_id(
        actor,
        IndicatorSet,
        set_id,
        action=MANAGE,
        view=VIEW,
        queryset=IndicatorSet.objects.select_related("unit"),
    )


def _lock(s: IndicatorSet) -> IndicatorSet:
    return IndicatorSet.objects.select_for_update().select_related("unit").get(pk=s.pk)


def _require_draft(s: IndicatorSet) -> None:
    if s.status != SetStatus.DRAFT:
        raise ConflictError("方案已开始评分，指标不能再修改。")


def _clean_set(*, title, year, period_kind, quarter, unit_kinds) -> dict:
    errors = []
    title = (title or "").strip()
    if not title:
        errors.append({"field": "title", "message": "请填写名称"})
    try:
        year = int(year)
        if not 2000 <= year <= 2100:
            raise ValueError
    except (TypeError, ValueError):
        errors.append({"field": "year", "message": "年度不正确"})
    if period_kind not in PeriodKind.values:
        errors.append({"field": "period_kind", "message": "请选择周期"})
    if period_kind == PeriodKind.QUARTER:
        if quarter in (None, "") or str(quarter) not in {"1", "2", "3", "4"}:
            errors.append({"field": "quarter", "message": "季度考核须选择季度（1–4）"})
        else:
            quarter = int(quarter)
    else:
        quarter = None
    kinds = list(dict.fromkeys(unit_kinds or []))
    if not kinds:
        errors.append({"field": "unit_kinds", "message": "请选择被考核的组织类型"})
    elif any(k not in UnitKind.values for k in kinds):
        errors.append({"field": "unit_kinds", "message": "组织类型不正确"})
    if errors:
        raise DomainError("考核方案填写有误。", errors=errors)
    return {"title": title, "year": year, "period_kind": period_kind, "quarter": quarter, "unit_kinds": kinds}


def clean_indicator(*, name, metric_key, rule, params, max_score, description="") -> dict:
    """Validated indicator fields or DomainError with field errors."""
    errors = []
    name = (name or "").strip()
    if not name:
        errors.append({"field": "name", "message": "请填写指标名称"})
    if rule not in ScoringRule.values:
        errors.append({"field": "rule", "message": "请选择计分规则"})
    metric_key = (metric_key or "").strip()
    if rule == ScoringRule.MANUAL:
        metric_key = ""
    elif rule in ScoringRule.values and metric_key not in metric_choices():
        errors.append({"field": "metric_key", "message": "请从指标库中选择数据来源"})
    try:
        max_score = Decimal(str(max_score))
        if not (max_score.is_finite() and Decimal(0) < max_score <= scoring.MAX_SCORE):
            raise InvalidOperation
        max_score = scoring.q(max_score)
    except (InvalidOperation, TypeError, ValueError):
        errors.append({"field": "max_score", "message": "分值须大于 0 且不超过 1000"})
    cleaned, param_errors = scoring.clean_params(rule, params) if rule in ScoringRule.values else ({}, [])
    errors.extend(param_errors)
    description = (description or "").strip()
    if len(description) > 300:
        errors.append({"field": "description", "message": "评分说明不超过 300 字"})
    if errors:
        raise DomainError("指标填写有误。", errors=errors)
    return {
        "name": name,
        "metric_key": metric_key,
        "rule": rule,
        "params": cleaned,
        "max_score": max_score,
        "description": description,
    }


def _add_indicators(s: IndicatorSet, rows: list[dict]) -> list[Indicator]:
    objs = [Indicator(indicator_set=s, position=i, **row) for i, row in enumerate(rows, start=1)]
    return Indicator.objects.bulk_create(objs)


def _template_rows(template: str, *, unit, year, period_kind, quarter) -> list[dict]:
    if template == "empty":
        return []
    if template == "default":
        # Default indicators whose metric is not in the catalogue (an area not installed) are left out.
        known = metric_choices()
        rows = [dict(r) for r in DEFAULT_INDICATORS if r["rule"] == ScoringRule.MANUAL or r["metric_key"] in known]
        return [clean_indicator(**r) for r in rows]
    if template == "last_year":
        source = (
            IndicatorSet.objects.filter(unit=unit, year=year - 1, period_kind=period_kind, quarter=quarter)
            .order_by("-id")
            .first()
        )
        if source is None:
            raise DomainError(
                "没有找到上一年度同周期的考核方案。",
                errors=[{"field": "template", "message": "上一年度没有同周期的方案"}],
            )
        return [
            {f: getattr(i, f) for f in ("name", "metric_key", "rule", "params", "max_score", "description")}
            for i in source.indicators.all()
        ]
    raise DomainError("请选择指标来源。", errors=[{"field": "template", "message": "未知的模板"}])


# --- sets ----------------------------------------------------------------------------------------


def set_create(
    *, actor, unit_id, title, year, period_kind=PeriodKind.YEAR, quarter=None, unit_kinds=(), template="default"
) -> IndicatorSet:
    """A draft set at ``unit_id`` (the actor holds ``assessment.add_indicatorset`` there), filled
    from the default template, last year's set of the unit, or empty."""
    unit = access_by_id(actor, OrgUnit, unit_id, action=MANAGE, view="orgs.view_orgunit")
    data = _clean_set(title=title, year=year, period_kind=period_kind, quarter=quarter, unit_kinds=unit_kinds)
    with transaction.atomic():
        rows = _template_rows(template, unit=unit, **{k: data[k] for k in ("year", "period_kind", "quarter")})
        s = IndicatorSet.objects.create(unit=unit, created_by=actor, **data)
        _add_indicators(s, rows)
        audit_record(
            actor=actor,
            action="assessment.indicatorset.create",
            target=s,
            changes=field_changes({}, s, fields=SET_FIELDS) | {"template": {"new": template}},
        )
    return s


def set_update(*, actor, set_id, title, year, period_kind, quarter=None, unit_kinds=()) -> IndicatorSet:
    s = access_set_manage(actor, set_id)
    data = _clean_set(title=title, year=year, period_kind=period_kind, quarter=quarter, unit_kinds=unit_kinds)
    with transaction.atomic():
        s = _lock(s)
        _require_draft(s)
        before = {f: getattr(s, f) for f in SET_FIELDS}
        for k, v in data.items():
            setattr(s, k, v)
        s.save()
        audit_record(
            actor=actor,
            action="assessment.indicatorset.update",
            target=s,
            changes=field_changes(before, s, fields=SET_FIELDS),
        )
    return s


def set_copy(*, actor, set_id) -> IndicatorSet:
    """Next year's draft: same unit, period and kinds, the same indicators."""
    source = access_set_manage(actor, set_id)
    with transaction.atomic():
        s = IndicatorSet.objects.create(
            unit=source.unit,
            title=source.title.replace(str(source.year), str(source.year + 1))
            if str(source.year) in source.title
            else f"{source.title}（{source.year + 1}）",
            year=source.year + 1,
            period_kind=source.period_kind,
            quarter=source.quarter,
            unit_kinds=list(source.unit_kinds),
            created_by=actor,
        )
        _add_indicators(
            s,
            [
                {f: getattr(i, f) for f in ("name", "metric_key", "rule", "params", "max_score", "description")}
                for i in source.indicators.all()
            ],
        )
        audit_record(
            actor=actor,
            action="assessment.indicatorset.copy",
            target=s,
            changes=field_changes({}, s, fields=SET_FIELDS) | {"source": {"new": source.pk}},
        )
    return s


# --- indicators ----------------------------------------------------------------------------------


def indicator_add(*, actor, set_id, name, metric_key="", rule, params=None, max_score, description="") -> Indicator:
    s = access_set_manage(actor, set_id)
    data = clean_indicator(
        name=name, metric_key=metric_key, rule=rule, params=params, max_score=max_score, description=description
    )
    with transaction.atomic():
        s = _lock(s)
        _require_draft(s)
        last = s.indicators.order_by("-position").values_list("position", flat=True).first() or 0
        ind = Indicator.objects.create(indicator_set=s, position=last + 1, **data)
        audit_record(
            actor=actor,
            action="assessment.indicator.create",
            target=ind,
            changes=field_changes({}, ind, fields=INDICATOR_FIELDS),
        )
    return ind


def access_indicator_manage(actor, indicator_id) -> Indicator:
    """An indicator through its set (Indicator has no scope of its own): 404 / 403 as for the set."""
    try:
        ind = Indicator.objects.select_related("indicator_set__unit").get(pk=indicator_id)
    except (Indicator.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    access_set_manage(actor, ind.indicator_set_id)
    return ind


def indicator_update(
    *, actor, indicator_id, name, metric_key="", rule, params=None, max_score, description=""
) -> Indicator:
    ind = access_indicator_manage(actor, indicator_id)
    data = clean_indicator(
        name=name, metric_key=metric_key, rule=rule, params=params, max_score=max_score, description=description
    )
    with transaction.atomic():
        _require_draft(_lock(ind.indicator_set))
        before = {f: getattr(ind, f) for f in INDICATOR_FIELDS}
        for k, v in data.items():
            setattr(ind, k, v)
        ind.save()
        audit_record(
            actor=actor,
            action="assessment.indicator.update",
            target=ind,
            changes=field_changes(before, ind, fields=INDICATOR_FIELDS),
        )
    return ind


def indicator_delete(*, actor, indicator_id) -> None:
    ind = access_indicator_manage(actor, indicator_id)
    with transaction.atomic():
        _require_draft(_lock(ind.indicator_set))
        audit_record(
            actor=actor,
            action="assessment.indicator.delete",
            target=ind,
            changes=field_changes({f: getattr(ind, f) for f in INDICATOR_FIELDS}, {}, fields=INDICATOR_FIELDS),
        )
        ind.delete()


# --- scoring -------------------------------------------------------------------------------------


def _compute(s: IndicatorSet) -> tuple[int, int]:
    """Create or refresh the automatic scores of every (indicator, assessed unit); manual scores
    are kept. Returns (created, updated). A constant number of queries whatever the units."""
    indicators = list(s.indicators.all())
    units = list(assessed_units(s))
    kind, start = period_of(s)
    keys = sorted({i.metric_key for i in indicators if i.rule != ScoringRule.MANUAL})
    figures = dict((u.pk, f) for u, f in selectors_metrics.units_figures(units, keys, kind, start)) if keys else {}
    existing = {(sc.indicator_id, sc.unit_id): sc for sc in Score.objects.filter(indicator__indicator_set=s)}
    new, changed = [], []
    for unit in units:
        for ind in indicators:
            value = None if ind.rule == ScoringRule.MANUAL else figures.get(unit.pk, {}).get(ind.metric_key)
            value = None if value is None else scoring.q(value)
            auto = scoring.auto_score(ind.rule, ind.params, ind.max_score, value)
            sc = existing.get((ind.pk, unit.pk))
            if sc is None:
                new.append(Score(indicator=ind, unit=unit, value=value, auto_score=auto))
            elif sc.value != value or sc.auto_score != auto:
                sc.value, sc.auto_score = value, auto
                changed.append(sc)
    Score.objects.bulk_create(new, batch_size=2000)
    Score.objects.bulk_update(changed, ["value", "auto_score"], batch_size=2000)
    return len(new), len(changed)


def set_start_scoring(*, actor, set_id) -> IndicatorSet:
    """DRAFT → SCORING: automatic scores for every assessed unit from the stored figures."""
    s = access_set_manage(actor, set_id)
    with transaction.atomic():
        s = _lock(s)
        if s.status != SetStatus.DRAFT:
            raise ConflictError("只有草稿状态的方案可以开始评分。")
        if not s.indicators.exists():
            raise DomainError("方案还没有指标。", errors=[{"field": "indicators", "message": "请先添加指标"}])
        if not assessed_units(s).exists():
            raise DomainError(
                "考核范围内没有被考核的组织。", errors=[{"field": "unit_kinds", "message": "没有被考核的组织"}]
            )
        created, updated = _compute(s)
        s.status = SetStatus.SCORING
        s.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="assessment.indicatorset.start_scoring",
            target=s,
            changes={"status": {"old": SetStatus.DRAFT, "new": SetStatus.SCORING}, "scores": {"new": created}},
        )
    return s


def set_recompute(*, actor, set_id) -> IndicatorSet:
    """While SCORING: refresh the automatic scores from the current figures (manual scores stay)."""
    s = access_set_manage(actor, set_id)
    with transaction.atomic():
        s = _lock(s)
        if s.status != SetStatus.SCORING:
            raise ConflictError("只有评分中的方案可以重新计算。")
        created, updated = _compute(s)
        audit_record(
            actor=actor,
            action="assessment.indicatorset.recompute",
            target=s,
            changes={"created": {"new": created}, "updated": {"new": updated}},
        )
    return s


def unit_totals(s: IndicatorSet) -> list[tuple]:
    """[(unit_id, kind, path, total)] of every scored unit (one query)."""
    totals: dict[int, list] = {}
    rows = Score.objects.filter(indicator__indicator_set=s).values_list(
        "unit_id", "unit__kind", "unit__path", "auto_score", "manual_score"
    )
    for unit_id, kind, path, auto, manual in rows:
        entry = totals.setdefault(unit_id, [unit_id, kind, path, []])
        entry[3].append(scoring.final(auto, manual))
    return [(u, k, p, scoring.total(f)) for u, k, p, f in totals.values()]


def set_publish(*, actor, set_id) -> IndicatorSet:
    """SCORING → PUBLISHED: totals and ranks into Result rows, each total written back as the
    cockpit figure "assessment.score" of the set's period, and the assessed units' officers told."""
    s = access_set_manage(actor, set_id)
    with transaction.atomic():
        s = _lock(s)
        if s.status != SetStatus.SCORING:
            raise ConflictError("只有评分中的方案可以公布。")
        missing = Score.objects.filter(
            indicator__indicator_set=s, indicator__rule=ScoringRule.MANUAL, manual_score__isnull=True
        ).count()
        if missing:
            raise DomainError(
                f"还有 {missing} 项人工评分未录入，不能公布。",
                errors=[{"field": "scores", "message": f"{missing} 项人工评分未录入"}],
            )
        now = timezone.now()
        ranked = scoring.competition_ranks(unit_totals(s))
        Result.objects.filter(indicator_set=s).delete()
        Result.objects.bulk_create(
            [Result(indicator_set=s, unit_id=u, total=t, rank=r, computed_at=now) for u, _k, _p, t, r in ranked],
            batch_size=2000,
        )
        kind, start = period_of(s)
        OrgMetric.objects.bulk_create(
            [
                OrgMetric(
                    unit_id=u, key=SCORE_METRIC, period_kind=kind, period_start=start, own=t, total=t, computed_at=now
                )
                for u, _k, _p, t, _r in ranked
            ],
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["unit", "key", "period_kind", "period_start"],
            update_fields=["own", "total", "computed_at"],
        )
        s.status = SetStatus.PUBLISHED
        s.published_at = now
        s.save(update_fields=["status", "published_at"])
        audit_record(
            actor=actor,
            action="assessment.indicatorset.publish",
            target=s,
            changes={"status": {"old": SetStatus.SCORING, "new": SetStatus.PUBLISHED}, "results": {"new": len(ranked)}},
        )
        officers = (
            RoleAssignment.objects.active()
            .filter(unit_id__in=[r[0] for r in ranked], role__in=list(MANAGING_ROLES))
            .values_list("user_id", flat=True)
            .distinct()
        )
        recipients = list(officers)
        if recipients:
            notify(
                recipients=recipients,
                category=Category.TASK,
                title=f"考核结果已公布：{s.title}",
                body="本单位的考核得分、排名和各项指标得分依据已公布，请查看。",
                url=reverse("assessment:ranking", args=[s.pk]),
                actor=actor,
            )
    return s


ADVANCE = {"start": set_start_scoring, "recompute": set_recompute, "publish": set_publish}


def set_advance(*, actor, set_id, action: str) -> IndicatorSet:
    if action not in ADVANCE:
        raise DomainError("未知的操作。", errors=[{"field": "action", "message": "未知的操作"}])
    return ADVANCE[action](actor=actor, set_id=set_id)


# --- manual scores -------------------------------------------------------------------------------


def access_score(actor, score_id, *, action: str = VIEW) -> Score:
    return access_by_id(
        actor,
        Score,
        score_id,
        action=action,
        view=VIEW,
        queryset=Score.objects.select_related("indicator__indicator_set__unit", "unit"),
    )


def is_own_unit(actor, unit) -> bool:
    """Whether the actor holds a managing role at the unit itself (then they never score it)."""
    return (
        RoleAssignment.objects.active()
        .filter(user_id=actor.pk, unit_id=unit.pk, role__in=list(MANAGING_ROLES))
        .exists()
    )


def score_manual(*, actor, score_id, manual_score, evidence) -> Score:
    """Enter (or clear, with ``manual_score`` None) a manual score with the evidence behind it.
    Allowed to holders of ``assessment.score`` at the set's unit, never on their own unit."""
    sc = access_score(actor, score_id, action=SCORE)
    s = sc.indicator.indicator_set
    if not can(actor, SCORE, s.unit) or is_own_unit(actor, sc.unit):
        raise PermissionDenied("不能为本单位评分。")
    errors = []
    if manual_score in ("", None):
        manual_score = None
    else:
        try:
            manual_score = Decimal(str(manual_score))
            if not manual_score.is_finite() or not Decimal(0) <= manual_score <= sc.indicator.max_score:
                raise InvalidOperation
            manual_score = scoring.q(manual_score)
        except (InvalidOperation, TypeError, ValueError):
            errors.append({"field": "manual_score", "message": f"分数须在 0 到 {sc.indicator.max_score} 之间"})
    evidence = (evidence or "").strip()
    if not evidence:
        errors.append({"field": "evidence", "message": "请填写评分依据"})
    if errors:
        raise DomainError("评分填写有误。", errors=errors)
    with transaction.atomic():
        s = _lock(s)
        if s.status != SetStatus.SCORING:
            raise ConflictError("只有评分中的方案可以录入人工评分。")
        sc = Score.objects.select_for_update().select_related("indicator", "unit").get(pk=sc.pk)
        before = {"manual_score": sc.manual_score, "evidence": sc.evidence}
        sc.manual_score, sc.evidence = manual_score, evidence
        sc.scored_by, sc.scored_at = actor, timezone.now()
        sc.save(update_fields=["manual_score", "evidence", "scored_by", "scored_at"])
        audit_record(
            actor=actor,
            action="assessment.score.manual",
            target=sc,
            changes=field_changes(before, sc, fields=("manual_score", "evidence")),
        )
    return sc
