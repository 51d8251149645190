"""/api/meetings: invitees, leave, check-in and "my meetings", through the same services as the pages."""

import datetime

from ninja import Router, Schema
from ninja.pagination import paginate

from cloudbranch.core.errors import DomainError
from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS, ErrorOut

from . import attendance, checkin

router = Router(tags=["组织生活"])


class InviteeOut(Schema):
    id: int
    meeting_id: int
    person_id: int
    person_name: str
    status: str
    status_label: str
    leave_reason: str
    leave_requested_at: datetime.datetime | None
    leave_decided_at: datetime.datetime | None
    checked_in_at: datetime.datetime | None
    check_in_method: str
    manual_reason: str

    @staticmethod
    def resolve_person_name(obj) -> str:
        return obj.person.name

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())


class MyMeetingOut(InviteeOut):
    meeting_title: str
    meeting_kind: str
    meeting_status: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    place: str
    unit_name: str

    @staticmethod
    def resolve_meeting_title(obj) -> str:
        return obj.meeting.title

    @staticmethod
    def resolve_meeting_kind(obj) -> str:
        return obj.meeting.kind

    @staticmethod
    def resolve_meeting_status(obj) -> str:
        return obj.meeting.status

    @staticmethod
    def resolve_starts_at(obj):
        return obj.meeting.starts_at

    @staticmethod
    def resolve_ends_at(obj):
        return obj.meeting.ends_at

    @staticmethod
    def resolve_place(obj) -> str:
        return obj.meeting.place

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.meeting.unit.name


class LeaveIn(Schema):
    reason: str


class LeaveDecisionIn(Schema):
    approve: bool


class CheckInIn(Schema):
    token: str | None = None
    code: str | None = None
    meeting_id: int | None = None


class AttendanceIn(Schema):
    status: str
    reason: str


@router.get(
    "/mine",
    response={200: list[MyMeetingOut], **READ_ERRORS},
    summary="我的会议（?scope=upcoming 即将召开，history 出席记录，默认全部）",
)
@paginate
def my_meetings(request, scope: str = ""):
    user = request.auth
    if scope == "upcoming":
        return attendance.my_upcoming(user)
    if scope == "history":
        return attendance.my_history(user)
    return attendance.my_invitations(user).order_by("-meeting__starts_at", "-id")


@router.get(
    "/{int:meeting_id}/invitees",
    response={200: list[InviteeOut], **READ_ERRORS},
    summary="参会人员及出席情况（主持方看到全部，参会人只看到自己）",
)
@paginate
def invitee_list(request, meeting_id: int):
    meeting, _mine = attendance.access_meeting(request.auth, meeting_id)
    return attendance.invitee_list(user=request.auth, meeting=meeting)


@router.post("/{int:meeting_id}/leave", response={200: InviteeOut, **WRITE_ERRORS}, summary="请假申请（本人）")
def leave_request(request, meeting_id: int, payload: LeaveIn):
    return attendance.leave_request(actor=request.auth, meeting_id=meeting_id, reason=payload.reason)


@router.post(
    "/invitees/{int:invitee_id}/leave-decision",
    response={200: InviteeOut, **WRITE_ERRORS},
    summary="审批请假（需会议管理权限）",
)
def leave_decide(request, invitee_id: int, payload: LeaveDecisionIn):
    return attendance.leave_decide(actor=request.auth, invitee_id=invitee_id, approve=payload.approve)


@router.post(
    "/checkin",
    response={200: InviteeOut, **WRITE_ERRORS, 429: ErrorOut},
    summary="签到：扫码得到的 token，或 6 位签到码 code",
)
def checkin_(request, payload: CheckInIn):
    if payload.token:
        return checkin.checkin_with_token(actor=request.auth, token=payload.token, meeting_id=payload.meeting_id)
    if payload.code:
        return checkin.checkin_with_code(actor=request.auth, code=payload.code)
    message = "请提供签到二维码 token 或 6 位签到码 code"
    raise DomainError(message, errors=[{"field": "code", "message": message}])


@router.post(
    "/invitees/{int:invitee_id}/attendance",
    response={200: InviteeOut, **WRITE_ERRORS},
    summary="补签或标记缺席（需会议管理权限，原因必填并记入审计）",
)
def mark_attendance(request, invitee_id: int, payload: AttendanceIn):
    return attendance.mark_attendance(
        actor=request.auth, invitee_id=invitee_id, status=payload.status, reason=payload.reason
    )
