"""Pages of mobile members (流动党员) and lost-contact members (失联党员). Thin: reads through the
mobile.py selectors, writes through its services; a broken rule shows its message with 422
(409 for a state conflict) and nothing written."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.orgs.scoping import holds, requires_grant
from cloudbranch.people.models import Person

from . import mobile
from .choices import LostContactStatus, MobileReason, MobileStatus
from .forms_mobile import (
    ActivityForm,
    AttemptForm,
    LostContactForm,
    MobileRecordForm,
    MobileReportForm,
    RemoveForm,
    RestoreForm,
    ReturnForm,
    ReviewForm,
    SuspendForm,
)

PAGE_SIZE = 20
MISSING_SHOWN = 20


def _page(request, qs, size: int = PAGE_SIZE):
    return Paginator(qs, size).get_page(request.GET.get("page"))


def _person_or_404(user, person_id):
    try:
        person = Person.objects.restrict(user, mobile.CHANGE_PERM).select_related("unit").get(pk=person_id)
    except (Person.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    return person


# --- mobile members ------------------------------------------------------------------------


@require_GET
@requires_grant(mobile.VIEW_PERM)
def mobile_list(request):
    filters = {
        "status": request.GET.get("status", MobileStatus.ACTIVE),
        "mobile_branch": request.GET.get("mobile_branch", ""),
        "reason": request.GET.get("reason", ""),
        "q": request.GET.get("q", ""),
    }
    page = _page(request, mobile.mobile_list(user=request.user, filters=filters))
    for record in page.object_list:
        record.phone_masked = mobile.mask_phone(record.contact_phone)
    year = timezone.localdate().year
    missing_qs = mobile.missing_mobile_reports(user=request.user, year=year)
    missing = list(missing_qs[: MISSING_SHOWN + 1])
    branch_id = mobile._int(filters["mobile_branch"])
    branches = mobile.mobile_branch_choices(limit=200)
    context = {
        "page": page,
        "filters": filters,
        "statuses": MobileStatus.choices,
        "reasons": MobileReason.choices,
        "branches": branches,
        "branch_id": branch_id,
        "year": year,
        "missing": missing[:MISSING_SHOWN],
        "missing_more": len(missing) > MISSING_SHOWN,
        "remind_month": mobile.report_remind_month(),
        "remind_now": timezone.localdate().month >= mobile.report_remind_month(),
        "can_add": holds(request.user, mobile.CHANGE_PERM),
    }
    return render(request, "development/mobile_list.html", context)


@require_http_methods(["GET", "POST"])
@requires_grant(mobile.CHANGE_PERM)
def mobile_create(request):
    person_id = request.POST.get("person") or request.GET.get("person")
    person = _person_or_404(request.user, person_id) if person_id else None
    branch_q = request.GET.get("branch_q", "")
    branches = mobile.mobile_branch_choices(branch_q, limit=100)
    status = 200
    if request.method == "POST" and person is not None:
        selected = mobile._int(request.POST.get("mobile_branch"))
        if selected and selected not in {b.pk for b in branches}:
            branches += [b for b in mobile.mobile_branch_choices(limit=1000) if b.pk == selected]
        form = MobileRecordForm(request.POST, branches=branches)
        if form.is_valid():
            data = form.cleaned_data
            try:
                record = mobile.mobile_register(
                    actor=request.user,
                    person_id=person.pk,
                    started_on=data["started_on"],
                    destination=data["destination"],
                    reason=data["reason"],
                    reason_note=data["reason_note"],
                    contact_phone=data["contact_phone"],
                    contact_other=data["contact_other"],
                    expected_return_on=data["expected_return_on"],
                    mobile_branch_id=data["mobile_branch"],
                    card_number=data["card_number"],
                )
            except DomainError as exc:
                apply_domain_error(form, exc, field_map={"person": "__all__"}, summary=True)
                status = exc.status
            else:
                messages.success(request, f"已将 {person.name} 登记为流动党员。")
                return redirect("development:mobile_detail", record.pk)
        else:
            status = 422
    else:
        form = MobileRecordForm(branches=branches, initial={"started_on": timezone.localdate()})
    q = request.GET.get("q", "")
    context = {
        "person": person,
        "form": form,
        "q": q,
        "candidates": mobile.candidate_people(request.user, q) if person is None else [],
        "branch_q": branch_q,
    }
    context.update(
        heading="登记流动党员",
        list_url="development:mobile",
        list_label="流动党员",
        create_url="development:mobile_create",
    )
    return render(request, "development/mobile_form.html", context, status=status)


@require_GET
@requires_grant(mobile.VIEW_PERM)
def mobile_branch_options(request):
    """HTMX: the <option>s of the mobile-branch picker for a search."""
    branches = mobile.mobile_branch_choices(request.GET.get("branch_q", ""), limit=100)
    return render(request, "development/mobile_branch_options.html", {"branches": branches})


def _detail(request, record, *, error: str = "", status: int = 200, **forms_):
    manage = mobile.may_manage(request.user, record)
    own = mobile.is_own(request.user, record.person)
    activities = list(mobile.record_activities(record))
    reports = list(mobile.record_reports(record))
    context = {
        "record": record,
        "person": record.person,
        "manage": manage,
        "own": own,
        "activities": activities,
        "reports": reports,
        "timeline": mobile.record_timeline(record, activities, reports),
        "return_form": forms_.get("return_form") or ReturnForm(initial={"returned_on": timezone.localdate()}),
        "activity_form": forms_.get("activity_form") or ActivityForm(initial={"occurred_on": timezone.localdate()}),
        "report_form": forms_.get("report_form") or MobileReportForm(initial={"year": timezone.localdate().year}),
        "review_form": ReviewForm(),
        "error": error,
        "phone": record.contact_phone if (manage or own) else mobile.mask_phone(record.contact_phone),
    }
    return render(request, "development/mobile_detail.html", context, status=status)


@require_GET
def mobile_detail(request, record_id: int):
    record = mobile.access_record(request.user, record_id)
    return _detail(request, record)


def _back(request, record_id: int):
    if request.POST.get("next") == "mine":
        return redirect("development:my_mobile")
    return redirect("development:mobile_detail", record_id)


def _refused(request, record_id: int, exc: DomainError, **forms_):
    if request.POST.get("next") == "mine":
        return _mine(request, error=exc.message, status=exc.status, **forms_)
    record = mobile.access_record(request.user, record_id)
    return _detail(request, record, error=exc.message, status=exc.status, **forms_)


def _invalid(form) -> DomainError:
    errors = [{"field": f, "message": str(m)} for f, ms in form.errors.items() for m in ms]
    return DomainError("请检查填写的内容", errors=errors)


@require_POST
def mobile_return(request, record_id: int):
    form = ReturnForm(request.POST)
    try:
        if not form.is_valid():
            raise _invalid(form)
        mobile.mobile_return(actor=request.user, record_id=record_id, returned_on=form.cleaned_data["returned_on"])
    except DomainError as exc:
        return _refused(request, record_id, exc, return_form=form)
    messages.success(request, "已办理返回。")
    return _back(request, record_id)


def _record_form_post(request, record_id: int, form, service, *, form_key: str, success: str):
    """A form posted on a mobile record's page: run ``service`` with the cleaned data, or show the
    page again with the form's errors."""
    try:
        if not form.is_valid():
            raise _invalid(form)
        service(actor=request.user, record_id=record_id, **form.cleaned_data)
    except DomainError as exc:
        apply_domain_error(form, exc)
        return _refused(request, record_id, exc, **{form_key: form})
    messages.success(request, success)
    return _back(request, record_id)


