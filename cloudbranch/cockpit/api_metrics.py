"""/api/cockpit: the metrics area — precomputed figures of a unit's subtree, read from ``OrgMetric``
through ``selectors_metrics`` (never the raw tables). Access: ``cockpit.view_cockpit`` over the
unit (404 outside scope); recompute: ``cockpit.recompute``."""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from cloudbranch.core import metrics as catalogue_mod
from cloudbranch.core.errors import DomainError
from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS, ObjectId
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import access_by_id, holds

from . import engine
from . import selectors_metrics as sel
from .models import PeriodKind

router = Router(tags=["党建数据座舱"])

VIEW = "cockpit.view_cockpit"


class MetricQuery(Schema):
    unit: ObjectId = Field(description="组织 ID（须在本人座舱权限范围内）")
    keys: str = Field(description="指标键，逗号分隔，如 structure.party_members,life.attendance_rate")
    period: PeriodKind = Field(PeriodKind.MONTH, description="周期：D 日 / M 月 / Q 季度 / Y 年")
    start: datetime.date | None = Field(None, description="周期开始日（默认当前周期）")


class SeriesQuery(Schema):
    unit: ObjectId
    keys: str
    period: PeriodKind = PeriodKind.MONTH
    start: datetime.date | None = Field(None, description="起（默认去年 1 月 1 日）")
    end: datetime.date | None = Field(None, description="止（默认今天）")


class FigureOut(Schema):
    key: str
    label: str
    unit: str
    value: Decimal | None


class FiguresOut(Schema):
    unit_id: int
    unit_name: str
    period: str
    start: datetime.date
    figures: list[FigureOut]


class PointOut(Schema):
    start: datetime.date
    value: Decimal | None


class SeriesLineOut(Schema):
    key: str
    label: str
    unit: str
    points: list[PointOut]


class SeriesOut(Schema):
    unit_id: int
    unit_name: str
    period: str
    series: list[SeriesLineOut]


class ChildOut(Schema):
    unit_id: int
    unit_name: str
    kind: str
    figures: list[FigureOut]


class CatalogueOut(Schema):
    key: str
    label: str
    area: str
    area_label: str
    kind: str = Field(description="stock 存量 / flow 流量 / ratio 比率")
    unit: str
    numerator: str
    denominator: str
    scale: int
    additive: bool
    description: str


class RecomputeOut(Schema):
    queued: bool
    detail: str


def _keys(raw: str) -> list[str]:
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    known = catalogue_mod.catalogue()
    unknown = [k for k in keys if k not in known]
    if not keys or unknown:
        msg = f"未知的指标：{'，'.join(unknown)}" if unknown else "请指定指标。"
        raise DomainError(msg, errors=[{"field": "keys", "message": msg}])
    return keys


def _unit(request, unit_id: ObjectId) -> OrgUnit:
    return access_by_id(request.auth, OrgUnit, unit_id, view=VIEW)


def _figures(keys, values) -> list[dict]:
    cat = catalogue_mod.catalogue()
    return [{"key": k, "label": cat[k].label, "unit": cat[k].unit, "value": values.get(k)} for k in keys]


def _start(period: str, start: datetime.date | None) -> datetime.date:
    from . import periods

    return periods.period_start(period, start or timezone.localdate())


@router.get(
    "/metrics", response={200: FiguresOut, **READ_ERRORS, 422: WRITE_ERRORS[422]}, summary="指标数值（下辖合计）"
)
def metric_figures(request, q: Query[MetricQuery]):
    keys = _keys(q.keys)
    unit = _unit(request, q.unit)
    start = _start(q.period, q.start)
    values = sel.figures(unit, keys, q.period, start)
    return {
        "unit_id": unit.pk,
        "unit_name": unit.name,
        "period": q.period,
        "start": start,
        "figures": _figures(keys, values),
    }


@router.get("/metrics/series", response={200: SeriesOut, **READ_ERRORS, 422: WRITE_ERRORS[422]}, summary="指标时间序列")
def metric_series(request, q: Query[SeriesQuery]):
    keys = _keys(q.keys)
    unit = _unit(request, q.unit)
    today = timezone.localdate()
    end = q.end or today
    start = q.start or datetime.date(today.year - 1, 1, 1)
    if start > end:
        raise DomainError(
            "开始日期不能晚于结束日期。", errors=[{"field": "start", "message": "开始日期不能晚于结束日期。"}]
        )
    if (end - start).days > 366 * 10:
        raise DomainError("时间跨度过长（最多十年）。", errors=[{"field": "start", "message": "时间跨度过长。"}])
    data = sel.series(unit, keys, q.period, start, end)
    cat = catalogue_mod.catalogue()
    return {
        "unit_id": unit.pk,
        "unit_name": unit.name,
        "period": q.period,
        "series": [
            {
                "key": k,
                "label": cat[k].label,
                "unit": cat[k].unit,
                "points": [{"start": s, "value": v} for s, v in data[k]],
            }
            for k in keys
        ],
    }


@router.get(
    "/metrics/children",
    response={200: list[ChildOut], **READ_ERRORS, 422: WRITE_ERRORS[422]},
    summary="下级组织的指标（分页，用于矩形树图、排行和下钻）",
)
@paginate
def metric_children(request, q: Query[MetricQuery]):
    keys = _keys(q.keys)
    unit = _unit(request, q.unit)
    start = _start(q.period, q.start)
    return [
        {"unit_id": child.pk, "unit_name": child.name, "kind": child.kind, "figures": _figures(keys, values)}
        for child, values in sel.children_figures(unit, keys, q.period, start)
    ]


@router.get("/metrics/catalogue", response={200: list[CatalogueOut], **READ_ERRORS}, summary="指标目录")
def metric_catalogue(request):
    if not holds(request.auth, VIEW):
        raise PermissionDenied
    return sel.catalogue_entries()


@router.post("/metrics/recompute", response={202: RecomputeOut, **WRITE_ERRORS}, summary="全量重算指标（排队执行）")
def metric_recompute(request):
    engine.request_full_recompute(actor=request.auth)
    return 202, {"queued": True, "detail": "已提交全量重算，稍后刷新查看。"}
