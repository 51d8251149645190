"""Background work of the onboarding app (django-tasks; ``manage.py db_worker`` in production)."""

from django_tasks import task

from . import services


@task()
def send_invitation_batch(batch_id: int) -> dict[str, int]:
    """Send one invitation batch; see ``services.invitation_batch_send``."""
    return services.invitation_batch_send(batch_id=batch_id)
