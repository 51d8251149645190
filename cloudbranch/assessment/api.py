"""/api/assessment: indicator sets, indicators, the workflow, scores, results and the drill-down —
through the same services and selectors as the pages (same scoping: 404 outside scope)."""

import datetime
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS, ObjectId
from cloudbranch.orgs.choices import UnitKind
from cloudbranch.orgs.scoping import holds

from . import selectors, services
from .choices import PeriodKind, ScoringRule, SetStatus

router = Router(tags=["量化考核"])


class SetOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    title: str
    year: int
    period_kind: PeriodKind
    quarter: int | None
    unit_kinds: list[str]
    status: SetStatus
    published_at: datetime.datetime | None
    url: str

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj["unit_name"] if isinstance(obj, dict) else obj.unit.name

    @staticmethod
    def resolve_url(obj) -> str:
        return reverse("assessment:set", args=[obj["id"] if isinstance(obj, dict) else obj.pk])


class IndicatorOut(Schema):
    id: int
    position: int
    name: str
    metric_key: str
    rule: ScoringRule
    params: dict[str, Any]
    max_score: Decimal
    description: str
    rule_text: str = ""


class SetDetailOut(SetOut):
    assessor: bool
    can_manage: bool
    can_score: bool
    indicators: list[IndicatorOut]


class SetIn(Schema):
    unit: ObjectId
    title: str = Field(..., max_length=120)
    year: int = Field(..., ge=2000, le=2100)
    period_kind: PeriodKind = PeriodKind.YEAR
    quarter: int | None = Field(None, ge=1, le=4)
    unit_kinds: list[UnitKind] = Field(..., min_length=1)
    template: Literal["default", "last_year", "empty"] = "default"


class IndicatorIn(Schema):
    name: str = Field(..., max_length=120)
    metric_key: str = Field("", max_length=64)
    rule: ScoringRule
    params: dict[str, Any] = Field(
        default_factory=dict,
        description='linear: {"target": 100, "floor": 0}; thresholds: {"bands": [{"min": 95, "share": 1}, ...]}; manual: {}',
    )
    max_score: Decimal = Field(..., gt=0, le=1000)
    description: str = Field("", max_length=300)


class AdvanceIn(Schema):
    action: Literal["start", "recompute", "publish"]


class ScoreOut(Schema):
    id: int
    indicator_id: int
    unit_id: int
    unit_name: str
    value: Decimal | None
    auto_score: Decimal | None
    manual_score: Decimal | None
    final: Decimal | None
    no_data: bool
    evidence: str
    scored_at: datetime.datetime | None


class ScoreUnitOut(Schema):
    unit_id: int
    unit_name: str
    total: Decimal
    scores: list[ScoreOut]


class ManualScoreIn(Schema):
    manual_score: Decimal | None = Field(None, ge=0, le=1000)
    evidence: str = Field(..., max_length=2000)


class ResultOut(Schema):
    unit_id: int
    name: str
    kind: str
    kind_label: str
    total: Decimal
    rank: int | None
    own: bool


class FigureOut(Schema):
    key: str
    label: str
    unit: str
    value: Decimal | None


class DetailItemOut(Schema):
    indicator: IndicatorOut
    value: Decimal | None
    no_data: bool
    auto: Decimal | None
    manual: Decimal | None
    final: Decimal | None
    explain: str
    numerator: FigureOut | None
    denominator: FigureOut | None
    evidence: str


class UnitDetailOut(Schema):
    unit_id: int
    unit_name: str
    total: Decimal
    rank: int | None
    items: list[DetailItemOut]


class KindQuery(Schema):
    kind: UnitKind | None = None


def _indicator_out(i) -> dict:
    return {
        "id": i.pk,
        "position": i.position,
        "name": i.name,
        "metric_key": i.metric_key,
        "rule": i.rule,
        "params": i.params,
        "max_score": i.max_score,
        "description": i.description,
        "rule_text": getattr(i, "rule_text", ""),
    }


def _detail(access) -> dict:
    s = access.set
    return {
        **{f: getattr(s, f) for f in ("id", "unit_id", "title", "year", "period_kind", "quarter", "unit_kinds")},
        "status": s.status,
        "published_at": s.published_at,
        "unit_name": s.unit.name,
        "url": reverse("assessment:set", args=[s.pk]),
        "assessor": access.assessor,
        "can_manage": access.can_manage,
        "can_score": access.can_score,
        "indicators": [_indicator_out(i) for i in selectors.indicators(s)],
    }


@router.get("/sets", response={200: list[SetOut], **READ_ERRORS})
@paginate
def set_list(request):
    """Sets I assess and published sets in which one of my units was assessed."""
    if not holds(request.user, services.VIEW):
        raise PermissionDenied
    return selectors.sets_for(request.user)


@router.post("/sets", response={201: SetDetailOut, **WRITE_ERRORS})
def set_create(request, payload: SetIn):
    data = payload.dict()
    s = services.set_create(actor=request.user, unit_id=data.pop("unit"), **data)
    return 201, _detail(selectors.access_set(request.user, s.pk))


