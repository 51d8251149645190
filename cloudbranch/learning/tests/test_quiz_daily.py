"""每日答题: stable per day, unique, mix and preferences, points with the daily cap, views."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from cloudbranch.core.errors import ConflictError
from cloudbranch.learning import daily
from cloudbranch.learning.choices import AnswerSource, QuestionKind
from cloudbranch.learning.models import AnswerRecord, DailyQuiz, Question, WrongAnswer
from cloudbranch.learning.wrongbook import record_answers
from cloudbranch.points.models import PointEvent
from cloudbranch.points.services import point_award

from .test_quiz_support import bank, question, right, wrong

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(world):
    bank(world.root, world.users["admin"], per_kind=3)
    return world.people["member1"]


def _answer_all(person, quiz, *, correct=True, now=None):
    questions = daily.quiz_questions(quiz)
    results = []
    for i, q in enumerate(questions):
        results.append(
            daily.daily_answer(
                person=person, quiz_id=quiz.pk, index=i, response=right(q) if correct else wrong(q), now=now
            )
        )
    return results


def test_same_questions_all_day_and_one_quiz_per_day(person):
    quiz = daily.today_quiz(person=person)
    again = daily.today_quiz(person=person)
    assert again.pk == quiz.pk and again.items == quiz.items
    assert len(quiz.items) == daily.QUIZ_SIZE
    assert len({i["question"] for i in quiz.items}) == daily.QUIZ_SIZE
    # the draw itself is seeded by (person, day): the same ids whoever asks
    assert daily.draw_daily(person, quiz.day) == daily.draw_daily(person, quiz.day)
    with pytest.raises(IntegrityError), transaction.atomic():
        DailyQuiz.objects.create(person=person, day=quiz.day, items=[])
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    assert daily.today_quiz(person=person, now=tomorrow).pk != quiz.pk


def test_mix_of_types(person):
    quiz = daily.today_quiz(person=person)
    kinds = {q.kind for q in daily.quiz_questions(quiz)}
    assert kinds == set(QuestionKind.values)


def test_prefers_questions_not_answered_in_the_last_30_days(world):
    author = world.users["admin"]
    person = world.people["member1"]
    qs = [question(world.root, author, kind=QuestionKind.SINGLE) for _ in range(10)]
    now = timezone.now()
    record_answers(person, AnswerSource.PRACTICE, 1, [(q, right(q), True) for q in qs[:5]], now)
    quiz = daily.today_quiz(person=person, now=now)
    assert {i["question"] for i in quiz.items} == {q.pk for q in qs[5:]}


def test_includes_one_from_the_wrong_book(world):
    author = world.users["admin"]
    person = world.people["member1"]
    qs = [question(world.root, author) for _ in range(12)]
    record_answers(person, AnswerSource.EXAM, 1, [(qs[3], [0], False)], timezone.now() - datetime.timedelta(days=40))
    quiz = daily.today_quiz(person=person)
    assert quiz.items[0]["question"] == qs[3].pk


def test_sibling_branch_bank_is_not_drawn(world):
    author = world.users["admin"]
    person = world.people["member1"]
    for _ in range(5):
        question(world.branch_a2, author)
    with pytest.raises(daily.DomainError):
        daily.today_quiz(person=person)


def test_points_per_correct_answer_are_inspected(person, monkeypatch):
    calls = []
    monkeypatch.setattr("cloudbranch.points.services.point_award", lambda **kw: calls.append(kw))
    quiz = daily.today_quiz(person=person)
    questions = daily.quiz_questions(quiz)
    daily.daily_answer(person=person, quiz_id=quiz.pk, index=0, response=right(questions[0]))
    daily.daily_answer(person=person, quiz_id=quiz.pk, index=1, response=wrong(questions[1]))
    daily.daily_answer(person=person, quiz_id=quiz.pk, index=2, response=right(questions[2]))
    assert [(c["action"], c["source_type"], c["source_id"]) for c in calls] == [
        ("daily_quiz", "daily", f"{quiz.pk}:0"),
        ("daily_quiz", "daily", f"{quiz.pk}:2"),
    ]
    assert all(c["person"] == person for c in calls)


def test_points_respect_the_daily_cap(person):
    now = timezone.now()
    for i in range(3):  # 3 points already earned today from elsewhere
        point_award(person=person, action="daily_quiz", source_type="other", source_id=str(i), occurred_at=now)
    quiz = daily.today_quiz(person=person, now=now)
    results = _answer_all(person, quiz, now=now)
    assert [r["points"] for r in results] == [1, 1, 0, 0, 0]
    quiz.refresh_from_db()
    assert quiz.correct == 5 and quiz.completed_at is not None
    assert daily.quiz_points(quiz) == 2
    assert PointEvent.objects.filter(person=person, action="daily_quiz").count() == 5


def test_order_once_and_records(person):
    quiz = daily.today_quiz(person=person)
    questions = daily.quiz_questions(quiz)
    with pytest.raises(ConflictError):
        daily.daily_answer(person=person, quiz_id=quiz.pk, index=1, response=[0])
    r = daily.daily_answer(person=person, quiz_id=quiz.pk, index=0, response=wrong(questions[0]))
    assert r["correct"] is False and r["points"] == 0
    with pytest.raises(ConflictError):
        daily.daily_answer(person=person, quiz_id=quiz.pk, index=0, response=right(questions[0]))
    rec = AnswerRecord.objects.get(person=person)
    assert (rec.source, rec.source_id, rec.correct) == (AnswerSource.DAILY, quiz.pk, False)
    assert WrongAnswer.objects.filter(person=person, question=questions[0]).exists()


def test_yesterdays_quiz_cannot_be_answered(person):
    quiz = daily.today_quiz(person=person)
    with pytest.raises(ConflictError):
        daily.daily_answer(
            person=person, quiz_id=quiz.pk, index=0, response=[0], now=timezone.now() + datetime.timedelta(days=1)
        )


def test_page_flow_with_feedback_and_finish(person, world, login):
    client = login(world.users["member1"])
    resp = client.get("/learning/daily/")
    assert resp.status_code == 200
    assert "第 1 / 5 题" in resp.content.decode()
    quiz = DailyQuiz.objects.get(person=person)
    questions = daily.quiz_questions(quiz)
    for i, q in enumerate(questions):
        data = {"index": i}
        if q.kind == QuestionKind.FILL:
            data["blank"] = right(q)
        else:
            data["choice"] = right(q)
        resp = client.post("/learning/daily/answer/", data, HTTP_HX_REQUEST="true")
        body = resp.content.decode()
        assert resp.status_code == 200
        assert "回答正确" in body and "正确答案" in body and "依据党章总纲" in body
    resp = client.get("/learning/daily/")
    body = resp.content.decode()
    assert "5 / 5" in body and "获得积分 <strong>5</strong>" in body
    assert "/points/ranking/" in body or "查看积分排行" not in body


def test_out_of_order_post_is_409(person, world, login):
    client = login(world.users["member1"])
    client.get("/learning/daily/")
    resp = client.post("/learning/daily/answer/", {"index": 3, "choice": [0]}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 409
    assert "请按顺序作答" in resp.content.decode()


def test_user_without_person_is_refused(world, login):
    client = login(world.users["secretary2"])
    assert client.get("/learning/daily/").status_code == 403


def test_question_retired_after_draw_counts_as_wrong(person):
    quiz = daily.today_quiz(person=person)
    Question.objects.filter(pk=quiz.items[0]["question"]).delete()
    r = daily.daily_answer(person=person, quiz_id=quiz.pk, index=0, response=[1])
    assert r["correct"] is False


def test_empty_bank_is_a_clear_message(world, login):
    client = login(world.users["member1"])
    resp = client.get("/learning/daily/")
    assert resp.status_code == 422 and "题库中的题目不足" in resp.content.decode()
    assert client.post("/learning/daily/answer/", {"index": 0}).status_code == 422
