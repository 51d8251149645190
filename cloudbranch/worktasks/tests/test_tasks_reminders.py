"""Reminders 3 days and 1 day before the deadline, overdue notices once; idempotent."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from cloudbranch.notifications.models import Notification
from cloudbranch.worktasks import tasks

from .factories import in_days, issue_task, target_of

pytestmark = pytest.mark.django_db


def _titles(user):
    return sorted(Notification.objects.filter(recipient=user, category="task").values_list("title", flat=True))


@pytest.fixture
def setup(world):
    deadline = in_days(10)
    task = issue_task(world.users["admin"], world.root, [world.branch_a1, world.branch_a2], deadline=deadline)
    # branch_a2 submits early: it is never reminded
    tasks.target_submit(actor=world.users["secretary2"], target_id=target_of(task, world.branch_a2).pk, text="完成")
    Notification.objects.all().delete()
    return task, timezone.localdate(deadline)


def run(day) -> str:
    out = StringIO()
    call_command("task_reminders", "--date", day.isoformat(), stdout=out)
    return out.getvalue()


def test_reminders_3_and_1_days_before(world, setup):
    task, due = setup
    sec1, sec2 = world.users["secretary1"], world.users["secretary2"]
    assert "到期提醒 0 条" in run(due - datetime.timedelta(days=4))
    assert "到期提醒 1 条" in run(due - datetime.timedelta(days=3))
    assert _titles(sec1) == [f"任务还有 3 天到期：{task.title}"]
    assert "到期提醒 0 条" in run(due - datetime.timedelta(days=3))  # same day again: nothing
    assert "到期提醒 0 条" in run(due - datetime.timedelta(days=2))
    assert "到期提醒 1 条" in run(due - datetime.timedelta(days=1))
    assert "到期提醒 0 条" in run(due - datetime.timedelta(days=1))
    assert len(_titles(sec1)) == 2
    assert _titles(sec2) == []  # submitted
    assert "到期提醒 0 条，逾期通知 0 条" in run(due)  # the deadline day itself, before 17:00


def test_overdue_once_to_unit_and_issuer(world, setup):
    task, due = setup
    after = due + datetime.timedelta(days=1)
    assert "逾期通知 1 条，下发单位通知 1 条" in run(after)
    assert _titles(world.users["secretary1"]) == [f"任务已逾期：{task.title}"]
    issuer_notes = Notification.objects.filter(recipient=world.users["admin"])
    assert [n.title for n in issuer_notes] == [f"任务逾期：{task.title}"]
    assert "1 个单位" in issuer_notes[0].body
    assert "逾期通知 0 条，下发单位通知 0 条" in run(after)
    assert "逾期通知 0 条" in run(after + datetime.timedelta(days=1))
    assert Notification.objects.count() == 2


def test_closed_and_cancelled_tasks_are_quiet(world, setup):
    task, due = setup
    tasks.task_close(actor=world.users["admin"], task_id=task.pk)
    run(due - datetime.timedelta(days=1))
    run(due + datetime.timedelta(days=1))
    assert Notification.objects.count() == 0


def test_bad_date(world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("task_reminders", "--date", "2026-13-01")
