"""A task left RUNNING by a dead worker goes back to the queue; a recent one is left alone."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

pytestmark = pytest.mark.django_db


def _task(status: str, started_minutes_ago: int | None):
    from django_tasks_db.models import DBTaskResult, get_date_max

    started = timezone.now() - datetime.timedelta(minutes=started_minutes_ago) if started_minutes_ago else None
    return DBTaskResult.objects.create(
        status=status,
        started_at=started,
        args_kwargs={"args": [], "kwargs": {}},
        task_path="cloudbranch.people.tasks.run_import",
        backend_name="default",
        queue_name="default",
        run_after=get_date_max(),
    )


def test_stale_running_tasks_are_requeued(capsys):
    from django_tasks_db.models import DBTaskResult

    dead = _task("RUNNING", 300)
    busy = _task("RUNNING", 10)
    done = _task("SUCCESSFUL", 300)
    call_command("tasks_recover", "--dry-run")
    assert "可放回 1 个任务" in capsys.readouterr().out
    assert DBTaskResult.objects.get(pk=dead.pk).status == "RUNNING"

    call_command("tasks_recover")
    assert "已放回队列 1 个任务" in capsys.readouterr().out
    assert DBTaskResult.objects.ready().filter(pk=dead.pk).exists()  # the next worker takes it
    assert DBTaskResult.objects.get(pk=busy.pk).status == "RUNNING"
    assert DBTaskResult.objects.get(pk=done.pk).status == "SUCCESSFUL"
