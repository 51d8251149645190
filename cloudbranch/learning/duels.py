"""双人对战: a member challenges another member of the same college (branches included), the
opponent accepts within ``EXPIRE_MINUTES`` minutes, then both answer the same ``QUESTIONS``
questions against the server's clock.

Clock. Question i is open from ``started_at + i × seconds_per_question`` for
``seconds_per_question`` seconds; an answer outside its question's window is refused (409). The
duel finishes when both have answered every question or the last window has closed, whichever
comes first; whoever looks at the duel then (a poll, an answer) settles it. Scores use the
contest formula (10 per right answer + up to 5 for speed); equal scores → no winner. The winner
earns ``duel_win`` points once per duel (the rule caps them at 4 a day).

All functions take ``now`` so that tests pass time explicitly.
"""

from __future__ import annotations

import datetime
import random

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.services import audit_record
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.people.choices import RosterStatus
from cloudbranch.people.models import Person

from . import grading
from .choices import AnswerSource, DuelStatus
from .contests import answer_score
from .drawing import NotEnoughQuestions, draw
from .models import Duel, DuelAnswer, Question
from .wrongbook import ancestor_paths, question_bank, record_answers

QUESTIONS = 5
SECONDS_PER_QUESTION = 15
EXPIRE_MINUTES = 10
POINT_ACTION = "duel_win"


def rival_scope(person) -> str:
    """The path under which a person may find opponents: their college (the unit right under
    the root), which includes their own branch."""
    paths = ancestor_paths(person.unit.path)
    return paths[1] if len(paths) > 1 else paths[0]


def opponents(person, q: str = ""):
    """Members (with an account, on the roster) of the person's college, by name."""
    qs = (
        Person.objects.filter(
            roster_status=RosterStatus.ACTIVE, user__isnull=False, unit__path__startswith=rival_scope(person)
        )
        .exclude(pk=person.pk)
        .select_related("unit")
        .order_by("name", "id")
    )
    q = (q or "").strip()
    if q:
        qs = qs.filter(name__icontains=q)
    return qs


def _common_path(a: str, b: str) -> str:
    common = [p for p, o in zip(ancestor_paths(a), ancestor_paths(b), strict=False) if p == o]
    return common[-1] if common else ancestor_paths(a)[0]


