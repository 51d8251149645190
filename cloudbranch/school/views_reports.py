"""Pages of the reports area: a student's session evaluation (phone first), a class's statistics
(attendance chart, ratings, comments without names, per college), the school's statistics per
class and per college for a year, and the .xlsx export (audited). Thin: reads through ``stats``
and ``evaluations``, the one write through ``evaluations.evaluation_submit``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from cloudbranch.audit.services import audit_record
from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.orgs.scoping import requires_grant

from . import evaluations, stats
from .choices import ClassKind
from .forms_reports import EvaluationForm, StatsFilterForm

PAGE_SIZE = 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- evaluation (student) ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def evaluate(request, session_id: int):
    state = evaluations.evaluation_state(request.user, session_id)
    form = EvaluationForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                evaluations.evaluation_submit(
                    actor=request.user,
                    session_id=session_id,
                    content_rating=form.cleaned_data["content_rating"],
                    lecturer_rating=form.cleaned_data["lecturer_rating"],
                    comment=form.cleaned_data["comment"],
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = exc.status
                state = evaluations.evaluation_state(request.user, session_id)
            else:
                messages.success(request, "评价已提交，谢谢！评价以匿名方式汇总。")
                return redirect("school:evaluate", session_id=session_id)
        else:
            status = 422
    elif state.refusal and state.enrolment is None:
        status = 403
    context = {"state": state, "session": state.session, "form": form}
    return render(request, "school/evaluate.html", context, status=status)


# --- one class -----------------------------------------------------------------------------------


@login_required
@require_GET
def class_stats(request, class_id: int):
    training_class = stats.class_for_report(request.user, class_id)
    report = stats.class_stats(training_class)
    comments = Paginator(evaluations.comments_of_class(training_class), PAGE_SIZE).get_page(1)
    context = {"tc": training_class, "report": report, "comments": comments}
    return render(request, "school/class_stats.html", context)


@login_required
@require_GET
def class_comments(request, class_id: int):
    """The anonymous comments of a class (HTMX fragment of the class statistics; paginated)."""
    training_class = stats.class_for_report(request.user, class_id)
    session_id = request.GET.get("session")
    session_id = int(session_id) if session_id and session_id.isdigit() else None
    qs = evaluations.comments_of_class(training_class, session_id=session_id)
    comments = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"tc": training_class, "comments": comments}
    return render(request, "school/class_stats_comments.html", context)


# --- the school ----------------------------------------------------------------------------------


def _filters(request) -> stats.SchoolFilters:
    values = StatsFilterForm(request.GET).values()
    unit = stats.report_unit(request.user, values["unit"]) if values["unit"] else None
    return stats.SchoolFilters(year=values["year"], unit=unit, kind=values["kind"])


@login_required
@requires_grant(stats.REPORT_PERM)
@require_GET
def school_stats(request):
    filters = _filters(request)
    page = Paginator(stats.class_rows(request.user, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    for row in page.object_list:
        stats.decorate(row)
    colleges, total = stats.college_totals(request.user, filters)
    this_year = timezone.localdate().year
    context = {
        "filters": filters,
        "page": page,
        "colleges": colleges,
        "total": total,
        "units": list(stats.report_units(request.user)[:200]),
        "kinds": ClassKind.choices,
        "years": list(range(this_year + 1, this_year - 6, -1)),
    }
    if request.htmx and request.htmx.target == "class-rows":
        return render(request, "school/stats.html#rows", context)
    return render(request, "school/stats.html", context)


@login_required
@requires_grant(stats.REPORT_PERM)
@require_GET
def stats_export(request):
    filters = _filters(request)
    data, rows = stats.export_xlsx(request.user, filters)
    with transaction.atomic():
        audit_record(
            actor=request.user,
            action="school.stats.export",
            target=filters.unit,
            changes={"year": filters.year, "unit": filters.unit.pk if filters.unit else None,
                     "kind": filters.kind, "rows": rows},
        )  # fmt: skip
    response = HttpResponse(data, content_type=XLSX)
    suffix = f"-{filters.unit.pk}" if filters.unit else ""
    response["Content-Disposition"] = f'attachment; filename="school-stats-{filters.year}{suffix}.xlsx"'
    return response
