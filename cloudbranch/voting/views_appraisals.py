"""Pages of 民主评议党员. Thin: writes through appraisals.py, reads through selectors_appraisals.py.
Officers see rating TOTALS only; the member page (phone first) is where a member writes their
self-assessment and rates the others."""

from __future__ import annotations

import io

from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.audit.services import audit_record
from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.orgs.scoping import holds, requires_grant

from . import appraisals
from . import selectors_appraisals as sel
from .choices import AppraisalStatus, Grade
from .forms_appraisals import AppraisalCreateForm, DecisionForm, HandlingForm, ProposalForm, SelfAssessmentForm
from .models import AppraisalEntry

PAGE_SIZE = 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _page(request, qs, param: str = "page"):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get(param))


# --- list ---------------------------------------------------------------------------------------


@require_GET
def appraisal_list(request):
    user = request.user
    officer = holds(user, appraisals.VIEW_PERM)
    year = request.GET.get("year")
    year = int(year) if year and year.isdigit() else None
    ctx = {
        "officer": officer,
        "may_create": holds(user, appraisals.RUN_PERM),
        "year": year,
        "mine": list(sel.my_entries(user).exclude(appraisal__status=AppraisalStatus.CLOSED)[:PAGE_SIZE]),
        "results": _page(request, sel.my_results(user), "rpage"),
    }
    if officer:
        ctx["page"] = _page(request, sel.officer_appraisals(user, year=year))
    return render(request, "voting/appraisal_list.html", ctx)


@requires_grant(appraisals.RUN_PERM)
@require_http_methods(["GET", "POST"])
def appraisal_create(request):
    units = sel.appraisal_units(request.user)
    form = AppraisalCreateForm(request.POST if request.method == "POST" else None, units=units)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                appraisal = appraisals.appraisal_create(
                    actor=request.user, unit_id=data["unit"].pk, year=data["year"], meeting_on=data["meeting_on"]
                )
            except DomainError as exc:
                apply_domain_error(form, exc, summary=True)
                status = exc.status
            else:
                flash.success(request, f"已开始 {appraisal.year} 年度民主评议，已通知参加评议的党员提交个人总结。")
                return redirect("voting:appraisal", appraisal.pk)
    return render(request, "voting/appraisal_form.html", {"form": form}, status=status)


# --- detail (officers) -------------------------------------------------------------------------


def _detail_context(request, appraisal):
    page = _page(request, sel.appraisal_entries(appraisal))
    entries = sel.attach_totals(page.object_list)
    return {
        "appraisal": appraisal,
        "steps": sel.stage_steps(appraisal),
        "stats": sel.participation(appraisal),
        "page": page,
        "entries": entries,
        "grades": Grade.choices,
        "may_run": appraisals.may_run(request.user, appraisal),
        "next_stage": appraisals.NEXT_STAGE.get(appraisal.status),
        "S": AppraisalStatus,
    }


@require_GET
def appraisal_detail(request, appraisal_id: int):
    try:
        appraisal = appraisals.access_appraisal(request.user, appraisal_id)
    except Http404:
        # A participant without an officer's grant: their own page (404 if not a participant).
        appraisals.own_entry(request.user, appraisal_id)
        return redirect("voting:self_assessment", appraisal_id)
    return render(request, "voting/appraisal_detail.html", _detail_context(request, appraisal))


@require_POST
def appraisal_advance(request, appraisal_id: int):
    appraisal = appraisals.access_appraisal(request.user, appraisal_id, action="run")
    to = request.POST.get("to", "")
    try:
        appraisals.appraisal_advance(actor=request.user, appraisal_id=appraisal.pk, to=to)
    except DomainError as exc:
        appraisal.refresh_from_db()
        ctx = _detail_context(request, appraisal)
        ctx["error"] = exc
        return render(request, "voting/appraisal_detail.html", ctx, status=exc.status)
    flash.success(request, f"已进入“{AppraisalStatus(to).label}”阶段。")
    return redirect("voting:appraisal", appraisal.pk)


@require_POST
def appraisal_remind(request, appraisal_id: int):
    appraisal = appraisals.access_appraisal(request.user, appraisal_id, action="run")
    try:
        n = appraisals.appraisal_remind(actor=request.user, appraisal_id=appraisal.pk)
    except DomainError as exc:
        flash.error(request, exc.message)
    else:
        flash.success(request, f"已提醒 {n} 名党员。" if n else "所有党员都已完成，无需提醒。")
    return redirect("voting:appraisal", appraisal.pk)


