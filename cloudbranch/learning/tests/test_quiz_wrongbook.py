"""The wrong-answer book: filled by record_answers, left by a right review, paginated page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cloudbranch.core.errors import ConflictError
from cloudbranch.learning import wrongbook
from cloudbranch.learning.choices import AnswerSource
from cloudbranch.learning.models import AnswerRecord, WrongAnswer

from .test_quiz_support import kp, question, right, wrong

pytestmark = pytest.mark.django_db


def test_wrong_answers_are_booked_and_counted(world):
    person = world.people["member1"]
    q1, q2 = question(world.root, world.users["admin"]), question(world.root, world.users["admin"])
    wrongbook.record_answers(person, AnswerSource.EXAM, 7, [(q1, [0], False), (q2, [1], True)])
    assert AnswerRecord.objects.filter(person=person, source="exam", source_id=7).count() == 2
    w = WrongAnswer.objects.get(person=person)
    assert (w.question_id, w.times, w.mastered_at) == (q1.pk, 1, None)
    wrongbook.record_answers(person, AnswerSource.DAILY, 8, [(q1, [0], False)])
    w.refresh_from_db()
    assert w.times == 2
    assert not WrongAnswer.objects.filter(question=q2).exists()


def test_review_right_masters_and_wrong_counts(world):
    person = world.people["member1"]
    q = question(world.root, world.users["admin"])
    wrongbook.record_answers(person, AnswerSource.EXAM, 1, [(q, [0], False)])
    w = WrongAnswer.objects.get(person=person)
    r = wrongbook.wrong_review(person=person, wrong_id=w.pk, response=wrong(q))
    assert r["correct"] is False and r["wrong"].times == 2
    assert list(wrongbook.wrong_list(person)) == [w]
    r = wrongbook.wrong_review(person=person, wrong_id=w.pk, response=right(q))
    assert r["mastered"] is True
    assert list(wrongbook.wrong_list(person)) == []
    assert AnswerRecord.objects.filter(person=person, source=AnswerSource.PRACTICE).count() == 2
    with pytest.raises(ConflictError):
        wrongbook.wrong_review(person=person, wrong_id=w.pk, response=right(q))
    # wrong again elsewhere: back in the book
    wrongbook.record_answers(person, AnswerSource.DAILY, 3, [(q, [0], False)])
    w.refresh_from_db()
    assert w.mastered_at is None and w.times == 3


def test_someone_elses_wrong_answer_is_404(world, login):
    other = world.people["a1_other"]
    q = question(world.root, world.users["admin"])
    wrongbook.record_answers(other, AnswerSource.EXAM, 1, [(q, [0], False)])
    w = WrongAnswer.objects.get(person=other)
    client = login(world.users["member1"])
    assert client.get(f"/learning/wrong/{w.pk}/").status_code == 404
    assert client.post(f"/learning/wrong/{w.pk}/", {"choice": [1]}).status_code == 404


def test_review_page(world, login):
    person = world.people["member1"]
    q = question(world.root, world.users["admin"])
    wrongbook.record_answers(person, AnswerSource.EXAM, 1, [(q, [0], False)])
    w = WrongAnswer.objects.get(person=person)
    client = login(world.users["member1"])
    assert q.stem in client.get(f"/learning/wrong/{w.pk}/").content.decode()
    resp = client.post(f"/learning/wrong/{w.pk}/", {"choice": right(q)}, HTTP_HX_REQUEST="true")
    assert "已移出错题本" in resp.content.decode()
    resp = client.post(f"/learning/wrong/{w.pk}/", {"choice": right(q)}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 409


def _book(world, n, points):
    person = world.people["member1"]
    qs = [question(world.root, world.users["admin"], points=points) for _ in range(n)]
    wrongbook.record_answers(person, AnswerSource.EXAM, 1, [(q, [0], False) for q in qs], timezone.now())


def test_list_query_count_is_constant_and_filter_by_point(world, login):
    a, b = kp("党章"), kp("党史")
    client = login(world.users["member1"])
    _book(world, 2, [a])
    client.get("/learning/wrong/")
    with CaptureQueriesContext(connection) as small:
        resp = client.get("/learning/wrong/")
    assert resp.status_code == 200
    _book(world, 25, [a, b])
    with CaptureQueriesContext(connection) as big:
        resp = client.get("/learning/wrong/")
    body = resp.content.decode()
    assert "第 1 / 2 页" in body
    assert len(small) == len(big) == 9, [q["sql"] for q in big.captured_queries]
    resp = client.get(f"/learning/wrong/?kp={a.pk}&page=2")
    assert resp.status_code == 200
    counts = {p["name"]: p["count"] for p in wrongbook.wrong_counts_by_point(world.people["member1"])}
    assert counts == {"党章": 27, "党史": 25}
