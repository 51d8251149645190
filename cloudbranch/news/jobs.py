"""Background jobs of the articles area (django-tasks; the database backend in production, run by
``manage.py db_worker``, scheduled by cron through ``manage.py publish_scheduled``). Domain code
is in ``articles.py``; these only wrap it. Both are idempotent."""

from __future__ import annotations

import datetime

from django_tasks import task

from . import articles


@task()
def publish_scheduled() -> int:
    """Every few minutes: publish scheduled articles whose publish_at has passed."""
    return articles.publish_due()


@task()
def send_read_reminders(date: str | None = None) -> int:
    """Daily: remind people who have not read notices due soon (once a day each); ``date`` ISO or today."""
    return articles.send_read_reminders(datetime.date.fromisoformat(date) if date else None)
