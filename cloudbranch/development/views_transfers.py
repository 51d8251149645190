"""Transfer pages (组织关系转接): list with tabs, detail with the approval timeline and the
action buttons, a form per kind, the printable letter, graduation batches. Thin: reads through
the selectors, writes through the services; a broken rule is shown on the page (422, or 409
for a move that does not fit the state) and nothing is written."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import can, holds, requires_grant

from . import batch as batches
from . import transfers as svc
from .choices import BatchStatus, TransferKind, TransferStatus
from .forms_transfers import (
    FORMS,
    BatchSelectForm,
    BatchUploadForm,
    DecideForm,
    ReceiptForm,
    TransferFilterForm,
)

PAGE_SIZE = 20
MAX_UPLOAD = 5 * 1024 * 1024
STATUS_BADGES = {
    TransferStatus.PENDING_OUT: "warning",
    TransferStatus.PENDING_IN: "info",
    TransferStatus.LETTER_ISSUED: "primary",
    TransferStatus.COMPLETED: "success",
    TransferStatus.REJECTED: "danger",
    TransferStatus.CANCELLED: "secondary",
}
KIND_TITLES = {
    TransferKind.INTERNAL: "系统内转接",
    TransferKind.OUTGOING: "转出至系统外",
    TransferKind.INCOMING: "从系统外转入",
}


# --- list ---------------------------------------------------------------------------------


@require_GET
@requires_grant(svc.VIEW)
def transfer_list(request):
    form = TransferFilterForm(request.GET)
    filters = form.filters()
    qs = svc.transfer_list(user=request.user, filters=filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "filters": filters,
        "tabs": svc.TABS,
        "page": page,
        "transfers": page.object_list,
        "badges": STATUS_BADGES,
        "today": timezone.localdate(),
        "can_add": holds(request.user, svc.ADD),
    }
    if request.htmx and request.htmx.target == "transfer-rows":
        return render(request, "development/transfer_list.html#rows", context)
    return render(request, "development/transfer_list.html", context)


# --- create -------------------------------------------------------------------------------


def _kind(request) -> str:
    kind = request.POST.get("kind") or request.GET.get("kind") or TransferKind.INTERNAL
    return kind if kind in TransferKind.values else TransferKind.INTERNAL


def _incoming_units(user):
    from cloudbranch.people.services import MEMBER_UNIT_KINDS

    return list(
        OrgUnit.objects.restrict(user, svc.ADD)
        .filter(status="active", kind__in=MEMBER_UNIT_KINDS)
        .only("id", "name", "code", "path")
        .order_by("path")[:200]
    )


def _render_create(request, kind, form, *, status=200):
    person = None
    raw = form.data.get("person") if form.is_bound else form.initial.get("person")
    if raw and str(raw).isdigit():
        person = svc.transferable_people(request.user, limit=None).filter(pk=int(raw)).first()
    context = {
        "kind": kind,
        "kinds": KIND_TITLES,
        "form": form,
        "person": person,
        "target": svc.resolve_target(form.data.get("to_unit")) if form.is_bound and kind == "internal" else None,
    }
    return render(request, "development/transfer_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@requires_grant(svc.ADD)
def transfer_create(request):
    kind = _kind(request)
    form_class = FORMS[kind]
    kwargs = {"units": _incoming_units(request.user)} if kind == TransferKind.INCOMING else {}
    initial = {"person": request.GET.get("person") or ""}
    form = form_class(request.POST or None, initial=initial, **kwargs)
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                if kind == TransferKind.INTERNAL:
                    transfer = svc.transfer_create_internal(
                        actor=request.user,
                        person_id=data.pop("person"),
                        to_unit=data.pop("to_unit"),
                        **data,
                    )
                elif kind == TransferKind.OUTGOING:
                    transfer = svc.transfer_create_outgoing(actor=request.user, person_id=data.pop("person"), **data)
                else:
                    transfer = svc.transfer_create_incoming(actor=request.user, **data)
            except DomainError as exc:
                apply_domain_error(form, exc, field_map={"person": "person"}, summary=True)
                return _render_create(request, kind, form, status=exc.status)
            messages.success(request, f"已提交{KIND_TITLES[kind]}申请：{transfer.person_name}。")
            return redirect("development:transfer_detail", transfer_id=transfer.pk)
        return _render_create(request, kind, form, status=422)
    return _render_create(request, kind, form)


@require_GET
@requires_grant(svc.ADD)
def transfer_person_search(request):
    """HTMX fragment: people the user may transfer, by name or staff number."""
    people = svc.transferable_people(request.user, request.GET.get("q", ""))
    return render(request, "development/transfer_form.html#person_results", {"people": people})


@require_GET
@requires_grant(svc.VIEW)
def transfer_unit_search(request):
    """HTMX fragment: destination units of the whole system, by name or code."""
    q = (request.GET.get("q") or request.GET.get("to_unit") or "").strip()
    units = svc.target_units(q) if q else []
    return render(request, "development/transfer_form.html#unit_results", {"units": units, "q": q})


# --- detail and actions ---------------------------------------------------------------------


def _detail_context(request, transfer) -> dict:
    user = request.user
    person_visible = transfer.person is not None and can(user, "people.view_person", transfer.person.unit)
    return {
        "transfer": transfer,
        "levels": svc.level_states(transfer),
        "approvals": svc._approvals(transfer),
        "next_level": svc.next_level(transfer),
        "may_decide": svc.may_decide(user, transfer),
        "may_cancel": svc.may_cancel(user, transfer),
        "may_receipt": svc.may_record_receipt(user, transfer),
        "person_visible": person_visible,
        "badges": STATUS_BADGES,
        "today": timezone.localdate(),
        "receipt_form": ReceiptForm(initial={"returned_on": timezone.localdate()}),
        "letter_ready": transfer.kind == TransferKind.OUTGOING
        and transfer.status in (TransferStatus.LETTER_ISSUED, TransferStatus.COMPLETED),
    }


@require_GET
def transfer_detail(request, transfer_id: int):
    transfer = svc.transfer_detail(request.user, transfer_id)
    return render(request, "development/transfer_detail.html", _detail_context(request, transfer))


def _action_failed(request, transfer_id, exc: DomainError):
    transfer = svc.transfer_detail(request.user, transfer_id)
    context = _detail_context(request, transfer)
    context["action_error"] = exc.message
    context["action_errors"] = [e["message"] for e in exc.errors if e.get("message") != exc.message]
    return render(request, "development/transfer_detail.html", context, status=exc.status)


@require_POST
def transfer_decide(request, transfer_id: int):
    form = DecideForm(request.POST)
    if not form.is_valid():
        return _action_failed(request, transfer_id, DomainError("请选择同意或退回"))
    try:
        transfer = svc.transfer_decide(actor=request.user, transfer_id=transfer_id, **form.cleaned_data)
    except DomainError as exc:
        return _action_failed(request, transfer_id, exc)
    word = "同意" if form.cleaned_data["decision"] == "approved" else "退回"
    messages.success(request, f"已{word}。当前状态：{transfer.get_status_display()}。")
    return redirect("development:transfer_detail", transfer_id=transfer_id)


@require_POST
def transfer_cancel(request, transfer_id: int):
    try:
        svc.transfer_cancel(actor=request.user, transfer_id=transfer_id, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        return _action_failed(request, transfer_id, exc)
    messages.success(request, "已撤销该转接申请。")
    return redirect("development:transfer_detail", transfer_id=transfer_id)


@require_POST
def transfer_receipt(request, transfer_id: int):
    form = ReceiptForm(request.POST)
    if not form.is_valid():
        return _action_failed(request, transfer_id, DomainError("请填写回执返回日期"))
    try:
        svc.transfer_record_receipt(
            actor=request.user, transfer_id=transfer_id, returned_on=form.cleaned_data["returned_on"]
        )
    except DomainError as exc:
        return _action_failed(request, transfer_id, exc)
    messages.success(request, "已登记回执，转接完成，该人员已转出。")
    return redirect("development:transfer_detail", transfer_id=transfer_id)


@require_GET
def transfer_letter(request, transfer_id: int):
    transfer = svc.access_transfer(request.user, transfer_id, "add")
    try:
        context = svc.letter_context(request.user, transfer)
    except DomainError as exc:
        return _action_failed(request, transfer_id, exc)
    return render(request, "development/transfer_letter.html", context)


# --- batches ------------------------------------------------------------------------------------


def _batch_page(request, *, upload_form=None, select_form=None, outcome=None, status=200):
    units = list(batches.batch_units(request.user))
    upload_form = upload_form or BatchUploadForm(units=units)
    select_form = select_form or BatchSelectForm(units=units)
    context = {
        "upload_form": upload_form,
        "select_form": select_form,
        "outcome": outcome,
        "recent": list(batches.batch_list(request.user).filter(created_by=request.user)[:10]),
        "units": units,
    }
    return render(request, "development/transfer_batch.html", context, status=status)


@require_http_methods(["GET", "POST"])
@requires_grant(svc.ADD)
def transfer_batch(request):
    units = list(batches.batch_units(request.user))
    if request.method == "GET":
        return _batch_page(request)
    mode = request.POST.get("mode", "upload")
    if mode == "select":
        form = BatchSelectForm(request.POST, units=units)
        if not form.is_valid():
            return _batch_page(request, select_form=form, status=422)
        data = form.cleaned_data
        try:
            outcome = batches.batch_from_selection(
                actor=request.user,
                unit_id=data["unit"],
                person_ids=data["people"],
                kind=data["kind"],
                to_unit=data["to_unit"],
                external_org=data["external_org"],
                reason=data["reason"],
                dues_paid_until=data["dues_paid_until"],
                title=data["title"],
                dry_run=data["dry_run"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc, summary=True)
            return _batch_page(request, select_form=form, status=exc.status)
        return _after_batch(request, outcome, select_form=form)
    form = BatchUploadForm(request.POST, request.FILES, units=units)
    if not form.is_valid():
        return _batch_page(request, upload_form=form, status=422)
    upload = form.cleaned_data["file"]
    if upload.size > MAX_UPLOAD:
        form.add_error("file", "文件过大（最大 5 MB）")
        return _batch_page(request, upload_form=form, status=422)
    outcome = batches.batch_upload(
        actor=request.user,
        unit_id=form.cleaned_data["unit"],
        data=upload.read(),
        file_name=upload.name,
        title=form.cleaned_data["title"],
        dry_run=form.cleaned_data["dry_run"],
    )
    return _after_batch(request, outcome, upload_form=form)


def _after_batch(request, outcome, **forms):
    if outcome.batch.status == BatchStatus.SUBMITTED:
        messages.success(request, f"已提交批量转接：创建 {outcome.created} 条转接申请。")
        return redirect("development:transfer_batch_detail", batch_id=outcome.batch.pk)
    return _batch_page(request, outcome=outcome, status=200 if outcome.ok else 422, **forms)


@require_GET
@requires_grant(svc.ADD)
def transfer_batch_people(request):
    """HTMX fragment: the people of a class (department) of a unit, all ticked."""
    raw = request.GET.get("unit") or ""
    unit = batches.batch_units(request.user, limit=None).filter(pk=int(raw)).first() if raw.isdigit() else None
    department = (request.GET.get("department") or "").strip()
    context = {
        "unit": unit,
        "departments": batches.class_departments(request.user, unit) if unit else [],
        "department": department,
        "people": list(batches.class_people(request.user, unit, department)) if unit and department else [],
    }
    return render(request, "development/transfer_batch.html#class_people", context)


@require_GET
@requires_grant(svc.ADD)
def transfer_batch_template(request):
    response = HttpResponse(
        batches.build_template(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = "attachment; filename*=UTF-8''transfer_batch_template.xlsx"
    return response


@require_GET
def transfer_batch_detail(request, batch_id: int):
    batch = batches.access_batch(request.user, batch_id)
    qs = svc.transfer_list(user=request.user, filters={"batch": batch.pk})
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    pending = qs.filter(status__in=[TransferStatus.PENDING_OUT, TransferStatus.PENDING_IN]).count()
    context = {
        "batch": batch,
        "page": page,
        "transfers": page.object_list,
        "badges": STATUS_BADGES,
        "pending": pending,
        "today": timezone.localdate(),
        "may_approve": pending and can(request.user, svc.APPROVE, batch.from_unit),
    }
    return render(request, "development/transfer_batch_detail.html", context)


@require_POST
def transfer_batch_approve(request, batch_id: int):
    try:
        count = batches.batch_approve(actor=request.user, batch_id=batch_id, comment=request.POST.get("comment", ""))
    except PermissionDenied:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("development:transfer_batch_detail", batch_id=batch_id)
    messages.success(request, f"已批量同意 {count} 条转接。")
    return redirect("development:transfer_batch_detail", batch_id=batch_id)
