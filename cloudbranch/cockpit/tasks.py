"""Background work of the cockpit (django-tasks; the database backend in production, run by
``manage.py db_worker``). Cron: ``manage.py metrics_recompute`` every few minutes (incremental,
the dirty units) and ``manage.py metrics_recompute --full`` each night; or enqueue these tasks."""

from django_tasks import task

from . import engine


def _summary(run) -> dict:
    return {
        "run": run.pk,
        "kind": run.kind,
        "units": run.units,
        "rows": run.rows,
        "seconds": float(run.seconds or 0),
        "error": run.error,
    }


@task()
def recompute_dirty_task(today: str | None = None) -> dict:
    """Recompute the units marked dirty since the last run (current periods only)."""
    import datetime

    return _summary(engine.recompute_dirty(today=datetime.date.fromisoformat(today) if today else None))


@task()
def recompute_all_task(today: str | None = None) -> dict:
    """Recompute every metric, unit and stored period (the nightly run)."""
    import datetime

    return _summary(engine.recompute_all(today=datetime.date.fromisoformat(today) if today else None))
