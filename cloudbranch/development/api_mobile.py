"""/api/development/mobile and /api/development/lost: mobile members and lost-contact members,
through the same services as the pages. Phones are masked in lists; the detail shows the full
number to the branch and to the member themself."""

import datetime

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS
from cloudbranch.orgs.scoping import holds

from . import mobile
from .schemas import PersonUnitOut

router = Router(tags=["流动党员与失联党员"])


class MobileRecordOut(PersonUnitOut):
    id: int
    status: str
    started_on: datetime.date
    expected_return_on: datetime.date | None
    returned_on: datetime.date | None
    destination: str
    reason: str
    reason_note: str
    contact_phone_masked: str
    mobile_branch_id: int | None
    mobile_branch_name: str
    card_number: str

    @staticmethod
    def resolve_contact_phone_masked(obj) -> str:
        return mobile.mask_phone(obj.contact_phone)

    @staticmethod
    def resolve_mobile_branch_name(obj) -> str:
        return obj.mobile_branch.name if obj.mobile_branch_id else ""


class MobileRecordDetailOut(MobileRecordOut):
    """The full phone for the branch and the member themself (set by ``_detail``), masked otherwise."""

    contact_phone: str
    contact_other: str
    may_manage: bool

    @staticmethod
    def resolve_contact_phone(obj) -> str:
        return obj.shown_phone

    @staticmethod
    def resolve_contact_other(obj) -> str:
        return obj.shown_other


class MobileRecordIn(Schema):
    person_id: int
    started_on: datetime.date
    destination: str
    reason: str
    contact_phone: str
    reason_note: str = ""
    contact_other: str = ""
    expected_return_on: datetime.date | None = None
    mobile_branch_id: int | None = None
    card_number: str = ""


class MobileFilters(Schema):
    status: str | None = None
    mobile_branch: int | None = None
    reason: str | None = None
    unit: int | None = None
    q: str | None = None


class ReturnIn(Schema):
    returned_on: datetime.date


class ActivityOut(Schema):
    id: int
    record_id: int
    kind: str
    occurred_on: datetime.date
    title: str
    link: str
    detail: str
    confirmed: bool

    @staticmethod
    def resolve_confirmed(obj) -> bool:
        return obj.confirmed_by_id is not None


class ActivityIn(Schema):
    kind: str
    occurred_on: datetime.date
    title: str
    detail: str = ""
    link: str = ""


class ReportOut(Schema):
    id: int
    record_id: int
    year: int
    content: str
    submitted_at: datetime.datetime
    comment: str
    reviewed_at: datetime.datetime | None


class ReportIn(Schema):
    year: int
    content: str


class ReviewIn(Schema):
    comment: str


def _detail(user, record):
    record.may_manage = mobile.may_manage(user, record)
    full = record.may_manage or mobile.is_own(user, record.person)
    record.shown_phone = record.contact_phone if full else mobile.mask_phone(record.contact_phone)
    record.shown_other = record.contact_other if full else ""
    return record


def _need(user, perm: str) -> None:
    if not holds(user, perm):
        raise PermissionDenied


@router.get(
    "/mobile",
    response={200: list[MobileRecordOut], **READ_ERRORS},
    summary="流动党员（分页；按状态、流动党支部、原因筛选）",
)
@paginate
def mobile_list(request, filters: Query[MobileFilters]):
    _need(request.auth, mobile.VIEW_PERM)
    data = filters.dict(exclude_none=True)
    data.setdefault("status", "all")
    return mobile.mobile_list(user=request.auth, filters=data)


@router.get("/mobile/mine", response={200: list[MobileRecordDetailOut], **READ_ERRORS}, summary="本人的流动党员登记")
def mobile_mine(request):
    return [_detail(request.auth, r) for r in mobile.own_records(request.auth)]


@router.post(
    "/mobile",
    response={201: MobileRecordDetailOut, **WRITE_ERRORS},
    summary="登记流动党员（每人仅一条流动中登记，重复 409）",
)
def mobile_create(request, payload: MobileRecordIn):
    record = mobile.mobile_register(actor=request.auth, **payload.dict())
    return 201, _detail(request.auth, mobile.access_record(request.auth, record.pk))


@router.get("/mobile/{int:record_id}", response={200: MobileRecordDetailOut, **READ_ERRORS}, summary="流动党员登记详情")
def mobile_detail(request, record_id: int):
    return _detail(request.auth, mobile.access_record(request.auth, record_id))


@router.post(
    "/mobile/{int:record_id}/return", response={200: MobileRecordDetailOut, **WRITE_ERRORS}, summary="办理返回"
)
def mobile_return(request, record_id: int, payload: ReturnIn):
    mobile.mobile_return(actor=request.auth, record_id=record_id, returned_on=payload.returned_on)
    return _detail(request.auth, mobile.access_record(request.auth, record_id))


@router.get("/mobile/{int:record_id}/activities", response={200: list[ActivityOut], **READ_ERRORS}, summary="活动记录")
@paginate
def activity_list(request, record_id: int):
    return mobile.record_activities(mobile.access_record(request.auth, record_id))


@router.post(
    "/mobile/{int:record_id}/activities",
    response={201: ActivityOut, **WRITE_ERRORS},
    summary="记录活动（支部记录即确认；本人记录待支部确认）",
)
def activity_create(request, record_id: int, payload: ActivityIn):
    return 201, mobile.mobile_activity_add(actor=request.auth, record_id=record_id, **payload.dict())


@router.post(
    "/mobile/activities/{int:activity_id}/confirm",
    response={200: ActivityOut, **WRITE_ERRORS},
    summary="确认本人登记的活动",
)
def activity_confirm(request, activity_id: int):
    return mobile.mobile_activity_confirm(actor=request.auth, activity_id=activity_id)


