"""/api/development: documents, public notices and the holiday calendar, through the same
services and selectors as the pages."""

import datetime

from django.urls import reverse
from django.utils import timezone
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate

from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS

from . import documents, notices
from .models import CalendarDay

router = Router(tags=["发展党员：材料与公示"])


class DocumentOut(Schema):
    id: int
    case_id: int
    record_id: int | None
    step_code: str | None = None
    kind: str
    kind_label: str
    title: str
    generated: bool
    original_name: str
    content_type: str
    size: int
    created_at: datetime.datetime
    url: str

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_step_code(obj) -> str | None:
        return obj.record.step.code if obj.record_id else None

    @staticmethod
    def resolve_url(obj) -> str:
        return reverse("development:document", args=[obj.pk])


class DocumentDetailOut(DocumentOut):
    body: str


class GenerateIn(Schema):
    template: str
    record_id: int | None = None


class NoticeOut(Schema):
    id: int
    case_id: int
    person_name: str
    unit_name: str
    kind: str
    kind_label: str
    starts_on: datetime.date
    ends_on: datetime.date
    workdays: int
    text: str
    contact: str
    url: str

    @staticmethod
    def resolve_person_name(obj) -> str:
        return obj.case.person.name

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.case.person.unit.name

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_url(obj) -> str:
        return reverse("development:notice_detail", args=[obj.pk])


class NoticeManagerOut(NoticeOut):
    objections: str


class NoticeIn(Schema):
    kind: str
    starts_on: datetime.date | None = None
    workdays: int | None = None
    contact: str = ""
    text: str = ""


class CalendarDayOut(Schema):
    id: int
    date: datetime.date
    is_workday: bool
    note: str


class CalendarFilters(Schema):
    year: int | None = None


@router.get(
    "/cases/{int:case_id}/documents",
    response={200: list[DocumentOut], **READ_ERRORS},
    summary="发展材料列表（view_case；分页）",
)
@paginate
def document_list(request, case_id: int):
    case = documents.access_case(request.auth, case_id)
    return documents.case_documents(request.auth, case)


@router.post(
    "/cases/{int:case_id}/documents",
    response={201: DocumentOut, **WRITE_ERRORS},
    summary="上传材料（PDF、JPG、PNG、DOCX，≤20 MB；record_step）",
)
def document_upload(
    request,
    case_id: int,
    file: File[UploadedFile],
    kind: Form[str],
    title: Form[str] = "",
    record_id: Form[int | None] = None,
):
    document = documents.document_upload(
        actor=request.auth, case_id=case_id, uploaded_file=file, kind=kind, title=title, record_id=record_id
    )
    return 201, documents.access_document(request.auth, document.pk)


@router.post(
    "/cases/{int:case_id}/documents/generate",
    response={201: DocumentDetailOut, **WRITE_ERRORS},
    summary="按记录生成材料（template：talk、assessment、political_review、training、public_notice、"
    "admission_vote、approval、oath、confirmation_vote、confirmation）",
)
def document_generate(request, case_id: int, payload: GenerateIn):
    document = documents.document_generate(
        actor=request.auth, case_id=case_id, template=payload.template, record_id=payload.record_id
    )
    return 201, documents.access_document(request.auth, document.pk)


@router.get(
    "/documents/{int:document_id}",
    response={200: DocumentDetailOut, **READ_ERRORS},
    summary="材料信息（生成的材料含正文；url 为下载地址）",
)
def document_get(request, document_id: int):
    return documents.access_document(request.auth, document_id)


@router.get(
    "/cases/{int:case_id}/notices",
    response={200: list[NoticeManagerOut], **READ_ERRORS},
    summary="某发展对象的公示（view_case；分页）",
)
@paginate
def case_notice_list(request, case_id: int):
    case = documents.access_case(request.auth, case_id)
    return notices.case_notices(case).select_related("case__person__unit")


@router.post(
    "/cases/{int:case_id}/notices",
    response={201: NoticeManagerOut, **WRITE_ERRORS},
    summary="发布公示（结束日期按工作日和节假日计算；record_step）",
)
def notice_post(request, case_id: int, payload: NoticeIn):
    notice = notices.notice_create(actor=request.auth, case_id=case_id, **payload.dict())
    return 201, notices.access_notice(request.auth, notice.pk)


@router.get(
    "/notices",
    response={200: list[NoticeOut], **READ_ERRORS},
    summary="公示栏：本人所在学院（上级党组织）范围内正在公示和近 30 天结束的公示（分页）",
)
@paginate
def notice_board(request):
    return notices.notice_board(request.auth, today=timezone.localdate())


@router.get(
    "/calendar",
    response={200: list[CalendarDayOut], **READ_ERRORS},
    summary="节假日与调休（某年的例外日期；分页）",
)
@paginate
def calendar_list(request, filters: Query[CalendarFilters]):
    year = filters.year if filters.year and 2000 <= filters.year <= 2100 else timezone.localdate().year
    return CalendarDay.objects.filter(date__year=year).order_by("date")
