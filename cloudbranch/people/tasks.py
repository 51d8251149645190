"""Background tasks of the roster (django-tasks: the database backend and ``manage.py db_worker``
in development and production, the immediate backend in tests)."""

from django_tasks import task

from . import importing


@task()
def run_import_job(job_id: int) -> str:
    """Validate and commit one uploaded roster workbook (see ``importing.run_job``)."""
    job = importing.run_job(job_id)
    return job.status if job is not None else "missing"
