"""The answer log and the wrong-answer book (错题本), plus the small helpers every quiz feature
shares (whose quiz it is, which questions a unit's members draw from).

Every graded answer, whatever its source (exam, daily quiz, contest, duel, practice), goes through
``record_answers``: it writes the ``AnswerRecord`` rows that mastery and item analysis read, and
puts every wrong answer in the person's wrong-answer book. A question leaves the book only when
the person answers it right again in review (``wrong_review``); answering it wrong again anywhere
puts it back (``mastered_at`` cleared, ``times`` + 1).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.utils import timezone

from cloudbranch.core.errors import ConflictError
from cloudbranch.people.choices import RosterStatus
from cloudbranch.people.models import Person

from . import grading
from .choices import AnswerSource, QuestionStatus
from .models import AnswerRecord, KnowledgePoint, Question, WrongAnswer

# --- shared helpers of the quiz area ---------------------------------------------------------


def own_person(user) -> Person | None:
    """The roster record of the logged-in user (members act as themselves, without grants)."""
    if user is None or not user.is_authenticated:
        return None
    return (
        Person.objects.select_related("unit")
        .filter(user_id=user.pk, roster_status=RosterStatus.ACTIVE, unit__status="active")
        .first()
    )


def require_person(user) -> Person:
    """``own_person`` or 403: answering questions needs a person on the roster."""
    person = own_person(user)
    if person is None:
        raise PermissionDenied("你的账号没有关联在册人员，不能参加答题。")
    return person


def ancestor_paths(path: str) -> list[str]:
    """ "/1/7/42/" → ["/1/", "/1/7/", "/1/7/42/"]: the unit and every unit above it."""
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def question_bank(unit):
    """Active questions a member of ``unit`` may be asked: the banks of the unit and of every
    unit above it (the school's bank at the root reaches everyone; a college's bank reaches its
    branches; a sibling branch's own questions do not)."""
    path = getattr(unit, "path", unit)
    return Question.objects.filter(status=QuestionStatus.ACTIVE, unit__path__in=ancestor_paths(path))


# --- the answer log -------------------------------------------------------------------------


def record_answers(person, source: str, source_id: int, graded: Iterable[tuple], now=None) -> list[AnswerRecord]:
    """Write one ``AnswerRecord`` per (question, response, correct) and update the wrong-answer
    book for the wrong ones, in bulk (three queries whatever the number of answers). Shared with
    exams: call it inside the grading transaction."""
    now = now or timezone.now()
    graded = list(graded)
    if not graded:
        return []
    records = AnswerRecord.objects.bulk_create(
        [
            AnswerRecord(
                person=person,
                question_id=getattr(q, "pk", q),
                source=source,
                source_id=int(source_id),
                response=response if response is not None else [],
                correct=bool(correct),
                answered_at=now,
            )
            for q, response, correct in graded
        ]
    )
    wrong_ids = {getattr(q, "pk", q) for q, _response, correct in graded if not correct}
    if wrong_ids:
        _book_wrong(person, wrong_ids, now)
    return records


def _book_wrong(person, question_ids: set[int], now) -> None:
    existing = set(
        WrongAnswer.objects.filter(person=person, question_id__in=question_ids).values_list("question_id", flat=True)
    )
    if existing:
        from django.db.models import F

        WrongAnswer.objects.filter(person=person, question_id__in=existing).update(
            times=F("times") + 1, last_wrong_at=now, mastered_at=None
        )
    missing = question_ids - existing
    if missing:
        WrongAnswer.objects.bulk_create(
            [WrongAnswer(person=person, question_id=qid, times=1, last_wrong_at=now) for qid in sorted(missing)],
            ignore_conflicts=True,
        )


# --- the book -------------------------------------------------------------------------------


def wrong_list(person, *, knowledge_point: int | None = None):
    """The person's open wrong answers (not mastered), newest first, with their questions and
    knowledge points loaded in two more queries per page (prefetch)."""
    qs = (
        WrongAnswer.objects.filter(person=person, mastered_at__isnull=True)
        .select_related("question")
        .prefetch_related(Prefetch("question__knowledge_points", queryset=KnowledgePoint.objects.only("id", "name")))
        .order_by("-last_wrong_at", "-id")
    )
    if knowledge_point:
        qs = qs.filter(question__knowledge_points=knowledge_point)
    return qs


def wrong_counts_by_point(person) -> list[dict]:
    """[{"id", "name", "count"}] of the open wrong answers per knowledge point: one grouped query."""
    rows = (
        WrongAnswer.objects.filter(person=person, mastered_at__isnull=True, question__knowledge_points__isnull=False)
        .values("question__knowledge_points", "question__knowledge_points__name")
        .annotate(count=Count("id"))
        .order_by("-count", "question__knowledge_points__name")
    )
    return [
        {"id": r["question__knowledge_points"], "name": r["question__knowledge_points__name"], "count": r["count"]}
        for r in rows
    ]


def access_wrong(person, wrong_id) -> WrongAnswer:
    try:
        return WrongAnswer.objects.select_related("question").get(pk=wrong_id, person=person)
    except (WrongAnswer.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def wrong_review(*, person, wrong_id, response, now: datetime.datetime | None = None) -> dict:
    """Answer a question of the book again: right → mastered (it leaves the book); wrong →
    ``times`` + 1. The answer is logged (source "practice") like any other."""
    now = now or timezone.now()
    with transaction.atomic():
        wrong = access_wrong(person, wrong_id)
        wrong = WrongAnswer.objects.select_for_update().select_related("question").get(pk=wrong.pk)
        if wrong.mastered_at is not None:
            raise ConflictError("这道题已经掌握，已移出错题本。")
        question = wrong.question
        correct = grading.grade(question, response)
        AnswerRecord.objects.create(
            person=person,
            question=question,
            source=AnswerSource.PRACTICE,
            source_id=wrong.pk,
            response=response or [],
            correct=correct,
            answered_at=now,
        )
        if correct:
            wrong.mastered_at = now
            wrong.save(update_fields=["mastered_at"])
        else:
            WrongAnswer.objects.filter(pk=wrong.pk).update(times=wrong.times + 1, last_wrong_at=now)
            wrong.times += 1
            wrong.last_wrong_at = now
    return {"wrong": wrong, "question": question, "correct": correct, "mastered": correct}


def practice_answer(*, person, question_id, response, now: datetime.datetime | None = None) -> dict:
    """Practice one recommended question (from the person's question bank): logged as
    "practice", a wrong answer goes to the book."""
    now = now or timezone.now()
    question = access_practice_question(person, question_id)
    correct = grading.grade(question, response)
    with transaction.atomic():
        record_answers(person, AnswerSource.PRACTICE, question.pk, [(question, response, correct)], now)
    return {"question": question, "correct": correct}


def access_practice_question(person, question_id) -> Question:
    try:
        return question_bank(person.unit).get(pk=question_id)
    except (Question.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def open_wrong_ids(person, question_ids) -> set[int]:
    return set(
        WrongAnswer.objects.filter(
            Q(person=person) & Q(mastered_at__isnull=True) & Q(question_id__in=list(question_ids))
        ).values_list("question_id", flat=True)
    )
