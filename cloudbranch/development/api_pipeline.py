"""/api/development/pipeline and /api/development/due: the pipeline of a subtree (read-only)."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from ninja import Router, Schema
from ninja.pagination import paginate

from cloudbranch.core.schemas import READ_ERRORS
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import holds

from . import pipeline

router = Router(tags=["发展党员"])


class UnitRefOut(Schema):
    id: int
    name: str
    kind: str


class StageOut(Schema):
    stage: int
    label: str
    count: int


class MilestoneOut(Schema):
    key: str
    label: str
    count: int
    rate: float | None  # percent of the first row


class DurationOut(Schema):
    key: str
    label: str
    cases: int
    days: float | None


class CountsOut(Schema):
    stages: dict[str, int]  # "1".."5" → open cases in that stage
    open: int
    completed: int  # completed (转正) in the year
    terminated: int  # terminated in the year
    applied: int  # applications in the year
    new_probationary: int  # admitted in the year (入党日期)
    overdue: int
    due_soon: int
    funnel: dict[str, int]


class ChildOut(Schema):
    unit: UnitRefOut | None  # null: the cases of the unit itself (本级)
    counts: CountsOut


class FreshmanOut(Schema):
    entry_year: int
    note: str
    students: int
    steps: list[MilestoneOut]


class PipelineOut(Schema):
    unit: UnitRefOut
    year: int
    funnel_year: int | None
    today: datetime.date
    within: int
    stages: list[StageOut]
    totals: CountsOut
    funnel: list[MilestoneOut]
    freshman: FreshmanOut
    averages: list[DurationOut]
    children: list[ChildOut]


class DueOut(Schema):
    case_id: int
    person_id: int
    person_name: str
    unit: UnitRefOut
    stage: int
    step_code: str
    step_number: int | None
    step_name: str
    due_on: datetime.date
    days_left: int  # negative: overdue by that many days
    overdue: bool


def _unit_ref(u: OrgUnit) -> dict:
    return {"id": u.pk, "name": u.name, "kind": u.kind}


def _unit(request, unit: int | None) -> OrgUnit:
    if not holds(request.auth, pipeline.VIEW_PERM):
        raise PermissionDenied
    return pipeline.pipeline_unit(request.auth, unit)


@router.get("/pipeline", response={200: PipelineOut, **READ_ERRORS}, summary="发展概况：阶段、漏斗、平均用时、下级对比")
def pipeline_overview(
    request,
    unit: int | None = None,
    year: int | None = None,
    funnel_year: int | None = None,
    entry_year: int | None = None,
    within: int | None = None,
):
    u = _unit(request, unit)
    today = timezone.localdate()
    year = pipeline.parse_year(year, today=today)
    fy = pipeline.parse_funnel_year(funnel_year, today=today)
    ey = pipeline.parse_entry_year(entry_year, today=today)
    days = pipeline.parse_within(within)
    summary = pipeline.pipeline_summary(u, year=year, funnel_year=fy, today=today, within=days)
    fresh = pipeline.freshman_funnel(u, ey)
    t = summary.totals
    return {
        "unit": _unit_ref(u),
        "year": year,
        "funnel_year": fy,
        "today": today,
        "within": days,
        "stages": [{"stage": s, "label": label, "count": t.stages[s]} for s, label in pipeline.STAGES],
        "totals": t.as_dict(),
        "funnel": t.funnel_rows(),
        "freshman": {
            "entry_year": ey,
            "note": pipeline.FRESHMAN_NOTE,
            "students": fresh.students,
            "steps": fresh.rows()[1:],
        },
        "averages": [vars(d) for d in pipeline.stage_durations_cached(u, today=today)],
        "children": [
            {"unit": _unit_ref(r.unit) if r.unit else None, "counts": r.counts.as_dict()} for r in summary.rows
        ],
    }


@router.get("/due", response={200: list[DueOut], **READ_ERRORS}, summary="到期（N 天内）与逾期的发展步骤（分页）")
@paginate
def due_list(request, unit: int | None = None, within: int | None = None):
    u = _unit(request, unit)
    return _DueRows(pipeline.due_cases(u, within=pipeline.parse_within(within)))


class _DueRows:
    """The due cases as API rows: counted and sliced in SQL by the paginator, steps named per page."""

    def __init__(self, qs):
        self.qs = qs
        self.today = timezone.localdate()

    def all(self):
        return self

    def count(self) -> int:
        return self.qs.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item):
        rows = pipeline.due_rows(self.qs[item], today=self.today)
        return [
            {
                "case_id": r.case.pk,
                "person_id": r.case.person_id,
                "person_name": r.case.person.name,
                "unit": _unit_ref(r.case.person.unit),
                "stage": r.case.stage,
                "step_code": r.case.next_step_code,
                "step_number": r.step_number,
                "step_name": r.step_name,
                "due_on": r.case.next_due_on,
                "days_left": r.days_left,
                "overdue": r.overdue,
            }
            for r in rows
        ]
