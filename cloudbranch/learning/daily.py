"""每日答题: five questions per person and day, answered one at a time with immediate feedback.

The draw is seeded by (person, day), so the same person gets the same questions all day even if
two requests race to create the quiz (the unique (person, day) constraint keeps one row). The mix:
one question from the person's wrong-answer book when there is one, then one question per type in
``KIND_ORDER``, preferring questions the person has not answered in the last ``RECENT_DAYS`` days,
falling back to any type and then to recently answered questions when the bank is small.

Each correct answer earns ``daily_quiz`` points (source ``daily`` / "<quiz id>:<index>"), so a
retried request never pays twice and the rule's daily cap (5) applies.
"""

from __future__ import annotations

import datetime
import random

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.services import audit_record
from cloudbranch.core.errors import ConflictError, DomainError

from . import grading
from .choices import AnswerSource, QuestionKind
from .drawing import NotEnoughQuestions, draw
from .models import AnswerRecord, DailyQuiz, Question, WrongAnswer
from .wrongbook import question_bank, record_answers

QUIZ_SIZE = 5
RECENT_DAYS = 30
KIND_ORDER = [QuestionKind.SINGLE, QuestionKind.JUDGE, QuestionKind.MULTIPLE, QuestionKind.FILL, QuestionKind.SINGLE]
POINT_ACTION = "daily_quiz"


def _rng(person, day: datetime.date) -> random.Random:
    return random.Random(f"daily:{person.pk}:{day.isoformat()}")


def draw_daily(person, day: datetime.date, *, now: datetime.datetime | None = None) -> list[int]:
    """The question ids of ``person``'s quiz for ``day`` (deterministic for a given database state)."""
    now = now or timezone.now()
    rng = _rng(person, day)
    bank = question_bank(person.unit)
    recent = set(
        AnswerRecord.objects.filter(
            person=person, answered_at__gte=now - datetime.timedelta(days=RECENT_DAYS)
        ).values_list("question_id", flat=True)
    )
    chosen: list[int] = []
    wrong = sorted(
        WrongAnswer.objects.filter(person=person, mastered_at__isnull=True, question__in=bank.values("id")).values_list(
            "question_id", flat=True
        )
    )
    if wrong:
        chosen.append(rng.choice(wrong))
    fresh = bank.exclude(id__in=recent) if recent else bank
    for kind in KIND_ORDER[: QUIZ_SIZE - len(chosen)]:
        for base, rule in ((fresh, {"kind": kind}), (fresh, {}), (bank, {"kind": kind}), (bank, {})):
            try:
                picked = draw([{**rule, "count": 1}], rng=rng, base=base, exclude=chosen)
            except NotEnoughQuestions:
                continue
            chosen.append(picked[0][0])
            break
    if len(chosen) < QUIZ_SIZE:
        raise DomainError("题库中的题目不足，暂时无法生成每日答题，请联系组织管理员。")
    return chosen


def today_quiz(*, person, now: datetime.datetime | None = None) -> DailyQuiz:
    """Today's quiz of ``person``, created on first visit (one per day)."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    quiz = DailyQuiz.objects.filter(person=person, day=day).first()
    if quiz is not None:
        return quiz
    ids = draw_daily(person, day, now=now)
    try:
        with transaction.atomic():
            quiz = DailyQuiz.objects.create(
                person=person, day=day, items=[{"question": qid} for qid in ids], started_at=now
            )
    except IntegrityError:  # a concurrent request created it first: same seed, same questions
        return DailyQuiz.objects.get(person=person, day=day)
    return quiz


def quiz_questions(quiz: DailyQuiz) -> list[Question]:
    """The quiz's questions in order (one query)."""
    ids = [item["question"] for item in quiz.items]
    by_id = Question.objects.in_bulk(ids)
    return [by_id[qid] for qid in ids if qid in by_id]


def next_index(quiz: DailyQuiz) -> int | None:
    for i in range(len(quiz.items)):
        if str(i) not in quiz.answers:
            return i
    return None


def daily_answer(*, person, quiz_id: int, index: int, response, now: datetime.datetime | None = None) -> dict:
    """Grade the answer to question ``index`` of today's quiz (in order, once), log it, book a
    wrong answer, award points for a right one, and close the quiz after the last question.

    Returns {"correct", "question", "index", "points", "finished"}."""
    from cloudbranch.points.services import point_award

    now = now or timezone.now()
    with transaction.atomic():
        try:
            quiz = DailyQuiz.objects.select_for_update().get(pk=quiz_id, person=person)
        except (DailyQuiz.DoesNotExist, ValueError, TypeError):
            raise Http404 from None
        if quiz.day != timezone.localdate(now):
            raise ConflictError("这是往日的答题，已经不能再作答。")
        expected = next_index(quiz)
        if expected is None:
            raise ConflictError("今天的题目已经答完了。")
        try:
            index = int(index)
        except (TypeError, ValueError):
            raise DomainError("题号无效。") from None
        if index != expected:
            raise ConflictError(f"请按顺序作答：当前是第 {expected + 1} 题。")
        try:
            question = Question.objects.get(pk=quiz.items[index]["question"])
        except Question.DoesNotExist:  # deleted since the draw: counts as not asked
            question = None
        correct = bool(question is not None and grading.grade(question, response))
        quiz.answers[str(index)] = {"response": response or [], "correct": correct, "at": now.isoformat()}
        if question is not None:
            record_answers(person, AnswerSource.DAILY, quiz.pk, [(question, response, correct)], now)
        event = None
        if correct:
            event = point_award(
                person=person, action=POINT_ACTION, source_type="daily", source_id=f"{quiz.pk}:{index}", occurred_at=now
            )
        finished = next_index(quiz) is None
        fields = ["answers"]
        if finished:
            quiz.correct = sum(1 for a in quiz.answers.values() if a.get("correct"))
            quiz.completed_at = now
            fields += ["correct", "completed_at"]
            audit_record(
                actor=person.user,
                action="learning.daily.complete",
                target=quiz,
                changes={"correct": {"old": None, "new": quiz.correct}},
            )
        quiz.save(update_fields=fields)
    return {
        "quiz": quiz,
        "correct": correct,
        "question": question,
        "index": index,
        "points": event.points if event is not None else 0,
        "finished": finished,
    }


def quiz_points(quiz: DailyQuiz) -> int:
    """Points this quiz earned (one query)."""
    from cloudbranch.points.models import PointEvent

    total = PointEvent.objects.filter(
        person_id=quiz.person_id, action=POINT_ACTION, source_type="daily", source_id__startswith=f"{quiz.pk}:"
    ).aggregate(total=Sum("points"))["total"]
    return total or 0
