"""Background refresh of the early warnings (django-tasks; the database backend in production, run
by ``manage.py db_worker``). Daily from cron: ``manage.py warnings_refresh``, or enqueue
``refresh_warnings_task``."""

import datetime

from django_tasks import task

from . import warnings


@task()
def refresh_warnings_task(today: str | None = None) -> dict:
    """Run every warning rule (``today``: "YYYY-MM-DD", default today) and notify owners of new ones."""
    return warnings.refresh_warnings(datetime.date.fromisoformat(today) if today else None).as_dict()
