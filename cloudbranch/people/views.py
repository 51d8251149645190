"""Roster pages. Thin: reads through selectors, writes through services, rules in validation."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import access_by_id, can, holds, requires_grant

from . import exports, selectors, services
from .choices import PoliticalStatus
from .forms import ERROR_FIELD_MAP, CommitteeEndForm, CommitteeSeatForm, PersonForm, RosterFilterForm
from .models import CommitteeMembership

PAGE_SIZE = 20


def _query_string(filters: dict, **extra) -> str:
    return urlencode({**{k: v for k, v in filters.items() if v not in (None, "")}, **extra})


@require_GET
@requires_grant("people.view_person")
def person_list(request):
    form = RosterFilterForm(request.GET)
    filters = form.filters()
    qs = selectors.person_list(user=request.user, filters=filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    user = request.user
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "people": page.object_list,
        "query": _query_string(filters),
        "can_add": holds(user, "people.add_person"),
        "can_import": holds(user, "people.import_person"),
        "can_invite": holds(user, "people.change_person"),  # onboarding: invitations to activate
        "can_export": holds(user, "people.export_person"),
    }
    if request.htmx and request.htmx.target == "roster-rows":
        return render(request, "people/list.html#rows", context)
    context["units"] = selectors.unit_picker(user, selected=filters.get("unit"))
    return render(request, "people/list.html", context)


@require_GET
@requires_grant("people.view_person")
def unit_picker(request):
    """HTMX fragment: the unit filter's <select>, narrowed by a search term."""
    units = selectors.unit_picker(request.user, q=request.GET.get("unit_q", ""), selected=request.GET.get("unit"))
    return render(
        request, "people/list.html#unit_select", {"units": units, "filters": {"unit": request.GET.get("unit")}}
    )


def _person_for_view(user, person_id: int):
    """The person if in the user's scope, or the user's own record; else 404."""
    own = selectors.own_person(user)
    if own is not None and own.pk == person_id:
        return own
    return services.access_person_by_id(user, person_id)


def _detail_context(request, person, *, own_page: bool = False) -> dict:
    user = request.user
    events = Paginator(selectors.person_events(person), PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "person": person,
        "events": events,
        "seats": selectors.person_committee_seats(person),
        "can_edit": can(user, "people.change_person", person.unit),
        "can_reveal": selectors.may_view_sensitive(user, person),
        # Member development (development app) starts from the person page, by URL name only.
        "can_develop": not own_page
        and person.political_status != "full"
        and person.roster_status == "active"
        and can(user, "development.record_step", person.unit),
        "own_page": own_page,
    }


@require_GET
def person_detail(request, person_id: int):
    person = _person_for_view(request.user, person_id)
    return render(request, "people/detail.html", _detail_context(request, person))


@require_GET
def person_own(request):
    person = selectors.own_person(request.user)
    if person is None:
        raise Http404("没有与您的账号关联的人员档案")
    return render(request, "people/detail.html", _detail_context(request, person, own_page=True))


@require_POST
def person_reveal_id(request, person_id: int):
    """HTMX fragment with the clear ID number; audited by the selector; 403 without view_sensitive."""
    person = services.access_person_by_id(request.user, person_id)
    value = selectors.person_reveal_id_number(user=request.user, person=person)
    return render(request, "people/detail.html#id_number", {"person": person, "clear_id_number": value})


