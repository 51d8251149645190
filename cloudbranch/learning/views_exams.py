"""Pages of the question bank and exams. Thin: reads through selectors, writes through services;
a broken rule is shown on the page (422, or 409 for a state conflict) and nothing is written.

Members (phone first): ``my_exams`` → start (POST) → ``attempt`` (countdown from the server's
deadline, HTMX autosave of each answer) → submit (POST) → ``attempt_result``.
"""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import can, holds, requires_grant

from . import exams, question_import, question_jobs, questions
from .audience import viewer_person
from .choices import AttemptStatus, PaperMode, PublishStatus, QuestionStatus
from .forms_exams import ImportForm, PaperForm, QuestionFilterForm, QuestionForm

PAGE_SIZE = 20
XLSX = question_import.XLSX


def _attachment(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def _unit_of(units, raw) -> OrgUnit | None:
    return next((u for u in units if str(u.pk) == str(raw)), None)


# --- question bank ------------------------------------------------------------------------------


@require_GET
@requires_grant(questions.VIEW)
def question_list(request):
    form = QuestionFilterForm(request.GET)
    filters = form.filters()
    page = Paginator(questions.question_list(user=request.user, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "form": form,
        "page": page,
        "questions": page.object_list,
        "can_add": holds(request.user, questions.ADD),
        "export_query": request.GET.urlencode(),
    }
    if request.htmx and request.htmx.target == "question-rows":
        return render(request, "learning/question_list.html#rows", context)
    return render(request, "learning/question_list.html", context)


def _question_save(request, form: QuestionForm, *, question=None, units=()):
    data = form.cleaned_data
    try:
        fields = {
            "kind": data["kind"],
            "stem": data["stem"],
            "options": data["options"],
            "answer": data["answer"],
            "explanation": data["explanation"],
            "difficulty": data["difficulty"],
            "knowledge_points": data["kp_names"],
            "source": data["source"],
        }
        if question is None:
            unit = _unit_of(units, data["unit"])
            if unit is None:
                raise PermissionDenied
            return questions.question_create(actor=request.user, unit=unit, **fields)
        return questions.question_update(actor=request.user, question=question, **fields)
    except DomainError as exc:
        apply_domain_error(
            form, exc, field_map={"options": "option_a", "answer": "answer_text"}, summary=question is not None
        )
        return None


@require_http_methods(["GET", "POST"])
@requires_grant(questions.ADD)
def question_create(request):
    units = questions.units_for_questions(request.user)
    form = QuestionForm(request.POST or None, units=units)
    status = 200
    if request.method == "POST":
        if form.is_valid() and (question := _question_save(request, form, units=units)):
            messages.success(request, f"已添加试题（编号 {question.pk}）。")
            if "again" in request.POST:
                return redirect("learning:question_create")
            return redirect("learning:questions")
        status = 422
    return render(request, "learning/question_form.html", {"form": form, "question": None}, status=status)


@require_http_methods(["GET", "POST"])
def question_edit(request, question_id: int):
    question = questions.access_question(request.user, question_id, action="add")
    units = [question.unit]
    answered = questions.is_answered(question)
    form = QuestionForm(request.POST or None, units=units, question=question)
    status = 200
    if request.method == "POST":
        if form.is_valid() and _question_save(request, form, question=question, units=units):
            messages.success(request, "试题已保存。")
            return redirect("learning:questions")
        status = 422
    context = {"form": form, "question": question, "answered": answered}
    return render(request, "learning/question_form.html", context, status=status)


@require_POST
def question_status(request, question_id: int):
    question = questions.access_question(request.user, question_id, action="add")
    status = QuestionStatus.RETIRED if request.POST.get("status") == "retired" else QuestionStatus.ACTIVE
    questions.question_set_status(actor=request.user, question=question, status=status)
    messages.success(request, "试题已停用。" if status == QuestionStatus.RETIRED else "试题已恢复启用。")
    return redirect(request.POST.get("next") or reverse("learning:questions"))


@require_http_methods(["GET", "POST"])
@requires_grant(questions.ADD)
def question_import_view(request):
    """Upload → a stored preview (nothing written); the page also lists the user's recent imports."""
    units = questions.units_for_questions(request.user)
    form = ImportForm(request.POST or None, request.FILES or None, units=units)
    job, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            unit = _unit_of(units, form.cleaned_data["unit"])
            if unit is None:
                raise PermissionDenied
            upload = form.cleaned_data["file"]
            job, result = question_jobs.preview(
                actor=request.user, unit=unit, data=upload.read(), file_name=upload.name
            )
            if result.ok:
                return redirect("learning:question_import_job", job_id=job.pk)
            status = 422
        else:
            status = 422
    jobs = Paginator(question_jobs.job_list(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "job": job, "errors": job.errors[:500] if job else [], "jobs": jobs}
    return render(request, "learning/question_import.html", context, status=status)


def _import_job_page(request, job, status=200):
    rows = job.errors if job.errors else job.changes
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    shown = []
    for item in page.object_list:
        if "stem" in item:
            item = {
                **item,
                "kind_label": question_import.KIND_LABELS.get(item["kind"], item["kind"]),
                "answer_text": questions.answer_text(item["kind"], item["answer"]),
                "difficulty_label": question_import.DIFFICULTY_LABELS.get(item["difficulty"], ""),
            }
        shown.append(item)
    S = question_jobs.S
    context = {
        "job": job,
        "page": page,
        "rows": shown,
        "S": S,
        "can_confirm": job.status == S.PREVIEWED,
        "can_undo": job.status == S.SUCCEEDED,
    }
    return render(request, "learning/question_import_job.html", context, status=status)


@require_GET
@requires_grant(questions.ADD)
def question_import_job(request, job_id: int):
    return _import_job_page(request, question_jobs.access_job(request.user, job_id))


def _import_action(service, done: str):
    @require_POST
    @requires_grant(questions.ADD)
    def view(request, job_id: int):
        try:
            service(actor=request.user, job_id=job_id)
        except ConflictError as exc:
            messages.error(request, exc.message)
            job = question_jobs.access_job(request.user, job_id)
            return _import_job_page(request, job, status=409)
        messages.success(request, done)
        return redirect("learning:question_import_job", job_id=job_id)

    return view


question_import_confirm = _import_action(question_jobs.confirm, "导入成功，试题已加入题库。")
question_import_discard = _import_action(question_jobs.discard, "已放弃本次导入，未写入任何试题。")
question_import_undo = _import_action(question_jobs.undo, "已撤销本次导入，新增的试题已删除。")


@require_GET
@requires_grant(questions.ADD)
def question_template(request):
    return _attachment(question_import.build_template(), "题库导入模板.xlsx")


@require_GET
@requires_grant(questions.VIEW)
def question_export(request):
    form = QuestionFilterForm(request.GET)
    qs = questions.question_list(user=request.user, filters=form.filters())
    return _attachment(question_import.export_questions(qs), f"题库-{timezone.localdate():%Y%m%d}.xlsx")


# --- papers (managers) ----------------------------------------------------------------------------


@require_GET
@requires_grant(exams.VIEW)
def paper_list(request):
    filters = {k: request.GET.get(k) for k in ("q", "status") if request.GET.get(k)}
    page = Paginator(exams.paper_list(user=request.user, filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "papers": page.object_list,
        "filters": filters,
        "statuses": PublishStatus.choices,
        "can_add": holds(request.user, exams.ADD),
        "now": timezone.now(),
    }
    return render(request, "learning/paper_list.html", context)


def _paper_units(user):
    return list(
        OrgUnit.objects.restrict(user, exams.ADD).filter(status="active").only("id", "name", "code", "path")[:300]
    )


@require_http_methods(["GET", "POST"])
@requires_grant(exams.ADD)
def paper_create(request):
    units = _paper_units(request.user)
    form = PaperForm(request.POST or None, units=units)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            unit = _unit_of(units, form.cleaned_data["unit"])
            if unit is None:
                raise PermissionDenied
            try:
                paper = exams.paper_create(actor=request.user, unit=unit, **form.settings())
            except DomainError as exc:
                apply_domain_error(form, exc, summary=True)
            else:
                messages.success(
                    request, "考试已创建（草稿）。" + ("请选择试题。" if paper.mode == PaperMode.MANUAL else "")
                )
                return redirect("learning:paper", paper_id=paper.pk)
        status = 422
    return render(request, "learning/paper_form.html", {"form": form, "paper": None}, status=status)


@require_http_methods(["GET", "POST"])
def paper_edit(request, paper_id: int):
    paper = exams.access_paper(request.user, paper_id, action="add")
    form = PaperForm(request.POST or None, units=[paper.unit], paper=paper)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                exams.paper_update(actor=request.user, paper=paper, **form.settings())
            except DomainError as exc:
                apply_domain_error(form, exc, summary=True)
                status = exc.status
            else:
                messages.success(request, "考试设置已保存。")
                return redirect("learning:paper", paper_id=paper.pk)
        else:
            status = 422
    return render(request, "learning/paper_form.html", {"form": form, "paper": paper}, status=status)


@require_GET
def paper_detail(request, paper_id: int):
    paper = exams.access_paper(request.user, paper_id)
    can_manage = can(request.user, exams.ADD, paper.unit)
    units = list(exams.stats_units(request.user, paper).order_by("path")[:300])
    unit = _unit_of(units, request.GET.get("unit")) or paper.unit
    context = {
        "paper": paper,
        "can_manage": can_manage,
        "max_score": exams.paper_max_score_cached(paper),
        "units": units,
        "stats_unit": unit,
        "stats": exams.unit_statistics(paper, unit),
        "analysis": exams.item_analysis(paper, unit=unit)[:100],
        "now": timezone.now(),
        "has_attempts": paper.attempts.exists(),
    }
    if paper.mode == PaperMode.MANUAL:
        context["items"] = list(exams.paper_items(paper))
        if can_manage:
            bank_form = QuestionFilterForm(request.GET)
            bank = questions.bank_for_unit(paper.unit).exclude(pk__in=[i.question_id for i in context["items"]])
            f = bank_form.filters()
            for name in ("kind", "difficulty"):
                if f.get(name):
                    bank = bank.filter(**{name: f[name]})
            if f.get("kp"):
                bank = bank.filter(knowledge_points=f["kp"])
            if f.get("q"):
                bank = bank.filter(stem__icontains=f["q"])
            context["bank_form"] = bank_form
            context["bank"] = Paginator(bank.order_by("-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    else:
        names = dict(exams.KnowledgePoint.objects.values_list("pk", "name"))
        context["rules"] = [{**r, "label": exams.rule_label(r, names)} for r in paper.rules]
    return render(request, "learning/paper_detail.html", context)


def _paper_action(request, paper_id: int, action) -> HttpResponse:
    paper = exams.access_paper(request.user, paper_id, action="add")
    try:
        message = action(paper)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, message)
    return redirect("learning:paper", paper_id=paper.pk)


@require_POST
def paper_questions(request, paper_id: int):
    def act(paper):
        if request.POST.get("remove"):
            exams.paper_remove_question(actor=request.user, paper=paper, question_id=request.POST["remove"])
            return "已移除试题。"
        if request.POST.get("reorder"):
            ids = [int(v) for v in request.POST.getlist("question") if v.isdigit()]
            pts = request.POST.getlist("points")
            exams.paper_set_questions(
                actor=request.user,
                paper=paper,
                items=[{"question": q, "points": p} for q, p in zip(ids, pts, strict=False)],
            )
            return "试题和分值已保存。"
        exams.paper_add_question(
            actor=request.user,
            paper=paper,
            question_id=request.POST.get("add"),
            points=request.POST.get("points") or "1",
        )
        return "已加入试题。"

    return _paper_action(request, paper_id, act)


@require_POST
def paper_publish(request, paper_id: int):
    return _paper_action(
        request,
        paper_id,
        lambda p: exams.paper_publish(actor=request.user, paper=p) and "考试已发布，党员可在开放时间内参加。",
    )


@require_POST
def paper_close(request, paper_id: int):
    return _paper_action(request, paper_id, lambda p: exams.paper_close(actor=request.user, paper=p) and "考试已结束。")


@require_POST
def paper_withdraw(request, paper_id: int):
    return _paper_action(
        request, paper_id, lambda p: exams.paper_withdraw(actor=request.user, paper=p) and "考试已撤回为草稿。"
    )


# --- members: my exams, answering, results --------------------------------------------------------


@require_GET
@login_required
def my_exams(request):
    person = viewer_person(request.user)
    now = timezone.now()
    if person is not None:
        exams.expire_attempts(now=now, limit=50)  # cheap: only overdue attempts are touched
    page = Paginator(exams.my_exams(person), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "learning/exam_mine.html", {"page": page, "papers": page.object_list, "now": now, "person": person}
    )


@require_POST
@login_required
def exam_start(request, paper_id: int):
    try:
        attempt = exams.attempt_start(actor=request.user, paper_id=paper_id)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("learning:my_exams")
    return redirect("learning:attempt", attempt_id=attempt.pk)


@require_GET
@login_required
def attempt_page(request, attempt_id: int):
    attempt = exams.access_own_attempt(request.user, attempt_id)
    now = timezone.now()
    attempt = exams.settle(attempt, now=now)
    if attempt.status != AttemptStatus.IN_PROGRESS:
        if attempt.status == AttemptStatus.EXPIRED:
            messages.warning(request, "作答时间已到，试卷已自动提交。")
        return redirect("learning:attempt_result", attempt_id=attempt.pk)
    sheet = exams.attempt_sheet(attempt)
    context = {
        "attempt": attempt,
        "paper": attempt.paper,
        "sheet": sheet,
        "remaining": max(0, int((attempt.deadline_at - now).total_seconds())),
        "answered": sum(1 for row in sheet if row["answered"]),
    }
    return render(request, "learning/attempt_page.html", context)


def _responses(request, attempt) -> dict:
    return {
        item["question"]: request.POST.getlist(f"q_{item['question']}")
        for item in attempt.items
        if f"q_{item['question']}" in request.POST
    }


@require_POST
@login_required
def attempt_save(request, attempt_id: int):
    attempt = exams.access_own_attempt(request.user, attempt_id)
    question_id = request.POST.get("question")
    try:
        attempt = exams.attempt_save(
            actor=request.user,
            attempt_id=attempt.pk,
            question_id=question_id,
            response=request.POST.getlist(f"q_{question_id}"),
        )
    except ConflictError as exc:
        response = render(request, "learning/attempt_saved.html", {"error": exc.message}, status=409)
        response["HX-Redirect"] = reverse("learning:attempt_result", args=[attempt.pk])
        return response
    except DomainError as exc:
        return render(request, "learning/attempt_saved.html", {"error": exc.message}, status=422)
    return render(request, "learning/attempt_saved.html", {"saved_at": attempt.saved_at, "attempt": attempt})


@require_POST
@login_required
def attempt_submit(request, attempt_id: int):
    attempt = exams.access_own_attempt(request.user, attempt_id)
    try:
        attempt = exams.attempt_submit(
            actor=request.user, attempt_id=attempt.pk, responses=_responses(request, attempt)
        )
    except ConflictError as exc:
        messages.info(request, exc.message)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("learning:attempt", attempt_id=attempt.pk)
    else:
        if attempt.status == AttemptStatus.EXPIRED:
            messages.warning(request, "已超过作答时间：按截止前保存的答案评分。")
        else:
            messages.success(request, "交卷成功。")
    return redirect("learning:attempt_result", attempt_id=attempt.pk)


@require_GET
@login_required
def attempt_result(request, attempt_id: int):
    attempt = exams.access_attempt_for_result(request.user, attempt_id)
    now = timezone.now()
    attempt = exams.settle(attempt, now=now)
    if attempt.status == AttemptStatus.IN_PROGRESS:
        return redirect("learning:attempt", attempt_id=attempt.pk)
    reveal = exams.results_revealed(attempt.paper, now=now)
    context = {
        "attempt": attempt,
        "paper": attempt.paper,
        "summary": exams.attempt_summary(attempt),
        "reveal": reveal,
        "sheet": exams.attempt_sheet(attempt, reveal=True) if reveal else [],
    }
    return render(request, "learning/attempt_result.html", context)
