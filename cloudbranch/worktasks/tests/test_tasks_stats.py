"""Completion statistics per child unit against hand-computed figures."""

import datetime

import pytest

from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import UserFactory, grant
from cloudbranch.worktasks import selectors, tasks

from .factories import in_days, issue_task, target_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(world):
    """task1 (root → a1, a2, b1): a1 on time and accepted, a2 late and accepted, b1 untouched.
    task2 (root → college_a, group_a1): group_a1 received only, college_a untouched.
    task3 (root → a1), cancelled: never counted."""
    admin, sec1, sec2 = world.users["admin"], world.users["secretary1"], world.users["secretary2"]
    d1, d2 = in_days(5), in_days(6)
    task1 = issue_task(admin, world.root, [world.branch_a1, world.branch_a2, world.branch_b1], deadline=d1)
    t = target_of(task1, world.branch_a1)
    tasks.target_submit(actor=sec1, target_id=t.pk, text="完成", now=d1 - datetime.timedelta(days=1))
    tasks.target_review(actor=admin, target_id=t.pk, decision="accept")
    t = target_of(task1, world.branch_a2)
    tasks.target_submit(actor=sec2, target_id=t.pk, text="完成", now=d1 + datetime.timedelta(hours=1))
    tasks.target_review(actor=admin, target_id=t.pk, decision="accept")
    task2 = issue_task(admin, world.root, [world.college_a, world.group_a1], deadline=d2)
    tasks.target_open(actor=sec1, target=tasks.access_target(sec1, target_of(task2, world.group_a1).pk))
    task3 = issue_task(admin, world.root, [world.branch_a1])
    tasks.task_cancel(actor=admin, task_id=task3.pk, reason="取消")
    return task1, task2, d2 + datetime.timedelta(days=1)


def rows(rollup):
    return {
        r.label: (r.total, r.received, r.accepted, r.on_time, r.overdue, r.completion_rate, r.on_time_rate)
        for r in [*rollup.rows, rollup.totals]
    }


def test_stats_at_root(world, data):
    _, _, later = data
    got = rows(selectors.subtree_stats(world.users["admin"], world.root, now=later))
    assert got == {
        "计算机学院党委": (4, 3, 2, 1, 2, 50.0, 25.0),
        "数学学院党委": (1, 0, 0, 0, 1, 0.0, 0.0),
        "合计": (5, 3, 2, 1, 3, 40.0, 20.0),
    }


def test_stats_at_college(world, data):
    _, _, later = data
    got = rows(selectors.subtree_stats(world.users["admin"], world.college_a, now=later))
    assert got == {
        "计算机本科第一党支部": (2, 2, 1, 1, 1, 50.0, 50.0),
        "计算机本科第二党支部": (1, 1, 1, 0, 0, 100.0, 0.0),
        "本级": (1, 0, 0, 0, 1, 0.0, 0.0),
        "合计": (4, 3, 2, 1, 2, 50.0, 25.0),
    }


def test_stats_before_deadline_have_no_overdue(world, data):
    got = rows(selectors.subtree_stats(world.users["admin"], world.root))
    assert got["合计"][4] == 0


def test_stats_scoped_to_viewer(world, data):
    _, _, later = data
    # secretary1 sees only branch_a1's subtree: the root is out of reach, their own unit is in
    with pytest.raises(Exception):  # noqa: B017  (Http404)
        selectors.stats_unit(world.users["secretary1"], world.root.pk, [])
    tops = selectors.stats_units(world.users["secretary1"])
    assert tops == [world.branch_a1]
    got = rows(selectors.subtree_stats(world.users["secretary1"], world.branch_a1, now=later))
    assert got["合计"] == (2, 2, 1, 1, 1, 50.0, 50.0)


def test_task_rollup_per_child_of_issuer(world, data):
    task1, task2, later = data
    assert rows(selectors.task_rollup(task1, now=later)) == {
        "计算机学院党委": (2, 2, 2, 1, 0, 100.0, 50.0),
        "数学学院党委": (1, 0, 0, 0, 1, 0.0, 0.0),
        "合计": (3, 2, 2, 1, 1, 66.7, 33.3),
    }
    # a college issues to its branches: rows are the college's children
    college = UserFactory()
    grant(college, world.college_a, Role.COMMITTEE_SECRETARY)
    task = issue_task(college, world.college_a, [world.branch_a1, world.group_a1, world.branch_a2])
    got = rows(selectors.task_rollup(task))
    assert got["计算机本科第一党支部"][0] == 2 and got["计算机本科第二党支部"][0] == 1


def test_task_rollup_is_one_grouped_query(world, data, django_assert_num_queries):
    task1, _, later = data
    with django_assert_num_queries(2):  # the grouped count + the issuer's children
        selectors.task_rollup(task1, now=later)
