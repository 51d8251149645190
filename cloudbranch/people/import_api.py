"""/api/people/imports: upload a roster workbook, follow its job, page through its errors.

The same service and task as the import page; a job is visible to its creator only (404 otherwise).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import Field

from cloudbranch.core.errors import DomainError
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
    error_count: int
    warnings: list[dict]
    message: str
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None


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


class ImportErrorOut(Schema):
    row: int | None = Field(None, description="出错的行号（与 Excel 中显示的行号一致）")
    column: str = Field("", description="列名")
    message: str


def _job_out(job) -> dict:
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
        "error_count": len(job.errors or []),
        "warnings": job.warnings or [],
        "message": job.message,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }


def _require_grant(user) -> None:
    if not holds(user, importing.IMPORT_PERMISSION):
        raise PermissionDenied


@router.post("", response={202: ImportJobOut}, summary="上传人员导入文件（.xlsx）")
def import_upload(
    request,
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
    update_existing: Form[bool] = False,
):
    """Create an import job; it is validated (and, unless ``dry_run``, committed) by a background task.
    Poll ``GET /api/people/imports/{id}`` for its status."""
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
    return 202, _job_out(job)


@router.get("", response=list[ImportJobListOut], summary="我的导入任务")
@paginate
def import_list(request):
    _require_grant(request.auth)
    return importing.import_job_list(request.auth).only("id", "file_name", "status", "dry_run", "created_at")


@router.get("/{job_id}", response=ImportJobOut, summary="导入任务状态")
def import_detail(request, job_id: int):
    _require_grant(request.auth)
    return _job_out(importing.access_import_job(request.auth, job_id))


@router.get("/{job_id}/errors", response=list[ImportErrorOut], summary="导入任务的错误列表")
@paginate
def import_errors(request, job_id: int):
    _require_grant(request.auth)
    job = importing.access_import_job(request.auth, job_id)
    return job.errors or []
