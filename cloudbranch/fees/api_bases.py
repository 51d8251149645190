"""/api/fees/bases: dues bases — list, declare, decide, payroll import (same services as the pages).

Payroll import: ``POST /bases/imports`` (→ the job with its preview, nothing written), then
``GET /bases/imports/{id}/changes`` (paginated), ``POST .../confirm``, ``.../discard``, ``.../undo``
(409 when the preview is stale, expired or already used, or undo is refused). Jobs are private to
their creator (404 otherwise). The older ``POST /bases/import`` still answers with counts:
``dry_run`` checks only; without it the file is previewed and confirmed in one call.
"""

import datetime
from decimal import Decimal

from ninja import File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import Field

from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS, ObjectId

from . import bases, bases_import

router = Router(tags=["党费"])


class BaseOut(Schema):
    id: int
    person_id: int
    person_name: str
    unit_id: int
    base_kind: str
    amount: Decimal
    effective_from: datetime.date
    monthly_dues: Decimal
    status: str
    note: str
    declared_at: datetime.datetime
    decided_at: datetime.datetime | None

    @staticmethod
    def resolve_person_name(obj) -> str:
        return obj.person.name

    @staticmethod
    def resolve_unit_id(obj) -> int:
        return obj.person.unit_id


class BaseIn(Schema):
    person_id: int
    base_kind: str
    amount: Decimal
    effective_from: datetime.date
    note: str = ""


class DecisionIn(Schema):
    approve: bool
    note: str = ""


class BaseFilters(Schema):
    unit: int | None = None
    status: str = ""
    kind: str = ""
    q: str = ""


class ImportOut(Schema):
    total_rows: int
    created: int
    approved: int
    declared: int
    errors: list[dict] = []
    job: int | None = Field(None, description="写入时：导入任务 id（可撤销）")


class ImportChangeOut(Schema):
    row: int = Field(..., description="Excel 行号")
    person: int
    name: str
    unit: str
    base_kind: str
    base_kind_label: str
    amount: Decimal
    effective_from: datetime.date
    monthly_dues: Decimal
    status: str = Field(..., description="approved 直接生效 / declared 待审核")


class ImportJobOut(Schema):
    id: int
    file_name: str
    status: str
    status_label: str
    total_rows: int
    created_count: int
    approved_count: int
    declared_count: int
    message: str
    file_sha256: str
    plan_sha256: str
    can_confirm: bool
    can_undo: bool
    created_at: datetime.datetime
    confirmed_at: datetime.datetime | None
    undone_at: datetime.datetime | None
    preview: list[ImportChangeOut] = Field(..., description="预览的前 20 行；全部见 /changes")


class ImportJobListOut(Schema):
    id: int
    file_name: str
    status: str
    total_rows: int
    created_at: datetime.datetime


@router.get("/bases", response={200: list[BaseOut], **READ_ERRORS})
@paginate
def list_bases(request, filters: Query[BaseFilters]):
    """Bases in the caller's fees.view_duesbase scope plus their own; pending approvals first."""
    return bases.base_list(request.user, unit_id=filters.unit, status=filters.status, kind=filters.kind, q=filters.q)


@router.post("/bases", response={201: BaseOut, **WRITE_ERRORS})
def declare_base(request, payload: BaseIn):
    base = bases.base_declare(actor=request.user, **payload.dict())
    return 201, base


@router.post("/bases/import", response={200: ImportOut, **WRITE_ERRORS})
def import_bases(request, file: UploadedFile = File(...), dry_run: bool = False):
    """Payroll .xlsx: 学号工号 or 身份证号, 姓名, 月缴费基数, 基数类型 (工资/离退休费), 起始月份.
    All-or-nothing: any row error → 422 with every error as {row, column, message}."""
    return bases.import_bases(
        actor=request.user, data=file.read(), dry_run=dry_run, file_name=file.name or "工资表.xlsx"
    )


@router.post("/bases/{base_id}/decision", response={200: BaseOut, **WRITE_ERRORS})
def decide_base(request, base_id: int, payload: DecisionIn):
    return bases.base_decide(actor=request.user, base_id=base_id, approve=payload.approve, note=payload.note)


PREVIEW_ROWS = 20


def _job_out(job, user) -> dict:
    return {
        "id": job.pk,
        "file_name": job.file_name,
        "status": job.status,
        "status_label": job.get_status_display(),
        "total_rows": job.total_rows,
        "created_count": job.created_count,
        "approved_count": job.approved_count,
        "declared_count": job.declared_count,
        "message": job.message,
        "file_sha256": job.file_sha256,
        "plan_sha256": job.plan_sha256,
        "can_confirm": job.status == job.Status.PREVIEWED,
        "can_undo": bases_import.may_undo(user, job),
        "created_at": job.created_at,
        "confirmed_at": job.confirmed_at,
        "undone_at": job.undone_at,
        "preview": (job.changes or [])[:PREVIEW_ROWS],
    }


def _require(user) -> None:
    from django.core.exceptions import PermissionDenied

    from cloudbranch.orgs.scoping import holds

    if not holds(user, bases.CHANGE):
        raise PermissionDenied


@router.post("/bases/imports", response={201: ImportJobOut, **WRITE_ERRORS}, summary="上传工资表，生成预览")
def import_upload(request, file: UploadedFile = File(...)):
    """Check the whole file and store a preview; nothing is written. 422 with every
    {row, column, message} on any error (no job is left)."""
    job = bases_import.preview(actor=request.auth, file_name=file.name or "工资表.xlsx", data=file.read())
    return 201, _job_out(job, request.auth)


@router.get("/bases/imports", response={200: list[ImportJobListOut], **READ_ERRORS}, summary="我的工资表导入")
@paginate
def import_list(request):
    _require(request.auth)
    return bases_import.job_list(request.auth).only("id", "file_name", "status", "total_rows", "created_at")


@router.get("/bases/imports/{job_id}", response={200: ImportJobOut, **READ_ERRORS}, summary="导入任务与预览")
def import_detail(request, job_id: ObjectId):
    job = bases_import.access_job(request.auth, job_id)
    _require(request.auth)
    return _job_out(job, request.auth)


@router.get("/bases/imports/{job_id}/changes", response={200: list[ImportChangeOut], **READ_ERRORS})
@paginate
def import_changes(request, job_id: ObjectId):
    """The bases to create (or created), in file order."""
    job = bases_import.access_job(request.auth, job_id)
    _require(request.auth)
    return job.changes or []


def _act(request, job_id: int, service):
    return _job_out(service(actor=request.auth, job_id=job_id), request.auth)


@router.post("/bases/imports/{job_id}/confirm", response={200: ImportJobOut, **WRITE_ERRORS}, summary="确认导入")
def import_confirm(request, job_id: ObjectId):
    """Re-check the stored file and data against the preview, then write. 409 if anything changed,
    the preview expired, or it was confirmed already."""
    return _act(request, job_id, bases_import.confirm)


@router.post("/bases/imports/{job_id}/discard", response={200: ImportJobOut, **WRITE_ERRORS}, summary="放弃预览")
def import_discard(request, job_id: ObjectId):
    return _act(request, job_id, bases_import.discard)


@router.post("/bases/imports/{job_id}/undo", response={200: ImportJobOut, **WRITE_ERRORS}, summary="撤销导入")
def import_undo(request, job_id: ObjectId):
    """Delete the bases the import created. 409 if a bill was generated from one of them or one was
    approved, rejected or changed since."""
    return _act(request, job_id, bases_import.undo)
