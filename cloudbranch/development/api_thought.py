"""/api/development/thought-reports and /api/development/report-policy, through thought.py."""

import datetime

from django.core.exceptions import PermissionDenied
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS
from cloudbranch.orgs.scoping import holds

from . import thought
from .schemas import PersonUnitOut

router = Router(tags=["思想汇报"])


class ReportOut(Schema):
    id: int
    person_id: int
    person_name: str
    unit_name: str
    case_id: int | None
    period_start: datetime.date
    title: str
    content: str
    status: str
    submitted_at: datetime.datetime
    comment_count: int = 0

    @staticmethod
    def resolve_person_name(obj) -> str:
        return obj.person.name

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.person.unit.name

    @staticmethod
    def resolve_comment_count(obj) -> int:
        return getattr(obj, "comment_count", 0)


class CommentOut(Schema):
    id: int
    report_id: int
    author: str
    body: str
    created_at: datetime.datetime

    @staticmethod
    def resolve_author(obj) -> str:
        return obj.author.display_name or obj.author.get_username()


class ReportDetailOut(ReportOut):
    comments: list[CommentOut]
    may_comment: bool

    @staticmethod
    def resolve_comments(obj) -> list:
        return list(thought.report_comments(obj))


class ReportIn(Schema):
    title: str
    content: str
    period: datetime.date | None = None


class CommentIn(Schema):
    body: str


class ReportFilters(Schema):
    unread: bool = False
    unit: int | None = None
    period: datetime.date | None = None
    q: str | None = None


class MissingOut(PersonUnitOut):
    case_id: int
    period_start: datetime.date
    period_end: datetime.date


class PolicyOut(Schema):
    unit_id: int
    unit_name: str
    months: int | None
    effective_months: int


class PolicyIn(Schema):
    unit_id: int
    months: int


@router.get("/thought-reports/mine", response={200: list[ReportOut], **READ_ERRORS}, summary="本人的思想汇报（分页）")
@paginate
def mine(request):
    return thought.my_reports(request.auth).select_related("person__unit")


@router.post(
    "/thought-reports",
    response={201: ReportOut, **WRITE_ERRORS},
    summary="提交思想汇报（本人，须有进行中的发展程序；period 为补交的过去周期首日）",
)
def submit(request, payload: ReportIn):
    return 201, thought.report_submit(actor=request.auth, **payload.dict())


@router.get(
    "/thought-reports",
    response={200: list[ReportOut], **READ_ERRORS},
    summary="审阅列表：培养联系人与有权限的书记（分页；未阅、组织、周期筛选）",
)
@paginate
def review_list(request, filters: Query[ReportFilters]):
    if not thought.may_review_anything(request.auth):
        raise PermissionDenied
    return thought.report_list(user=request.auth, filters=filters.dict(exclude_none=True))


@router.get(
    "/thought-reports/missing",
    response={200: list[MissingOut], **READ_ERRORS},
    summary="上一个完整周期未提交思想汇报的人员（分页）",
)
@paginate
def missing(request, unit: int | None = None):
    if not thought.may_review_anything(request.auth):
        raise PermissionDenied
    return _LazyMissing(thought.missing_reports(user=request.auth, unit_id=unit))


class _LazyMissing:
    """A sliceable list whose slices load only their page's people (one query per page)."""

    def __init__(self, rows: list[tuple]):
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def count(self) -> int:
        return len(self.rows)

    def __getitem__(self, item):
        if isinstance(item, slice):
            return thought.missing_page(self.rows[item])
        return thought.missing_page([self.rows[item]])[0]


@router.get(
    "/thought-reports/{int:report_id}",
    response={200: ReportDetailOut, **READ_ERRORS},
    summary="思想汇报详情（审阅人首次阅读即标记已阅）",
)
def detail(request, report_id: int):
    access = thought.access_report(request.auth, report_id)
    report = thought.report_read(actor=request.auth, report_id=report_id, access=access)
    report.may_comment = access.may_comment
    return report


@router.post(
    "/thought-reports/{int:report_id}/comments",
    response={201: CommentOut, **WRITE_ERRORS},
    summary="提出意见（培养联系人或有权限的书记；通知提交人）",
)
def comment(request, report_id: int, payload: CommentIn):
    return 201, thought.report_comment(actor=request.auth, report_id=report_id, body=payload.body)


@router.get(
    "/report-policy", response={200: list[PolicyOut], **READ_ERRORS}, summary="思想汇报提交周期（可设置的组织）"
)
@paginate
def policy_list(request):
    if not holds(request.auth, thought.POLICY_PERM):
        raise PermissionDenied
    units = list(thought.policy_units(request.auth))
    book = thought.PolicyBook()
    return [
        {
            "unit_id": u.pk,
            "unit_name": u.name,
            "months": getattr(u, "report_policy", None) and u.report_policy.months,
            "effective_months": book.months_for(u.path),
        }
        for u in units
    ]


@router.put("/report-policy", response={200: PolicyOut, **WRITE_ERRORS}, summary="设置某组织及其下级的提交周期（月）")
def policy_set(request, payload: PolicyIn):
    policy = thought.report_policy_set(actor=request.auth, unit_id=payload.unit_id, months=payload.months)
    return {
        "unit_id": policy.unit_id,
        "unit_name": policy.unit.name,
        "months": policy.months,
        "effective_months": policy.months,
    }
