"""Early-warning rule of top-down tasks (预警, issue 10 item 5): targets overdue.

A receiving unit's target is overdue when its task is issued (not closed or cancelled), the
deadline has passed and the target is still open — not submitted, not accepted — which is the
definition the board and the statistics use (``selectors._overdue_q``). Submitting (or the
issuer accepting, closing or cancelling) clears the warning. One query."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from cloudbranch.core.alerts import DANGER, AlertRule, Finding, register

from .choices import TaskStatus
from .models import TaskTarget
from .selectors import _overdue_q


def _cutoff(today: datetime.date) -> datetime.datetime:
    """Now for today's run; otherwise the start of ``today`` (deadlines before that day)."""
    if today == timezone.localdate():
        return timezone.now()
    return timezone.make_aware(datetime.datetime.combine(today, datetime.time()))


def find_targets_overdue(today: datetime.date) -> list[Finding]:
    rows = (
        TaskTarget.objects.filter(_overdue_q(_cutoff(today)), task__status=TaskStatus.ISSUED, unit__status="active")
        .order_by("task__deadline", "id")
        .values_list("id", "unit_id", "unit__name", "task__title", "task__deadline", "task__issuer__name")
    )
    return [
        Finding(
            unit_id=unit_id,
            subject=f"target:{target_id}",
            message=(
                f"{unit_name}：{issuer}下发的任务“{title}”已超过完成时限 "
                f"{timezone.localtime(deadline):%Y-%m-%d %H:%M}，尚未报送完成"
            ),
            url=reverse("worktasks:target", args=[target_id]),
            severity=DANGER,
        )
        for target_id, unit_id, unit_name, title, deadline, issuer in rows
    ]


register(
    AlertRule(
        key="tasks.targets_overdue",
        label="工作任务逾期",
        area="tasks",
        owner_perm="worktasks.handle_tasktarget",
        find=find_targets_overdue,
        description="上级下发的工作任务已超过完成时限，承办单位尚未报送完成。",
    )
)