@require_POST
def mobile_activity_add(request, record_id: int):
    return _record_form_post(
        request,
        record_id,
        ActivityForm(request.POST),
        mobile.mobile_activity_add,
        form_key="activity_form",
        success="活动已记录。",
    )


@require_POST
def mobile_activity_confirm(request, activity_id: int):
    activity = mobile.access_scoped(
        request.user,
        mobile.MobileActivity,
        activity_id,
        queryset=mobile.MobileActivity.objects.all(),
        own=mobile.OWN_LOOKUP,
    )
    try:
        mobile.mobile_activity_confirm(actor=request.user, activity_id=activity_id)
    except DomainError as exc:
        return _refused(request, activity.record_id, exc)
    messages.success(request, "已确认。")
    return redirect("development:mobile_detail", activity.record_id)


@require_POST
def mobile_report_submit(request, record_id: int):
    return _record_form_post(
        request,
        record_id,
        MobileReportForm(request.POST),
        mobile.mobile_report_submit,
        form_key="report_form",
        success="年度情况报告已提交。",
    )


@require_POST
def mobile_report_review(request, report_id: int):
    report = mobile.access_scoped(
        request.user, mobile.MobileReport, report_id, queryset=mobile.MobileReport.objects.all(), own=mobile.OWN_LOOKUP
    )
    try:
        mobile.mobile_report_review(actor=request.user, report_id=report_id, comment=request.POST.get("comment", ""))
    except DomainError as exc:
        return _refused(request, report.record_id, exc)
    messages.success(request, "支部意见已保存。")
    return redirect("development:mobile_detail", report.record_id)


def _mine(request, *, error: str = "", status: int = 200, **forms_):
    records = list(mobile.own_records(request.user))
    active = next((r for r in records if r.status == MobileStatus.ACTIVE), None)
    activities = list(mobile.record_activities(active)[:50]) if active else []
    reports = list(mobile.record_reports(active)) if active else []
    year = timezone.localdate().year
    context = {
        "records": records,
        "active": active,
        "activities": activities,
        "reports": reports,
        "year": year,
        "has_report": any(r.year == year for r in reports),
        "activity_form": forms_.get("activity_form") or ActivityForm(initial={"occurred_on": timezone.localdate()}),
        "report_form": forms_.get("report_form") or MobileReportForm(initial={"year": year}),
        "error": error,
        "source": mobile.MOBILE_SOURCE,
    }
    return render(request, "development/mobile_mine.html", context, status=status)


@require_GET
def my_mobile(request):
    if not request.user.is_authenticated:
        raise PermissionDenied
    return _mine(request)


