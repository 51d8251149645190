"""Pages of co-building (党建互联): partners, partnerships (agreement, goals with their joint
activities, yearly summaries), the activity form, the printable yearly summary and the scoped
agreement file.

Thin: reads through the ``partnerships`` selectors, writes through its services; a DomainError
is shown on the page with its status (422, 409) and nothing is written.
"""

from __future__ import annotations

import os

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.orgs.scoping import holds

from . import partnerships as ps
from .choices import PartnerKind, PartnershipStatus
from .forms_partnerships import ActivityForm, EndForm, ListFilterForm, PartnerForm, PartnershipForm, SummaryForm

PAGE_SIZE = 20


def _page(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _require_view(request):
    if not holds(request.user, ps.VIEW):
        raise PermissionDenied


@require_GET
def partnership_list(request):
    """/service/partnerships/?unit=&status=&kind= — partnerships of the subtree, counts per partner kind."""
    _require_view(request)
    unit = ps.access_scope_unit(request.user, request.GET["unit"]) if request.GET.get("unit") else None
    status, kind = request.GET.get("status", ""), request.GET.get("kind", "")
    page = _page(request, ps.partnership_list(request.user, unit=unit, status=status, kind=kind))
    for p in page.object_list:
        p.shown_label = PartnershipStatus(p.shown).label
    context = {
        "page": page,
        "unit": unit,
        "kind_counts": ps.kind_counts(request.user, unit=unit),
        "filter_form": ListFilterForm(request.GET or None),
        "can_manage": holds(request.user, ps.MANAGE),
    }
    return render(request, "volunteering/partnership_list.html", context)


@require_GET
def partnership_detail(request, partnership_id: int):
    partnership = ps.access_partnership(request.user, partnership_id)
    activities = list(ps.activity_list(request.user, partnership=partnership))
    summaries = {s.year: s for s in ps.summary_list(request.user, partnership=partnership)}
    context = {
        "p": partnership,
        "shown": ps.status_label(ps.shown_status(partnership)),
        "is_active": ps.shown_status(partnership) == PartnershipStatus.ACTIVE,
        "goals": ps.goals_with_activities(partnership, activities),
        "activity_count": len(activities),
        "years": [(y, summaries.get(y)) for y in ps.summary_years(partnership)],
        "can_manage": ps.may_manage(request.user, partnership),
        "end_form": EndForm(),
    }
    return render(request, "volunteering/partnership_detail.html", context)


def _partnership_form(request, *, partnership=None):
    initial = {}
    if partnership is not None:
        initial = {f: getattr(partnership, f) for f in ("title", "agreement", "signed_on", "starts_on", "ends_on")}
        initial["goals"] = "\n".join(partnership.goals)
        initial["partner"] = partnership.partner_id
    elif request.GET.get("partner"):
        initial["partner"] = request.GET["partner"]
    return PartnershipForm(
        request.POST if request.method == "POST" else None,
        request.FILES or None,
        units=ps.manageable_units(request.user),
        partners=ps.usable_partners(request.user),
        editing=partnership is not None,
        initial=initial,
    )


@require_http_methods(["GET", "POST"])
def partnership_create(request):
    if not holds(request.user, ps.MANAGE):
        raise PermissionDenied
    form = _partnership_form(request)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                p = ps.partnership_create(
                    actor=request.user, unit_id=data.pop("unit"), partner_id=data.pop("partner"), **data
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, "共建协议已登记。")
                return redirect("volunteering:partnership", partnership_id=p.pk)
        else:
            status = 422
    return render(request, "volunteering/partnership_form.html", {"form": form, "title": "登记共建协议"}, status=status)


@require_http_methods(["GET", "POST"])
def partnership_edit(request, partnership_id: int):
    partnership = ps.access_partnership(request.user, partnership_id, action="manage")
    form = _partnership_form(request, partnership=partnership)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                ps.partnership_update(
                    actor=request.user, partnership_id=partnership.pk, partner_id=data.pop("partner"), **data
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, "共建协议已修改。")
                return redirect("volunteering:partnership", partnership_id=partnership.pk)
        else:
            status = 422
    context = {"form": form, "title": "修改共建协议", "p": partnership}
    return render(request, "volunteering/partnership_form.html", context, status=status)


@require_POST
def partnership_end(request, partnership_id: int):
    try:
        ps.partnership_end(actor=request.user, partnership_id=partnership_id, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("volunteering:partnership", partnership_id=partnership_id)
    messages.success(request, "共建协议已终止。")
    return redirect("volunteering:partnership", partnership_id=partnership_id)


@require_GET
def agreement_file(request, partnership_id: int):
    partnership = ps.access_partnership(request.user, partnership_id)
    if not partnership.agreement_file:
        raise Http404
    ext = os.path.splitext(partnership.agreement_file.name)[1].lower()
    response = FileResponse(
        partnership.agreement_file.open("rb"),
        content_type=ps.AGREEMENT_TYPES.get(ext, "application/octet-stream"),
        as_attachment=True,
        filename=f"{partnership.title}{ext}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def partner_list(request):
    _require_view(request)
    page = _page(request, ps.partner_list(request.user, kind=request.GET.get("kind", ""), q=request.GET.get("q", "")))
    context = {"page": page, "kinds": PartnerKind.choices, "can_manage": holds(request.user, ps.MANAGE)}
    return render(request, "volunteering/partner_list.html", context)


@require_http_methods(["GET", "POST"])
def partner_create(request):
    if not holds(request.user, ps.MANAGE):
        raise PermissionDenied
    form = PartnerForm(request.POST if request.method == "POST" else None, units=ps.manageable_units(request.user))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                ps.partner_create(actor=request.user, unit_id=data.pop("unit"), **data)
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, "共建单位已登记。")
                return redirect("volunteering:partners")
        else:
            status = 422
    return render(request, "volunteering/partner_form.html", {"form": form, "title": "登记共建单位"}, status=status)


@require_http_methods(["GET", "POST"])
def partner_edit(request, partner_id: int):
    partner = ps.access_partner(request.user, partner_id, action="manage")
    initial = {f: getattr(partner, f) for f in ps.PARTNER_FIELDS}
    form = PartnerForm(request.POST if request.method == "POST" else None, initial=initial, editing=True)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                ps.partner_update(actor=request.user, partner_id=partner.pk, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, "共建单位已修改。")
                return redirect("volunteering:partners")
        else:
            status = 422
    context = {"form": form, "title": "修改共建单位", "partner": partner}
    return render(request, "volunteering/partner_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
def activity_add(request, partnership_id: int):
    partnership = ps.access_partnership(request.user, partnership_id, action="manage")
    form = ActivityForm(
        request.POST if request.method == "POST" else None,
        goals=partnership.goals,
        meetings=ps.linkable_meetings(request.user, partnership),
        posts=ps.linkable_posts(request.user, partnership),
        initial={"goal_index": request.GET.get("goal")},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            data["meeting_id"], data["post_id"] = data.pop("meeting"), data.pop("post")
            try:
                ps.activity_add(actor=request.user, partnership_id=partnership.pk, **data)
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, "共建活动已登记。")
                return redirect("volunteering:partnership", partnership_id=partnership.pk)
        else:
            status = 422
    return render(request, "volunteering/activity_form.html", {"form": form, "p": partnership}, status=status)


@require_http_methods(["GET", "POST"])
def summary(request, partnership_id: int, year: int):
    """The yearly summary: the saved text, or a draft from the year's activities; ``?print=1``
    gives the printable page."""
    partnership = ps.access_partnership(request.user, partnership_id)
    year = ps.check_year(partnership, year)
    saved = ps.summary_get(partnership, year)
    can_manage = ps.may_manage(request.user, partnership)
    text = saved.text if saved else ps.summary_draft(partnership, year)
    if request.GET.get("print"):
        context = {"p": partnership, "year": year, "text": text, "saved": saved, "now": timezone.localtime()}
        return render(request, "volunteering/summary_print.html", context)
    form = SummaryForm(request.POST if request.method == "POST" else None, initial={"text": text})
    status = 200
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                ps.summary_save(
                    actor=request.user, partnership_id=partnership.pk, year=year, text=form.cleaned_data["text"]
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, f"{year} 年度总结已保存。")
                return redirect("volunteering:summary", partnership_id=partnership.pk, year=year)
        else:
            status = 422
    context = {"p": partnership, "year": year, "form": form, "saved": saved, "can_manage": can_manage}
    return render(request, "volunteering/summary_form.html", context, status=status)
