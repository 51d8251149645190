"""Import pages: upload form, template download, job status with a polled progress bar.

Thin: the upload becomes an ``ImportJob`` through ``importing.import_job_create``; the work is
done by the ``run_import_job`` task. A job is visible to its creator only (others get 404).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from cloudbranch.orgs.scoping import requires_grant

from . import importing

PERMISSION = importing.IMPORT_PERMISSION
ERRORS_PER_PAGE = 50
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
    dry_run = forms.BooleanField(
        label="仅校验（不写入）", required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
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
                dry_run=form.cleaned_data["dry_run"],
                update_existing=form.cleaned_data["update_existing"],
            )
            messages.info(request, "文件已上传。")
            return redirect("people_import:job", job_id=job.pk)
        status = 422
    else:
        form = ImportUploadForm()
    jobs = importing.import_job_list(request.user)[:RECENT_JOBS]
    return render(request, "people/import_start.html", {"form": form, "jobs": jobs}, status=status)


@require_GET
@requires_grant(PERMISSION)
def template(request):
    content = importing.build_template(request.user)
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = (
        "attachment; filename*=UTF-8''%E4%BA%BA%E5%91%98%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx"
    )
    return response


@require_GET
@requires_grant(PERMISSION)
def job(request, job_id: int):
    job = importing.access_import_job(request.user, job_id)
    page = Paginator(job.errors or [], ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "people/import_job.html", {"job": job, "page": page})


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
