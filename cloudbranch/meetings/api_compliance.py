"""/api/meetings/compliance: the roll-up of a subtree and one unit's periods (read-only)."""

import datetime

from django.core.paginator import Paginator
from ninja import Router, Schema

from cloudbranch.core.schemas import READ_ERRORS

from . import compliance

router = Router(tags=["组织生活"])

MAX_PAGE_SIZE = 100


class UnitRefOut(Schema):
    id: int
    name: str
    kind: str


class SummaryOut(Schema):
    period: str  # month / quarter / year
    key: str  # 2026-03, 2026-Q1, 2026
    kind: str
    met: int
    warning: int
    missed: int
    exempt: int
    due: int


class BehindOut(Schema):
    unit: UnitRefOut
    month: list[str]  # kinds in WARNING this month
    quarter: list[str]
    year: list[str]
    missed: int  # MISSED periods this year


class BehindPageOut(Schema):
    items: list[BehindOut]
    count: int
    page: int
    page_size: int


class RollupOut(Schema):
    unit: UnitRefOut
    year: int
    today: datetime.date
    current: dict[str, str]
    summary: list[SummaryOut]
    behind: BehindPageOut


class CellOut(Schema):
    kind: str
    period: str
    key: str
    start: datetime.date
    end: datetime.date
    required: int
    held: int
    state: str
    days_left: int | None


class UnitComplianceOut(Schema):
    unit: UnitRefOut
    year: int
    today: datetime.date
    periods: list[CellOut]


def _unit_ref(unit) -> dict:
    return {"id": unit.id, "name": unit.name, "kind": unit.kind}


@router.get(
    "/compliance", response={200: RollupOut, **READ_ERRORS}, summary="组织生活落实情况汇总（子树，含落后组织分页）"
)
def compliance_rollup(request, unit: int | None = None, year: int | None = None, page: int = 1, page_size: int = 20):
    target = (
        compliance.access_compliance_unit(request.auth, unit)
        if unit
        else compliance.default_compliance_unit(request.auth)
    )
    year = compliance.parse_year(year)
    rollup = compliance.compliance_rollup(target, year)
    spans = {s.key: s for s in rollup.periods}
    summary = [
        {"period": spans[key].period, "key": key, "kind": kind, **rollup.summary_counts(key, kind)}
        for key, kind in sorted(rollup.summary, key=lambda kk: (spans[kk[0]].start, -spans[kk[0]].days, kk[1]))
    ]
    paginator = Paginator(rollup.behind, max(1, min(page_size, MAX_PAGE_SIZE)))
    current = paginator.get_page(page)
    behind = {
        "items": [
            {"unit": _unit_ref(b.unit), "month": b.month, "quarter": b.quarter, "year": b.year, "missed": b.missed}
            for b in current.object_list
        ],
        "count": paginator.count,
        "page": current.number,
        "page_size": paginator.per_page,
    }
    return {
        "unit": _unit_ref(target),
        "year": year,
        "today": rollup.today,
        "current": rollup.current,
        "summary": summary,
        "behind": behind,
    }


@router.get(
    "/compliance/units/{int:unit_id}",
    response={200: UnitComplianceOut, **READ_ERRORS},
    summary="单个组织各周期的组织生活落实情况",
)
def compliance_unit(request, unit_id: int, year: int | None = None):
    unit = compliance.access_compliance_unit(request.auth, unit_id)
    year = compliance.parse_year(year)
    rollup = compliance.unit_calendar(unit, year)
    spans = {s.key: s for s in rollup.periods}
    cells = sorted(rollup.cells.get(unit.pk, []), key=lambda c: (spans[c.key].start, -spans[c.key].days, c.kind))
    return {
        "unit": _unit_ref(unit),
        "year": year,
        "today": rollup.today,
        "periods": [
            {
                "kind": c.kind,
                "period": c.period,
                "key": c.key,
                "start": spans[c.key].start,
                "end": spans[c.key].end,
                "required": c.required,
                "held": c.held,
                "state": c.state,
                "days_left": c.days_left,
            }
            for c in cells
        ],
    }
