"""Background work of organizational life (django-tasks; the database backend in production,
run by ``manage.py db_worker``)."""

from django_tasks import task

from . import services


@task()
def send_meeting_reminder(meeting_id: int, kind: str, version: str) -> bool:
    """Remind the invitees of a meeting (``kind``: "day" or "hour" before). Queued with
    ``run_after`` when the meeting is scheduled or changed; sent only if the meeting is still
    scheduled and ``version`` still matches (see ``services.reminder_version``), so a moved or
    cancelled meeting gets no stale reminder."""
    return services.meeting_send_reminder(meeting_id=meeting_id, kind=kind, version=version)