def duel_create(
    *, person, opponent_id, now: datetime.datetime | None = None, seconds_per_question: int = SECONDS_PER_QUESTION
) -> Duel:
    """Challenge ``opponent_id`` (404 if not a visible member). Both get the same questions,
    drawn from the bank their units share, seeded by the duel."""
    now = now or timezone.now()
    try:
        opponent = opponents(person).get(pk=opponent_id)
    except (Person.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    with transaction.atomic():
        duel = Duel.objects.create(
            challenger=person, opponent=opponent, created_at=now, seconds_per_question=seconds_per_question
        )
        try:
            picked = draw(
                [{"kind": "", "count": QUESTIONS}],
                rng=random.Random(f"duel:{duel.pk}"),
                base=question_bank(_common_path(person.unit.path, opponent.unit.path)),
            )
        except NotEnoughQuestions:
            raise DomainError("题库中的题目不足，暂时无法发起对战。") from None
        duel.items = [{"question": qid} for qid, _rule in picked]
        duel.save(update_fields=["items"])
        audit_record(actor=person.user, action="learning.duel.create", target=duel)
    _notify(opponent, duel, person)
    return duel


def _notify(opponent, duel, challenger) -> None:
    """Tell the opponent (best effort, after commit)."""
    if opponent.user_id is None:
        return

    def send():
        from django.urls import reverse

        from cloudbranch.notifications.choices import Category
        from cloudbranch.notifications.services import notify

        category = "learning" if "learning" in Category.values else "system"
        notify(
            recipients=[opponent.user],
            category=category,
            title=f"{challenger.name} 向你发起了答题对战",
            body=f"请在 {EXPIRE_MINUTES} 分钟内应战。",
            url=reverse("learning:duel", args=[duel.pk]),
        )

    try:
        transaction.on_commit(send)
    except Exception:  # noqa: BLE001 — a missing notification must never break the duel
        pass


def access_duel(person, duel_id) -> Duel:
    """Only the two players see a duel; anyone else gets 404."""
    try:
        return (
            Duel.objects.select_related("challenger", "opponent")
            .filter(Q(challenger=person) | Q(opponent=person))
            .get(pk=duel_id)
        )
    except (Duel.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def my_duels(person):
    return (
        Duel.objects.filter(Q(challenger=person) | Q(opponent=person))
        .select_related("challenger", "opponent", "winner")
        .order_by("-created_at", "-id")
    )


def expires_at(duel: Duel) -> datetime.datetime:
    return duel.created_at + datetime.timedelta(minutes=EXPIRE_MINUTES)


def ends_at(duel: Duel) -> datetime.datetime | None:
    if duel.started_at is None:
        return None
    return duel.started_at + datetime.timedelta(seconds=duel.seconds_per_question * len(duel.items))


def current_index(duel: Duel, now: datetime.datetime) -> int | None:
    """The open question's index, or None before the start / after the last window."""
    if duel.status != DuelStatus.RUNNING or duel.started_at is None or now < duel.started_at:
        return None
    i = int((now - duel.started_at).total_seconds() // duel.seconds_per_question)
    return i if i < len(duel.items) else None


def _locked(duel_id) -> Duel:
    return Duel.objects.select_for_update().select_related("challenger", "opponent").get(pk=duel_id)


def duel_accept(*, person, duel_id, now: datetime.datetime | None = None) -> Duel:
    now = now or timezone.now()
    duel = access_duel(person, duel_id)
    if duel.opponent_id != person.pk:
        raise PermissionDenied("只有被挑战者可以应战。")
    duel_settle(duel=duel, now=now)  # its own transaction: an expiry stays written even if we refuse below
    with transaction.atomic():
        duel = _locked(duel.pk)
        _settle(duel, now)
        if duel.status != DuelStatus.WAITING:
            raise ConflictError("挑战已过期。" if duel.status == DuelStatus.EXPIRED else "这场对战已经不能应战。")
        duel.status = DuelStatus.RUNNING
        duel.started_at = now
        duel.save(update_fields=["status", "started_at"])
        audit_record(actor=person.user, action="learning.duel.accept", target=duel)
    return duel


def duel_decline(*, person, duel_id, now: datetime.datetime | None = None) -> Duel:
    now = now or timezone.now()
    duel = access_duel(person, duel_id)
    if duel.opponent_id != person.pk:
        raise PermissionDenied("只有被挑战者可以拒绝。")
    duel_settle(duel=duel, now=now)
    with transaction.atomic():
        duel = _locked(duel.pk)
        _settle(duel, now)
        if duel.status != DuelStatus.WAITING:
            raise ConflictError("这场对战已经不能拒绝。")
        duel.status = DuelStatus.DECLINED
        duel.finished_at = now
        duel.save(update_fields=["status", "finished_at"])
        audit_record(actor=person.user, action="learning.duel.decline", target=duel)
    return duel


def _settle(duel: Duel, now: datetime.datetime) -> bool:
    """Expire a waiting duel after 10 minutes; finish a running one when both are done or time
    is up. Call with the row locked. Returns whether it changed."""
    from cloudbranch.points.services import point_award

    if duel.status == DuelStatus.WAITING and now >= expires_at(duel):
        duel.status = DuelStatus.EXPIRED
        duel.finished_at = expires_at(duel)
        duel.save(update_fields=["status", "finished_at"])
        return True
    if duel.status != DuelStatus.RUNNING:
        return False
    done = now >= ends_at(duel) or DuelAnswer.objects.filter(duel=duel).count() >= 2 * len(duel.items)
    if not done:
        return False
    duel.status = DuelStatus.FINISHED
    duel.finished_at = min(now, ends_at(duel))
    if duel.challenger_score > duel.opponent_score:
        duel.winner = duel.challenger
    elif duel.opponent_score > duel.challenger_score:
        duel.winner = duel.opponent
    else:
        duel.winner = None
    duel.save(update_fields=["status", "finished_at", "winner"])
    if duel.winner is not None:
        point_award(
            person=duel.winner,
            action=POINT_ACTION,
            source_type="duel",
            source_id=str(duel.pk),
            occurred_at=duel.finished_at,
        )
    audit_record(
        actor=None,
        action="learning.duel.finish",
        target=duel,
        changes={
            "challenger_score": {"old": None, "new": duel.challenger_score},
            "opponent_score": {"old": None, "new": duel.opponent_score},
            "winner": {"old": None, "new": duel.winner_id},
        },
    )
    return True


def duel_settle(*, duel: Duel, now: datetime.datetime | None = None) -> Duel:
    """Settle if due (a poll calls this; it writes only at a transition)."""
    now = now or timezone.now()
    due = (duel.status == DuelStatus.WAITING and now >= expires_at(duel)) or duel.status == DuelStatus.RUNNING
    if not due:
        return duel
    with transaction.atomic():
        duel = _locked(duel.pk)
        _settle(duel, now)
    return duel


def duel_answer(*, person, duel_id, index, response, now: datetime.datetime | None = None) -> dict:
    """Answer question ``index`` while it is open (409 otherwise, and 409 on a second answer)."""
    now = now or timezone.now()
    duel = access_duel(person, duel_id)
    try:
        index = int(index)
    except (TypeError, ValueError):
        raise DomainError("题号无效。") from None
    duel = duel_settle(duel=duel, now=now)
    with transaction.atomic():
        duel = _locked(duel.pk)
        _settle(duel, now)
        if duel.status != DuelStatus.RUNNING:
            raise ConflictError("对战未在进行中。")
        current = current_index(duel, now)
        if current is None or index != current:
            raise ConflictError("这道题的作答时间已过。" if current is None or index < current else "这道题还没开始。")
        question = Question.objects.filter(pk=duel.items[index]["question"]).first()
        correct = bool(question is not None and grading.grade(question, response))
        opened = duel.started_at + datetime.timedelta(seconds=index * duel.seconds_per_question)
        taken = min(duel.seconds_per_question, (now - opened).total_seconds())
        try:
            with transaction.atomic():
                DuelAnswer.objects.create(
                    duel=duel,
                    person=person,
                    index=index,
                    response=response or [],
                    correct=correct,
                    answered_at=now,
                    seconds=int(taken),
                )
        except IntegrityError:
            raise ConflictError("这道题你已经作答。") from None
        points = answer_score(correct, taken, duel.seconds_per_question)
        field = "challenger_score" if person.pk == duel.challenger_id else "opponent_score"
        if points:
            Duel.objects.filter(pk=duel.pk).update(**{field: F(field) + points})
            setattr(duel, field, getattr(duel, field) + points)
        if question is not None:
            record_answers(person, AnswerSource.DUEL, duel.pk, [(question, response, correct)], now)
        _settle(duel, now)
    return {"duel": duel, "correct": correct, "points": points, "question": question}


def duel_state(duel: Duel, person, now: datetime.datetime | None = None) -> dict:
    """What the polled page shows: both scores, the open question, the result (two queries
    after settling: answers, and the open question when there is one)."""
    now = now or timezone.now()
    duel = duel_settle(duel=duel, now=now)
    me_first = duel.challenger_id == person.pk
    answers = list(DuelAnswer.objects.filter(duel=duel).values("person_id", "index", "correct"))
    mine = {a["index"]: a["correct"] for a in answers if a["person_id"] == person.pk}
    theirs = {a["index"]: a["correct"] for a in answers if a["person_id"] != person.pk}
    current = current_index(duel, now)
    question = None
    if current is not None and current not in mine:
        question = Question.objects.filter(pk=duel.items[current]["question"]).first()
    seconds_left = 0
    if current is not None:
        closes = duel.started_at + datetime.timedelta(seconds=(current + 1) * duel.seconds_per_question)
        seconds_left = max(0, int((closes - now).total_seconds() + 0.999))
    if duel.status == DuelStatus.FINISHED:
        if duel.winner_id is None:
            result = "平局"
        else:
            result = "你赢了！" if duel.winner_id == person.pk else "对手获胜"
    else:
        result = ""
    return {
        "duel": duel,
        "me": duel.challenger if me_first else duel.opponent,
        "rival": duel.opponent if me_first else duel.challenger,
        "my_score": duel.challenger_score if me_first else duel.opponent_score,
        "rival_score": duel.opponent_score if me_first else duel.challenger_score,
        "is_opponent": not me_first,
        "current": current,
        "question": question,
        "seconds_left": seconds_left,
        "mine": mine,
        "theirs": theirs,
        "total": len(duel.items),
        "result": result,
        "expires_in": max(0, int((expires_at(duel) - now).total_seconds())),
    }
