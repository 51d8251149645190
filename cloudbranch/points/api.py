"""/api/points: my points (totals + history), rankings, rules (read; edit for the organization
department), adjustments, annual appraisal scores."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.http import Http404
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from cloudbranch.core.pagination import MAX_PAGE
from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS
from cloudbranch.people.selectors import own_person

from . import selectors, services
from .models import PointRule

router = Router(tags=["积分"])


class TodayActionOut(Schema):
    action: str
    label: str
    points: int
    earned: int
    daily_cap: int


class TotalsOut(Schema):
    today: int
    week: int
    month: int
    year: int


class RankOut(Schema):
    person_id: int
    name: str
    unit_name: str
    points: int
    rank: int
    is_me: bool


class MineOut(Schema):
    totals: TotalsOut
    today: list[TodayActionOut]
    branch_rank: RankOut | None


class EventOut(Schema):
    id: int
    action: str
    points: int
    source_type: str
    source_id: str
    note: str
    occurred_at: datetime.datetime
    day: datetime.date


def _own(request):
    person = own_person(request.user)
    if person is None:
        raise Http404
    return person


@router.get("/mine", response={200: MineOut, **READ_ERRORS}, summary="我的积分：今日各项、周/月/年合计、本月支部排名")
def mine(request):
    person = _own(request)
    today = timezone.localdate()
    month = services.period_start("month", today)
    return {
        "totals": selectors.totals(person, today=today),
        "today": selectors.today_by_action(person, today=today),
        "branch_rank": selectors.viewer_rank(
            path=selectors.branch_path(person), period="month", start=month, person=person
        ),
    }


@router.get("/mine/history", response={200: list[EventOut], **READ_ERRORS}, summary="我的积分记录")
@paginate
def mine_history(request):
    return selectors.history(_own(request))


class UnitRefOut(Schema):
    id: int
    name: str


class UnitRankOut(Schema):
    unit: UnitRefOut
    people: int
    points: int
    mean: Decimal
    rank: int


class RankingOut(Schema):
    unit: UnitRefOut
    period: str
    start: datetime.date
    label: str
    count: int
    page: int
    items: list[RankOut]
    me: RankOut | None
    units: list[UnitRankOut]


@router.get("/ranking", response={200: RankingOut, **READ_ERRORS}, summary="积分排行（组织及下级，周/月/年）")
def ranking(
    request,
    unit: int | None = None,
    period: str = "month",
    start: str | None = None,
    page: int = Query(1, ge=1, le=MAX_PAGE),
    page_size: int = Query(selectors.PER_PAGE, ge=1, le=100),
):
    """Paginated like every list (``page``, ``page_size``; ``count`` is the number of people);
    ``me`` is the caller's own rank even when not on the page; ``units`` ranks the child units by
    mean points per person."""
    person = own_person(request.user)
    if not selectors.may_see_rankings(request.user, person):
        raise Http404
    u = selectors.ranking_unit(request.user, person, unit)
    period = selectors.parse_period(period)
    begin = selectors.parse_start(period, start)
    result = selectors.ranking(unit=u, period=period, start=begin, page=page, per_page=page_size, person=person)
    units = selectors.child_unit_ranking(unit=u, period=period, start=begin)
    return {
        "unit": u,
        "period": period,
        "start": begin,
        "label": result.label,
        "count": result.page.paginator.count,
        "page": result.page.number,
        "items": result.rows,
        "me": result.me,
        "units": [
            {"unit": r.unit, "people": r.people, "points": r.points, "mean": r.mean, "rank": r.rank} for r in units
        ],
    }


class RuleOut(Schema):
    id: int
    action: str
    label: str
    points: int
    daily_cap: int
    yearly_cap: int
    active: bool
    description: str


class RulePatchIn(Schema):
    points: int | None = Field(None, ge=0, le=services.CAP_MAX)
    daily_cap: int | None = Field(None, ge=0, le=services.CAP_MAX)
    yearly_cap: int | None = Field(None, ge=0, le=services.CAP_MAX)
    active: bool | None = None


@router.get("/rules", response={200: list[RuleOut], **READ_ERRORS}, summary="积分规则")
def rules(request):
    return list(PointRule.objects.order_by("action"))


@router.patch("/rules/{rule_id}", response={200: RuleOut, **WRITE_ERRORS}, summary="修改积分规则（组织部）")
def rule_patch(request, rule_id: int, payload: RulePatchIn):
    values = payload.dict(exclude_none=True)
    return services.point_rule_update(actor=request.user, rule_id=rule_id, **values)


class AdjustIn(Schema):
    person_id: int
    points: int
    note: str


@router.post("/adjustments", response={201: EventOut, **WRITE_ERRORS}, summary="积分调整（组织部，须写明原因）")
def adjust(request, payload: AdjustIn):
    event = services.point_adjust(
        actor=request.user, person_id=payload.person_id, points=payload.points, note=payload.note
    )
    return 201, event


class ScoreOut(Schema):
    person_id: int
    name: str
    unit_name: str
    points: int
    base: int
    bonus: Decimal
    subtotal: Decimal
    appraisal: None = Field(None, description="民主评议分：待评议（由考评工作填写）")
    appraisal_max: int


@router.get("/scores", response={200: list[ScoreOut], **READ_ERRORS}, summary="年度积分考评（组织及下级）")
@paginate
def scores(request, unit: int | None = None, year: int | None = None):
    u = selectors.score_unit(request.user, unit)
    year = year or timezone.localdate().year
    scheme = selectors.scheme_for(year)
    if scheme is None:
        raise Http404
    return _ScoreList(selectors.score_queryset(u, year), scheme)


class _ScoreList:
    """The score queryset seen as a list of ScoreRow: the paginator counts and slices the
    queryset (two queries), the bonus is computed per row of the page."""

    def __init__(self, qs, scheme):
        self.qs, self.scheme = qs, scheme

    def count(self) -> int:
        return self.qs.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item):
        return selectors.score_rows(self.qs[item], self.scheme)
