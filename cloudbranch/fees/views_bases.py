"""Pages of dues bases: the list with approvals, the declaration form, decisions, payroll import
(upload → preview → confirm or discard → undo).
Thin: reads through bases selectors, writes through its services; DomainError → message, 422."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.orgs.scoping import granted_prefixes, holds
from cloudbranch.people.models import Person
from cloudbranch.people.selectors import own_person

from . import bases, bases_import
from .forms_bases import BaseDecideForm, BaseDeclareForm, BaseFilterForm, BaseImportForm

PAGE_SIZE = 20
PEOPLE_SHOWN = 500


def _approvable_paths(user) -> tuple[str, ...]:
    return granted_prefixes(user, bases.APPROVE)


@require_http_methods(["GET"])
def base_list(request):
    """Bases in scope (and the user's own), pending approvals first."""
    if not holds(request.user, "fees.view_duesbase") and own_person(request.user) is None:
        raise PermissionDenied
    form = BaseFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = bases.base_list(
        request.user, status=filters.get("status", ""), kind=filters.get("kind", ""), q=filters.get("q", "")
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    approve_paths = _approvable_paths(request.user)
    for base in page:
        base.can_decide = base.status == "declared" and base.person.unit.path.startswith(approve_paths or ("\0",))
    context = {
        "page": page,
        "form": form,
        "can_import": holds(request.user, bases.CHANGE),
        "import_form": BaseImportForm(),
    }
    return render(request, "fees/base_list.html", context)


def _declarable_people(user):
    own = own_person(user)
    people = [own] if own is not None and own.is_party_member else []
    prefixes = granted_prefixes(user, bases.CHANGE)
    if prefixes:
        from cloudbranch.orgs.scoping import scope_q

        qs = (
            Person.objects.on_roster()
            .party_members()
            .filter(scope_q("unit__path", prefixes))
            .select_related("unit")
            .order_by("unit__path", "name", "id")[:PEOPLE_SHOWN]
        )
        people += [p for p in qs if own is None or p.pk != own.pk]
    return people


@require_http_methods(["GET", "POST"])
def base_declare(request):
    """A member declares his own base; a fee collector or secretary enters one for a member."""
    people = _declarable_people(request.user)
    if not people:
        raise PermissionDenied
    initial = {"effective_from": timezone.localdate().replace(day=1), "person_id": request.GET.get("person")}
    form = BaseDeclareForm(request.POST or None, people=people, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                bases.base_declare(
                    actor=request.user,
                    person_id=data["person_id"],
                    base_kind=data["base_kind"],
                    amount=data["amount"],
                    effective_from=data["effective_from"],
                    note=data["note"],
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, "党费基数已提交，等待支部书记审核。")
                return redirect("fees:bases")
        else:
            status = 422
    return render(request, "fees/base_declare.html", {"form": form}, status=status)


@require_POST
def base_decide(request, base_id: int):
    form = BaseDecideForm(request.POST)
    form.is_valid()
    approve = bool(form.cleaned_data.get("approve")) or request.POST.get("decision") == "approve"
    try:
        bases.base_decide(actor=request.user, base_id=base_id, approve=approve, note=form.cleaned_data.get("note", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("fees:bases") if not request.htmx else _status(request, exc)
    messages.success(request, "已审核通过。" if approve else "已退回。")
    return redirect("fees:bases")


def _status(request, exc):
    from django.http import HttpResponse

    return HttpResponse(exc.message, status=exc.status)


@require_POST
def base_import(request):
    """Payroll upload → a stored preview (nothing written); any error → 422 with every row and column."""
    if not holds(request.user, bases.CHANGE):
        raise PermissionDenied
    form = BaseImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "请选择 .xlsx 文件。")
        return redirect("fees:bases")
    upload = form.cleaned_data["file"]
    try:
        job = bases_import.preview(actor=request.user, file_name=upload.name, data=upload.read())
    except DomainError as exc:
        return render(request, "fees/base_import_errors.html", {"exc": exc}, status=exc.status)
    return redirect("fees:base_import_job", job_id=job.pk)


@require_http_methods(["GET"])
def base_import_list(request):
    """The user's recent payroll imports."""
    if not holds(request.user, bases.CHANGE):
        raise PermissionDenied
    page = Paginator(bases_import.job_list(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "fees/base_import_list.html", {"page": page, "import_form": BaseImportForm()})


def _job_page(request, job, *, conflict=None, status=200):
    page = Paginator(job.changes or [], PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "job": job,
        "page": page,
        "conflict": conflict,
        "can_confirm": job.status == job.Status.PREVIEWED,
        "can_undo": bases_import.may_undo(request.user, job),
    }
    return render(request, "fees/base_import_job.html", context, status=status)


@require_http_methods(["GET"])
def base_import_job(request, job_id: int):
    """One import: its preview (the bases to create) with 确认导入 / 放弃, or its result with 撤销."""
    job = bases_import.access_job(request.user, job_id)
    if not holds(request.user, bases.CHANGE):
        raise PermissionDenied
    return _job_page(request, job)


def _act(request, job_id: int, service, done: str):
    try:
        service(actor=request.user, job_id=job_id)
    except DomainError as exc:
        job = bases_import.access_job(request.user, job_id)
        return _job_page(request, job, conflict=exc, status=exc.status)
    messages.success(request, done)
    return redirect("fees:base_import_job", job_id=job_id)


@require_POST
def base_import_confirm(request, job_id: int):
    return _act(request, job_id, bases_import.confirm, "已确认导入。")


@require_POST
def base_import_discard(request, job_id: int):
    return _act(request, job_id, bases_import.discard, "已放弃本次导入。")


@require_POST
def base_import_undo(request, job_id: int):
    return _act(request, job_id, bases_import.undo, "已撤销本次导入。")
