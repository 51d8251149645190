"""Background work of member development (django-tasks; the database backend in production, run
by ``manage.py db_worker``). Daily: ``manage.py development_reminders`` from cron, or enqueue
``send_development_reminders``.

Each area exposes ``send_reminders(today) -> int``, idempotent through ``Reminder`` keys, so the
daily run may be repeated or run twice the same day without sending anything twice.
"""

from __future__ import annotations

import datetime
import importlib
import logging

from django_tasks import task

logger = logging.getLogger(__name__)

# (module in cloudbranch.development, label of its reminders)
AREAS = (
    ("cases", "发展党员步骤提醒与逾期预警"),
    ("transfers", "组织关系转接提醒"),
    ("mobile", "流动党员提醒"),
    ("thought", "思想汇报提醒"),
    ("pipeline", "逾期情况周报（组织部）"),
    ("intake", "春秋两季发展名单（各支部）"),
)


def run_reminders(today: datetime.date | None = None) -> dict[str, int | None]:
    """Call every area's ``send_reminders(today)``; ``{area: sent}``, ``None`` for an area whose
    module or function is not installed (skipped with a logged warning). Areas run one after the
    other; one area failing does not stop the others (the error is logged and re-raised at the end)."""
    from django.utils import timezone

    today = today or timezone.localdate()
    counts: dict[str, int | None] = {}
    failed: list[tuple[str, Exception]] = []
    for name, _label in AREAS:
        try:
            module = importlib.import_module(f"cloudbranch.development.{name}")
        except ImportError:
            module = None
        send = getattr(module, "send_reminders", None)
        if send is None:
            logger.warning("development reminders: %s.send_reminders is not installed, skipped", name)
            counts[name] = None
            continue
        try:
            counts[name] = int(send(today) or 0)
        except Exception as exc:  # keep the other areas' reminders going
            logger.exception("development reminders: %s.send_reminders failed", name)
            counts[name] = 0
            failed.append((name, exc))
    if failed:
        raise failed[0][1]
    return counts


@task()
def send_development_reminders(date: str | None = None) -> dict:
    """The daily reminders of member development (``date``: "YYYY-MM-DD", default today)."""
    today = datetime.date.fromisoformat(date) if date else None
    return run_reminders(today)
