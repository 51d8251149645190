"""双人对战: challenge, accept, answer against the server clock, finish, winner, tie, expiry."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from cloudbranch.core.errors import ConflictError
from cloudbranch.learning import duels
from cloudbranch.learning.choices import DuelStatus
from cloudbranch.learning.models import Duel, Question
from cloudbranch.points.models import PointEvent

from .test_quiz_support import bank, member, right, wrong

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0)


def s(seconds):
    return T0 + datetime.timedelta(seconds=seconds)


@pytest.fixture
def pair(world):
    bank(world.root, world.users["admin"], per_kind=2)
    return world.people["member1"], member(world.branch_a2, "二支部党员")


def _questions(duel):
    by_id = Question.objects.in_bulk([i["question"] for i in duel.items])
    return [by_id[i["question"]] for i in duel.items]


def _start(pair):
    a, b = pair
    duel = duels.duel_create(person=a, opponent_id=b.pk, now=T0)
    return duels.duel_accept(person=b, duel_id=duel.pk, now=s(1))


def test_opponents_are_members_of_the_same_college(world, pair):
    a, b = pair
    other_college = member(world.branch_b1, "数学党员")
    names = {p.name for p in duels.opponents(a)}
    assert b.name in names and other_college.name not in names and a.name not in names
    assert [p.name for p in duels.opponents(a, "二支部")] == [b.name]
    with pytest.raises(Http404):
        duels.duel_create(person=a, opponent_id=other_college.pk, now=T0)
    with pytest.raises(Http404):  # no account: cannot be challenged
        duels.duel_create(person=a, opponent_id=world.people["a1_other"].pk, now=T0)


def test_full_flow_with_a_winner(pair):
    a, b = pair
    duel = duels.duel_create(person=a, opponent_id=b.pk, now=T0)
    assert duel.status == DuelStatus.WAITING and len(duel.items) == duels.QUESTIONS
    with pytest.raises(PermissionDenied):
        duels.duel_accept(person=a, duel_id=duel.pk, now=s(1))
    duel = duels.duel_accept(person=b, duel_id=duel.pk, now=s(1))
    assert duel.status == DuelStatus.RUNNING
    qs = _questions(duel)
    sec = duel.seconds_per_question
    for i, q in enumerate(qs):
        opened = 1 + i * sec
        duels.duel_answer(person=a, duel_id=duel.pk, index=i, response=right(q), now=s(opened + 2))
        duels.duel_answer(person=b, duel_id=duel.pk, index=i, response=wrong(q), now=s(opened + 3))
    duel.refresh_from_db()
    assert duel.status == DuelStatus.FINISHED  # both answered everything: finished at once
    assert duel.winner_id == a.pk and duel.challenger_score > 0 and duel.opponent_score == 0
    assert PointEvent.objects.filter(person=a, action="duel_win", source_id=str(duel.pk)).count() == 1
    state = duels.duel_state(duel, b, now=s(200))
    assert state["result"] == "对手获胜" and state["rival_score"] == duel.challenger_score


def test_tie_has_no_winner(pair):
    a, b = pair
    duel = _start(pair)
    for i, q in enumerate(_questions(duel)):
        at = s(1 + i * duel.seconds_per_question + 5)
        duels.duel_answer(person=a, duel_id=duel.pk, index=i, response=right(q), now=at)
        duels.duel_answer(person=b, duel_id=duel.pk, index=i, response=right(q), now=at)
    duel.refresh_from_db()
    assert duel.status == DuelStatus.FINISHED and duel.winner is None
    assert duel.challenger_score == duel.opponent_score
    assert not PointEvent.objects.filter(action="duel_win").exists()
    assert duels.duel_state(duel, a, now=s(500))["result"] == "平局"


def test_answers_only_while_the_question_is_open(pair):
    a, b = pair
    duel = _start(pair)
    qs = _questions(duel)
    sec = duel.seconds_per_question
    with pytest.raises(ConflictError, match="还没开始"):
        duels.duel_answer(person=a, duel_id=duel.pk, index=1, response=right(qs[1]), now=s(2))
    with pytest.raises(ConflictError, match="时间已过"):  # question 0 closed at 1 + sec
        duels.duel_answer(person=a, duel_id=duel.pk, index=0, response=right(qs[0]), now=s(1 + sec + 1))
    duels.duel_answer(person=a, duel_id=duel.pk, index=1, response=right(qs[1]), now=s(1 + sec + 1))
    with pytest.raises(ConflictError, match="已经作答"):
        duels.duel_answer(person=a, duel_id=duel.pk, index=1, response=right(qs[1]), now=s(1 + sec + 2))
    state = duels.duel_state(duel, a, now=s(1 + sec + 2))
    assert state["current"] == 1 and state["question"] is None and state["mine"] == {1: True}
    state = duels.duel_state(duel, b, now=s(1 + sec + 2))
    assert state["question"] == qs[1] and state["rival_score"] > 0


def test_time_up_finishes_the_duel(pair):
    a, b = pair
    duel = _start(pair)
    q0 = _questions(duel)[0]
    duels.duel_answer(person=b, duel_id=duel.pk, index=0, response=right(q0), now=s(3))
    state = duels.duel_state(duel, a, now=s(1 + 5 * duel.seconds_per_question))
    duel.refresh_from_db()
    assert duel.status == DuelStatus.FINISHED and duel.winner_id == b.pk
    assert state["result"] == "对手获胜"
    with pytest.raises(ConflictError):
        duels.duel_answer(person=a, duel_id=duel.pk, index=4, response=[0], now=s(1000))


def test_expires_after_ten_minutes(pair):
    a, b = pair
    duel = duels.duel_create(person=a, opponent_id=b.pk, now=T0)
    duels.duel_state(duel, a, now=s(599))
    duel.refresh_from_db()
    assert duel.status == DuelStatus.WAITING
    with pytest.raises(ConflictError, match="过期"):
        duels.duel_accept(person=b, duel_id=duel.pk, now=s(600))
    duel.refresh_from_db()
    assert duel.status == DuelStatus.EXPIRED


def test_decline(pair):
    a, b = pair
    duel = duels.duel_create(person=a, opponent_id=b.pk, now=T0)
    duels.duel_decline(person=b, duel_id=duel.pk, now=s(5))
    assert Duel.objects.get(pk=duel.pk).status == DuelStatus.DECLINED
    with pytest.raises(ConflictError):
        duels.duel_accept(person=b, duel_id=duel.pk, now=s(6))


def test_pages_poll_and_outsiders_get_404(world, pair, login):
    a, b = pair
    client = login(a.user)
    resp = client.post("/learning/duels/new/", {"opponent": b.pk})
    duel = Duel.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"/learning/duels/{duel.pk}/"
    body = client.get(f"/learning/duels/{duel.pk}/").content.decode()
    assert 'hx-trigger="every 2s"' in body and "等待" in body
    assert b.name in client.get("/learning/duels/new/?q=二支部", HTTP_HX_REQUEST="true").content.decode()
    other = login(world.users["secretary1"])  # no person record → 403 before anything
    assert other.get(f"/learning/duels/{duel.pk}/").status_code == 403
    third = member(world.branch_a1, "旁观者")
    assert login(third.user).get(f"/learning/duels/{duel.pk}/state/").status_code == 404
    client = login(b.user)
    assert "应战" in client.get("/learning/duels/").content.decode()
    assert client.post(f"/learning/duels/{duel.pk}/accept/").status_code == 302
    body = client.get(f"/learning/duels/{duel.pk}/state/", HTTP_HX_REQUEST="true").content.decode()
    assert "第 1 / 5 题" in body
    q0 = _questions(duel)[0]
    field = "blank" if q0.kind == "fill" else "choice"
    resp = client.post(f"/learning/duels/{duel.pk}/answer/", {"index": 0, field: right(q0)}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 200 and "回答正确" in resp.content.decode()
    resp = client.post(f"/learning/duels/{duel.pk}/answer/", {"index": 0, field: right(q0)}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 409