@router.get("/sets/{set_id}", response={200: SetDetailOut, **READ_ERRORS})
def set_detail(request, set_id: ObjectId):
    return _detail(selectors.access_set(request.user, set_id))


@router.post("/sets/{set_id}/copy", response={201: SetDetailOut, **WRITE_ERRORS})
def set_copy(request, set_id: ObjectId):
    s = services.set_copy(actor=request.user, set_id=set_id)
    return 201, _detail(selectors.access_set(request.user, s.pk))


@router.post("/sets/{set_id}/advance", response={200: SetDetailOut, **WRITE_ERRORS})
def set_advance(request, set_id: ObjectId, payload: AdvanceIn):
    """start (draft → scoring), recompute (scoring), publish (scoring → published)."""
    services.set_advance(actor=request.user, set_id=set_id, action=payload.action)
    return _detail(selectors.access_set(request.user, set_id))


@router.post("/sets/{set_id}/indicators", response={201: IndicatorOut, **WRITE_ERRORS})
def indicator_add(request, set_id: ObjectId, payload: IndicatorIn):
    return 201, _indicator_out(services.indicator_add(actor=request.user, set_id=set_id, **payload.dict()))


@router.put("/indicators/{indicator_id}", response={200: IndicatorOut, **WRITE_ERRORS})
def indicator_edit(request, indicator_id: ObjectId, payload: IndicatorIn):
    return _indicator_out(services.indicator_update(actor=request.user, indicator_id=indicator_id, **payload.dict()))


@router.delete("/indicators/{indicator_id}", response={204: None, **WRITE_ERRORS})
def indicator_delete(request, indicator_id: ObjectId):
    services.indicator_delete(actor=request.user, indicator_id=indicator_id)
    return 204, None


def _score_out(sc, unit) -> dict:
    return {
        "id": sc.pk,
        "indicator_id": sc.indicator_id,
        "unit_id": unit.pk,
        "unit_name": unit.name,
        "value": sc.value,
        "auto_score": sc.auto_score,
        "manual_score": sc.manual_score,
        "final": sc.final,
        "no_data": getattr(sc, "no_data", False),
        "evidence": sc.evidence,
        "scored_at": sc.scored_at,
    }


@router.get("/sets/{set_id}/scores", response={200: list[ScoreUnitOut], **READ_ERRORS})
@paginate
def score_list(request, set_id: ObjectId, filters: Query[KindQuery]):
    """The scoring table, one item per assessed unit (assessors only)."""
    access = selectors.access_set(request.user, set_id)
    if not access.assessor:
        raise PermissionDenied
    units = selectors.assessed_units_qs(access.set, kind=filters.kind or "")
    return _LazyScoreRows(access.set, units)


class _LazyScoreRows:
    """A sequence the paginator slices: only the page's units get their scores loaded."""

    def __init__(self, s, units):
        self.s, self.units = s, units
        self.inds = None

    def __len__(self):
        return self.units.count()

    def __getitem__(self, item):
        if self.inds is None:
            self.inds = selectors.indicators(self.s)
        rows = selectors.score_rows(self.s, self.units[item], self.inds)
        return [
            {
                "unit_id": r["unit"].pk,
                "unit_name": r["unit"].name,
                "total": r["total"],
                "scores": [_score_out(c, r["unit"]) for c in r["cells"] if c is not None],
            }
            for r in rows
        ]


@router.put("/scores/{score_id}", response={200: ScoreOut, **WRITE_ERRORS})
def score_manual(request, score_id: ObjectId, payload: ManualScoreIn):
    """A manual score with its evidence (assessors; never on one's own unit)."""
    sc = services.score_manual(actor=request.user, score_id=score_id, **payload.dict())
    return _score_out(sc, sc.unit)


@router.get("/sets/{set_id}/results", response={200: list[ResultOut], **READ_ERRORS})
@paginate
def results(request, set_id: ObjectId, filters: Query[KindQuery]):
    """Totals and ranks (provisional until published); assessed units see their kinds once published."""
    access = selectors.access_set(request.user, set_id)
    return selectors.ranking(access.set, access, kind=filters.kind or "")


@router.get("/sets/{set_id}/units/{unit_id}", response={200: UnitDetailOut, **READ_ERRORS})
def unit_detail(request, set_id: ObjectId, unit_id: ObjectId):
    """The drill-down: each indicator's figure, its numerator and denominator, the rule in words."""
    access = selectors.access_set(request.user, set_id)
    unit = selectors.access_unit(request.user, access, unit_id)
    d = selectors.unit_detail(access.set, unit)
    return {
        "unit_id": unit.pk,
        "unit_name": unit.name,
        "total": d["total"],
        "rank": d["rank"],
        "items": [
            {
                "indicator": _indicator_out(it["indicator"]),
                **{
                    k: it[k]
                    for k in ("value", "no_data", "auto", "manual", "final", "explain", "numerator", "denominator")
                },
                "evidence": it["score"].evidence if it["score"] else "",
            }
            for it in d["items"]
        ],
    }