# --- member page --------------------------------------------------------------------------------


def _member_context(request, entry, *, form=None):
    appraisal = entry.appraisal
    ctx = {
        "appraisal": appraisal,
        "entry": entry,
        "steps": sel.stage_steps(appraisal),
        "form": form or SelfAssessmentForm(initial={"text": entry.self_assessment}),
        "editable": appraisal.status == AppraisalStatus.SELF_ASSESSMENT,
        "rating_open": appraisal.status == AppraisalStatus.RATING,
        "grades": Grade.choices,
        "S": AppraisalStatus,
    }
    if appraisal.status in (AppraisalStatus.RATING, AppraisalStatus.PROPOSAL):
        page = _page(request, sel.rating_sheet(entry))
        mine = sel.my_ratings(entry)
        for other in page.object_list:
            other.my_grade = mine.get(other.pk, "")
        ctx.update(page=page, others=page.object_list, rated=len(mine))
    return ctx


@require_http_methods(["GET", "POST"])
def self_assessment(request, appraisal_id: int):
    entry = appraisals.own_entry(request.user, appraisal_id)
    if request.method == "GET":
        return render(request, "voting/self_assessment.html", _member_context(request, entry))
    form = SelfAssessmentForm(request.POST)
    if form.is_valid():
        try:
            appraisals.self_assessment_save(
                actor=request.user,
                appraisal_id=entry.appraisal_id,
                text=form.cleaned_data["text"],
                submit="draft" not in request.POST,
            )
        except DomainError as exc:
            apply_domain_error(form, exc, summary=True)
            return render(
                request, "voting/self_assessment.html", _member_context(request, entry, form=form), status=exc.status
            )
        flash.success(request, "已保存草稿。" if "draft" in request.POST else "个人总结已提交，本阶段结束前仍可修改。")
        return redirect("voting:self_assessment", entry.appraisal_id)
    return render(request, "voting/self_assessment.html", _member_context(request, entry, form=form), status=422)


