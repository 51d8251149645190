"""The study-task SQL (subquery counts, GREATEST/COALESCE completion times, path-prefix
grouping) on PostgreSQL too (``make test-postgres``)."""

import datetime

import pytest

from cloudbranch.learning import tasks
from cloudbranch.learning.models import TaskAssignee

from .test_tasks_support import assign, complete, make_paper, make_resource, sit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_task_sql_on_postgres(world):
    admin = world.users["admin"]
    r1, r2 = make_resource(world.root, admin), make_resource(world.root, admin, title="二")
    paper = make_paper(world.root, admin)
    task = assign(world, resources=[r1, r2], paper=paper)
    me, other = world.people["member1"], world.people["a2_person"]
    for p in (me, other):
        complete(p, r1), complete(p, r2)
    last = sit(me, paper)
    assert tasks.recompute(task) == 1
    assert TaskAssignee.objects.get(task=task, person=me).completed_at == last.submitted_at
    view = tasks.access_task(admin, task.pk)
    rollup = tasks.task_rollup(view, today=task.deadline + datetime.timedelta(days=1))
    assert [(r.label, r.total, r.completed, r.overdue) for r in rollup.rows] == [
        (world.branch_a1.name, 2, 1, 1),
        (world.branch_a2.name, 1, 0, 1),
    ]
    rows = tasks.decorate(tasks.task_progress(view), task)
    assert {a.person.name: (a.resources_done, a.exam_passed) for a in rows}["李二"] == (2, False)
    assert tasks.send_reminders(task.deadline + datetime.timedelta(days=1)) >= 1
