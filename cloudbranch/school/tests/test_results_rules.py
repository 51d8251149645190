"""Passing rules at their exact thresholds, in Chinese with the figures, and the final exam's
best score kept through learning's attempt hook (real attempts through the exam services)."""

from decimal import Decimal

import pytest

from cloudbranch.learning import exams
from cloudbranch.learning.tests.test_exams_support import correct_positions, make_paper, make_question
from cloudbranch.school import results
from cloudbranch.school.choices import ClassStatus, EnrolmentStatus

from .factories import make_assignment, make_class, make_enrolment, make_student, make_submission

pytestmark = pytest.mark.django_db


def test_hours_threshold_exact(world):
    tc = make_class(world.college_a, pass_hours=Decimal("24"))
    assert results.evaluate(make_enrolment(tc, hours=Decimal("24.0"))) == []
    assert results.evaluate(make_enrolment(tc, hours=Decimal("23.5"))) == ["学时 23.5/24"]
    assert results.evaluate(make_enrolment(tc, hours=Decimal("18.5"))) == ["学时 18.5/24"]


def test_required_assignments(world):
    tc = make_class(world.college_a, pass_hours=Decimal("0"))
    a1 = make_assignment(tc, title="心得一", pass_score=60)
    a2 = make_assignment(tc, title="心得二", pass_score=60)
    make_assignment(tc, title="选做", required=False)
    e = make_enrolment(tc)
    assert results.evaluate(e) == ["作业《心得一》 未提交", "作业《心得二》 未提交"]
    make_submission(a1, e, score=60)
    s2 = make_submission(a2, e, status="submitted")
    assert results.evaluate(e) == ["作业《心得二》 待批阅"]
    s2.status = "returned"
    s2.save()
    assert results.evaluate(e) == ["作业《心得二》 退回修改"]
    s2.status, s2.score = "graded", 59
    s2.save()
    assert results.evaluate(e) == ["作业《心得二》 59/60"]
    s2.score = 60
    s2.save()
    assert results.evaluate(e) == []


def test_exam_threshold_class_or_paper(world):
    s1 = world.users["secretary1"]
    paper = make_paper(world.branch_a1, s1, questions=[make_question(world.branch_a1, s1)], pass_score=6)
    tc = make_class(world.college_a, pass_hours=Decimal("0"), exam_paper=paper)
    e = make_enrolment(tc)
    assert results.evaluate(e) == ["考试 未参加（合格 6）"]
    e.exam_score = Decimal("6")
    assert results.evaluate(e) == []
    tc.exam_pass_score = Decimal("8.5")
    tc.save()
    e = type(e).objects.get(pk=e.pk)
    e.exam_score = Decimal("8")
    assert results.evaluate(e) == ["考试 8/8.5"]
    e.exam_score = Decimal("8.5")
    assert results.evaluate(e) == []


def test_conditions_list_each_condition_with_met_flag(world):
    tc = make_class(world.college_a, pass_hours=Decimal("24"))
    make_assignment(tc, title="心得")
    e = make_enrolment(tc, hours=Decimal("30"))
    conds = results.conditions(e)
    assert [(c.label, c.met, c.text) for c in conds] == [
        ("学时", True, "学时 30/24"),
        ("作业《心得》", False, "作业《心得》 未提交"),
    ]


@pytest.fixture
def exam_class(world):
    s1 = world.users["secretary1"]
    questions = [make_question(world.branch_a1, s1) for _ in range(4)]
    paper = make_paper(world.branch_a1, s1, questions=questions, points=25, pass_score=60, attempts_allowed=3)
    tc = make_class(world.college_a, status=ClassStatus.RUNNING, exam_paper=paper, pass_hours=Decimal("0"))
    user, person = make_student(world.branch_a1, name="钱考生")
    enrolment = make_enrolment(tc, person)
    return paper, questions, tc, user, enrolment


def _take(user, paper, questions, right: int):
    attempt = exams.attempt_start(actor=user, paper_id=paper.pk)
    responses = {}
    for q in questions[:right]:
        responses[str(q.pk)] = correct_positions(attempt, q)
    return exams.attempt_submit(actor=user, attempt_id=attempt.pk, responses=responses)


def test_exam_hook_keeps_the_best_score(exam_class):
    paper, questions, tc, user, enrolment = exam_class
    _take(user, paper, questions, right=2)
    enrolment.refresh_from_db()
    assert enrolment.exam_score == Decimal("50")
    assert results.evaluate(enrolment) == ["考试 50/60"]
    _take(user, paper, questions, right=3)
    enrolment.refresh_from_db()
    assert enrolment.exam_score == Decimal("75")
    _take(user, paper, questions, right=1)  # a worse attempt never lowers it
    enrolment.refresh_from_db()
    assert enrolment.exam_score == Decimal("75")
    assert results.evaluate(enrolment) == []


def test_exam_hook_ignores_other_papers_and_finished_students(world, exam_class):
    paper, questions, tc, user, enrolment = exam_class
    s1 = world.users["secretary1"]
    other = make_paper(world.branch_a1, s1, questions=questions, points=25, pass_score=60)
    _take(user, other, questions, right=4)
    enrolment.refresh_from_db()
    assert enrolment.exam_score is None
    enrolment.status = EnrolmentStatus.PASSED
    enrolment.save()
    _take(user, paper, questions, right=4)
    enrolment.refresh_from_db()
    assert enrolment.exam_score is None  # a decided result is not changed afterwards