@require_POST
def rate(request, appraisal_id: int):
    entry = appraisals.own_entry(request.user, appraisal_id)
    target_id = request.POST.get("entry")
    error = None
    status = 200
    try:
        appraisals.rating_cast(
            actor=request.user, appraisal_id=entry.appraisal_id, entry_id=target_id, grade=request.POST.get("grade")
        )
    except DomainError as exc:
        error, status = exc.message, exc.status
    if not request.htmx:
        if error:
            flash.error(request, error)
        return redirect(reverse("voting:self_assessment", args=[entry.appraisal_id]) + f"#rate-{target_id}")
    try:
        other = AppraisalEntry.objects.select_related("person").get(
            pk=int(target_id), appraisal_id=entry.appraisal_id, graded=True
        )
    except (AppraisalEntry.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    other.my_grade = sel.my_ratings(entry).get(other.pk, "")
    ctx = {"other": other, "grades": Grade.choices, "rating_open": True, "error": error, "appraisal": entry.appraisal}
    return render(request, "voting/self_assessment_row.html", ctx, status=status)


# --- committee proposal, decision, handling ----------------------------------------------------


def _grades_page(request, appraisal, *, form, template, status=200):
    stats = sel.participation(appraisal)
    ctx = {
        "appraisal": appraisal,
        "form": form,
        "rows": list(form.rows()),
        "stats": stats,
        "cap_fraction": appraisals.fraction_label(
            appraisal.excellent_cap_numerator, appraisal.excellent_cap_denominator
        ),
        "grades": Grade.choices,
        "S": AppraisalStatus,
    }
    return render(request, template, ctx, status=status)


@require_http_methods(["GET", "POST"])
def proposal(request, appraisal_id: int):
    appraisal = appraisals.access_appraisal(request.user, appraisal_id, action="run")
    entries = sel.attach_totals(sel.appraisal_entries(appraisal, graded_only=True))
    initial = {}
    for e in entries:
        initial[f"grade_{e.pk}"] = e.proposed_grade
        initial[f"note_{e.pk}"] = e.proposal_note
    if request.method == "GET":
        form = ProposalForm(initial=initial, entries=entries)
        return _grades_page(request, appraisal, form=form, template="voting/proposal_form.html")
    form = ProposalForm(request.POST, initial=initial, entries=entries)
    status = 422
    if form.is_valid():
        try:
            appraisals.appraisal_propose(actor=request.user, appraisal_id=appraisal.pk, items=form.items())
        except DomainError as exc:
            apply_domain_error(form, exc, summary=True)
            status = exc.status
        else:
            flash.success(request, "支委会意见已保存。")
            return redirect("voting:appraisal", appraisal.pk)
    return _grades_page(request, appraisal, form=form, template="voting/proposal_form.html", status=status)


@require_http_methods(["GET", "POST"])
def decision(request, appraisal_id: int):
    appraisal = appraisals.access_appraisal(request.user, appraisal_id, action="run")
    entries = sel.attach_totals(sel.appraisal_entries(appraisal, graded_only=True))
    initial = {"meeting_on": appraisal.meeting_on or timezone.localdate()}
    for e in entries:
        initial[f"grade_{e.pk}"] = e.final_grade or e.proposed_grade
    if request.method == "GET":
        form = DecisionForm(initial=initial, entries=entries)
        return _grades_page(request, appraisal, form=form, template="voting/decision_form.html")
    form = DecisionForm(request.POST, initial=initial, entries=entries)
    status = 422
    if form.is_valid():
        try:
            appraisals.appraisal_decide(
                actor=request.user,
                appraisal_id=appraisal.pk,
                meeting_on=form.cleaned_data["meeting_on"],
                grades=form.grades(),
            )
        except DomainError as exc:
            apply_domain_error(form, exc, summary=True)
            status = exc.status
        else:
            flash.success(request, "支部大会决定已录入。评定为不合格的党员须记录处置后才能归档。")
            return redirect("voting:appraisal", appraisal.pk)
    return _grades_page(request, appraisal, form=form, template="voting/decision_form.html", status=status)


@require_http_methods(["GET", "POST"])
def handling(request, entry_id: int):
    try:
        entry = AppraisalEntry.objects.select_related("appraisal__unit", "person").get(pk=int(entry_id))
    except AppraisalEntry.DoesNotExist:
        raise Http404 from None
    appraisals.access_appraisal(request.user, entry.appraisal_id, action="run")
    initial = {"handling": entry.handling, "note": entry.handling_note, "deadline": entry.handling_deadline}
    form = HandlingForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                appraisals.entry_handling_record(
                    actor=request.user,
                    entry_id=entry.pk,
                    handling=data["handling"],
                    note=data["note"],
                    deadline=data["deadline"],
                )
            except DomainError as exc:
                apply_domain_error(form, exc, summary=True)
                status = exc.status
            else:
                flash.success(request, f"已记录{entry.person.name}的处置情况。")
                return redirect("voting:appraisal", entry.appraisal_id)
    ctx = {"entry": entry, "appraisal": entry.appraisal, "form": form}
    return render(request, "voting/handling_form.html", ctx, status=status)


# --- export -------------------------------------------------------------------------------------


@require_GET
def appraisal_export(request, appraisal_id: int):
    """Grades and rating totals per member as .xlsx (no rater identities); audited."""
    from openpyxl import Workbook

    appraisal = appraisals.access_appraisal(request.user, appraisal_id)
    entries = sel.attach_totals(sel.appraisal_entries(appraisal))
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("民主评议党员")
    ws.append([f"{appraisal.unit.name} {appraisal.year} 年度民主评议党员情况"])
    ws.append([f"阶段：{appraisal.get_status_display()}；支部大会日期：{appraisal.meeting_on or '—'}"])
    ws.append(
        [
            "序号",
            "姓名",
            "所在组织",
            "参评",
            "个人总结",
            *[f"测评{label}" for _, label in Grade.choices],
            "支委会意见",
            "意见说明",
            "评定等次",
            "不合格处置",
            "处置情况",
            "改正期限",
        ]
    )
    for i, e in enumerate(entries, 1):
        ws.append(
            [
                i,
                e.person.name,
                e.person.unit.name,
                "是" if e.graded else "预备党员，不评定等次",
                "已提交" if e.self_submitted_at else "未提交",
                *[n for _, _, n in e.total_list],
                e.get_proposed_grade_display(),
                e.proposal_note,
                e.get_final_grade_display(),
                e.get_handling_display(),
                e.handling_note,
                str(e.handling_deadline or ""),
            ]
        )
    buf = io.BytesIO()
    wb.save(buf)
    audit_record(actor=request.user, action="voting.appraisal.export", target=appraisal, changes={"rows": len(entries)})
    response = HttpResponse(buf.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="appraisal-{appraisal.unit_id}-{appraisal.year}.xlsx"'
    return response
