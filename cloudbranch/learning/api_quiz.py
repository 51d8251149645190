"""/api/learning quiz endpoints: daily quiz, wrong-answer book, mastery and recommendations, a
unit's weak points, contests and duels — through the same functions as the pages.

Answers are lists: option indexes into ``options`` as returned (single / judge: one index;
multiple: several) or one text per blank (fill-in). Keys and explanations are returned only
after the question has been answered."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from ninja import Router, Schema
from ninja.pagination import paginate

from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS, ErrorOut

from . import contests, daily, duels, mastery, wrongbook
from .forms_quiz import answer_text
from .models import Question

router = Router(tags=["学习"])


class QuestionOut(Schema):
    id: int
    kind: str
    stem: str
    options: list[str]
    blanks: int = 0


def _question(q: Question | None) -> dict | None:
    if q is None:
        return None
    return {
        "id": q.pk,
        "kind": q.kind,
        "stem": q.stem,
        "options": list(q.options or []),
        "blanks": len(q.answer or []) if q.kind == "fill" else 0,
    }


class AnswerIn(Schema):
    index: int
    response: list[Any] = []


class ResponseIn(Schema):
    response: list[Any] = []


class FeedbackOut(Schema):
    correct: bool
    answer: list[Any] = []
    answer_text: str = ""
    explanation: str = ""


def _feedback(q: Question | None, correct: bool) -> dict:
    return {
        "correct": correct,
        "answer": list(q.answer) if q is not None else [],
        "answer_text": answer_text(q),
        "explanation": q.explanation if q is not None else "",
    }


# --- daily quiz ------------------------------------------------------------------------------


class DailyOut(Schema):
    id: int
    day: datetime.date
    total: int
    answered: int
    correct: int | None
    finished: bool
    points: int
    next_index: int | None
    question: QuestionOut | None


def _daily_out(quiz) -> dict:
    index = daily.next_index(quiz)
    question = None
    if index is not None:
        question = _question(Question.objects.filter(pk=quiz.items[index]["question"]).first())
    return {
        "id": quiz.pk,
        "day": quiz.day,
        "total": len(quiz.items),
        "answered": len(quiz.answers),
        "correct": quiz.correct,
        "finished": quiz.completed_at is not None,
        "points": daily.quiz_points(quiz),
        "next_index": index,
        "question": question,
    }


@router.get(
    "/daily", response={200: DailyOut, **READ_ERRORS, 422: ErrorOut}, summary="今天的每日答题（首次访问时生成）"
)
def daily_get(request):
    person = wrongbook.require_person(request.auth)
    return _daily_out(daily.today_quiz(person=person))


class DailyAnswerOut(FeedbackOut):
    points: int
    finished: bool
    quiz: DailyOut


@router.post("/daily/answer", response={200: DailyAnswerOut, **WRITE_ERRORS}, summary="回答每日答题的当前题")
def daily_answer(request, payload: AnswerIn):
    person = wrongbook.require_person(request.auth)
    quiz = daily.today_quiz(person=person)
    result = daily.daily_answer(person=person, quiz_id=quiz.pk, index=payload.index, response=payload.response)
    return {
        **_feedback(result["question"], result["correct"]),
        "points": result["points"],
        "finished": result["finished"],
        "quiz": _daily_out(result["quiz"]),
    }


# --- wrong-answer book -----------------------------------------------------------------------


class WrongOut(Schema):
    id: int
    times: int
    last_wrong_at: datetime.datetime
    question: QuestionOut
    knowledge_points: list[str]

    @staticmethod
    def resolve_question(obj) -> dict | None:
        return _question(obj.question)

    @staticmethod
    def resolve_knowledge_points(obj) -> list[str]:
        return [k.name for k in obj.question.knowledge_points.all()]


@router.get("/wrong", response={200: list[WrongOut], **READ_ERRORS}, summary="我的错题本")
@paginate
def wrong_list(request, kp: int | None = None):
    person = wrongbook.require_person(request.auth)
    return wrongbook.wrong_list(person, knowledge_point=kp)


class ReviewOut(FeedbackOut):
    mastered: bool
    times: int


@router.post("/wrong/{wrong_id}/review", response={200: ReviewOut, **WRITE_ERRORS}, summary="复习错题")
def wrong_review(request, wrong_id: int, payload: ResponseIn):
    person = wrongbook.require_person(request.auth)
    result = wrongbook.wrong_review(person=person, wrong_id=wrong_id, response=payload.response)
    return {
        **_feedback(result["question"], result["correct"]),
        "mastered": result["mastered"],
        "times": result["wrong"].times,
    }


# --- mastery ---------------------------------------------------------------------------------


class PointMasteryOut(Schema):
    knowledge_point_id: int
    name: str
    answers: int
    correct: int
    percent: int
    estimate: float
    judged: bool


class ItemOut(Schema):
    id: int
    title: str


class RecommendationOut(Schema):
    knowledge_point_id: int
    name: str
    reason: str
    resources: list[ItemOut]
    questions: list[ItemOut]


class MasteryOut(Schema):
    points: list[PointMasteryOut]
    weakest: list[PointMasteryOut]
    recommendations: list[RecommendationOut]


def _pm(m) -> dict:
    return {
        "knowledge_point_id": m.point.pk,
        "name": m.point.name,
        "answers": m.answers,
        "correct": m.correct,
        "percent": m.percent,
        "estimate": round(m.estimate, 3),
        "judged": m.judged,
    }


@router.get("/mastery", response={200: MasteryOut, **READ_ERRORS}, summary="我的知识点掌握情况与推荐")
def mastery_get(request):
    person = wrongbook.require_person(request.auth)
    rows = mastery.person_mastery(person)
    weak = mastery.weakest(rows)
    recs = mastery.recommendations(person, weak)
    return {
        "points": [_pm(m) for m in rows],
        "weakest": [_pm(m) for m in weak],
        "recommendations": [
            {
                "knowledge_point_id": r.mastery.point.pk,
                "name": r.mastery.point.name,
                "reason": r.reason,
                "resources": [{"id": x.pk, "title": x.title} for x in r.resources],
                "questions": [{"id": x.pk, "title": x.stem[:60]} for x in r.questions],
            }
            for r in recs
        ],
    }


class WeakPointOut(Schema):
    knowledge_point_id: int
    name: str
    answers: int
    correct: int
    members: int
    percent: int


@router.get("/weak", response={200: list[WeakPointOut], **READ_ERRORS}, summary="组织的薄弱知识点")
def unit_weak(request, unit: int):
    if not mastery.report_units(request.auth).exists():
        raise PermissionDenied
    target = mastery.access_report_unit(request.auth, unit)
    return [
        {
            "knowledge_point_id": r["kp_id"],
            "name": r["kp_name"],
            "answers": r["answers"],
            "correct": r["right"],
            "members": r["members"],
            "percent": r["percent"],
        }
        for r in mastery.unit_weak_points(target)
    ]


# --- contests --------------------------------------------------------------------------------


class ContestOut(Schema):
    id: int
    title: str
    description: str
    unit_id: int
    unit_name: str
    mode: str
    status: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    question_count: int
    seconds_per_question: int
    participants: int = 0
    my_score: int | None = None
    my_finished: bool = False

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_my_score(obj):
        return getattr(obj, "my_score", None)

    @staticmethod
    def resolve_my_finished(obj) -> bool:
        return getattr(obj, "my_finished", None) is not None


@router.get("/contests", response={200: list[ContestOut], **READ_ERRORS}, summary="我能看到的知识竞赛")
@paginate
def contest_list(request):
    return contests.contest_list(request.auth, wrongbook.own_person(request.auth))


class PlayOut(Schema):
    entry_id: int
    score: int
    correct: int
    seconds_used: int
    finished: bool
    index: int | None
    seconds_left: int
    question: QuestionOut | None
    last: FeedbackOut | None = None
    late: bool = False


def _play(contest, entry, last=None, late=False) -> dict:
    from django.utils import timezone

    index = contests.current_index(entry)
    q = None
    if index is not None and entry.finished_at is None:
        q = _question(Question.objects.filter(pk=entry.items[index]["question"]).first())
    return {
        "entry_id": entry.pk,
        "score": entry.score,
        "correct": entry.correct,
        "seconds_used": entry.seconds_used,
        "finished": entry.finished_at is not None,
        "index": index,
        "seconds_left": contests.seconds_left(entry, contest, timezone.now()),
        "question": q,
        "last": last,
        "late": late,
    }


@router.post("/contests/{contest_id}/enter", response={200: PlayOut, **WRITE_ERRORS}, summary="参加竞赛")
def contest_enter(request, contest_id: int):
    person = wrongbook.require_person(request.auth)
    contest = contests.access_contest(request.auth, contest_id, person)
    contests.contest_enter(person=person, contest=contest)
    entry = contests.contest_settle(person=person, contest=contest)
    return _play(contest, entry)


@router.post("/contests/{contest_id}/answer", response={200: PlayOut, **WRITE_ERRORS}, summary="回答竞赛当前题")
def contest_answer(request, contest_id: int, payload: AnswerIn):
    person = wrongbook.require_person(request.auth)
    contest = contests.access_contest(request.auth, contest_id, person)
    result = contests.contest_answer(person=person, contest=contest, index=payload.index, response=payload.response)
    return _play(contest, result["entry"], _feedback(result["question"], result["correct"]), result["late"])


class BoardRowOut(Schema):
    rank: int
    person_id: int
    name: str
    unit_name: str
    score: int
    correct: int
    seconds_used: int
    finished: bool

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.person.name

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_finished(obj) -> bool:
        return obj.finished_at is not None


@router.get("/contests/{contest_id}/board", response={200: list[BoardRowOut], **READ_ERRORS}, summary="竞赛个人排行")
@paginate
def contest_board(request, contest_id: int):
    contest = contests.access_contest(request.auth, contest_id, wrongbook.own_person(request.auth))
    return contests.board_entries(contest)


class BranchRowOut(Schema):
    rank: int
    unit_id: int
    unit_name: str
    mean: float
    participants: int


@router.get(
    "/contests/{contest_id}/branches", response={200: list[BranchRowOut], **READ_ERRORS}, summary="竞赛支部排行"
)
@paginate
def contest_branches(request, contest_id: int):
    contest = contests.access_contest(request.auth, contest_id, wrongbook.own_person(request.auth))
    return contests.board_branches(contest)


# --- duels -----------------------------------------------------------------------------------


class DuelIn(Schema):
    opponent_id: int


class DuelStateOut(Schema):
    id: int
    status: str
    challenger: str
    opponent: str
    my_score: int
    rival_score: int
    current: int | None
    seconds_left: int
    total: int
    answered: list[int]
    question: QuestionOut | None
    result: str
    winner_id: int | None
    expires_in: int


def _duel_out(state) -> dict:
    duel = state["duel"]
    return {
        "id": duel.pk,
        "status": duel.status,
        "challenger": duel.challenger.name,
        "opponent": duel.opponent.name,
        "my_score": state["my_score"],
        "rival_score": state["rival_score"],
        "current": state["current"],
        "seconds_left": state["seconds_left"],
        "total": state["total"],
        "answered": sorted(state["mine"]),
        "question": _question(state["question"]),
        "result": state["result"],
        "winner_id": duel.winner_id,
        "expires_in": state["expires_in"],
    }


class OpponentOut(Schema):
    id: int
    name: str
    unit_name: str

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name


@router.get("/duels/opponents", response={200: list[OpponentOut], **READ_ERRORS}, summary="可挑战的党员（按姓名）")
@paginate
def duel_opponents(request, q: str = ""):
    return duels.opponents(wrongbook.require_person(request.auth), q)


@router.post("/duels", response={201: DuelStateOut, **WRITE_ERRORS}, summary="发起对战")
def duel_create(request, payload: DuelIn):
    person = wrongbook.require_person(request.auth)
    duel = duels.duel_create(person=person, opponent_id=payload.opponent_id)
    return 201, _duel_out(duels.duel_state(duel, person))


@router.post("/duels/{duel_id}/accept", response={200: DuelStateOut, **WRITE_ERRORS}, summary="应战")
def duel_accept(request, duel_id: int):
    person = wrongbook.require_person(request.auth)
    duel = duels.duel_accept(person=person, duel_id=duel_id)
    return _duel_out(duels.duel_state(duel, person))


@router.post("/duels/{duel_id}/decline", response={200: DuelStateOut, **WRITE_ERRORS}, summary="拒绝应战")
def duel_decline(request, duel_id: int):
    person = wrongbook.require_person(request.auth)
    duel = duels.duel_decline(person=person, duel_id=duel_id)
    return _duel_out(duels.duel_state(duel, person))


@router.get("/duels/{duel_id}", response={200: DuelStateOut, **READ_ERRORS}, summary="对战状态（轮询）")
def duel_get(request, duel_id: int):
    person = wrongbook.require_person(request.auth)
    return _duel_out(duels.duel_state(duels.access_duel(person, duel_id), person))


class DuelAnswerOut(Schema):
    correct: bool
    points: int
    state: DuelStateOut


@router.post("/duels/{duel_id}/answer", response={200: DuelAnswerOut, **WRITE_ERRORS}, summary="回答对战当前题")
def duel_answer(request, duel_id: int, payload: AnswerIn):
    person = wrongbook.require_person(request.auth)
    result = duels.duel_answer(person=person, duel_id=duel_id, index=payload.index, response=payload.response)
    return {
        "correct": result["correct"],
        "points": result["points"],
        "state": _duel_out(duels.duel_state(result["duel"], person)),
    }
