"""Background work of dues (django-tasks; the database backend in production, run by
``manage.py db_worker``). Cron: ``manage.py generate_bills`` on the 1st of each month, or enqueue
``generate_monthly_bills``."""

from django_tasks import task

from . import billing


@task()
def generate_monthly_bills(month: str | None = None) -> dict:
    """Create the missing bills of ``month`` ("YYYY-MM", default: the current month) for the whole
    tree. Idempotent: safe to run again or concurrently."""
    from django.utils import timezone

    return billing.generate_bills(month or timezone.localdate()).as_dict()