# --- lost contact -------------------------------------------------------------------------


@require_GET
@requires_grant(mobile.VIEW_PERM)
def lost_contacts(request):
    filters = {"status": request.GET.get("status", "current"), "q": request.GET.get("q", "")}
    page = _page(request, mobile.lost_list(user=request.user, filters=filters))
    today = timezone.localdate()
    warnings = list(mobile.lost_warnings(user=request.user, today=today)[:50])
    for w in warnings:
        w.due_kind = "停止党籍" if w.status == LostContactStatus.OPEN else "按自行脱党除名"
        w.due_on = mobile.suspension_due_on(w) if w.status == LostContactStatus.OPEN else mobile.removal_due_on(w)
    for lost in page.object_list:
        lost.suspend_due = mobile.suspension_due_on(lost)
        lost.remove_due = mobile.removal_due_on(lost)
    context = {
        "page": page,
        "filters": filters,
        "statuses": [("current", "未结束"), *LostContactStatus.choices, ("all", "全部")],
        "warnings": warnings,
        "source": mobile.LOST_CONTACT_SOURCE,
        "can_add": holds(request.user, mobile.CHANGE_PERM),
        "today": today,
    }
    return render(request, "development/lost_list.html", context)


@require_http_methods(["GET", "POST"])
@requires_grant(mobile.CHANGE_PERM)
def lost_create(request):
    person_id = request.POST.get("person") or request.GET.get("person")
    person = _person_or_404(request.user, person_id) if person_id else None
    status = 200
    if request.method == "POST" and person is not None:
        form = LostContactForm(request.POST)
        if form.is_valid():
            try:
                lost = mobile.lost_open(actor=request.user, person_id=person.pk, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc, summary=True)
                status = exc.status
            else:
                messages.success(request, f"已登记 {person.name} 失联。")
                return redirect("development:lost_detail", lost.pk)
        else:
            status = 422
    else:
        form = LostContactForm()
    q = request.GET.get("q", "")
    context = {
        "person": person,
        "form": form,
        "q": q,
        "candidates": mobile.candidate_people(request.user, q) if person is None else [],
    }
    context.update(
        heading="登记失联党员",
        list_url="development:lost_contacts",
        list_label="失联党员",
        create_url="development:lost_create",
    )
    return render(request, "development/lost_form.html", context, status=status)


def _lost_detail(request, lost, *, error: str = "", status: int = 200, **forms_):
    today = timezone.localdate()
    context = {
        "lost": lost,
        "person": lost.person,
        "attempts": list(mobile.lost_attempts(lost)),
        "manage": mobile.can(request.user, mobile.CHANGE_PERM, lost.person.unit),
        "suspend_due": mobile.suspension_due_on(lost),
        "remove_due": mobile.removal_due_on(lost),
        "attempt_form": forms_.get("attempt_form") or AttemptForm(initial={"attempted_on": today}),
        "suspend_form": forms_.get("suspend_form") or SuspendForm(initial={"suspended_on": today}),
        "remove_form": forms_.get("remove_form") or RemoveForm(initial={"removed_on": today}),
        "restore_form": forms_.get("restore_form") or RestoreForm(initial={"restored_on": today}),
        "open": lost.status in (LostContactStatus.OPEN, LostContactStatus.SUSPENDED),
        "error": error,
        "source": mobile.LOST_CONTACT_SOURCE,
        "today": today,
    }
    return render(request, "development/lost_detail.html", context, status=status)


@require_GET
def lost_detail(request, lost_id: int):
    return _lost_detail(request, mobile.access_lost(request.user, lost_id))


def _lost_action(request, lost_id: int, form, form_key: str, call, done: str):
    try:
        if not form.is_valid():
            raise _invalid(form)
        call(**form.cleaned_data)
    except DomainError as exc:
        apply_domain_error(form, exc)
        lost = mobile.access_lost(request.user, lost_id)
        return _lost_detail(request, lost, error=exc.message, status=exc.status, **{form_key: form})
    messages.success(request, done)
    return redirect("development:lost_detail", lost_id)


@require_POST
def lost_attempt(request, lost_id: int):
    def call(**data):
        return mobile.lost_attempt_add(actor=request.user, lost_id=lost_id, **data)

    return _lost_action(request, lost_id, AttemptForm(request.POST), "attempt_form", call, "联系记录已保存。")


@require_POST
def lost_suspend(request, lost_id: int):
    def call(**data):
        return mobile.lost_suspend(actor=request.user, lost_id=lost_id, **data)

    return _lost_action(request, lost_id, SuspendForm(request.POST), "suspend_form", call, "已停止党籍。")


@require_POST
def lost_remove(request, lost_id: int):
    def call(**data):
        return mobile.lost_remove(actor=request.user, lost_id=lost_id, **data)

    return _lost_action(request, lost_id, RemoveForm(request.POST), "remove_form", call, "已按自行脱党除名。")


@require_POST
def lost_restore(request, lost_id: int):
    def call(**data):
        return mobile.lost_restore(actor=request.user, lost_id=lost_id, **data)

    return _lost_action(request, lost_id, RestoreForm(request.POST), "restore_form", call, "已恢复联系。")
