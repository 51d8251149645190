"""Task metrics (worktasks/metrics.py), by the task deadline, in the receiving unit."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cloudbranch.core.metrics import MONTH, Period, get
from cloudbranch.testing.factories import make_unit
from cloudbranch.worktasks import metrics  # noqa: F401
from cloudbranch.worktasks.models import AssignedTask, TaskTarget

D = datetime.date
MARCH = Period(MONTH, D(2025, 3, 1), D(2025, 3, 31))


def at(y, m, d, h=17):
    return timezone.make_aware(datetime.datetime(y, m, d, h), timezone.get_current_timezone())


@pytest.fixture
def tasks(world):
    admin = world.users["admin"]
    u1, u2 = make_unit(parent=world.college_b), make_unit(parent=world.college_b)

    def task(deadline, status="issued"):
        return AssignedTask.objects.create(
            issuer=world.college_b,
            title="任务",
            requirements="要求",
            deadline=deadline,
            status=status,
            created_by=admin,
        )

    t1 = task(at(2025, 3, 20))
    TaskTarget.objects.create(task=t1, unit=u1, status="accepted", accepted_at=at(2025, 3, 19), on_time=True)
    TaskTarget.objects.create(task=t1, unit=u2, status="accepted", accepted_at=at(2025, 4, 5), on_time=False)
    t2 = task(at(2025, 3, 31, 23))
    TaskTarget.objects.create(task=t2, unit=u1, status="in_progress")
    t3 = task(at(2025, 3, 10), status="cancelled")
    TaskTarget.objects.create(task=t3, unit=u1)
    return u1, u2


def test_flows(tasks):
    u1, u2 = tasks
    ids = [u1.pk, u2.pk]
    assert get("tasks.received").compute(ids, MARCH) == {u1.pk: 2, u2.pk: 1}
    assert get("tasks.completed").compute(ids, MARCH) == {u1.pk: 1, u2.pk: 1}
    assert get("tasks.completed_on_time").compute(ids, MARCH) == {u1.pk: 1}
    assert get("tasks.received").compute([u2.pk], MARCH) == {u2.pk: 1}


def test_open_overdue(tasks):
    u1, u2 = tasks
    metric = get("tasks.open_overdue")
    ids = [u1.pk, u2.pk]
    assert metric.compute(ids, Period(MONTH, D(2025, 3, 1), D(2025, 3, 19))) == {}
    # End of 20 March: u2's deadline (17:00) has passed, accepted only in April.
    assert metric.compute(ids, Period(MONTH, D(2025, 3, 1), D(2025, 3, 20))) == {u2.pk: 1}
    # 25 March: u2's target was past its deadline, accepted only in April.
    assert metric.compute(ids, Period(MONTH, D(2025, 3, 1), D(2025, 3, 25))) == {u2.pk: 1}
    assert metric.compute_dates(ids, [D(2025, 4, 1), D(2025, 4, 30)]) == {
        (u1.pk, D(2025, 4, 1)): 1,
        (u2.pk, D(2025, 4, 1)): 1,
        (u1.pk, D(2025, 4, 30)): 1,
    }


def test_one_query(tasks):
    for key in ("tasks.received", "tasks.completed", "tasks.completed_on_time", "tasks.open_overdue"):
        with CaptureQueriesContext(connection) as ctx:
            get(key).compute(None, MARCH)
        assert len(ctx) == 1, key
    with CaptureQueriesContext(connection) as ctx:
        get("tasks.open_overdue").compute_dates(None, [D(2025, m, 28) for m in range(1, 13)])
    assert len(ctx) == 1
