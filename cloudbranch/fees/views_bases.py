"""Pages of dues bases: the list with approvals, the declaration form, decisions, payroll import.
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

from . import bases
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
    """Payroll import: all rows checked, nothing written on any error."""
    if not holds(request.user, bases.CHANGE):
        raise PermissionDenied
    form = BaseImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "请选择 .xlsx 文件。")
        return redirect("fees:bases")
    try:
        result = bases.import_bases(actor=request.user, data=form.cleaned_data["file"].read())
    except DomainError as exc:
        return render(request, "fees/base_import_errors.html", {"exc": exc}, status=exc.status)
    messages.success(
        request,
        f"已导入 {result['created']} 条基数（直接生效 {result['approved']} 条，待审核 {result['declared']} 条）。",
    )
    return redirect("fees:bases")
