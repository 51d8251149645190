"""/api/learning quiz endpoints: the same rules as the pages, JSON in and out."""

import datetime
import json

import pytest
from django.utils import timezone

from cloudbranch.learning import contests
from cloudbranch.learning.choices import AnswerSource
from cloudbranch.learning.models import DailyQuiz, Duel, Question, WrongAnswer
from cloudbranch.learning.wrongbook import record_answers

from .test_quiz_support import bank, kp, member, question, right

pytestmark = pytest.mark.django_db


def post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def test_daily_quiz_api(world, login):
    bank(world.root, world.users["admin"], per_kind=3)
    client = login(world.users["member1"])
    data = client.get("/api/learning/daily").json()
    assert data["total"] == 5 and data["next_index"] == 0 and "answer" not in data["question"]
    quiz = DailyQuiz.objects.get()
    q = Question.objects.get(pk=quiz.items[0]["question"])
    resp = post(client, "/api/learning/daily/answer", {"index": 0, "response": right(q)})
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["correct"] is True and body["points"] == 1 and body["explanation"] and body["quiz"]["answered"] == 1
    assert post(client, "/api/learning/daily/answer", {"index": 0, "response": right(q)}).status_code == 409


def test_wrong_book_and_mastery_api(world, login):
    person = world.people["member1"]
    q = question(world.root, world.users["admin"], points=[kp("党章")])
    record_answers(person, AnswerSource.EXAM, 1, [(q, [0], False)] * 3)
    client = login(world.users["member1"])
    data = client.get("/api/learning/wrong").json()
    assert data["count"] == 1 and data["items"][0]["knowledge_points"] == ["党章"]
    wid = data["items"][0]["id"]
    body = post(client, f"/api/learning/wrong/{wid}/review", {"response": right(q)}).json()
    assert body["mastered"] is True
    assert client.get("/api/learning/wrong").json()["count"] == 0
    other = WrongAnswer.objects.create(person=world.people["a1_other"], question=q)
    assert post(client, f"/api/learning/wrong/{other.pk}/review", {"response": [1]}).status_code == 404
    data = client.get("/api/learning/mastery").json()
    assert data["weakest"][0]["name"] == "党章"
    assert data["recommendations"][0]["reason"] == "因为你在“党章”相关题目的正确率为 25%（4 题）"


def test_unit_weak_api_scoped(world, login):
    record_answers(
        world.people["member1"],
        AnswerSource.EXAM,
        1,
        [(question(world.root, world.users["admin"], points=[kp("党章")]), [0], False)] * 6,
    )
    client = login(world.users["secretary1"])
    data = client.get(f"/api/learning/weak?unit={world.branch_a1.pk}").json()
    assert data[0]["name"] == "党章" and data[0]["members"] == 1 and data[0]["percent"] == 0
    assert login(world.users["secretary2"]).get(f"/api/learning/weak?unit={world.branch_a1.pk}").status_code == 404
    assert login(world.users["member1"]).get(f"/api/learning/weak?unit={world.branch_a1.pk}").status_code == 403


def test_contest_api(world, login):
    bank(world.root, world.users["admin"], per_kind=2)
    now = timezone.now()
    contest = contests.contest_create(
        actor=world.users["secretary1"],
        unit_id=world.branch_a1.pk,
        title="竞赛",
        starts_at=now - datetime.timedelta(hours=1),
        ends_at=now + datetime.timedelta(hours=1),
        question_count=2,
    )
    client = login(world.users["member1"])
    assert client.get("/api/learning/contests").json()["count"] == 1
    play = post(client, f"/api/learning/contests/{contest.pk}/enter").json()
    assert play["index"] == 0 and play["seconds_left"] > 0
    for i in range(2):
        q = Question.objects.get(pk=contest.entries.get().items[i]["question"])
        play = post(client, f"/api/learning/contests/{contest.pk}/answer", {"index": i, "response": right(q)}).json()
        assert play["last"]["correct"] is True
    assert play["finished"] is True and play["score"] >= 20
    board = client.get(f"/api/learning/contests/{contest.pk}/board").json()
    assert board["items"][0]["rank"] == 1 and board["items"][0]["name"] == "党员一"
    outsider = member(world.branch_a2, "外人")
    assert login(outsider.user).get(f"/api/learning/contests/{contest.pk}/board").status_code == 404


def test_duel_api(world, login):
    bank(world.root, world.users["admin"], per_kind=2)
    rival = member(world.branch_a1, "对手")
    client = login(world.users["member1"])
    assert client.get("/api/learning/duels/opponents?q=对手").json()["items"][0]["id"] == rival.pk
    resp = post(client, "/api/learning/duels", {"opponent_id": rival.pk})
    assert resp.status_code == 201 and resp.json()["status"] == "waiting"
    duel = Duel.objects.get()
    rclient = login(rival.user)
    state = post(rclient, f"/api/learning/duels/{duel.pk}/accept").json()
    assert state["status"] == "running" and state["current"] == 0 and state["question"]["id"]
    q = Question.objects.get(pk=state["question"]["id"])
    body = post(rclient, f"/api/learning/duels/{duel.pk}/answer", {"index": 0, "response": right(q)}).json()
    assert body["correct"] is True and body["state"]["my_score"] > 0 and body["state"]["answered"] == [0]
    assert rclient.get(f"/api/learning/duels/{duel.pk}").json()["my_score"] == body["state"]["my_score"]
