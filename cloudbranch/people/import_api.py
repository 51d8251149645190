"""/api/people/imports: upload a roster workbook (→ a preview), follow its job, page through its
errors and planned changes, confirm, discard or undo it.

The same services and task as the import page; a job is visible to its creator only (404
otherwise), a confirmed one also to an organization administrator over its units. Confirm and
undo answer 409 when the preview is stale or already used (body ``{"detail", "errors"}``).
"""

import datetime

from django.core.exceptions import PermissionDenied
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import Field

from cloudbranch.core.errors import DomainError
from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS, ObjectId
from cloudbranch.orgs.scoping import holds

from . import importing

router = Router(tags=["people-imports"])
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class ImportJobOut(Schema):
    id: int
    file_name: str
    status: str
    status_label: str = Field(..., description="状态（中文）")
    dry_run: bool
    update_existing: bool
    finished: bool
    progress: int = Field(..., description="进度百分比 0-100")
    total_rows: int
    processed_rows: int
    created_count: int
    updated_count: int
    unchanged_count: int
    error_count: int
    change_count: int = Field(..., description="预览中的新增与更新人数")
    warnings: list[dict]
    message: str
    file_sha256: str = Field(..., description="上传文件的 SHA-256")
    plan_sha256: str = Field(..., description="校验后数据（计划变更）的 SHA-256")
    can_confirm: bool
    can_undo: bool
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None
    confirmed_at: datetime.datetime | None
    undone_at: datetime.datetime | None


class ImportJobListOut(Schema):
    id: int
    file_name: str
    status: str
    status_label: str
    dry_run: bool
    created_at: datetime.datetime

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()


class FieldDiffOut(Schema):
    field: str
    label: str
    old: str = Field("", description="原值（身份证号、手机号已脱敏）")
    new: str = Field("", description="新值（身份证号、手机号已脱敏）")


class ImportChangeOut(Schema):
    row: int = Field(..., description="Excel 行号")
    op: str = Field(..., description="create 新增 / update 更新")
    person: int | None = Field(None, description="被更新人员的 id")
    name: str
    diff: list[FieldDiffOut]


class ImportErrorOut(Schema):
    row: int | None = Field(None, description="出错的行号（与 Excel 中显示的行号一致）")
    column: str = Field("", description="列名")
    message: str


def _job_out(job, user) -> dict:
    latest = importing.latest_confirmed_job() if job.status == job.Status.SUCCEEDED else None
    return {
        "id": job.pk,
        "file_name": job.file_name,
        "status": job.status,
        "status_label": job.get_status_display(),
        "dry_run": job.dry_run,
        "update_existing": job.update_existing,
        "finished": job.is_finished,
        "progress": job.progress_percent,
        "total_rows": job.total_rows,
        "processed_rows": job.processed_rows,
        "created_count": job.created_count,
        "updated_count": job.updated_count,
        "unchanged_count": job.unchanged_count,
        "error_count": len(job.errors or []),
        "change_count": len(job.changes or []),
        "warnings": job.warnings or [],
        "message": job.message,
        "file_sha256": job.file_sha256,
        "plan_sha256": job.plan_sha256,
        "can_confirm": job.status == job.Status.PREVIEWED and job.created_by_id == user.pk,
        "can_undo": latest is not None and latest.pk == job.pk and importing.may_undo(user, job),
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "confirmed_at": job.confirmed_at,
        "undone_at": job.undone_at,
    }


def _require_grant(user) -> None:
    if not holds(user, importing.IMPORT_PERMISSION):
        raise PermissionDenied


@router.post("", response={202: ImportJobOut, **WRITE_ERRORS}, summary="上传人员导入文件（.xlsx），生成预览")
def import_upload(
    request,
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
    update_existing: Form[bool] = False,
):
    """Create an import job; a background task checks it into a preview (``dry_run``: checked only,
    never confirmable). Poll ``GET /api/people/imports/{id}`` until ``status`` is ``previewed`` (or
    ``failed``), read ``/changes``, then ``POST /{id}/confirm``."""
    _require_grant(request.auth)
    if file.size > MAX_UPLOAD_BYTES:
        raise DomainError("文件过大（最大 20 MB），请拆分后再导入。", errors=[{"field": "file", "message": "文件过大"}])
    job = importing.import_job_create(
        actor=request.auth,
        file_name=file.name or "upload.xlsx",
        data=file.read(),
        dry_run=dry_run,
        update_existing=update_existing,
    )
    job = importing.access_import_job(request.auth, job.pk)  # the task may already have run
    return 202, _job_out(job, request.auth)


@router.get("", response={200: list[ImportJobListOut], **READ_ERRORS}, summary="我的导入任务")
@paginate
def import_list(request):
    _require_grant(request.auth)
    return importing.import_job_list(request.auth).only("id", "file_name", "status", "dry_run", "created_at")


@router.get(
    "/{job_id}", response={200: ImportJobOut, **READ_ERRORS}, summary="导入任务状态与预览（计数、错误数、哈希）"
)
def import_detail(request, job_id: ObjectId):
    _require_grant(request.auth)
    return _job_out(importing.access_import_job(request.auth, job_id), request.auth)


@router.get("/{job_id}/changes", response={200: list[ImportChangeOut], **READ_ERRORS}, summary="预览中的计划变更")
@paginate
def import_changes(request, job_id: ObjectId):
    """New and updated people in file order, with field-level diffs (ID and phone masked)."""
    _require_grant(request.auth)
    job = importing.access_import_job(request.auth, job_id)
    return job.changes or []


def _act(request, job_id: int, service):
    _require_grant(request.auth)
    return _job_out(service(actor=request.auth, job_id=job_id), request.auth)


@router.post("/{job_id}/confirm", response={200: ImportJobOut, **WRITE_ERRORS}, summary="确认导入")
def import_confirm(request, job_id: ObjectId):
    """Re-check the stored file, the checked data and the people it updates against the preview,
    then write. 409 if anything changed since the preview, if it expired, or if already confirmed."""
    return _act(request, job_id, importing.import_confirm)


@router.post("/{job_id}/discard", response={200: ImportJobOut, **WRITE_ERRORS}, summary="放弃预览")
def import_discard(request, job_id: ObjectId):
    return _act(request, job_id, importing.import_discard)


@router.post("/{job_id}/undo", response={200: ImportJobOut, **WRITE_ERRORS}, summary="撤销导入")
def import_undo(request, job_id: ObjectId):
    """Undo the latest confirmed import as a whole. 409 if it is not the latest, was undone already,
    or a person it touched has changed since."""
    return _act(request, job_id, importing.import_undo)


@router.get("/{job_id}/errors", response={200: list[ImportErrorOut], **READ_ERRORS}, summary="导入任务的错误列表")
@paginate
def import_errors(request, job_id: ObjectId):
    _require_grant(request.auth)
    job = importing.access_import_job(request.auth, job_id)
    return job.errors or []
