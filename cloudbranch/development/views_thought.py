"""Pages of thought reports (思想汇报): the reporter's own page, the reviewers' list and detail,
and the frequency policy. Thin: reads and writes through thought.py."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.orgs.scoping import holds, requires_grant

from . import thought

PAGE_SIZE = 20


class ReportForm(forms.Form):
    period = forms.ChoiceField(label="汇报周期", required=False)
    title = forms.CharField(label="标题", max_length=thought.TITLE_MAX_LENGTH)
    content = forms.CharField(
        label="正文", max_length=thought.CONTENT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 12})
    )

    def __init__(self, *args, periods=(), months: int = thought.DEFAULT_MONTHS, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        today = today or timezone.localdate()
        current = thought.period_start(today, months)
        self.fields["period"].choices = [("", f"本期（{thought.period_label(current, months)}）")] + [
            (p.isoformat(), f"补交：{thought.period_label(p, months)}") for p in periods
        ]
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("class", "form-select" if name == "period" else "form-control")

    def clean_period(self):
        value = self.cleaned_data.get("period")
        return datetime.date.fromisoformat(value) if value else None


class CommentForm(forms.Form):
    body = forms.CharField(
        label="意见",
        max_length=thought.COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )


class PolicyForm(forms.Form):
    unit = forms.TypedChoiceField(label="党组织", coerce=int)
    months = forms.TypedChoiceField(
        label="提交周期",
        coerce=int,
        choices=[(1, "每月"), (2, "每两个月"), (3, "每季度（默认）"), (4, "每四个月"), (6, "每半年"), (12, "每年")],
    )

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, u.name) for u in units]
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-select")


# --- reporter --------------------------------------------------------------------------------


def _mine(request, *, form=None, status: int = 200):
    person, case = thought.own_reporter(request.user)
    today = timezone.localdate()
    months = thought.policy_months(person.unit) if person else thought.DEFAULT_MONTHS
    periods = thought.open_past_periods(person, case, today=today) if case else []
    page = Paginator(thought.my_reports(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    reports = list(page.object_list)
    comments: dict[int, list] = {}
    for c in thought.ThoughtReportComment.objects.filter(report__in=reports).select_related("author"):
        comments.setdefault(c.report_id, []).append(c)
    for r in reports:
        r.comment_list = comments.get(r.pk, [])
        r.period_label = thought.period_label(r.period_start, months)
    current = thought.period_start(today, months)
    context = {
        "person": person,
        "case": case,
        "form": form or ReportForm(periods=periods, months=months, today=today),
        "page": page,
        "reports": reports,
        "months": months,
        "current_label": thought.period_label(current, months),
        "current_end": thought.period_end(current, months),
        "current_done": any(r.period_start == current for r in reports),
    }
    return render(request, "development/thought_mine.html", context, status=status)


@require_http_methods(["GET", "POST"])
def my_reports(request):
    if not request.user.is_authenticated:
        raise PermissionDenied
    if request.method == "POST":
        person, case = thought.own_reporter(request.user)
        months = thought.policy_months(person.unit) if person else thought.DEFAULT_MONTHS
        periods = thought.open_past_periods(person, case) if case else []
        form = ReportForm(request.POST, periods=periods, months=months)
        if form.is_valid():
            try:
                thought.report_submit(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc, summary=True)
                return _mine(request, form=form, status=exc.status)
            messages.success(request, "思想汇报已提交。")
            return redirect("development:my_reports")
        return _mine(request, form=form, status=422)
    return _mine(request)


# --- reviewers -------------------------------------------------------------------------------


@require_GET
def thought_reports(request):
    if not thought.may_review_anything(request.user):
        raise PermissionDenied
    tab = request.GET.get("tab", "reports")
    filters = {
        "unread": request.GET.get("unread", ""),
        "unit": request.GET.get("unit", ""),
        "period": request.GET.get("period", ""),
        "q": request.GET.get("q", ""),
    }
    units = []
    if holds(request.user, thought.VIEW_PERM):
        units = list(
            thought.OrgUnit.objects.restrict(request.user, thought.VIEW_PERM)
            .active()
            .exclude(kind="group")
            .order_by("path")[:200]
        )
    context = {
        "tab": tab,
        "filters": filters,
        "units": units,
        "unit_id": thought._int_or_none(filters["unit"]),
        "can_policy": holds(request.user, thought.POLICY_PERM),
    }
    if tab == "missing":
        rows = thought.missing_reports(user=request.user, unit_id=filters["unit"] or None)
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        context["missing"] = thought.missing_page(list(page.object_list))
        context["missing_count"] = len(rows)
    else:
        page = Paginator(thought.report_list(user=request.user, filters=filters), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
    context["page"] = page
    return render(request, "development/thought_list.html", context)


def _detail(request, access, *, form=None, error: str = "", status: int = 200):
    report = access.report
    context = {
        "report": report,
        "access": access,
        "comments": list(thought.report_comments(report)),
        "form": form or CommentForm(),
        "error": error,
        "period_label": thought.period_label(report.period_start, thought.policy_months(report.person.unit)),
    }
    return render(request, "development/thought_detail.html", context, status=status)


@require_GET
def thought_report_detail(request, report_id: int):
    access = thought.access_report(request.user, report_id)
    thought.report_read(actor=request.user, report_id=report_id, access=access)
    return _detail(request, access)


@require_POST
def thought_report_comment(request, report_id: int):
    access = thought.access_report(request.user, report_id)
    if not access.may_comment:
        raise PermissionDenied
    form = CommentForm(request.POST)
    try:
        thought.report_comment(actor=request.user, report_id=report_id, body=request.POST.get("body", ""))
    except DomainError as exc:
        apply_domain_error(form, exc)
        return _detail(request, access, form=form, error=exc.message, status=exc.status)
    messages.success(request, "意见已发送。")
    return redirect("development:thought_report_detail", report_id)


# --- policy ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@requires_grant(thought.POLICY_PERM)
def report_policy(request):
    units = list(thought.policy_units(request.user))
    status = 200
    if request.method == "POST":
        form = PolicyForm(request.POST, units=units)
        if request.POST.get("remove"):
            try:
                thought.report_policy_remove(actor=request.user, unit_id=int(request.POST["remove"]))
            except (ValueError, TypeError):
                pass
            messages.success(request, "已取消该组织的单独设置。")
            return redirect("development:report_policy")
        if form.is_valid():
            try:
                thought.report_policy_set(
                    actor=request.user, unit_id=form.cleaned_data["unit"], months=form.cleaned_data["months"]
                )
            except DomainError as exc:
                apply_domain_error(form, exc, summary=True)
                status = exc.status
            else:
                messages.success(request, "提交周期已保存。")
                return redirect("development:report_policy")
        else:
            status = 422
    else:
        form = PolicyForm(units=units)
    book = thought.PolicyBook()
    for u in units:
        own = getattr(u, "report_policy", None)  # reverse one-to-one: None when the unit has none
        u.own_months = own.months if own else None
        u.effective_months = book.months_for(u.path)
    return render(
        request,
        "development/report_policy.html",
        {"units": units, "form": form, "default_months": thought.DEFAULT_MONTHS},
        status=status,
    )
