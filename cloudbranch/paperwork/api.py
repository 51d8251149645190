"""/api/documents: templates (list, upload, activate), fields per kind, one document, batches."""

import datetime

from django.core.exceptions import PermissionDenied
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate

from cloudbranch.core.errors import DomainError
from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS, ObjectId
from cloudbranch.orgs.scoping import holds

from . import catalogue, services
from .choices import DocumentKind
from .views import file_response

router = Router(tags=["documents"])


class TemplateOut(Schema):
    id: int
    kind: str
    name: str
    file_name: str
    size: int
    version: int
    is_active: bool
    note: str
    uploaded_at: datetime.datetime


class FieldOut(Schema):
    name: str
    label: str
    example: str
    optional: bool
    loop_var: str = ""
    items: list["FieldOut"] = []


class BatchIn(Schema):
    kind: DocumentKind
    unit: ObjectId
    stage: int | None = None
    status: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    year: int | None = None


class BatchOut(Schema):
    id: int
    kind: str
    unit: int
    status: str
    total: int
    done: int
    progress: int
    error: str
    created_at: datetime.datetime
    expires_at: datetime.datetime


def _batch_out(b) -> dict:
    return {
        "id": b.pk,
        "kind": b.kind,
        "unit": b.unit_id,
        "status": b.status,
        "total": b.total,
        "done": b.done,
        "progress": b.progress_percent,
        "error": b.error,
        "created_at": b.created_at,
        "expires_at": b.expires_at,
    }


def _require(user, perm: str) -> None:
    if not holds(user, perm):
        raise PermissionDenied


def _field_out(f) -> dict:
    return {
        "name": f.name,
        "label": f.label,
        "example": f.example,
        "optional": f.optional,
        "loop_var": f.loop_var,
        "items": [_field_out(i) for i in f.items],
    }


@router.get("/templates", response={200: list[TemplateOut], **READ_ERRORS}, summary="模板列表（全部版本）")
@paginate
def template_list(request, kind: DocumentKind | None = None):
    _require(request.auth, services.VIEW_PERM)
    return services.template_list(kind=kind)


@router.post("/templates", response={201: TemplateOut, **WRITE_ERRORS}, summary="上传模板（.docx）")
def template_upload(
    request,
    file: File[UploadedFile],
    kind: Form[DocumentKind],
    name: Form[str] = "",
    note: Form[str] = "",
    activate: Form[bool] = True,
):
    _require(request.auth, services.CHANGE_PERM)
    if file.size > services.MAX_TEMPLATE_BYTES:
        raise DomainError("模板文件过大（最大 5 MB）。", errors=[{"field": "file", "message": "文件过大"}])
    template = services.template_upload(
        actor=request.auth,
        kind=kind,
        file_name=file.name or "template.docx",
        data=file.read(),
        name=name,
        note=note,
        activate=activate,
    )
    return 201, template


@router.post("/templates/{template_id}/activate", response={200: TemplateOut, **WRITE_ERRORS}, summary="启用模板版本")
def template_activate(request, template_id: ObjectId):
    return services.template_activate(actor=request.auth, template_id=template_id)


@router.get("/fields/{kind}", response={200: list[FieldOut], **READ_ERRORS}, summary="某类文书的可用字段")
def fields(request, kind: DocumentKind):
    _require(request.auth, services.VIEW_PERM)
    return [_field_out(f) for f in catalogue.CATALOGUE[kind]]


@router.get(
    "/generate/{kind}/{object_id}",
    response={200: None, **READ_ERRORS, 409: WRITE_ERRORS[409], 422: WRITE_ERRORS[422]},
    summary="生成一份文书（.docx，或 format=pdf）",
)
def generate(request, kind: DocumentKind, object_id: ObjectId, year: int | None = None, format: str = "docx"):
    """The object's own access rules apply (404 outside the scope). ``year`` for a ledger cover."""
    generated = services.document_generate(
        actor=request.auth, kind=kind, object_id=object_id, options={"year": year}, fmt=format
    )
    return file_response(generated)


@router.post("/batches", response={202: BatchOut, **WRITE_ERRORS}, summary="创建批量生成任务")
def batch_create(request, payload: BatchIn):
    data = payload.dict()
    batch = services.batch_create(
        actor=request.auth,
        kind=data.pop("kind"),
        unit_id=data.pop("unit"),
        filters={k: (v.isoformat() if isinstance(v, datetime.date) else v) for k, v in data.items()},
    )
    return 202, _batch_out(services.access_batch(request.auth, batch.pk))


@router.get("/batches", response={200: list[BatchOut], **READ_ERRORS}, summary="批量生成任务")
@paginate
def batch_list(request):
    _require(request.auth, services.BATCH_PERM)
    return [_batch_out(b) for b in services.batch_list(request.auth)]


@router.get("/batches/{batch_id}", response={200: BatchOut, **READ_ERRORS}, summary="批量生成任务状态")
def batch_detail(request, batch_id: ObjectId):
    return _batch_out(services.access_batch(request.auth, batch_id))


@router.get(
    "/batches/{batch_id}/download",
    response={200: None, **READ_ERRORS, 409: WRITE_ERRORS[409]},
    summary="下载批量生成的 .zip",
)
def batch_download(request, batch_id: ObjectId):
    return file_response(services.batch_download(actor=request.auth, batch_id=batch_id))