def _render_form(request, form, *, person=None, status=200):
    perm = "people.change_person" if person else "people.add_person"
    if form.is_bound:
        form.mark_invalid()
    return render(
        request,
        "people/form.html",
        {"form": form, "person": person, "unit_choices": selectors.units_for_people(request.user, perm)},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@requires_grant("people.add_person")
def person_create(request):
    form = PersonForm(request.POST or None, user=request.user, perm="people.add_person")
    if request.method == "POST":
        if form.is_valid():
            try:
                person = services.person_create(actor=request.user, **form.service_kwargs())
            except DomainError as exc:
                apply_domain_error(form, exc, field_map=ERROR_FIELD_MAP)
            else:
                messages.success(request, f"已为 {person.name} 建档。")
                return redirect("people:detail", person_id=person.pk)
        return _render_form(request, form, status=422)
    return _render_form(request, form)


@require_http_methods(["GET", "POST"])
def person_edit(request, person_id: int):
    person = services.access_person_by_id(request.user, person_id, action="change")
    form = PersonForm(
        request.POST or None,
        user=request.user,
        perm="people.change_person",
        editing=True,
        initial=PersonForm.initial_for(person),
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                services.person_update(actor=request.user, person_id=person.pk, **form.service_kwargs())
            except DomainError as exc:
                apply_domain_error(form, exc, field_map=ERROR_FIELD_MAP)
            else:
                messages.success(request, "已保存。")
                return redirect("people:detail", person_id=person.pk)
        return _render_form(request, form, person=person, status=422)
    return _render_form(request, form, person=person)


@require_GET
def unit_summary(request, unit_id: int):
    """HTMX fragment for the org unit page: headcount by status, current committee, warnings."""
    unit = access_by_id(request.user, OrgUnit, unit_id)
    counts = selectors.unit_status_counts(unit)
    return render(
        request,
        "people/unit_summary.html",
        {
            "unit": unit,
            "counts": [(PoliticalStatus(k).label, v) for k, v in counts.items()],
            "total": sum(counts.values()),
            "committee": selectors.unit_committee(unit),
            "warnings": selectors.unit_warnings([unit]).get(unit.pk, []),
            "can_view_people": can(request.user, "people.view_person", unit),
        },
    )


@require_GET
def warnings(request):
    if not selectors.may_see_warnings(request.user):
        raise PermissionDenied
    found = selectors.scope_warnings(request.user)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "people/warnings.html", {"page": page, "total": len(found)})


@require_GET
@requires_grant("people.export_person")
def export(request):
    filters = RosterFilterForm(request.GET).filters()
    try:
        data, rows = exports.roster_export(user=request.user, filters=filters)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("people:list") + "?" + _query_string(filters))
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = "attachment; filename*=UTF-8''%E4%BA%BA%E5%91%98%E5%90%8D%E5%86%8C.xlsx"
    response["X-Row-Count"] = str(rows)
    return response


@require_http_methods(["GET", "POST"])
def committee(request, unit_id: int):
    """A unit's committee: sitting and past members; those who may change the unit add and end seats."""
    unit = access_by_id(request.user, OrgUnit, unit_id)
    may_change = can(request.user, "orgs.change_orgunit", unit)
    q = request.GET.get("q", "")
    candidates = selectors.committee_candidates(unit, q=q) if may_change else []
    form = CommitteeSeatForm(request.POST or None, candidates=candidates)
    status = 200
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied
        if form.is_valid():
            try:
                data = form.cleaned_data
                services.committee_seat_add(
                    actor=request.user,
                    unit_id=unit.pk,
                    person_id=data["person"],
                    position=data["position"],
                    started_on=data["started_on"],
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, "已登记委员。")
                return redirect("people:committee", unit_id=unit.pk)
        status = 422
    page = Paginator(selectors.unit_committee_history(unit), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "unit": unit,
        "page": page,
        "form": form,
        "may_change": may_change,
        "q": q,
        "end_form": CommitteeEndForm(),
    }
    return render(request, "people/committee.html", context, status=status)


@require_POST
def committee_end(request, seat_id: int):
    form = CommitteeEndForm(request.POST)
    seat_unit = None
    if form.is_valid():
        try:
            seat = services.committee_seat_end(
                actor=request.user, seat_id=seat_id, ended_on=form.cleaned_data["ended_on"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{seat.person.name} 已离任。")
            seat_unit = seat.unit_id
    else:
        messages.error(request, "请填写正确的离任日期。")
    if seat_unit is None:
        seat_unit = get_seat_unit_id(request.user, seat_id)
    return redirect("people:committee", unit_id=seat_unit)


def get_seat_unit_id(user, seat_id: int) -> int:
    seat = CommitteeMembership.objects.restrict(user, "orgs.view_orgunit").filter(pk=seat_id).only("unit_id").first()
    if seat is None:
        raise Http404
    return seat.unit_id
