"""/api/cockpit/dashboard: the cockpit page's panels as JSON — the same data as the page
(``dashboard.page_data``: headline figures with the change vs the previous period, every panel's
columns and rows, the last recompute). Access: ``cockpit.view_cockpit`` over the unit (404 outside
scope, 403 when held nowhere)."""

import datetime

from django.core.exceptions import PermissionDenied
from ninja import Field, Query, Router, Schema

from cloudbranch.core.schemas import READ_ERRORS
from cloudbranch.orgs.scoping import holds

from . import dashboard
from .dashboard import VIEW

router = Router(tags=["党建数据座舱"])


class DashboardQuery(Schema):
    unit: int | None = Field(None, ge=1, le=2**31 - 1, description="组织 ID（默认本人座舱范围的最上级组织）")
    year: int | None = Field(None, ge=2000, le=2100, description="年度（默认今年）")
    month: int | None = Field(None, ge=1, le=12, description="月份（留空为全年；年度与月份都不填时为本月）")


class HeadlineOut(Schema):
    key: str
    label: str
    unit: str
    value: float | None
    previous: float | None
    change: float | None = Field(description="本期 − 上期（比率为百分点）")
    as_of: str | None = Field(None, description="本期尚无数值（期末才评定的比率）时为上期名称，页面显示上期数值")


class PanelOut(Schema):
    id: str
    title: str
    chart: str = Field(description="pie / bar / line / combo / funnel / treemap / ranking")
    columns: list[str]
    rows: list[list[int | float | str | None]] = Field(
        description="每行：首列为类别（月份、组织、类别），其余为各列数值"
    )
    ids: list[int] = Field(description="下级组织面板：与 rows 对应的组织 ID（下钻用）")
    note: str


class PeriodOut(Schema):
    year: int
    month: int | None
    kind: str
    start: datetime.date
    label: str
    previous_label: str


class RunOut(Schema):
    id: int | None
    finished_at: datetime.datetime | None
    running: bool


class DashboardOut(Schema):
    unit_id: int
    unit_name: str
    parent_id: int | None
    period: PeriodOut
    updated: RunOut
    headline: list[HeadlineOut]
    panels: list[PanelOut]


@router.get("/dashboard", response={200: DashboardOut, **READ_ERRORS}, summary="数据座舱（各面板数据）")
def dashboard_data(request, q: Query[DashboardQuery]):
    if not holds(request.auth, VIEW):
        raise PermissionDenied
    unit = dashboard.dashboard_unit(request.auth, q.unit)
    period = dashboard.parse_period(q.year, q.month)
    data = dashboard.page_data(unit, period)
    return {
        "unit_id": unit.pk,
        "unit_name": unit.name,
        "parent_id": unit.parent_id,
        "period": data["period"],
        "updated": data["run"],
        "headline": data["headline"],
        "panels": data["panels"],
    }
