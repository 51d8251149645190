"""Completion of study tasks: every resource completed and, with a paper, a passed attempt;
on-time points once; recompute in bulk."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cloudbranch.learning import tasks
from cloudbranch.learning.models import TaskAssignee
from cloudbranch.points.models import PointEvent
from cloudbranch.testing.factories import PersonFactory

from .test_tasks_support import assign, complete, make_paper, make_resource, sit

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(world):
    admin = world.users["admin"]
    r1 = make_resource(world.root, admin, title="党章第一章")
    r2 = make_resource(world.root, admin, title="党章第二章", kind="video")
    paper = make_paper(world.root, admin)
    task = assign(world, resources=[r1, r2], paper=paper)
    return task, r1, r2, paper


def _row(task, person):
    return TaskAssignee.objects.get(task=task, person=person)


def test_resources_and_passed_exam_complete_the_task(world, setup):
    task, r1, r2, paper = setup
    me = world.people["member1"]
    complete(me, r1)
    assert tasks.progress_changed(me.pk) == 0
    complete(me, r2)
    assert tasks.progress_changed(me.pk) == 0  # the exam is still missing
    sit(me, paper, passed=False)
    assert tasks.progress_changed(me.pk) == 0  # a failed attempt does not count
    assert _row(task, me).completed_at is None
    passed = sit(me, paper, passed=True)
    assert tasks.progress_changed(me.pk) == 1
    row = _row(task, me)
    assert row.completed_at == passed.submitted_at  # the moment the last requirement was met
    events = PointEvent.objects.filter(person=me, action="study_task")
    assert [(e.source_type, e.source_id) for e in events] == [("task", str(task.pk))]
    # again and through recompute: nothing new, the points are paid once
    assert tasks.progress_changed(me.pk) == 0
    assert tasks.recompute(task) == 0
    assert PointEvent.objects.filter(person=me, action="study_task").count() == 1
    # the others are untouched
    assert _row(task, world.people["a1_other"]).completed_at is None


def test_resources_only_task(world):
    r = make_resource(world.root, world.users["admin"])
    task = assign(world, resources=[r])
    me = world.people["member1"]
    complete(me, r)
    assert tasks.progress_changed(me.pk) == 1
    assert _row(task, me).completed_at is not None


def test_exam_only_task(world):
    paper = make_paper(world.root, world.users["admin"])
    task = assign(world, paper=paper)
    me = world.people["member1"]
    sit(me, paper)
    assert tasks.progress_changed(me.pk) == 1
    assert _row(task, me).completed_at is not None


def test_late_completion_earns_no_points(world):
    r = make_resource(world.root, world.users["admin"])
    today = timezone.localdate()
    task = assign(
        world, resources=[r], today=today - datetime.timedelta(days=10), deadline=today - datetime.timedelta(days=2)
    )
    me = world.people["member1"]
    complete(me, r)
    assert tasks.progress_changed(me.pk) == 1
    assert _row(task, me).completed_at is not None
    assert not PointEvent.objects.filter(person=me, action="study_task").exists()


def test_done_before_assignment_counts_from_assignment(world):
    r = make_resource(world.root, world.users["admin"])
    me = world.people["member1"]
    complete(me, r, at=timezone.now() - datetime.timedelta(days=30))
    task = assign(world, resources=[r])  # recompute at assignment
    row = _row(task, me)
    assert row.completed_at is not None and row.completed_at >= task.created_at
    assert PointEvent.objects.filter(person=me, action="study_task").count() == 1


def test_closed_or_cancelled_tasks_are_not_rechecked(world, setup):
    task, r1, r2, paper = setup
    tasks.task_cancel(actor=world.users["admin"], task_id=task.pk, reason="重复")
    me = world.people["member1"]
    complete(me, r1), complete(me, r2), sit(me, paper)
    assert tasks.progress_changed(me.pk) == 0


def test_recompute_in_bulk(world, setup, monkeypatch):
    task, r1, r2, paper = setup
    awarded = []
    monkeypatch.setattr(tasks, "_award", lambda person, task, at: awarded.append(person.pk))
    people = [PersonFactory(unit=world.branch_a2) for _ in range(4)]
    task2 = assign(world, resources=[r1, r2], paper=paper)
    for p in people[:3]:
        complete(p, r1), complete(p, r2)
    for p in people[:2]:
        sit(p, paper)
    with CaptureQueriesContext(connection) as ctx:
        assert tasks.recompute(task2) == 2
    small = len(ctx.captured_queries)
    done = set(TaskAssignee.objects.filter(task=task2, completed_at__isnull=False).values_list("person_id", flat=True))
    assert done == {people[0].pk, people[1].pk}
    assert sorted(awarded) == sorted(done)
    # more people complete: the same number of queries (the award itself is stubbed here)
    more = [PersonFactory(unit=world.branch_a1) for _ in range(6)]
    task3 = assign(world, resources=[r1, r2], paper=paper)
    for p in more:
        complete(p, r1), complete(p, r2), sit(p, paper)
    with CaptureQueriesContext(connection) as ctx:
        assert tasks.recompute(task3) == 6
    assert len(ctx.captured_queries) == small
    assert task.pk != task2.pk
