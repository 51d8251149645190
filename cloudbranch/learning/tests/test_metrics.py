"""Learning metrics (learning/metrics.py) and learning.points (points/metrics.py is tested here too
only through its own app's test)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cloudbranch.core.metrics import MONTH, Period, get
from cloudbranch.learning import metrics  # noqa: F401
from cloudbranch.learning.models import Attempt, Paper, StudyDay, StudyTask, TaskAssignee
from cloudbranch.testing.factories import PersonFactory, make_unit

D = datetime.date
MARCH = Period(MONTH, D(2025, 3, 1), D(2025, 3, 31))


def at(y, m, d, h=10):
    return timezone.make_aware(datetime.datetime(y, m, d, h), timezone.get_current_timezone())


@pytest.fixture
def learning(world):
    admin = world.users["admin"]
    u1, u2 = make_unit(parent=world.college_b), make_unit(parent=world.college_b)
    a, b, c = PersonFactory(unit=u1), PersonFactory(unit=u1), PersonFactory(unit=u2)
    StudyDay.objects.create(person=a, day=D(2025, 3, 1), seconds=600)
    StudyDay.objects.create(person=b, day=D(2025, 3, 31), seconds=30)
    StudyDay.objects.create(person=c, day=D(2025, 4, 1), seconds=99)
    task = StudyTask.objects.create(unit=world.college_b, title="学习", deadline=D(2025, 3, 20), created_by=admin)
    cancelled = StudyTask.objects.create(
        unit=world.college_b, title="取消", deadline=D(2025, 3, 20), created_by=admin, status="cancelled"
    )
    TaskAssignee.objects.create(task=task, person=a, unit=u1, completed_at=at(2025, 3, 2))
    TaskAssignee.objects.create(task=task, person=b, unit=u1, completed_at=at(2025, 4, 2))  # late, still done
    TaskAssignee.objects.create(task=task, person=c, unit=u2)
    TaskAssignee.objects.create(task=cancelled, person=c, unit=u2)
    p50 = Paper.objects.create(
        unit=world.college_b, title="卷", opens_at=at(2025, 3, 1), closes_at=at(2025, 4, 30), created_by=admin
    )

    def attempt(person, number, score, max_score, passed, submitted):
        Attempt.objects.create(
            paper=p50, person=person, number=number, deadline_at=submitted, submitted_at=submitted,
            status="submitted", score=score, max_score=max_score, passed=passed,
        )  # fmt: skip

    attempt(a, 1, "40", "50", True, at(2025, 3, 5))  # 80 on a 100 scale
    attempt(b, 1, "20", "50", False, at(2025, 3, 5))  # 40
    attempt(b, 2, "35", "50", True, at(2025, 3, 31, 23))  # 70 — a resit is another attempt
    Attempt.objects.create(paper=p50, person=c, deadline_at=at(2025, 3, 5))  # in progress: not graded
    return u1, u2


def test_figures(learning):
    u1, u2 = learning
    ids = [u1.pk, u2.pk]
    assert get("learning.study_seconds").compute(ids, MARCH) == {u1.pk: 630}
    assert get("learning.task_assignments").compute(ids, MARCH) == {u1.pk: 2, u2.pk: 1}
    assert get("learning.task_completed").compute(ids, MARCH) == {u1.pk: 2}
    assert get("learning.exam_attempts").compute(ids, MARCH) == {u1.pk: 3}
    assert get("learning.exam_passed").compute(ids, MARCH) == {u1.pk: 2}
    assert get("learning.exam_score_sum").compute(ids, MARCH) == {u1.pk: 190}
    assert get("learning.study_seconds").compute([u2.pk], Period(MONTH, D(2025, 4, 1), D(2025, 4, 30))) == {u2.pk: 99}
    assert get("learning.exam_attempts").compute_months(ids, D(2025, 1, 1), D(2025, 12, 31)) == {
        (u1.pk, D(2025, 3, 1)): 3
    }


def test_one_query(learning):
    u1, _u2 = learning
    keys = [k for k in ("study_seconds", "task_assignments", "task_completed", "exam_attempts", "exam_passed",
                        "exam_score_sum")]  # fmt: skip
    for _round in range(2):
        for key in keys:
            metric = get(f"learning.{key}")
            with CaptureQueriesContext(connection) as ctx:
                metric.compute(None, MARCH)
                metric.compute_months(None, D(2024, 1, 1), D(2025, 12, 31))
            assert len(ctx) == 2, key
        StudyDay.objects.create(person=PersonFactory(unit=u1), day=D(2025, 3, 3), seconds=5)
