"""Import pages: upload form, template download, job page (polled progress → preview), and the
confirm / discard / undo buttons (POST).

Thin: the upload becomes an ``ImportJob`` through ``importing.import_job_create``; the preview is
made by the ``run_import_job`` task; confirm, discard and undo are services that raise
``ConflictError`` (shown on the job page with status 409, nothing written). A job is visible to
its creator only (others get 404), and a confirmed one also to an organization administrator
over its units (who may undo it).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core.errors import ConflictError
from cloudbranch.orgs.scoping import requires_grant

from . import importing

PERMISSION = importing.IMPORT_PERMISSION
ERRORS_PER_PAGE = 50
CHANGES_PER_PAGE = 20
RECENT_JOBS = 10
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="Excel 文件（.xlsx）",
        widget=forms.ClearableFileInput(
            attrs={
                "class": "form-control",
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            }
        ),
        error_messages={"required": "请选择要上传的 .xlsx 文件。", "empty": "上传的文件是空的。"},
    )
    update_existing = forms.BooleanField(
        label="按身份证号更新已有人员",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
        help_text="不勾选时，文件中已登记在册的身份证号会被列为错误。",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("文件过大（最大 20 MB），请拆分后再导入。")
        return upload


@require_http_methods(["GET", "POST"])
@requires_grant(PERMISSION)
def start(request):
    status = 200
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            job = importing.import_job_create(
                actor=request.user,
                file_name=upload.name,
                data=upload.read(),
                update_existing=form.cleaned_data["update_existing"],
            )
            messages.info(request, "文件已上传，正在生成预览。")
            return redirect("people_import:job", job_id=job.pk)
        status = 422
    else:
        form = ImportUploadForm()
    jobs = list(importing.import_job_list(request.user)[:RECENT_JOBS])
    latest = importing.latest_confirmed_job()
    undoable = latest if latest is not None and importing.may_undo(request.user, latest) else None
    context = {"form": form, "jobs": jobs, "undoable": undoable}
    return render(request, "people/import_start.html", context, status=status)


@require_GET
@requires_grant(PERMISSION)
def template(request):
    content = importing.build_template(request.user)
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = (
        "attachment; filename*=UTF-8''%E4%BA%BA%E5%91%98%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx"
    )
    return response


def _job_page(request, job, *, status: int = 200, error: ConflictError | None = None):
    shown = (job.Status.PREVIEWED, job.Status.SUCCEEDED, job.Status.UNDONE)
    items = job.errors or (job.changes if job.status in shown else [])
    per_page = ERRORS_PER_PAGE if job.errors else CHANGES_PER_PAGE
    page = Paginator(items, per_page).get_page(request.GET.get("page"))
    latest = importing.latest_confirmed_job() if job.status == job.Status.SUCCEEDED else None
    context = {
        "job": job,
        "page": page,
        "can_confirm": job.status == job.Status.PREVIEWED and job.created_by_id == request.user.pk,
        "can_undo": latest is not None and latest.pk == job.pk and importing.may_undo(request.user, job),
        "conflict": error,
    }
    return render(request, "people/import_job.html", context, status=status)


@require_GET
@requires_grant(PERMISSION)
def job(request, job_id: int):
    return _job_page(request, importing.access_import_job(request.user, job_id))


def _act(request, job_id: int, service, done: str):
    try:
        service(actor=request.user, job_id=job_id)
    except ConflictError as exc:
        return _job_page(request, importing.access_import_job(request.user, job_id), status=409, error=exc)
    messages.success(request, done)
    return redirect("people_import:job", job_id=job_id)


@require_POST
@requires_grant(PERMISSION)
def confirm(request, job_id: int):
    return _act(request, job_id, importing.import_confirm, "已确认导入。")


@require_POST
@requires_grant(PERMISSION)
def discard(request, job_id: int):
    return _act(request, job_id, importing.import_discard, "已放弃本次导入，未写入任何数据。")


@require_POST
@requires_grant(PERMISSION)
def undo(request, job_id: int):
    return _act(request, job_id, importing.import_undo, "已撤销本次导入。")


@require_GET
@requires_grant(PERMISSION)
def job_progress(request, job_id: int):
    """The polled fragment. Once the job has finished, an HTMX poll reloads the whole page
    (which then shows the error table or the result)."""
    job = importing.access_import_job(request.user, job_id)
    response = render(request, "people/import_job.html#job_progress", {"job": job})
    if job.is_finished and request.htmx:
        response["HX-Refresh"] = "true"
    return response
