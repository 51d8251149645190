"""公文材料 pages: templates (history, upload, activation), the field catalogue, one-document
downloads per kind and bulk batches with a polled progress bar. Thin: services do the work."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.development.choices import CaseStatus, Stage
from cloudbranch.orgs.scoping import requires_grant

from . import catalogue, services
from .builders import default_template
from .choices import DocumentKind

PER_PAGE = 20
MAX_UPLOAD_BYTES = services.MAX_TEMPLATE_BYTES


def file_response(generated: services.Generated) -> HttpResponse:
    """A download with the Chinese file name (RFC 5987 ``filename*``)."""
    response = HttpResponse(generated.content, content_type=generated.content_type)
    response["Content-Disposition"] = content_disposition_header(True, generated.filename)
    response["Cache-Control"] = "private, no-store"
    return response


def _failed(request, exc, status: int | None = None):
    return render(
        request, "paperwork/failed.html", {"message": exc.message, "errors": exc.errors}, status=status or exc.status
    )


def _index(request, *, upload_errors=None, upload_values=None, status=200):
    page = Paginator(services.batch_list(request.user), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "kinds": services.templates_by_kind(),
        "may_change": services.may_change_templates(request.user),
        "batches": page,
        "upload_errors": upload_errors,
        "upload_values": upload_values or {},
        "kind_choices": DocumentKind.choices,
        "max_mb": MAX_UPLOAD_BYTES // services.MB,
    }
    return render(request, "paperwork/index.html", context, status=status)


@login_required
@require_GET
@requires_grant(services.VIEW_PERM)
def index(request):
    return _index(request)


@login_required
@require_GET
@requires_grant(services.VIEW_PERM)
def fields(request):
    kinds = [{"kind": k, "label": DocumentKind(k).label, "fields": catalogue.CATALOGUE[k]} for k in DocumentKind.values]
    return render(request, "paperwork/fields.html", {"kinds": kinds})


@login_required
@require_POST
@requires_grant(services.CHANGE_PERM)
def template_upload(request):
    upload = request.FILES.get("file")
    values = {k: request.POST.get(k, "") for k in ("kind", "name", "note")}
    values["activate"] = request.POST.get("activate", "") == "on"
    if upload is None:
        return _index(
            request,
            upload_errors={"message": "请选择要上传的 .docx 模板。", "errors": []},
            upload_values=values,
            status=422,
        )
    if upload.size > MAX_UPLOAD_BYTES:
        return _index(
            request,
            upload_errors={"message": "模板文件过大（最大 5 MB）。", "errors": []},
            upload_values=values,
            status=422,
        )
    try:
        template = services.template_upload(
            actor=request.user,
            kind=values["kind"],
            file_name=upload.name,
            data=upload.read(),
            name=values["name"],
            note=values["note"],
            activate=values["activate"],
        )
    except services.DomainError as exc:
        return _index(
            request, upload_errors={"message": exc.message, "errors": exc.errors}, upload_values=values, status=422
        )
    state = "并已启用" if template.is_active else "（未启用）"
    messages.success(request, f"已上传“{template.get_kind_display()}”模板第 {template.version} 版{state}。")
    return redirect("paperwork:index")


@login_required
@require_POST
@requires_grant(services.CHANGE_PERM)
def template_activate(request, template_id: int):
    template = services.template_activate(actor=request.user, template_id=template_id)
    messages.success(request, f"已启用“{template.get_kind_display()}”模板第 {template.version} 版。")
    return redirect("paperwork:index")


@login_required
@require_GET
@requires_grant(services.VIEW_PERM)
def template_download(request, template_id: int):
    template = services.access_template(request.user, template_id)
    name = f"{template.get_kind_display()}-模板第{template.version}版.docx"
    return file_response(services.Generated(name, bytes(template.content), services.DOCX_TYPE))


@login_required
@require_GET
@requires_grant(services.VIEW_PERM)
def default_download(request, kind: str):
    if kind not in DocumentKind.values:
        from django.http import Http404

        raise Http404
    name = f"{DocumentKind(kind).label}-内置模板.docx"
    return file_response(services.Generated(name, default_template(kind), services.DOCX_TYPE))


# --- one document -------------------------------------------------------------------------------


def _generate(request, kind: str, object_id, options: dict | None = None):
    fmt = request.GET.get("format", "docx")
    try:
        generated = services.document_generate(
            actor=request.user, kind=kind, object_id=object_id, options=options or {}, fmt=fmt
        )
    except services.DomainError as exc:
        return _failed(request, exc)
    return file_response(generated)


@login_required
@require_GET
def filing_form(request, case_id: int):
    return _generate(request, DocumentKind.FILING_FORM, case_id)


@login_required
@require_GET
def public_notice(request, notice_id: int):
    return _generate(request, DocumentKind.PUBLIC_NOTICE, notice_id)


@login_required
@require_GET
def transfer_letter(request, transfer_id: int):
    return _generate(request, DocumentKind.TRANSFER_LETTER, transfer_id)


@login_required
@require_GET
def ledger_cover(request, unit_id: int, year: int):
    return _generate(request, DocumentKind.LEDGER_COVER, unit_id, {"year": year})


@login_required
@require_GET
def dues_receipt(request, entry_id: int):
    return _generate(request, DocumentKind.DUES_RECEIPT, entry_id)


# --- batches ------------------------------------------------------------------------------------


def _batch_form_context(request, values: dict, error=None) -> dict:
    return {
        "units": list(services.batch_units(request.user)[:500]),
        "kind_choices": DocumentKind.choices,
        "stages": Stage.choices,
        "statuses": CaseStatus.choices,
        "values": values,
        "error": error,
    }


@login_required
@require_http_methods(["GET", "POST"])
@requires_grant(services.BATCH_PERM)
def batch_create(request):
    keys = ("kind", "unit", "stage", "status", "date_from", "date_to", "year")
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in keys}
        try:
            batch = services.batch_create(
                actor=request.user,
                kind=values["kind"],
                unit_id=values["unit"] or 0,
                filters={k: values[k] for k in keys[2:]},
            )
        except services.DomainError as exc:
            return render(request, "paperwork/batch_create.html", _batch_form_context(request, values, exc), status=422)
        messages.info(request, f"已开始批量生成 {batch.total} 份。")
        return redirect("paperwork:batch_detail", batch_id=batch.pk)
    values = {k: request.GET.get(k, "") for k in keys}
    values["year"] = values["year"] or str(timezone.localdate().year)
    return render(request, "paperwork/batch_create.html", _batch_form_context(request, values))


@login_required
@require_GET
@requires_grant(services.BATCH_PERM)
def batch_detail(request, batch_id: int):
    batch = services.access_batch(request.user, batch_id)
    return render(request, "paperwork/batch_detail.html", {"batch": batch})


@login_required
@require_GET
@requires_grant(services.BATCH_PERM)
def batch_progress(request, batch_id: int):
    batch = services.access_batch(request.user, batch_id)
    response = render(request, "paperwork/batch_detail.html#batch_progress", {"batch": batch})
    if batch.is_finished and request.htmx:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
@requires_grant(services.BATCH_PERM)
def batch_download(request, batch_id: int):
    try:
        generated = services.batch_download(actor=request.user, batch_id=batch_id)
    except services.DomainError as exc:
        return _failed(request, exc)
    return file_response(generated)