@router.get("/mobile/{int:record_id}/reports", response={200: list[ReportOut], **READ_ERRORS}, summary="年度情况报告")
@paginate
def report_list(request, record_id: int):
    return mobile.record_reports(mobile.access_record(request.auth, record_id))


@router.post(
    "/mobile/{int:record_id}/reports", response={201: ReportOut, **WRITE_ERRORS}, summary="提交年度情况报告（本人）"
)
def report_create(request, record_id: int, payload: ReportIn):
    return 201, mobile.mobile_report_submit(actor=request.auth, record_id=record_id, **payload.dict())


@router.post("/mobile/reports/{int:report_id}/review", response={200: ReportOut, **WRITE_ERRORS}, summary="支部意见")
def report_review(request, report_id: int, payload: ReviewIn):
    return mobile.mobile_report_review(actor=request.auth, report_id=report_id, comment=payload.comment)


@router.get(
    "/mobile/missing-reports",
    response={200: list[MobileRecordOut], **READ_ERRORS},
    summary="本年度（或指定年度）尚未提交情况报告的流动党员",
)
@paginate
def missing_reports(request, year: int | None = None):
    _need(request.auth, mobile.VIEW_PERM)
    return mobile.missing_mobile_reports(user=request.auth, year=year or timezone.localdate().year)


# --- lost contact -----------------------------------------------------------------------------


class LostOut(Schema):
    id: int
    person_id: int
    person_name: str
    unit_name: str
    status: str
    lost_since: datetime.date
    suspended_on: datetime.date | None
    removed_on: datetime.date | None
    restored_on: datetime.date | None
    suspension_due_on: datetime.date
    removal_due_on: datetime.date | None
    note: str

    @staticmethod
    def resolve_person_name(obj) -> str:
        return obj.person.name

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.person.unit.name

    @staticmethod
    def resolve_suspension_due_on(obj) -> datetime.date:
        return mobile.suspension_due_on(obj)

    @staticmethod
    def resolve_removal_due_on(obj) -> datetime.date | None:
        return mobile.removal_due_on(obj)


class LostIn(Schema):
    person_id: int
    lost_since: datetime.date
    note: str = ""


class LostFilters(Schema):
    status: str | None = None
    q: str | None = None
    due: bool = False


class AttemptOut(Schema):
    id: int
    lost_contact_id: int
    attempted_on: datetime.date
    method: str
    succeeded: bool
    note: str


class AttemptIn(Schema):
    attempted_on: datetime.date
    method: str
    succeeded: bool = False
    note: str = ""


class SuspendIn(Schema):
    suspended_on: datetime.date


class RemoveIn(Schema):
    removed_on: datetime.date


class RestoreIn(Schema):
    restored_on: datetime.date


@router.get(
    "/lost",
    response={200: list[LostOut], **READ_ERRORS},
    summary="失联党员（分页；due=true 只列已到停止党籍或除名期限的）",
)
@paginate
def lost_list(request, filters: Query[LostFilters]):
    _need(request.auth, mobile.VIEW_PERM)
    if filters.due:
        return mobile.lost_warnings(user=request.auth)
    return mobile.lost_list(user=request.auth, filters=filters.dict(exclude_none=True, exclude={"due"}))


@router.post("/lost", response={201: LostOut, **WRITE_ERRORS}, summary="登记失联党员")
def lost_create(request, payload: LostIn):
    lost = mobile.lost_open(actor=request.auth, **payload.dict())
    return 201, mobile.access_lost(request.auth, lost.pk)


@router.get("/lost/{int:lost_id}", response={200: LostOut, **READ_ERRORS}, summary="失联党员详情")
def lost_detail(request, lost_id: int):
    return mobile.access_lost(request.auth, lost_id)


@router.get("/lost/{int:lost_id}/attempts", response={200: list[AttemptOut], **READ_ERRORS}, summary="联系记录")
@paginate
def attempt_list(request, lost_id: int):
    return mobile.lost_attempts(mobile.access_lost(request.auth, lost_id))


@router.post("/lost/{int:lost_id}/attempts", response={201: AttemptOut, **WRITE_ERRORS}, summary="记录一次联系")
def attempt_create(request, lost_id: int, payload: AttemptIn):
    return 201, mobile.lost_attempt_add(actor=request.auth, lost_id=lost_id, **payload.dict())


@router.post(
    "/lost/{int:lost_id}/suspend",
    response={200: LostOut, **WRITE_ERRORS},
    summary="停止党籍（失去联系满 6 个月，党员教育管理工作条例第二十四条）",
)
def lost_suspend(request, lost_id: int, payload: SuspendIn):
    mobile.lost_suspend(actor=request.auth, lost_id=lost_id, suspended_on=payload.suspended_on)
    return mobile.access_lost(request.auth, lost_id)


@router.post(
    "/lost/{int:lost_id}/remove",
    response={200: LostOut, **WRITE_ERRORS},
    summary="按自行脱党除名（停止党籍满 2 年，第二十四条）",
)
def lost_remove(request, lost_id: int, payload: RemoveIn):
    mobile.lost_remove(actor=request.auth, lost_id=lost_id, removed_on=payload.removed_on)
    return mobile.access_lost(request.auth, lost_id)


@router.post(
    "/lost/{int:lost_id}/restore", response={200: LostOut, **WRITE_ERRORS}, summary="恢复联系（须有联系成功的记录）"
)
def lost_restore(request, lost_id: int, payload: RestoreIn):
    mobile.lost_restore(actor=request.auth, lost_id=lost_id, restored_on=payload.restored_on)
    return mobile.access_lost(request.auth, lost_id)
