"""Background tasks of the roster (django-tasks: the database backend and ``manage.py db_worker``
in development and production, the immediate backend in tests)."""

from django_tasks import task

from . import importing


@task()
def run_import_job(job_id: int) -> str:
    """Check one uploaded roster workbook into a stored preview (see ``importing.run_job``); it is
    written only when confirmed (``importing.import_confirm``)."""
    job = importing.run_job(job_id)
    return job.status if job is not None else "missing"
