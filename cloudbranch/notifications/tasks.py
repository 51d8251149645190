"""Background work of the notifications app (django-tasks; the database backend in production,
run by ``manage.py db_worker``)."""

from django_tasks import task

from . import services


@task()
def deliver_notifications(notification_ids: list[int]) -> dict[str, int]:
    """Deliver the given notifications through the external channels; see ``services.notifications_deliver``."""
    return services.notifications_deliver(notification_ids)
