"""知识竞赛: create rights, visibility, one entry, server timer, scoring, boards, points."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.learning import contests
from cloudbranch.learning.choices import AnswerSource, ContestMode
from cloudbranch.learning.models import AnswerRecord, ContestEntry, Question
from cloudbranch.points.models import PointEvent

from .test_quiz_support import bank, member, right, wrong

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0)


def _contest(world, *, unit=None, mode=ContestMode.INDIVIDUAL, count=3, seconds=20, actor=None):
    bank(world.root, world.users["admin"], per_kind=2)
    return contests.contest_create(
        actor=actor or world.users["secretary1"],
        unit_id=(unit or world.branch_a1).pk,
        title="党章知识竞赛",
        starts_at=T0 - datetime.timedelta(hours=1),
        ends_at=T0 + datetime.timedelta(days=1),
        question_count=count,
        seconds_per_question=seconds,
        mode=mode,
    )


def _questions(entry):
    by_id = Question.objects.in_bulk([i["question"] for i in entry.items])
    return [by_id[i["question"]] for i in entry.items]


def _play(person, contest, *, correct=(True, True, True), step=2, start=T0):
    entry = contests.contest_enter(person=person, contest=contest, now=start)
    now = start
    for i, (q, ok) in enumerate(zip(_questions(entry), correct, strict=False)):
        now = now + datetime.timedelta(seconds=step)
        contests.contest_answer(person=person, contest=contest, index=i, response=right(q) if ok else wrong(q), now=now)
    entry.refresh_from_db()
    return entry


def test_create_rights_and_validation(world):
    with pytest.raises(Http404):  # secretary2 cannot see branch a1
        _contest(world, actor=world.users["secretary2"])
    with pytest.raises(PermissionDenied):  # member sees the unit but may not create
        _contest(world, actor=world.users["member1"])
    with pytest.raises(DomainError):
        contests.contest_create(
            actor=world.users["secretary1"],
            unit_id=world.branch_a1.pk,
            title="x",
            starts_at=T0,
            ends_at=T0 - datetime.timedelta(hours=1),
        )
    with pytest.raises(DomainError, match="不够出题"):
        _contest(world, count=50)


def test_sibling_branch_member_cannot_see_a_branch_contest(world, login):
    contest = _contest(world)
    other = member(world.branch_a2, "二支部党员")
    client = login(other.user)
    assert client.get(f"/learning/contests/{contest.pk}/").status_code == 404
    assert client.get(f"/learning/contests/{contest.pk}/board/").status_code == 404
    assert client.post(f"/learning/contests/{contest.pk}/enter/").status_code == 404
    assert contest.title not in client.get("/learning/contests/").content.decode()
    assert login(world.users["secretary2"]).get(f"/learning/contests/{contest.pk}/").status_code == 404
    client = login(world.users["member1"])
    resp = client.get(f"/learning/contests/{contest.pk}/")
    assert resp.status_code == 200 and 'hx-trigger="every 5s"' in resp.content.decode()
    assert contest.title in client.get("/learning/contests/").content.decode()


def test_enter_once_during_the_period(world):
    contest = _contest(world)
    person = world.people["member1"]
    with pytest.raises(ConflictError):
        contests.contest_enter(person=person, contest=contest, now=T0 + datetime.timedelta(days=2))
    entry = contests.contest_enter(person=person, contest=contest, now=T0)
    assert contests.contest_enter(person=person, contest=contest, now=T0).pk == entry.pk  # resume
    assert len(entry.items) == 3
    _play(person, contest)
    with pytest.raises(ConflictError, match="限参加一次"):
        contests.contest_enter(person=person, contest=contest, now=T0)


def test_same_draw_for_the_same_person(world):
    contest = _contest(world)
    person = world.people["member1"]
    entry = contests.contest_enter(person=person, contest=contest, now=T0)
    items = entry.items
    ContestEntry.objects.all().delete()
    assert contests.contest_enter(person=person, contest=contest, now=T0).items == items


def test_score_speed_bonus_and_points_once(world):
    contest = _contest(world, seconds=20)
    person = world.people["member1"]
    entry = _play(person, contest, correct=(True, True, False), step=4)
    # right at 4 s of 20: 10 + floor(5 × 16 / 20) = 14, twice; wrong: 0
    assert (entry.correct, entry.score, entry.seconds_used) == (2, 28, 12)
    assert entry.finished_at is not None
    assert PointEvent.objects.filter(person=person, action="contest", source_id=str(entry.pk)).count() == 1
    assert AnswerRecord.objects.filter(person=person, source=AnswerSource.CONTEST).count() == 3


def test_late_answer_is_wrong(world):
    contest = _contest(world, seconds=10)
    person = world.people["member1"]
    entry = contests.contest_enter(person=person, contest=contest, now=T0)
    q0 = _questions(entry)[0]
    late = T0 + datetime.timedelta(seconds=10 + contests.GRACE_SECONDS + 1)
    r = contests.contest_answer(person=person, contest=contest, index=0, response=right(q0), now=late)
    assert r["correct"] is False and r["late"] is True
    assert r["entry"].score == 0
    # the next question opened when the late answer came in
    q1 = _questions(entry)[1]
    r = contests.contest_answer(
        person=person, contest=contest, index=1, response=right(q1), now=late + datetime.timedelta(seconds=1)
    )
    assert r["correct"] is True


def test_unanswered_questions_time_out(world):
    contest = _contest(world, seconds=10)
    person = world.people["member1"]
    entry = contests.contest_enter(person=person, contest=contest, now=T0)
    entry = contests.contest_settle(person=person, contest=contest, now=T0 + datetime.timedelta(minutes=5))
    assert entry.finished_at is not None and entry.score == 0 and all(a["late"] for a in entry.answers.values())
    with pytest.raises(ConflictError):
        contests.contest_answer(person=person, contest=contest, index=0, response=[1], now=T0)


def test_leaderboard_ties_share_a_rank(world):
    contest = _contest(world, unit=world.college_a, actor=world.users["admin"])
    p1, p2, p3 = world.people["member1"], member(world.branch_a1, "甲"), member(world.branch_a2, "乙")
    _play(p1, contest, correct=(True, True, False), step=3)
    _play(p2, contest, correct=(True, True, False), step=3)
    _play(p3, contest, correct=(True, True, True), step=3)
    ranks = [(e.person.name, e.rank) for e in contests.board_entries(contest)]
    assert ranks[0] == ("乙", 1)
    assert sorted(ranks[1:]) == sorted([("甲", 2), ("党员一", 2)])


def test_time_breaks_ties(world):
    contest = _contest(world, seconds=20)
    p1, p2 = world.people["member1"], member(world.branch_a1, "甲")
    e1 = _play(p1, contest, correct=(True, False, False), step=5)
    e2 = _play(p2, contest, correct=(True, False, False), step=6)
    assert e1.score == e2.score == 13
    assert [(e.person_id, e.rank) for e in contests.board_entries(contest)] == [(p1.pk, 1), (p2.pk, 2)]


def test_branch_mode_means(world):
    contest = _contest(world, unit=world.college_a, mode=ContestMode.BRANCH, actor=world.users["admin"])
    group_member = member(world.group_a1, "小组党员")  # counts for branch a1
    _play(world.people["member1"], contest, correct=(True, True, True), step=20)  # 30
    _play(group_member, contest, correct=(True, False, False), step=20)  # 10
    _play(member(world.branch_a2, "乙"), contest, correct=(True, True, False), step=20)  # 20
    rows = contests.board_branches(contest)
    assert [(r["unit_name"], r["mean"], r["participants"], r["rank"]) for r in rows] == [
        (world.branch_a1.name, 20.0, 2, 1),
        (world.branch_a2.name, 20.0, 1, 1),
    ]


def test_board_fragment_query_count_is_constant(world, login):
    contest = _contest(world, unit=world.college_a, mode=ContestMode.BRANCH, actor=world.users["admin"])
    client = login(world.users["member1"])
    _play(world.people["member1"], contest)
    url = f"/learning/contests/{contest.pk}/board/"
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        resp = client.get(url)
    assert resp.status_code == 200
    for i in range(25):
        _play(member(world.branch_a2 if i % 2 else world.branch_a1, f"队员{i}"), contest)
    with CaptureQueriesContext(connection) as big:
        resp = client.get(url)
    body = resp.content.decode()
    assert "第 1 / 2 页" in body and world.branch_a2.name in body
    assert len(small) == len(big) == 8, [q["sql"] for q in big.captured_queries]


def test_play_pages(world, login):
    contest = _contest(world)
    client = login(world.users["member1"])
    resp = client.post(f"/learning/contests/{contest.pk}/enter/")
    assert resp.status_code == 302 and resp["Location"].endswith("/play/")
    resp = client.get(f"/learning/contests/{contest.pk}/play/")
    assert "第 1 / 3 题" in resp.content.decode()
    entry = ContestEntry.objects.get(person=world.people["member1"])
    q0 = _questions(entry)[0]
    field = "blank" if q0.kind == "fill" else "choice"
    resp = client.post(
        f"/learning/contests/{contest.pk}/answer/", {"index": 0, field: right(q0)}, HTTP_HX_REQUEST="true"
    )
    assert resp.status_code == 200 and "上一题回答正确" in resp.content.decode()
    resp = client.post(
        f"/learning/contests/{contest.pk}/answer/", {"index": 0, field: right(q0)}, HTTP_HX_REQUEST="true"
    )
    assert resp.status_code == 409


def test_contest_create_page(world, login):
    bank(world.root, world.users["admin"], per_kind=3)
    client = login(world.users["secretary1"])
    assert client.get("/learning/contests/new/").status_code == 200
    data = {
        "unit": world.branch_a1.pk,
        "title": "七一知识竞赛",
        "description": "",
        "mode": "individual",
        "starts_at": "2026-07-01T08:00",
        "ends_at": "2026-07-02T08:00",
        "question_count": 5,
        "seconds_per_question": 20,
    }
    resp = client.post("/learning/contests/new/", data)
    assert resp.status_code == 302
    resp = client.post("/learning/contests/new/", {**data, "question_count": 40})
    assert resp.status_code == 422 and "不够出题" in resp.content.decode()
    assert login(world.users["member1"]).get("/learning/contests/new/").status_code == 403
