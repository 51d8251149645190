"""Exam pages and API: paper management, a member's run through my exams → start → autosave →
submit → result, 409 after the deadline, keys hidden until close, sibling-branch 404s."""

import datetime

import pytest
from django.utils import timezone

from cloudbranch.learning import exams
from cloudbranch.learning.choices import AttemptStatus, PublishStatus
from cloudbranch.learning.choices import QuestionKind as K
from cloudbranch.learning.models import Attempt, Paper

from .test_exams_support import correct_positions, make_paper, make_question

pytestmark = pytest.mark.django_db


@pytest.fixture
def paper(world):
    s1 = world.users["secretary1"]
    qs = [
        make_question(world.branch_a1, s1, kind, explanation="见党章")
        for kind in (K.SINGLE, K.MULTIPLE, K.JUDGE, K.FILL)
    ]
    return make_paper(world.branch_a1, s1, questions=qs, pass_score=4)


def test_manager_pages(world, login, paper):
    client = login(world.users["secretary1"])
    assert client.get("/learning/exams/").status_code == 200
    assert client.get(f"/learning/exams/{paper.pk}/").status_code == 200
    for url in (
        "/learning/exams/new/",
        f"/learning/exams/{paper.pk}/edit/",
        "/learning/questions/new/",
        "/learning/questions/import/",
    ):
        assert client.get(url).status_code == 200, url
    now = timezone.localtime()
    data = {
        "unit": world.branch_a1.pk, "title": "七一测试", "mode": "manual", "audience": "subtree",
        "opens_at": (now + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": now.strftime("%Y-%m-%dT%H:%M"), "time_limit_minutes": 30, "attempts_allowed": 1, "pass_score": 60,
    }  # fmt: skip
    r = client.post("/learning/exams/new/", data)
    assert r.status_code == 422 and "结束时间应晚于开始时间" in r.content.decode()
    data["closes_at"] = (now + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    r = client.post("/learning/exams/new/", data)
    assert r.status_code == 302
    new = Paper.objects.get(title="七一测试")
    q = make_question(world.branch_a1, world.users["secretary1"])
    client.post(f"/learning/exams/{new.pk}/questions/", {"add": q.pk, "points": "100"})
    assert list(new.items.values_list("question_id", flat=True)) == [q.pk]
    client.post(f"/learning/exams/{new.pk}/publish/")
    new.refresh_from_db()
    assert new.status == PublishStatus.PUBLISHED
    # sibling branch: 404 on the paper, its edit page and its actions
    other = login(world.users["secretary2"])
    assert other.get(f"/learning/exams/{paper.pk}/").status_code == 404
    assert other.post(f"/learning/exams/{paper.pk}/close/").status_code == 404
    assert other.get(f"/api/learning/papers/{paper.pk}").status_code == 404


def test_member_run_with_autosave_and_deadline(world, login, paper, monkeypatch):
    client = login(world.users["member1"])
    r = client.get("/learning/exams/mine/")
    assert r.status_code == 200 and paper.title in r.content.decode()
    r = client.post(f"/learning/exams/{paper.pk}/start/")
    attempt = Attempt.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/learning/attempts/{attempt.pk}/"
    page = client.get(f"/learning/attempts/{attempt.pk}/")
    assert page.status_code == 200 and 'data-remaining="' in page.content.decode()
    single = next(q for q in paper.questions.all() if q.kind == K.SINGLE)
    pos = correct_positions(attempt, single)[0]
    r = client.post(
        f"/learning/attempts/{attempt.pk}/save/", {"question": single.pk, f"q_{single.pk}": pos}, HTTP_HX_REQUEST="true"
    )
    assert r.status_code == 200 and "已保存" in r.content.decode()
    attempt.refresh_from_db()
    assert attempt.answers == {str(single.pk): single.answer}
    later = attempt.deadline_at + datetime.timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    r = client.post(
        f"/learning/attempts/{attempt.pk}/save/", {"question": single.pk, f"q_{single.pk}": 0}, HTTP_HX_REQUEST="true"
    )
    assert r.status_code == 409 and r["HX-Redirect"] == f"/learning/attempts/{attempt.pk}/result/"
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.EXPIRED and attempt.score == 2
    result = client.get(f"/learning/attempts/{attempt.pk}/result/").content.decode()
    assert "将在考试结束" in result and "见党章" not in result  # explanations hidden before close
    monkeypatch.undo()
    Paper.objects.filter(pk=paper.pk).update(closes_at=timezone.now() - datetime.timedelta(seconds=1))
    result = client.get(f"/learning/attempts/{attempt.pk}/result/").content.decode()
    assert "见党章" in result and "正确答案" in result
    # someone else's attempt: 404
    assert login(world.users["secretary2"]).get(f"/learning/attempts/{attempt.pk}/").status_code == 404


def test_submit_page_saves_posted_answers(world, login, paper):
    client = login(world.users["member1"])
    client.post(f"/learning/exams/{paper.pk}/start/")
    attempt = Attempt.objects.get()
    data = {}
    for q in paper.questions.all():
        data[f"q_{q.pk}"] = ["全心全意为人民服务"] if q.kind == K.FILL else correct_positions(attempt, q)
    r = client.post(f"/learning/attempts/{attempt.pk}/submit/", data)
    assert r.status_code == 302
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUBMITTED and attempt.score == 8 and attempt.passed


def test_api_member_flow(world, login, paper, monkeypatch):
    client = login(world.users["member1"])
    assert client.get("/api/learning/exams/mine").json()["count"] == 1
    r = client.post(f"/api/learning/papers/{paper.pk}/attempts")
    assert r.status_code == 201
    body = r.json()
    attempt = Attempt.objects.get()
    assert len(body["items"]) == 4 and all("answer" not in i and "explanation" not in i for i in body["items"])
    judge = next(q for q in paper.questions.all() if q.kind == K.JUDGE)
    r = client.put(
        f"/api/learning/attempts/{attempt.pk}/answers/{judge.pk}", {"response": [0]}, content_type="application/json"
    )
    assert r.status_code == 200
    assert client.get(f"/api/learning/attempts/{attempt.pk}").json()["items"][0]["response"] is not None
    r = client.post(f"/api/learning/attempts/{attempt.pk}/submit", {}, content_type="application/json")
    assert r.status_code == 200
    assert r.json()["score"] == "2.0" and r.json()["revealed"] is False and r.json()["items"] == []
    r = client.put(
        f"/api/learning/attempts/{attempt.pk}/answers/{judge.pk}", {"response": [1]}, content_type="application/json"
    )
    assert r.status_code == 409
    assert login(world.users["secretary2"]).get(f"/api/learning/attempts/{attempt.pk}").status_code == 404


def test_api_save_after_deadline_409(world, login, paper, monkeypatch):
    client = login(world.users["member1"])
    client.post(f"/api/learning/papers/{paper.pk}/attempts")
    attempt = Attempt.objects.get()
    later = attempt.deadline_at + datetime.timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    qid = attempt.items[0]["question"]
    r = client.put(
        f"/api/learning/attempts/{attempt.pk}/answers/{qid}", {"response": [0]}, content_type="application/json"
    )
    assert r.status_code == 409 and "自动提交" in r.json()["detail"]
    assert client.get(f"/api/learning/attempts/{attempt.pk}/result").json()["status"] == "expired"


def test_api_paper_manage(world, login):
    s1 = world.users["secretary1"]
    q = make_question(world.branch_a1, s1)
    client = login(s1)
    now = timezone.now()
    r = client.post(
        "/api/learning/papers",
        {"unit_id": world.branch_a1.pk, "title": "API 卷", "opens_at": now.isoformat(),
         "closes_at": (now + datetime.timedelta(days=1)).isoformat(), "pass_score": "2"},
        content_type="application/json",
    )  # fmt: skip
    assert r.status_code == 201, r.content
    pid = r.json()["id"]
    r = client.put(
        f"/api/learning/papers/{pid}/questions", [{"question": q.pk, "points": "2"}], content_type="application/json"
    )
    assert r.status_code == 200
    assert client.post(f"/api/learning/papers/{pid}/publish").json()["status"] == "published"
    assert client.post(f"/api/learning/papers/{pid}/publish").status_code == 409
    assert client.post(f"/api/learning/papers/{pid}/close").status_code == 200
    assert exams.results_revealed(Paper.objects.get(pk=pid))
