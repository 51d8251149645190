"""/api/meetings: meetings and monthly themes over REST, through the same selectors and services
as the pages. An illegal lifecycle move answers 409 with a Chinese ``detail``."""

import datetime

from django.core.exceptions import PermissionDenied
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from cloudbranch.core.errors import DomainError
from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import holds

from . import selectors, services
from .models import Meeting
from .schemas import CancelIn, MeetingCreateIn, MeetingListOut, MeetingOut, MeetingPatchIn, ThemeCreateIn, ThemeOut

router = Router(tags=["组织生活"])

NOT_NULL = ("kind", "title", "starts_at", "ends_at", "invitee_scope")
BLANKABLE = ("topic", "place", "online_link", "agenda")


class MeetingFilters(Schema):
    q: str | None = None
    unit: int | None = None
    kind: str | None = None
    status: str | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


def _detail(user, meeting_id: int) -> Meeting:
    qs = Meeting.objects.select_related("unit").prefetch_related("joint_units")
    return selectors.access_meeting_by_id(user, meeting_id, queryset=qs)


@router.get("", response={200: list[MeetingListOut], **READ_ERRORS}, summary="会议活动列表（分页、筛选）")
@paginate
def meeting_list(request, filters: Query[MeetingFilters]):
    if not holds(request.auth, "meetings.view_meeting"):
        raise PermissionDenied
    return selectors.meeting_list(user=request.auth, filters=filters.dict(exclude_none=True))


@router.get("/themes", response={200: list[ThemeOut], **READ_ERRORS}, summary="可见的月度主题（本级、下级与上级发布）")
@paginate
def theme_list(request, month: datetime.date | None = None):
    if not holds(request.auth, "meetings.view_monthlytheme"):
        raise PermissionDenied
    return selectors.theme_list(user=request.auth, month=month)


@router.post("/themes", response={201: ThemeOut, **WRITE_ERRORS}, summary="发布月度主题（每组织每月一个）")
def theme_create(request, payload: ThemeCreateIn):
    theme = services.monthly_theme_publish(actor=request.auth, **payload.dict())
    return 201, theme


@router.get("/{int:meeting_id}", response={200: MeetingOut, **READ_ERRORS}, summary="会议详情")
def meeting_detail(request, meeting_id: int):
    return _detail(request.auth, meeting_id)


@router.post("", response={201: MeetingOut, **WRITE_ERRORS}, summary="新建会议（草稿）")
def meeting_create(request, payload: MeetingCreateIn):
    data = payload.dict()
    unit_id, unit_code = data.pop("unit_id"), (data.pop("unit_code") or "").strip()
    if unit_id is None and unit_code:
        unit = OrgUnit.objects.restrict(request.auth, "meetings.add_meeting").filter(code__iexact=unit_code).first()
        if unit is None:
            message = f"没有找到编码为 {unit_code} 的党组织，或您无权在该组织安排会议"
            raise DomainError(message, errors=[{"field": "unit_code", "message": message}])
        unit_id = unit.pk
    if unit_id is None:
        raise DomainError("请填写主办组织", errors=[{"field": "unit_id", "message": "请填写主办组织"}])
    if not holds(request.auth, "meetings.add_meeting"):
        raise PermissionDenied
    meeting = services.meeting_create(actor=request.auth, unit_id=unit_id, **data)
    return 201, _detail(request.auth, meeting.pk)


@router.patch("/{int:meeting_id}", response={200: MeetingOut, **WRITE_ERRORS}, summary="修改会议（只改提交的字段）")
def meeting_update(request, meeting_id: int, payload: MeetingPatchIn):
    data = payload.dict(exclude_unset=True)
    for key in NOT_NULL:
        if key in data and data[key] is None:
            raise DomainError("该字段不能为空", errors=[{"field": key, "message": "该字段不能为空"}])
    for key in BLANKABLE:
        if key in data and data[key] is None:
            data[key] = ""
    if "chosen_people" in data and data["chosen_people"] is None:
        data["chosen_people"] = []
    services.meeting_update(actor=request.auth, meeting_id=meeting_id, **data)
    return _detail(request.auth, meeting_id)


@router.post("/{int:meeting_id}/schedule", response={200: MeetingOut, **WRITE_ERRORS}, summary="发布通知")
def meeting_schedule(request, meeting_id: int):
    services.meeting_schedule(actor=request.auth, meeting_id=meeting_id)
    return _detail(request.auth, meeting_id)


@router.post("/{int:meeting_id}/cancel", response={200: MeetingOut, **WRITE_ERRORS}, summary="取消会议（须填原因）")
def meeting_cancel(request, meeting_id: int, payload: CancelIn):
    services.meeting_cancel(actor=request.auth, meeting_id=meeting_id, reason=payload.reason)
    return _detail(request.auth, meeting_id)


@router.post("/{int:meeting_id}/held", response={200: MeetingOut, **WRITE_ERRORS}, summary="标记为已召开")
def meeting_mark_held(request, meeting_id: int):
    services.meeting_mark_held(actor=request.auth, meeting_id=meeting_id)
    return _detail(request.auth, meeting_id)


@router.post("/{int:meeting_id}/archive", response={200: MeetingOut, **WRITE_ERRORS}, summary="归档（此后只读）")
def meeting_archive(request, meeting_id: int):
    services.meeting_archive(actor=request.auth, meeting_id=meeting_id)
    return _detail(request.auth, meeting_id)
