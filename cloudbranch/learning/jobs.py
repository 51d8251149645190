"""Background jobs of learning (django-tasks; the database backend in production, run by
``manage.py db_worker``). Study-task domain code is in ``tasks.py``; this module only wraps it."""

from __future__ import annotations

import datetime

from django_tasks import task

from . import tasks as study_tasks


@task()
def send_task_reminders(date: str | None = None) -> int:
    """Daily: deadline reminders and overdue notices of study tasks (idempotent); ``date`` ISO or today."""
    today = datetime.date.fromisoformat(date) if date else None
    return study_tasks.send_reminders(today)


@task()
def recompute_task(task_id: int) -> int:
    """Re-check every assignee of one task (bulk SQL); returns how many were newly completed."""
    task = study_tasks.StudyTask.objects.filter(pk=task_id).first()
    return study_tasks.recompute(task) if task is not None else 0


@task()
def person_progress_changed(person_id: int) -> int:
    """The resources and exams areas may enqueue this instead of calling ``tasks.progress_changed`` inline."""
    return study_tasks.progress_changed(person_id)
