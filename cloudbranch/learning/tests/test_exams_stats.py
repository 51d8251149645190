"""Statistics per unit (one grouped query, best attempt per person) and item analysis."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cloudbranch.learning import exams
from cloudbranch.learning.choices import AnswerSource, AttemptStatus
from cloudbranch.learning.choices import QuestionKind as K
from cloudbranch.learning.models import AnswerRecord, Attempt
from cloudbranch.testing.factories import PersonFactory

from .test_exams_support import make_paper, make_question

pytestmark = pytest.mark.django_db


def sit(paper, person, answers: dict, *, number=1, score=None):
    """A graded attempt with AnswerRecords: answers = {question: (response, correct)}."""
    now = timezone.now()
    total = sum(2 for _ in answers)
    got = score if score is not None else sum(2 for r, ok in answers.values() if ok)
    attempt = Attempt.objects.create(
        paper=paper, person=person, number=number, status=AttemptStatus.SUBMITTED, deadline_at=now,
        submitted_at=now, items=[], score=got, max_score=total, passed=got >= paper.pass_score,
    )  # fmt: skip
    AnswerRecord.objects.bulk_create(
        [
            AnswerRecord(
                person=person, question=q, source=AnswerSource.EXAM, source_id=attempt.pk, response=r, correct=ok
            )
            for q, (r, ok) in answers.items()
        ]
    )
    return attempt


@pytest.fixture
def setup(world):
    admin = world.users["admin"]
    q1 = make_question(world.root, admin, K.SINGLE)  # key [1]
    q2 = make_question(world.root, admin, K.JUDGE)  # key [0]
    paper = make_paper(world.college_a, admin, questions=[q1, q2], pass_score=4, audience="school")
    return paper, q1, q2


def test_item_analysis(world, setup):
    paper, q1, q2 = setup
    people = [world.people["member1"], world.people["a1_other"], world.people["a2_person"], world.people["b1_person"]]
    sit(paper, people[0], {q1: ([1], True), q2: ([1], False)})
    sit(paper, people[1], {q1: ([2], False), q2: ([1], False)})
    sit(paper, people[2], {q1: ([2], False), q2: ([1], False)})
    sit(paper, people[3], {q1: ([3], False), q2: ([], False)})
    rows = exams.item_analysis(paper)
    assert [r["question"].pk for r in rows] == [q2.pk, q1.pk]  # worst first: 100% before 75%
    by_q = {r["question"].pk: r for r in rows}
    assert (by_q[q1.pk]["total"], by_q[q1.pk]["wrong"], by_q[q1.pk]["wrong_rate"]) == (4, 3, 75.0)
    assert by_q[q1.pk]["top_wrong"].startswith("C") and by_q[q1.pk]["top_wrong_count"] == 2
    assert by_q[q2.pk]["top_wrong"].startswith("B") and by_q[q2.pk]["top_wrong_count"] == 3  # unanswered not counted
    only_a1 = exams.item_analysis(paper, unit=world.branch_a1)
    assert {r["question"].pk: r["total"] for r in only_a1} == {q1.pk: 2, q2.pk: 2}
    assert by_q[q2.pk]["wrong_rate"] == 100.0


def test_unit_statistics_best_attempt(world, setup):
    paper, q1, q2 = setup
    m1, other, a2 = world.people["member1"], world.people["a1_other"], world.people["a2_person"]
    sit(paper, m1, {q1: ([0], False), q2: ([1], False)}, number=1)
    sit(paper, m1, {q1: ([1], True), q2: ([0], True)}, number=2)  # best: 4 of 4
    sit(paper, other, {q1: ([1], True), q2: ([1], False)})  # 2
    sit(paper, a2, {q1: ([1], True), q2: ([0], True)})  # 4
    sit(paper, world.people["b1_person"], {q1: ([1], True), q2: ([0], True)})  # outside college_a
    stats = exams.unit_statistics(paper, world.college_a)
    rows = {r["unit"].pk: r for r in stats["rows"]}
    a1 = rows[world.branch_a1.pk]
    assert (a1["participants"], a1["mean"], a1["pass_rate"]) == (2, 3, 50.0)
    assert a1["distribution"] == [1, 0, 0, 0, 1]
    assert rows[world.branch_a2.pk]["participants"] == 1 and rows[world.branch_a2.pk]["pass_rate"] == 100.0
    assert stats["total"]["participants"] == 3
    assert world.college_a.pk not in rows  # nobody directly at the college


def test_statistics_query_count_constant(world, setup):
    paper, q1, q2 = setup

    def measure():
        fresh = exams.Paper.objects.get(pk=paper.pk)
        with CaptureQueriesContext(connection) as ctx:
            exams.unit_statistics(fresh, world.college_a)
            exams.item_analysis(fresh, unit=world.college_a)
        return len(ctx.captured_queries)

    sit(paper, world.people["member1"], {q1: ([1], True), q2: ([0], True)})
    few = measure()
    for _ in range(8):
        person = PersonFactory(unit=world.branch_a2)
        sit(paper, person, {q1: ([2], False), q2: ([0], True)})
    assert few == measure() == 6  # children, max score, grouped stats; analysis: 3


def test_statistics_page_and_sibling_404(world, setup, login):
    paper, q1, q2 = setup
    sit(paper, world.people["member1"], {q1: ([1], True), q2: ([0], True)})
    client = login(world.users["admin"])
    response = client.get(f"/learning/exams/{paper.pk}/?unit={world.college_a.pk}")
    assert response.status_code == 200
    assert "成绩统计" in response.content.decode()
    api = client.get(f"/api/learning/papers/{paper.pk}/statistics")
    assert api.status_code == 200 and api.json()["total"]["participants"] == 1
    assert login(world.users["secretary2"]).get(f"/learning/exams/{paper.pk}/").status_code == 404
    assert login(world.users["secretary2"]).get(f"/api/learning/papers/{paper.pk}/statistics").status_code == 404
    assert timezone.now() < paper.closes_at + datetime.timedelta(days=1)
