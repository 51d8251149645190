"""Pages of reports, arrears and reconciliation."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.orgs.scoping import can, requires_grant

from . import arrears, reconcile, reports

PAGE_SIZE = 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(name: str, data: bytes) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _report_unit(request):
    unit_id = request.GET.get("unit")
    if unit_id:
        return reports.access_report_unit(request.user, unit_id)
    return reports.default_report_unit(request.user)


# --- report ------------------------------------------------------------------------------------


@require_GET
@requires_grant(reports.VIEW_PERM)
def report(request):
    unit = _report_unit(request)
    period = reports.parse_period(request.GET.get("year"), request.GET.get("month"))
    rep = reports.unit_report(unit, period)
    today = timezone.localdate()
    return render(
        request,
        "fees/report_unit.html",
        {
            "unit": unit,
            "period": period,
            "report": rep,
            "years": list(range(today.year, today.year - 5, -1)),
            "months": range(1, 13),
            "can_arrears": arrears.holds_view(request.user),
        },
    )


@require_GET
@requires_grant(reports.VIEW_PERM)
def report_export(request):
    unit = _report_unit(request)
    period = reports.parse_period(request.GET.get("year"), request.GET.get("month"))
    name, data = reports.report_export(actor=request.user, unit=unit, period=period)
    return _xlsx(name, data)


# --- arrears -----------------------------------------------------------------------------------


class DecisionForm(forms.Form):
    decision = forms.CharField(
        label="支部大会决定", widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}), max_length=2000
    )
    decided_on = forms.DateField(
        label="决定日期", widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
    )


def _arrears_context(request, form_case_id=None, form=None):
    """The list (paginated) and, with ?case=, the case to look at and decide."""
    if not arrears.holds_view(request.user):
        raise PermissionDenied
    unit = None
    if request.GET.get("unit"):
        from cloudbranch.orgs.models import OrgUnit
        from cloudbranch.orgs.scoping import access_by_id

        unit = access_by_id(request.user, OrgUnit, request.GET.get("unit"))
    try:
        min_months = max(1, int(request.GET.get("min", 1)))
    except ValueError:
        min_months = 1
    rows = arrears.arrears_list(request.user, unit=unit, min_months=min_months)
    person_id = request.GET.get("person", "")
    if person_id.isdigit():
        rows = arrears.ArrearsList([r for r in rows.runs if r.person_id == int(person_id)])
    focus = None
    case_id = form_case_id or request.GET.get("case")
    if case_id:
        focus = arrears.access_case(request.user, case_id)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = [
        {
            "row": r,
            "can_decide": r.case is not None
            and r.case.status == "open"
            and can(request.user, arrears.DECIDE_PERM, r.person.unit),
        }
        for r in page.object_list
    ]
    return {
        "page": page,
        "focus": focus,
        "focus_can_decide": focus is not None
        and focus.status == "open"
        and can(request.user, arrears.DECIDE_PERM, focus.unit),
        "focus_form": form if form is not None else DecisionForm(initial={"decided_on": timezone.localdate()}),
        "unit": unit,
        "min_months": min_months,
        "last_month": arrears.last_closed_month(),
        "warn": arrears.WARN_MONTHS,
        "case_months": arrears.CASE_MONTHS,
    }


@require_GET
def arrears_list(request):
    context = _arrears_context(request)
    if getattr(request, "htmx", False) and request.GET.get("page"):
        return render(request, "fees/arrears_list.html#rows", context)
    return render(request, "fees/arrears_list.html", context)


@require_POST
def arrears_decide(request, case_id: int):
    case = arrears.access_case(request.user, case_id)
    if not can(request.user, arrears.DECIDE_PERM, case.unit):
        raise PermissionDenied
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            arrears.arrears_decide(
                actor=request.user,
                case_id=case.pk,
                decision=form.cleaned_data["decision"],
                decided_on=form.cleaned_data["decided_on"],
            )
        except ConflictError as exc:
            messages.error(request, exc.message)
            return redirect(f"{reverse('fees:arrears')}?case={case.pk}")
        except DomainError as exc:
            apply_domain_error(form, exc, summary=True)
        else:
            messages.success(request, f"已记录支部对{case.person.name}欠缴党费问题的决定。")
            return redirect(f"{reverse('fees:arrears')}?case={case.pk}")
    context = _arrears_context(request, form_case_id=case.pk, form=form)
    return render(request, "fees/arrears_list.html", context, status=422)


# --- reconciliation ----------------------------------------------------------------------------


class ReconcileForm(forms.Form):
    file = forms.FileField(
        label="渠道对账文件（.csv / .xlsx）", widget=forms.ClearableFileInput(attrs={"class": "form-control"})
    )
    date_from = forms.DateField(
        label="开始日期", required=False, widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
    )
    date_to = forms.DateField(
        label="结束日期", required=False, widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
    )


@require_http_methods(["GET", "POST"])
@requires_grant(reconcile.PERM)
def reconcile_page(request):
    result = None
    status = 200
    if request.method == "POST":
        form = ReconcileForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = reconcile.reconcile(
                    actor=request.user,
                    file_name=upload.name,
                    data=upload.read(),
                    date_from=form.cleaned_data["date_from"],
                    date_to=form.cleaned_data["date_to"],
                )
            except DomainError as exc:
                apply_domain_error(form, exc, summary=True)
                status = 422
            else:
                if request.POST.get("export"):
                    stamp = timezone.localtime().strftime("%Y%m%d%H%M")
                    return _xlsx(f"reconcile-{stamp}.xlsx", reconcile.result_xlsx(result))
        else:
            status = 422
    else:
        form = ReconcileForm()
    return render(
        request,
        "fees/reconcile_page.html",
        {"form": form, "result": result, "columns": reconcile.COLUMNS},
        status=status,
    )
