"""/api/school: the attendance area — check-in (QR token or code), the head teacher's manual
record and attendance list, my classes and today's sessions, a student's class hours. Same
services and selectors as the pages; lists paginated."""

import datetime
from decimal import Decimal

from django.utils import timezone
from ninja import Router, Schema
from ninja.pagination import paginate

from cloudbranch.core.errors import DomainError
from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS, ErrorOut, ObjectId

from . import attendance, hours
from . import selectors_student as sel
from .api_classes import EnrolmentClassFields

router = Router(tags=["网上党校"])


class CheckInIn(Schema):
    token: str | None = None
    code: str | None = None
    session_id: int | None = None


class AttendanceOut(Schema):
    id: int
    session_id: int
    session_title: str
    enrolment_id: int
    person_name: str
    checked_in_at: datetime.datetime
    method: str
    note: str
    hours_credited: Decimal | None

    @staticmethod
    def resolve_session_title(obj) -> str:
        return obj.session.title

    @staticmethod
    def resolve_person_name(obj) -> str:
        return obj.enrolment.person.name

    @staticmethod
    def resolve_hours_credited(obj):
        entry = getattr(obj, "hour_entry", None)
        return entry.hours if entry is not None else None


class ManualIn(Schema):
    enrolment_id: int
    reason: str


class RowOut(Schema):
    enrolment_id: int
    person_id: int
    person_name: str
    unit_name: str
    status: str
    checked_in_at: datetime.datetime | None
    method: str | None
    note: str | None

    @staticmethod
    def resolve_enrolment_id(obj) -> int:
        return obj.pk

    @staticmethod
    def resolve_person_name(obj) -> str:
        return obj.person.name

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.person.unit.name

    @staticmethod
    def resolve_method(obj):
        return obj.checkin_method

    @staticmethod
    def resolve_note(obj):
        return obj.checkin_note


class MyClassOut(EnrolmentClassFields):
    enrolment_id: int
    class_id: int
    status: str
    hours: Decimal

    @staticmethod
    def resolve_enrolment_id(obj) -> int:
        return obj.pk

    @staticmethod
    def resolve_class_id(obj) -> int:
        return obj.training_class_id


class TodaySessionOut(Schema):
    id: int
    class_id: int
    class_title: str
    kind: str
    title: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    place: str
    hours: Decimal
    checked_in: bool
    checkin_open: bool
    stream_url: str | None

    @staticmethod
    def resolve_class_id(obj) -> int:
        return obj.training_class_id

    @staticmethod
    def resolve_class_title(obj) -> str:
        return obj.training_class.title

    @staticmethod
    def resolve_checkin_open(obj) -> bool:
        return attendance.window_open(obj, timezone.now())

    @staticmethod
    def resolve_stream_url(obj):
        # The stream link is only handed out while the lecture is live.
        if obj.kind == "live" and attendance.window_open(obj, timezone.now()):
            return obj.stream_url
        return None


class HourOut(Schema):
    id: int
    content_key: str
    source: str
    session_id: int | None
    session_title: str | None
    resource_id: int | None
    resource_title: str | None
    hours: Decimal
    credited_at: datetime.datetime
    note: str

    @staticmethod
    def resolve_session_title(obj):
        return obj.session.title if obj.session_id else None

    @staticmethod
    def resolve_resource_title(obj):
        return obj.resource.title if obj.resource_id else None


class ManualHoursIn(Schema):
    hours: Decimal
    reason: str


@router.post(
    "/checkin",
    response={200: AttendanceOut, 429: ErrorOut, **WRITE_ERRORS},
    summary="学员签到（扫码令牌 token 或 6 位签到码 code）",
)
def checkin(request, payload: CheckInIn):
    if payload.token:
        return attendance.checkin_with_token(actor=request.auth, token=payload.token, session_id=payload.session_id)
    if payload.code:
        return attendance.checkin_with_code(actor=request.auth, code=payload.code)
    message = "请提供签到二维码或签到码"
    raise DomainError(message, errors=[{"field": "code", "message": message}])


@router.post(
    "/sessions/{session_id}/attendance",
    response={201: AttendanceOut, **WRITE_ERRORS},
    summary="班主任补记签到（须填写原因）",
)
def attendance_record(request, session_id: ObjectId, payload: ManualIn):
    row = attendance.attendance_record(
        actor=request.auth, session_id=session_id, enrolment_id=payload.enrolment_id, reason=payload.reason
    )
    return 201, row


@router.get(
    "/sessions/{session_id}/attendance",
    response={200: list[RowOut], **READ_ERRORS},
    summary="课程签到名单（班主任、举办单位）",
)
@paginate
def attendance_list(request, session_id: ObjectId):
    session = attendance.session_for_manager(request.auth, session_id)
    return attendance.attendance_rows(session)


@router.get("/me/classes", response={200: list[MyClassOut], **READ_ERRORS}, summary="我的班次与学时")
@paginate
def my_classes(request):
    return sel.my_enrolments(request.auth)


@router.get("/me/sessions/today", response={200: list[TodaySessionOut], **READ_ERRORS}, summary="我今天的课程")
@paginate
def my_today(request):
    return sel.today_sessions(request.auth)


@router.get(
    "/enrolments/{enrolment_id}/hours",
    response={200: list[HourOut], **READ_ERRORS},
    summary="学员的学时记录（本人、班主任与举办单位、学员所在支部）",
)
@paginate
def hour_list(request, enrolment_id: ObjectId):
    enrolment = hours.enrolment_for_viewer(request.auth, enrolment_id)
    return hours.hour_entries(enrolment)


@router.post(
    "/enrolments/{enrolment_id}/hours",
    response={201: HourOut, **WRITE_ERRORS},
    summary="班主任补记学时（须填写原因）",
)
def hour_credit(request, enrolment_id: ObjectId, payload: ManualHoursIn):
    entry = hours.manual_credit(
        actor=request.auth, enrolment_id=enrolment_id, hours=payload.hours, reason=payload.reason
    )
    return 201, entry
