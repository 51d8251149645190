"""Pages of bills: a unit's bills of a month with totals and exemptions; generation on demand."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from cloudbranch.core.errors import DomainError
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import holds, requires_grant

from . import billing
from .bases import APPROVE
from .forms_bases import BillFilterForm, ExemptForm

PAGE_SIZE = 20
UNITS_SHOWN = 300


@require_GET
@requires_grant("fees.view_bill")
def bill_list(request):
    units = list(OrgUnit.objects.restrict(request.user, "fees.view_bill").order_by("path")[:UNITS_SHOWN])
    form = BillFilterForm(request.GET or None, units=units)
    filters = form.cleaned_data if form.is_valid() else {}
    month = filters.get("month") or timezone.localdate()
    qs = billing.bill_list(request.user, unit_id=filters.get("unit"), month=month, status=filters.get("status", ""))
    totals = billing.bill_totals(qs)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "form": form,
        "month": billing.parse_month(month),
        "totals": totals,
        "can_approve": holds(request.user, APPROVE),
        "exempt_form": ExemptForm(),
    }
    return render(request, "fees/bill_list.html", context)


def _back(request) -> str:
    nxt = request.POST.get("next", "")
    return nxt if nxt.startswith("/fees/") else reverse("fees:bills")


@require_POST
def bill_exempt(request, bill_id: int):
    form = ExemptForm(request.POST)
    form.is_valid()
    try:
        bill = billing.bill_exempt(actor=request.user, bill_id=bill_id, reason=form.cleaned_data.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
        response = redirect(_back(request))
        if request.htmx:
            from django.http import HttpResponse

            return HttpResponse(exc.message, status=exc.status)
        return response
    messages.success(request, f"{bill.person.name} {bill.month:%Y年%m月} 党费已免缴。")
    return redirect(_back(request))


@require_POST
@requires_grant(APPROVE)
def bill_generate(request):
    try:
        result = billing.bill_generate(actor=request.user, month=request.POST.get("month") or timezone.localdate())
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("fees:bills")
    messages.success(
        request,
        f"{result.month:%Y年%m月}：新生成 {result.created} 张账单，已有 {result.existing} 张，缺少基数 {result.missing_base} 人。",
    )
    return redirect(f"{reverse('fees:bills')}?month={result.month:%Y-%m}")
