"""Pages of the results area: assignments and submissions, grading, results against the passing
rules, finalizing a class, certificates (page, PDF, revocation) and the public verification page.
Thin: reads through ``assignments`` / ``results`` / ``certificates``, writes through their
services; a broken rule is shown on the page (422, or 409 for a state conflict), nothing written."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.core.middleware import client_ip
from cloudbranch.core.qrtoken import qr_svg

from . import access, assignments, certificates, results
from .choices import ClassStatus, EnrolmentStatus, SubmissionStatus
from .forms_results import AssignmentForm, GradeForm, RevokeForm, SubmissionForm
from .models import Submission

PAGE_SIZE = 20
SUBMISSION_BADGES = {
    SubmissionStatus.SUBMITTED: "warning",
    SubmissionStatus.RETURNED: "danger",
    SubmissionStatus.GRADED: "success",
}
RESULT_BADGES = {
    EnrolmentStatus.ENROLLED: "primary",
    EnrolmentStatus.WITHDRAWAL_REQUESTED: "danger",
    EnrolmentStatus.PASSED: "success",
    EnrolmentStatus.FAILED: "dark",
}


def _status_of(exc: DomainError) -> int:
    return 409 if isinstance(exc, ConflictError) else exc.status


# --- assignments -----------------------------------------------------------------------------


@login_required
@require_GET
def assignment_list(request, class_id: int):
    tc, manage, mine = assignments.class_for_assignments(request.user, class_id)
    rows = list(assignments.assignments_of(tc))
    if mine is not None:
        own = {s.assignment_id: s for s in Submission.objects.filter(enrolment=mine, assignment__in=rows)}
        now = timezone.now()
        for a in rows:
            a.mine = own.get(a.pk)
            a.overdue = a.due_at < now
            if a.mine:
                a.mine.badge = SUBMISSION_BADGES.get(a.mine.status, "secondary")
                a.mine.late = a.mine.submitted_at > a.due_at
    context = {"tc": tc, "rows": rows, "manage": manage, "mine": mine}
    return render(request, "school/assignment_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def assignment_create(request, class_id: int):
    tc = access.class_for_manager(request.user, class_id)
    form = AssignmentForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                a = assignments.assignment_create(actor=request.user, class_id=tc.pk, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = _status_of(exc)
            else:
                messages.success(request, f"已布置作业“{a.title}”。")
                return redirect("school:assignment", a.pk)
        else:
            status = 422
    return render(request, "school/assignment_form.html", {"tc": tc, "form": form}, status=status)


def _submission_rows(assignment, request):
    qs = assignments.submissions_of(assignment)
    status = request.GET.get("status", "")
    if status in SubmissionStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for s in page.object_list:
        s.badge = SUBMISSION_BADGES.get(s.status, "secondary")
        s.late = s.submitted_at > assignment.due_at
    return page, status


@login_required
@require_http_methods(["GET", "POST"])
def assignment_detail(request, assignment_id: int):
    assignment, manage, mine = assignments.assignment_for_viewer(request.user, assignment_id)
    tc = assignment.training_class
    own = Submission.objects.filter(assignment=assignment, enrolment=mine).first() if mine else None
    form = None
    status = 200
    if mine is not None:
        form = SubmissionForm(
            request.POST if request.method == "POST" else None,
            request.FILES or None,
            initial={"text": own.text if own else ""},
        )
        if request.method == "POST":
            if form.is_valid():
                try:
                    own = assignments.submission_submit(
                        actor=request.user,
                        assignment_id=assignment.pk,
                        text=form.cleaned_data["text"],
                        file=form.cleaned_data.get("file"),
                    )
                except DomainError as exc:
                    apply_domain_error(form, exc)
                    status = _status_of(exc)
                else:
                    late = "（已逾期，由班主任决定是否认可）" if assignments.is_late(own, assignment) else ""
                    messages.success(request, f"作业已提交{late}。")
                    return redirect("school:assignment", assignment.pk)
            else:
                status = 422
    elif request.method == "POST":
        raise PermissionDenied
    if own is not None:
        own.badge = SUBMISSION_BADGES.get(own.status, "secondary")
        own.late = own.submitted_at > assignment.due_at
    can_submit = (
        mine is not None
        and mine.status in assignments.SUBMITTING
        and tc.status not in assignments.CLOSED_CLASS
        and (own is None or own.status != SubmissionStatus.GRADED)
    )
    context = {
        "tc": tc,
        "assignment": assignment,
        "manage": manage,
        "mine": mine,
        "own": own,
        "form": form,
        "can_submit": can_submit,
        "overdue": assignment.due_at < timezone.now(),
        "statuses": SubmissionStatus.choices,
    }
    if manage:
        context["page"], context["status"] = _submission_rows(assignment, request)
        context["grade_form"] = GradeForm()
        if request.htmx and request.htmx.target == "submission-rows":
            return render(request, "school/assignment_detail.html#rows", context)
    return render(request, "school/assignment_detail.html", context, status=status)


@login_required
@require_POST
def submission_grade(request, submission_id: int):
    """POST action=grade (score, comment) or action=return (comment). HTMX: the updated row."""
    sub = assignments.submission_for_viewer(request.user, submission_id)  # 404 unless own or managed
    if not access.may_manage(request.user, sub.assignment.training_class):
        raise PermissionDenied
    form = GradeForm(request.POST)
    error, status = "", 200
    if not form.is_valid():
        error, status = "请检查成绩和评语。", 422
    else:
        data = form.cleaned_data
        try:
            if data["action"] == "return":
                assignments.submission_return(actor=request.user, submission_id=sub.pk, comment=data["comment"])
            else:
                assignments.submission_grade(
                    actor=request.user, submission_id=sub.pk, score=data["score"], comment=data["comment"]
                )
        except DomainError as exc:
            error = "；".join(e["message"] for e in exc.errors) or exc.message
            status = _status_of(exc)
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, "已退回修改。" if data["action"] == "return" else "已评分。")
        return redirect("school:assignment", sub.assignment_id)
    sub = assignments.submissions_of(sub.assignment).get(pk=sub.pk)
    sub.badge = SUBMISSION_BADGES.get(sub.status, "secondary")
    sub.late = sub.submitted_at > sub.assignment.due_at
    context = {"s": sub, "assignment": sub.assignment, "error": error}
    return render(request, "school/submission_row.html", context, status=status)


@login_required
@require_GET
def submission_file(request, submission_id: int):
    sub = assignments.submission_for_viewer(request.user, submission_id)
    if not sub.file:
        raise Http404
    import os

    from django.http import FileResponse

    name = os.path.basename(sub.file.name).split("-", 1)[-1]
    ext = os.path.splitext(name)[1].lower()
    return FileResponse(
        sub.file.open("rb"),
        as_attachment=True,
        filename=name,
        content_type=assignments.FILE_TYPES.get(ext, "application/octet-stream"),
    )


# --- results and finalize --------------------------------------------------------------------


@login_required
@require_GET
def results_page(request, class_id: int):
    tc = access.class_for_viewer(
        request.user,
        class_id,
        queryset=access.TrainingClass.objects.select_related("unit", "head_teacher", "exam_paper"),
    )
    status = request.GET.get("status", "")
    if status not in results.RESULT_STATUSES:
        status = ""
    manage, qs = results.visible_results(request.user, tc, status=status)
    rules = results.ClassRules.of(tc)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = results.annotate_rows(page.object_list, rules)
    for e in page.object_list:
        e.badge = RESULT_BADGES.get(e.status, "secondary")
    today = timezone.localdate()
    context = {
        "tc": tc,
        "rules": rules,
        "page": page,
        "manage": manage,
        "status": status,
        "statuses": [(s, EnrolmentStatus(s).label) for s in results.RESULT_STATUSES],
        "counts": results.summary(tc) if manage else {},
        "can_finalize": manage and tc.status == ClassStatus.RUNNING and today >= tc.ends_on,
        "early": manage and tc.status == ClassStatus.RUNNING and today < tc.ends_on,
        "exam_pass": results.num(rules.exam_pass) if rules.exam_pass is not None else None,
    }
    if request.htmx and request.htmx.target == "result-rows":
        return render(request, "school/results.html#rows", context)
    return render(request, "school/results.html", context)


@login_required
@require_POST
def class_finalize(request, class_id: int):
    try:
        counts = results.class_finalize(actor=request.user, class_id=class_id)
    except DomainError as exc:
        messages.error(request, exc.message)
        return (
            redirect("school:results", class_id)
            if not request.htmx
            else HttpResponse(exc.message, status=_status_of(exc))
        )
    messages.success(
        request,
        f"已办理结业：结业 {counts['passed']} 人，未结业 {counts['failed']} 人，颁发证书 {counts['certificates']} 份。",
    )
    return redirect("school:results", class_id)


# --- certificates ----------------------------------------------------------------------------


def _verify_url(request, cert) -> str:
    return request.build_absolute_uri(reverse("school:verify", args=[cert.code]))


@login_required
@require_GET
def certificate_page(request, certificate_id: int):
    cert = certificates.certificate_for_viewer(request.user, certificate_id)
    url = _verify_url(request, cert)
    context = {
        "cert": cert,
        "e": cert.enrolment,
        "tc": cert.enrolment.training_class,
        "text": certificates.certificate_text(cert),
        "verify_url": url,
        "qr": qr_svg(url),
        "may_revoke": certificates.may_revoke(request.user, cert) and cert.revoked_at is None,
        "form": RevokeForm(),
    }
    return render(request, "school/certificate.html", context)


@login_required
@require_GET
def certificate_pdf(request, certificate_id: int):
    cert = certificates.certificate_for_viewer(request.user, certificate_id)
    if cert.revoked_at is not None:
        return render(request, "school/certificate_revoked.html", {"cert": cert}, status=409)
    data = certificates.render_pdf(cert, verify_url=_verify_url(request, cert))
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{cert.serial}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def certificate_revoke(request, certificate_id: int):
    form = RevokeForm(request.POST)
    reason = request.POST.get("reason", "")
    try:
        certificates.certificate_revoke(actor=request.user, certificate_id=certificate_id, reason=reason)
    except DomainError as exc:
        cert = certificates.certificate_for_viewer(request.user, certificate_id)
        apply_domain_error(form, exc)
        url = _verify_url(request, cert)
        context = {
            "cert": cert,
            "e": cert.enrolment,
            "tc": cert.enrolment.training_class,
            "text": certificates.certificate_text(cert),
            "verify_url": url,
            "qr": qr_svg(url),
            "may_revoke": certificates.may_revoke(request.user, cert) and cert.revoked_at is None,
            "form": form,
        }
        return render(request, "school/certificate.html", context, status=_status_of(exc))
    messages.success(request, "证书已撤销。")
    return redirect("school:certificate", certificate_id)


@login_not_required
@require_GET
def verify(request, code: str):
    if not certificates.verify_allowed(client_ip(request)):
        return render(request, "school/verify_limited.html", status=429)
    try:
        v = certificates.verify(code)
    except Http404:
        return render(request, "school/verify_unknown.html", status=404)
    response = render(request, "school/verify.html", {"v": v})
    response["X-Robots-Tag"] = "noindex"
    return response
