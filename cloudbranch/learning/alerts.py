"""Early-warning rule of learning (预警, issue 10 item 5): low study completion.

An ACTIVE study task whose deadline has passed is judged per assigned unit (the unit each
assignee was frozen in at assignment, ``TaskAssignee.unit``): when fewer than
``MIN_COMPLETION_PERCENT`` of that unit's assignees completed it, the unit is warned (danger below
``DANGER_COMPLETION_PERCENT``). Completing the task (members study) or closing it (the assigning
unit ends it) clears the warning. One grouped query over ``TaskAssignee`` for all tasks and units."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q
from django.urls import reverse

from cloudbranch.core.alerts import DANGER, WARNING, AlertRule, Finding, register

from .choices import TaskStatus
from .models import TaskAssignee

MIN_COMPLETION_PERCENT = 80  # below this share of completed assignees a unit is warned
DANGER_COMPLETION_PERCENT = 50  # below this, the warning is severe


def find_low_completion(today: datetime.date) -> list[Finding]:
    rows = (
        TaskAssignee.objects.filter(task__status=TaskStatus.ACTIVE, task__deadline__lt=today, unit__status="active")
        .values("task_id", "task__title", "task__deadline", "unit_id", "unit__name")
        .annotate(total=Count("id"), done=Count("id", filter=Q(completed_at__isnull=False)))
        .order_by("task_id", "unit_id")
    )
    found = []
    for r in rows:
        total, done = r["total"], r["done"]
        if not total or done * 100 >= MIN_COMPLETION_PERCENT * total:
            continue
        rate = done * 100 // total
        found.append(
            Finding(
                unit_id=r["unit_id"],
                subject=f"studytask:{r['task_id']}:unit:{r['unit_id']}",
                message=(
                    f"{r['unit__name']}：学习任务“{r['task__title']}”已于 {r['task__deadline']:%Y-%m-%d} 截止，"
                    f"完成率 {rate}%（{done}/{total}），低于 {MIN_COMPLETION_PERCENT}%"
                ),
                url=reverse("learning:task", args=[r["task_id"]]) + f"?unit={r['unit_id']}&status=overdue",
                severity=DANGER if done * 100 < DANGER_COMPLETION_PERCENT * total else WARNING,
            )
        )
    return found


register(
    AlertRule(
        key="learning.low_completion",
        label="学习任务完成率低",
        area="learning",
        owner_perm="learning.view_studytask",
        find=find_low_completion,
        description=(
            f"已过截止日期、仍在进行的学习任务，某组织的完成率低于 {MIN_COMPLETION_PERCENT}%"
            f"（低于 {DANGER_COMPLETION_PERCENT}% 为严重）。"
        ),
    )
)
