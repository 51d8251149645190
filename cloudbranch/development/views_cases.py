"""Pages of development cases: list, open (application), detail with the 25 steps, step forms
(HTMX fragments), void, extension, termination, contacts, and the applicant's own progress.
Thin: reads through selectors, writes through services; a refused step shows the rule's
message in the form with status 422 and nothing is written."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import can, holds, requires_grant
from cloudbranch.people.selectors import own_person
from cloudbranch.people.services import access_person_by_id

from . import cases, state
from .choices import CaseStatus
from .forms_cases import CaseFilterForm, CaseOpenForm, ContactReplaceForm, ExtendForm, StepForm, TerminateForm, VoidForm

PAGE_SIZE = 20


def _back(case) -> str:
    return reverse("development:case_detail", args=[case.pk])


def _done(request, url: str):
    """After a write: HTMX follows HX-Redirect, a plain form post a 303."""
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


# --- list ---------------------------------------------------------------------------------


@require_GET
@requires_grant(cases.VIEW)
def case_list(request):
    form = CaseFilterForm(request.GET)
    filters = form.filters()
    qs = cases.case_list(user=request.user, filters=filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    cases.step_names(page.object_list)
    context = {"form": form, "filters": filters, "page": page, "cases": page.object_list, "today": timezone.localdate()}
    if request.htmx and request.htmx.target == "case-rows":
        return render(request, "development/case_list.html#rows", context)
    context["units"] = list(
        OrgUnit.objects.restrict(request.user, cases.VIEW)
        .filter(status="active")
        .exclude(kind="group")
        .only("id", "name", "code")
        .order_by("path")[:200]
    )
    context["can_add"] = holds(request.user, cases.RECORD)
    return render(request, "development/case_list.html", context)


# --- open ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@requires_grant(cases.RECORD)
def case_create(request):
    person_id = request.GET.get("person") or request.POST.get("person")
    if not person_id:
        raise Http404
    person = access_person_by_id(request.user, person_id, action=cases.RECORD)
    open_case = cases.Case.objects.filter(person=person, status=CaseStatus.OPEN).first()
    status = 200
    if request.method == "POST":
        form = CaseOpenForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                case = cases.case_open(actor=request.user, person_id=person.pk, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, f"已为{person.name}记录入党申请，发展过程已开始。")
                return redirect(_back(case))
        else:
            status = 422
    else:
        form = CaseOpenForm()
    return render(
        request, "development/case_create.html", {"form": form, "person": person, "open_case": open_case}, status=status
    )


# --- detail -------------------------------------------------------------------------------


@require_GET
def case_detail(request, case_id: int):
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?next={request.path}")
    case, manager = cases.viewable_case(request.user, case_id)
    view = cases.case_detail(case, user=request.user if manager else None)
    context = {
        "case": case,
        "view": view,
        "manager": manager,
        "today": timezone.localdate(),
        "can_record": manager and can(request.user, cases.RECORD, case.person.unit),
        "can_approve": manager and can(request.user, cases.APPROVE, case.person.unit),
        "void_form": VoidForm(),
    }
    return render(request, "development/case_detail.html", context)


# --- steps --------------------------------------------------------------------------------


def _step_context(request, case, code, form=None):
    try:
        step = state.step_by_code(case.rule_set_id, code)
    except StopIteration:
        raise Http404 from None
    if not can(request.user, cases.step_permission(step), case.person.unit):
        raise PermissionDenied
    st = state.case_state(case)
    ss = st[code]
    if form is None:
        form = StepForm(step=step, case=case, step_state=ss)
    return {"case": case, "step": step, "ss": ss, "form": form, "today": timezone.localdate()}


@require_http_methods(["GET", "POST"])
def step_form(request, case_id: int, code: str):
    if not request.user.is_authenticated:
        raise PermissionDenied
    case = cases.access_case_by_id(request.user, case_id)
    context = _step_context(request, case, code)
    template = "development/case_step_form.html" + ("#step_form" if request.htmx else "")
    if request.method == "GET":
        return render(request, template, context)
    form = StepForm(request.POST, request.FILES, step=context["step"], case=case, step_state=context["ss"])
    context["form"] = form
    if not form.is_valid():
        return render(request, template, context, status=422)
    cd = form.cleaned_data
    try:
        cases.step_record(
            actor=request.user,
            case_id=case.pk,
            code=code,
            occurred_on=cd["occurred_on"],
            data=form.step_data(),
            note=cd.get("note") or "",
            decided_by=cd.get("decided_by") or "",
            late_reason=cd.get("late_reason") or "",
            document=request.FILES.get("document"),
        )
    except DomainError as exc:
        apply_domain_error(form, exc, field_map={"step": "", "vote": ""})
        if any(e.get("field") == "late_reason" for e in exc.errors):
            form.needs_reason = True
        context["error"] = exc.message
        return render(request, template, context, status=exc.status)
    messages.success(request, f"已记录“{context['step'].name}”。")
    return _done(request, _back(case))


@require_POST
def record_void(request, record_id: int):
    if not request.user.is_authenticated:
        raise PermissionDenied
    record = cases._access_record(request.user, record_id)
    form = VoidForm(request.POST)
    try:
        cases.record_void(actor=request.user, record_id=record.pk, reason=form.data.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
        if request.htmx:
            return HttpResponse(exc.message, status=exc.status)
        return redirect(_back(record.case))
    messages.success(request, f"已撤销“{record.step.name}”的记录。")
    return _done(request, _back(record.case))


# --- extension, termination -------------------------------------------------------------------


def _action(request, case_id, *, form_class, perm, title, action_url, service, field_names, success):
    if not request.user.is_authenticated:
        raise PermissionDenied
    case = cases.access_case_by_id(request.user, case_id, action=perm)
    status = 200
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            try:
                service(actor=request.user, case_id=case.pk, **{k: form.cleaned_data.get(k) for k in field_names})
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, success)
                return _done(request, _back(case))
        else:
            status = 422
    else:
        form = form_class()
    template = "development/case_action_form.html" + ("#action_form" if request.htmx else "")
    context = {"case": case, "form": form, "title": title, "action_url": reverse(action_url, args=[case.pk])}
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
def case_extend(request, case_id: int):
    return _action(
        request,
        case_id,
        form_class=ExtendForm,
        perm=cases.APPROVE,
        title="延长预备期",
        action_url="development:case_extend",
        service=cases.case_extend_probation,
        field_names=("months", "decided_on", "reason"),
        success="已延长预备期；预备期满后请重新提出转正申请并讨论。",
    )


@require_http_methods(["GET", "POST"])
def case_terminate(request, case_id: int):
    return _action(
        request,
        case_id,
        form_class=TerminateForm,
        perm=cases.RECORD,
        title="终止发展",
        action_url="development:case_terminate",
        service=cases.case_terminate,
        field_names=("reason", "note", "terminated_on"),
        success="发展过程已终止。",
    )


# --- contacts -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def case_contacts(request, case_id: int):
    if not request.user.is_authenticated:
        raise PermissionDenied
    case = cases.access_case_by_id(request.user, case_id)
    editable = case.status == CaseStatus.OPEN and can(request.user, cases.RECORD, case.person.unit)
    status = 200
    form = None
    if request.method == "POST":
        if not can(request.user, cases.RECORD, case.person.unit):
            raise PermissionDenied
        form = ContactReplaceForm(request.POST, case=case)
        if form.is_valid():
            cd = form.cleaned_data
            try:
                cases.contact_replace(
                    actor=request.user,
                    case_id=case.pk,
                    role=cd["role"],
                    old_contact_id=cd["old_contact"],
                    new_person_id=cd["new_person"].pk,
                    reason=cd["reason"],
                )
            except DomainError as exc:
                apply_domain_error(form, exc, field_map={"old_contact": "", "on": ""})
                status = exc.status
            else:
                messages.success(request, "已更换。")
                form = None
        else:
            status = 422
    contacts = list(cases.CaseContact.objects.filter(case=case).select_related("person").order_by("role", "started_on"))
    context = {
        "case": case,
        "contacts": contacts,
        "editable": editable,
        "form": form,
        "new_person_field": ContactReplaceForm(case=case)["new_person"] if editable else None,
    }
    template = "development/case_contacts.html" + ("#panel" if request.htmx else "")
    return render(request, template, context, status=status)


# --- the applicant's own progress -----------------------------------------------------------


@require_GET
def my_case(request):
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?next={request.path}")
    person = own_person(request.user)
    own = list(cases.own_cases(request.user)[:5])
    current = next((c for c in own if c.status == CaseStatus.OPEN), own[0] if own else None)
    view = cases.case_detail(current) if current else None
    sponsored = list(cases.sponsored_cases(request.user)[:50])
    context = {
        "person": person,
        "case": current,
        "view": view,
        "others": [c for c in own if c != current],
        "sponsored": sponsored,
        "today": timezone.localdate(),
    }
    return render(request, "development/my_case.html", context)
