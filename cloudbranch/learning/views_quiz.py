"""Quiz pages (phone first): daily quiz, wrong-answer book, mastery and recommendations, a unit's
weak points, contests with a live board, head-to-head duels. Thin: the rules live in daily.py,
wrongbook.py, mastery.py, contests.py and duels.py."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.orgs.scoping import holds, requires_grant

from . import contests, daily, duels, mastery, wrongbook
from .choices import ContestMode, DuelStatus
from .forms_quiz import ContestForm, answer_text, option_rows, response_from_post
from .models import Question

PAGE_SIZE = 20


def _status(exc: DomainError) -> int:
    return exc.status if getattr(exc, "status", None) in (409, 422) else 422


def _question_ctx(question) -> dict:
    if question is None:
        return {"question": None}
    return {
        "question": question,
        "options": option_rows(question),
        "blanks": range(len(question.answer or [])) if question.kind == "fill" else (),
        "answer_text": answer_text(question),
    }


def _url_or_none(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# --- daily quiz ------------------------------------------------------------------------------


def _daily_ctx(request, quiz, **extra) -> dict:
    questions = daily.quiz_questions(quiz)
    index = daily.next_index(quiz)
    ctx = {
        "quiz": quiz,
        "total": len(quiz.items),
        "answered": len(quiz.answers),
        "index": index,
        "number": (index + 1) if index is not None else None,
        "finished": quiz.completed_at is not None,
        "ranking_url": _url_or_none("points:ranking"),
        "marks": [quiz.answers.get(str(i), {}).get("correct") for i in range(len(quiz.items))],
    }
    if index is not None and not extra.get("feedback"):
        ctx.update(_question_ctx(questions[index] if index < len(questions) else None))
    if ctx["finished"]:
        ctx["points"] = daily.quiz_points(quiz)
    ctx.update(extra)
    return ctx


def _render_daily(request, ctx, status=200):
    template = "learning/daily_page.html#card" if request.htmx else "learning/daily_page.html"
    return render(request, template, ctx, status=status)


@require_GET
def daily_page(request):
    person = wrongbook.require_person(request.user)
    try:
        quiz = daily.today_quiz(person=person)
    except DomainError as exc:
        return render(request, "learning/daily_page.html", {"error": exc.message}, status=422)
    return _render_daily(request, _daily_ctx(request, quiz))


@require_POST
def daily_answer(request):
    person = wrongbook.require_person(request.user)
    try:
        quiz = daily.today_quiz(person=person)
    except DomainError as exc:
        return render(request, "learning/daily_page.html", {"error": exc.message}, status=422)
    index = daily.next_index(quiz)
    question = None
    if index is not None:
        question = Question.objects.filter(pk=quiz.items[index]["question"]).first()
    try:
        result = daily.daily_answer(
            person=person,
            quiz_id=quiz.pk,
            index=request.POST.get("index"),
            response=response_from_post(question, request.POST),
        )
    except DomainError as exc:
        return _render_daily(request, _daily_ctx(request, quiz, error=exc.message), status=_status(exc))
    fb = _question_ctx(result["question"])
    feedback = {
        "correct": result["correct"],
        "points": result["points"],
        "number": result["index"] + 1,
        "question": result["question"],
        "answer_text": fb["answer_text"],
        "finished": result["finished"],
    }
    return _render_daily(request, _daily_ctx(request, result["quiz"], feedback=feedback))


# --- wrong-answer book ------------------------------------------------------------------------


@require_GET
def wrong_list(request):
    person = wrongbook.require_person(request.user)
    try:
        kp = int(request.GET.get("kp") or 0) or None
    except ValueError:
        kp = None
    page = Paginator(wrongbook.wrong_list(person, knowledge_point=kp), PAGE_SIZE).get_page(request.GET.get("page"))
    ctx = {"page": page, "points": wrongbook.wrong_counts_by_point(person), "kp": kp}
    template = "learning/wrong_list.html#rows" if request.htmx else "learning/wrong_list.html"
    return render(request, template, ctx)


@require_http_methods(["GET", "POST"])
def wrong_review(request, wrong_id: int):
    person = wrongbook.require_person(request.user)
    wrong = wrongbook.access_wrong(person, wrong_id)
    ctx = {"wrong": wrong, **_question_ctx(wrong.question)}
    status = 200
    if request.method == "POST":
        try:
            result = wrongbook.wrong_review(
                person=person, wrong_id=wrong.pk, response=response_from_post(wrong.question, request.POST)
            )
        except DomainError as exc:
            ctx["error"], status = exc.message, _status(exc)
        else:
            ctx["result"] = result
            ctx["wrong"] = result["wrong"]
    template = "learning/wrong_review.html#card" if request.htmx else "learning/wrong_review.html"
    return render(request, template, ctx, status=status)


@require_http_methods(["GET", "POST"])
def practice(request, question_id: int):
    """One practice question (from a recommendation)."""
    person = wrongbook.require_person(request.user)
    question = wrongbook.access_practice_question(person, question_id)
    ctx = {**_question_ctx(question), "reason": request.GET.get("why", "")[:120]}
    if request.method == "POST":
        ctx["result"] = wrongbook.practice_answer(
            person=person, question_id=question.pk, response=response_from_post(question, request.POST)
        )
    template = "learning/mastery_practice.html#card" if request.htmx else "learning/mastery_practice.html"
    return render(request, template, ctx)


# --- mastery ---------------------------------------------------------------------------------


@require_GET
def mastery_page(request):
    person = wrongbook.require_person(request.user)
    rows = mastery.person_mastery(person)
    weak = mastery.weakest(rows)
    recs = mastery.recommendations(person, weak)
    for rec in recs:
        for r in rec.resources:
            r.url = _url_or_none("learning:resource", r.pk)
    ctx = {
        "rows": rows,
        "weak": weak,
        "recommendations": recs,
        "min_answers": mastery.MIN_ANSWERS,
    }
    return render(request, "learning/mastery_page.html", ctx)


@require_GET
@requires_grant("learning.view_report")
def unit_weak(request):
    units = list(mastery.report_units(request.user))
    unit_id = request.GET.get("unit") or (units[0].pk if units else None)
    if unit_id is None:
        raise PermissionDenied
    unit = mastery.access_report_unit(request.user, unit_id)
    ctx = {
        "unit": unit,
        "units": units,
        "rows": mastery.unit_weak_points(unit),
        "days": mastery.UNIT_DAYS,
        "task_url": _url_or_none("learning:task_create"),
    }
    return render(request, "learning/weak_page.html", ctx)


# --- contests --------------------------------------------------------------------------------


@require_GET
def contest_list(request):
    person = wrongbook.own_person(request.user)
    qs = contests.contest_list(request.user, person)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    ctx = {"page": page, "now": timezone.now(), "can_create": holds(request.user, "learning.add_contest")}
    return render(request, "learning/contest_list.html", ctx)


@require_http_methods(["GET", "POST"])
@requires_grant("learning.add_contest")
def contest_create(request):
    form = ContestForm(request.POST or None, user=request.user, has_audience=contests.HAS_AUDIENCE)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                contest = contests.contest_create(
                    actor=request.user,
                    unit_id=data["unit"].pk,
                    title=data["title"],
                    description=data["description"],
                    mode=data["mode"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    question_count=data["question_count"],
                    seconds_per_question=data["seconds_per_question"],
                    audience=data.get("audience") or "subtree",
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = 422
            else:
                messages.success(request, "竞赛已发布。")
                return redirect("learning:contest", contest.pk)
        else:
            status = 422
    return render(request, "learning/contest_form.html", {"form": form}, status=status)


def _board_ctx(request, contest) -> dict:
    ctx = {"contest": contest, "branch_mode": contest.mode == ContestMode.BRANCH}
    ctx["page"] = Paginator(contests.board_entries(contest), PAGE_SIZE).get_page(request.GET.get("page"))
    if ctx["branch_mode"]:
        ctx["branches"] = contests.board_branches(contest)
    return ctx


@require_GET
def contest_detail(request, contest_id: int):
    person = wrongbook.own_person(request.user)
    contest = contests.access_contest(request.user, contest_id, person)
    now = timezone.now()
    entry = None
    if person is not None:
        entry = contest.entries.filter(person=person).first()
    ctx = {
        **_board_ctx(request, contest),
        "entry": entry,
        "now": now,
        "open": contest.starts_at <= now < contest.ends_at,
        "may_enter": contests.may_enter(person, contest),
    }
    return render(request, "learning/contest_detail.html", ctx)


@require_GET
def contest_board(request, contest_id: int):
    """The leaderboard fragment, polled every 5 s."""
    person = wrongbook.own_person(request.user)
    contest = contests.access_contest(request.user, contest_id, person)
    return render(request, "learning/contest_board.html", _board_ctx(request, contest))


@require_POST
def contest_enter(request, contest_id: int):
    person = wrongbook.require_person(request.user)
    contest = contests.access_contest(request.user, contest_id, person)
    try:
        contests.contest_enter(person=person, contest=contest)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("learning:contest", contest.pk)
    return redirect("learning:contest_play", contest.pk)


def _play_ctx(contest, entry, now, **extra) -> dict:
    index = contests.current_index(entry)
    ctx = {
        "contest": contest,
        "entry": entry,
        "index": index,
        "number": index + 1 if index is not None else None,
        "total": len(entry.items),
        "seconds_left": contests.seconds_left(entry, contest, now),
        "finished": entry.finished_at is not None,
    }
    ctx["reload_in"] = ctx["seconds_left"] + contests.GRACE_SECONDS + 1
    if index is not None and entry.finished_at is None:
        ctx.update(_question_ctx(Question.objects.filter(pk=entry.items[index]["question"]).first()))
    ctx.update(extra)
    return ctx


@require_GET
def contest_play(request, contest_id: int):
    person = wrongbook.require_person(request.user)
    contest = contests.access_contest(request.user, contest_id, person)
    now = timezone.now()
    entry = contests.contest_settle(person=person, contest=contest, now=now)
    if entry is None:
        return redirect("learning:contest", contest.pk)
    template = "learning/contest_play.html#card" if request.htmx else "learning/contest_play.html"
    return render(request, template, _play_ctx(contest, entry, now))


@require_POST
def contest_answer(request, contest_id: int):
    person = wrongbook.require_person(request.user)
    contest = contests.access_contest(request.user, contest_id, person)
    now = timezone.now()
    entry = contest.entries.filter(person=person).first()
    question = None
    if entry is not None:
        index = contests.current_index(entry)
        if index is not None:
            question = Question.objects.filter(pk=entry.items[index]["question"]).first()
    template = "learning/contest_play.html#card" if request.htmx else "learning/contest_play.html"
    try:
        result = contests.contest_answer(
            person=person,
            contest=contest,
            index=request.POST.get("index"),
            response=response_from_post(question, request.POST),
            now=now,
        )
    except DomainError as exc:
        entry = contests.contest_settle(person=person, contest=contest, now=now)
        if entry is None:
            return redirect("learning:contest", contest.pk)
        return render(request, template, _play_ctx(contest, entry, now, error=exc.message), status=_status(exc))
    last = {
        "correct": result["correct"],
        "late": result["late"],
        "answer_text": answer_text(result["question"]),
    }
    return render(request, template, _play_ctx(contest, result["entry"], now, last=last))


# --- duels -----------------------------------------------------------------------------------


@require_GET
def duel_list(request):
    person = wrongbook.require_person(request.user)
    page = Paginator(duels.my_duels(person), PAGE_SIZE).get_page(request.GET.get("page"))
    pending = list(
        duels.my_duels(person).filter(
            opponent=person, status=DuelStatus.WAITING, created_at__gt=timezone.now() - timezone.timedelta(minutes=10)
        )[:10]
    )
    return render(request, "learning/duel_list.html", {"page": page, "pending": pending, "person": person})


@require_http_methods(["GET", "POST"])
def duel_create(request):
    """GET ?q= searches opponents by name (HTMX fragment); POST opponent= challenges one."""
    person = wrongbook.require_person(request.user)
    if request.method == "POST":
        try:
            duel = duels.duel_create(person=person, opponent_id=request.POST.get("opponent"))
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("learning:duels")
        return redirect("learning:duel", duel.pk)
    q = request.GET.get("q", "")
    rows = duels.opponents(person, q)[:PAGE_SIZE] if q.strip() else []
    template = "learning/duel_create.html#results" if request.htmx else "learning/duel_create.html"
    return render(request, template, {"rows": rows, "q": q})


def _duel_render(request, duel, person, *, full: bool, status: int = 200, **extra) -> HttpResponse:
    ctx = duels.duel_state(duel, person)
    if ctx["question"] is not None:
        ctx.update(_question_ctx(ctx["question"]))
    ctx.update(extra)
    template = "learning/duel_page.html" if full else "learning/duel_page.html#state"
    return render(request, template, ctx, status=status)


@require_GET
def duel_page(request, duel_id: int):
    person = wrongbook.require_person(request.user)
    duel = duels.access_duel(person, duel_id)
    return _duel_render(request, duel, person, full=True)


@require_GET
def duel_state(request, duel_id: int):
    """The polled fragment (every 2 s): scores, the open question, the result."""
    person = wrongbook.require_person(request.user)
    duel = duels.access_duel(person, duel_id)
    return _duel_render(request, duel, person, full=False)


@require_POST
def duel_accept(request, duel_id: int):
    person = wrongbook.require_person(request.user)
    try:
        duel = duels.duel_accept(person=person, duel_id=duel_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        return redirect("learning:duel", duel.pk)
    return redirect("learning:duel", duel_id)


@require_POST
def duel_decline(request, duel_id: int):
    person = wrongbook.require_person(request.user)
    try:
        duels.duel_decline(person=person, duel_id=duel_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("learning:duels")


@require_POST
def duel_answer(request, duel_id: int):
    person = wrongbook.require_person(request.user)
    duel = duels.access_duel(person, duel_id)
    question = None
    current = duels.current_index(duel, timezone.now())
    if current is not None:
        question = Question.objects.filter(pk=duel.items[current]["question"]).first()
    try:
        result = duels.duel_answer(
            person=person,
            duel_id=duel.pk,
            index=request.POST.get("index"),
            response=response_from_post(question, request.POST),
        )
    except DomainError as exc:
        return _duel_render(request, duel, person, full=not request.htmx, status=_status(exc), error=exc.message)
    last = {"correct": result["correct"], "points": result["points"]}
    return _duel_render(request, result["duel"], person, full=not request.htmx, last=last)
