"""/api/meetings: minutes, amendments, attachments and talks, through the same services as the pages."""

import datetime

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from ninja import File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate

from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import access_by_id, holds

from . import records

router = Router(tags=["组织生活"])


class AmendmentOut(Schema):
    id: int
    text: str
    reason: str
    created_by: str
    created_at: datetime.datetime

    @staticmethod
    def resolve_created_by(obj) -> str:
        return str(obj.created_by)


class MinutesOut(Schema):
    meeting_id: int
    status: str
    minutes: str
    decisions: str
    can_edit: bool
    can_amend: bool
    amendments: list[AmendmentOut]


class MinutesIn(Schema):
    minutes: str = ""
    decisions: str = ""


class AmendmentIn(Schema):
    text: str
    reason: str


class AttachmentOut(Schema):
    id: int
    meeting_id: int
    kind: str
    original_name: str
    content_type: str
    size: int
    uploaded_at: datetime.datetime
    url: str

    @staticmethod
    def resolve_url(obj) -> str:
        return reverse("meetings:attachment", args=[obj.pk])


class TalkOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    interviewer_id: int
    interviewer_name: str
    interviewee_id: int
    interviewee_name: str
    held_on: datetime.date
    topic: str
    summary: str

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_interviewer_name(obj) -> str:
        return obj.interviewer.name

    @staticmethod
    def resolve_interviewee_name(obj) -> str:
        return obj.interviewee.name


class TalkIn(Schema):
    unit_id: int
    interviewer_id: int
    interviewee_id: int
    held_on: datetime.date
    topic: str
    summary: str = ""


class TalkFilters(Schema):
    unit: int | None = None
    year: int | None = None
    person: str | None = None


class MissingPersonOut(Schema):
    id: int
    name: str
    unit_id: int
    unit_name: str

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name


class CoverageOut(Schema):
    unit_id: int
    year: int
    total: int
    covered: int
    missing: list[MissingPersonOut]


def _minutes_out(user, meeting) -> dict:
    record = records.meeting_record(user, meeting)
    return {
        "meeting_id": meeting.pk,
        "status": meeting.status,
        "minutes": meeting.minutes,
        "decisions": meeting.decisions,
        "can_edit": record.can_edit,
        "can_amend": record.can_amend,
        "amendments": record.amendments,
    }


def _readable_meeting(user, meeting_id: int):
    meeting = records.access_meeting(user, meeting_id)
    if not records.may_read(user, meeting):
        raise PermissionDenied
    return meeting


@router.get(
    "/{int:meeting_id}/minutes",
    response={200: MinutesOut, **READ_ERRORS},
    summary="会议记录、决议与更正（出席者与主办方可读）",
)
def minutes_get(request, meeting_id: int):
    return _minutes_out(request.auth, _readable_meeting(request.auth, meeting_id))


@router.put(
    "/{int:meeting_id}/minutes",
    response={200: MinutesOut, **WRITE_ERRORS},
    summary="保存会议记录与决议（已通知或已召开；归档后 409）",
)
def minutes_put(request, meeting_id: int, payload: MinutesIn):
    meeting = records.minutes_save(
        actor=request.auth, meeting_id=meeting_id, minutes=payload.minutes, decisions=payload.decisions
    )
    return _minutes_out(request.auth, records.access_meeting(request.auth, meeting.pk))


@router.post(
    "/{int:meeting_id}/amendments",
    response={201: AmendmentOut, **WRITE_ERRORS},
    summary="追加更正（仅已归档的会议）",
)
def amendment_post(request, meeting_id: int, payload: AmendmentIn):
    return 201, records.minutes_amend(
        actor=request.auth, meeting_id=meeting_id, text=payload.text, reason=payload.reason
    )


@router.get("/{int:meeting_id}/attachments", response={200: list[AttachmentOut], **READ_ERRORS}, summary="会议附件")
@paginate
def attachment_list(request, meeting_id: int):
    meeting = _readable_meeting(request.auth, meeting_id)
    return meeting.attachments.order_by("uploaded_at", "id")


@router.post(
    "/{int:meeting_id}/attachments",
    response={201: AttachmentOut, **WRITE_ERRORS},
    summary="上传附件（图片 ≤10 MB 自动缩小并去除 EXIF；PDF/DOCX/XLSX/PPTX/TXT ≤20 MB）",
)
def attachment_post(request, meeting_id: int, file: File[UploadedFile]):
    return 201, records.attachment_add(actor=request.auth, meeting_id=meeting_id, uploaded_file=file)


@router.delete("/attachments/{int:attachment_id}", response={204: None, **WRITE_ERRORS}, summary="删除附件（归档前）")
def attachment_remove(request, attachment_id: int):
    records.attachment_delete(actor=request.auth, attachment_id=attachment_id)
    return 204, None


@router.get("/talks", response={200: list[TalkOut], **READ_ERRORS}, summary="谈心谈话（分页；按组织、年度、姓名筛选）")
@paginate
def talk_list(request, filters: Query[TalkFilters]):
    if not holds(request.auth, "meetings.view_talk"):
        raise PermissionDenied
    return records.talk_list(user=request.auth, filters=filters.dict(exclude_none=True))


@router.post("/talks", response={201: TalkOut, **WRITE_ERRORS}, summary="登记谈心谈话")
def talk_post(request, payload: TalkIn):
    talk = records.talk_record(actor=request.auth, **payload.dict())
    return 201, talk


@router.get(
    "/talks/coverage",
    response={200: CoverageOut, **READ_ERRORS},
    summary="谈话覆盖：本年度尚未与委员谈话的党员（第十九条）",
)
def talk_coverage(request, unit: int, year: int | None = None):
    org = access_by_id(request.auth, OrgUnit, unit, action="meetings.view_talk")
    year = year or timezone.localdate().year
    covered, missing = records.talk_coverage(org, year)
    return {"unit_id": org.pk, "year": year, "total": covered + len(missing), "covered": covered, "missing": missing}
