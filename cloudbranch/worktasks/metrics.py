"""Top-down task metrics (任务落实, SPEC §9), in the RECEIVING unit (``TaskTarget.unit``).

Only targets of issued tasks count (issued or closed; drafts and cancelled tasks do not).
* ``tasks.received``: targets whose task DEADLINE (local date) falls in the period.
* ``tasks.completed``: of those, accepted by the issuer (status accepted).
* ``tasks.completed_on_time``: of those, accepted with a submission within the deadline
  (``on_time``, set when the issuer accepts).
* ``tasks.open_overdue`` (stock): targets whose deadline had passed by the end of the date and that
  were not accepted by then (``accepted_at`` empty or later). One query for every date.
"""

from __future__ import annotations

from django.db.models import Count, Q

from cloudbranch.core.metric_queries import after, flow, on_or_before, stock
from cloudbranch.core.metrics import FLOW, STOCK, Metric, register

from .choices import TargetStatus, TaskStatus
from .models import TaskTarget

SOURCES = {"worktasks.TaskTarget": "unit_id"}
LIVE = (TaskStatus.ISSUED, TaskStatus.CLOSED)


def _targets():
    return TaskTarget.objects.filter(task__status__in=LIVE)


def _by_deadline(**kwargs):
    return flow(_targets, unit="unit_id", day="task__deadline", aware=True, **kwargs)


register(
    Metric(
        key="tasks.received",
        label="承办任务",
        area="tasks",
        kind=FLOW,
        unit="项",
        sources=SOURCES,
        description="完成时限在期内的已下发任务（承办单位计），归属承办党组织。",
        **_by_deadline(),
    )
)

register(
    Metric(
        key="tasks.completed",
        label="完成任务",
        area="tasks",
        kind=FLOW,
        unit="项",
        sources=SOURCES,
        description="完成时限在期内、已经下发单位审核通过的任务，归属承办党组织。",
        **_by_deadline(value=lambda: Count("pk", filter=Q(status=TargetStatus.ACCEPTED))),
    )
)

register(
    Metric(
        key="tasks.completed_on_time",
        label="按时完成任务",
        area="tasks",
        kind=FLOW,
        unit="项",
        sources=SOURCES,
        description="完成时限在期内、审核通过且在时限内报送的任务，归属承办党组织。",
        **_by_deadline(value=lambda: Count("pk", filter=Q(status=TargetStatus.ACCEPTED, on_time=True))),
    )
)


def _overdue(as_of, today):
    return on_or_before("task__deadline", as_of, aware=True) & (
        Q(accepted_at__isnull=True) | after("accepted_at", as_of, aware=True)
    )


register(
    Metric(
        key="tasks.open_overdue",
        label="逾期未完成任务",
        area="tasks",
        kind=STOCK,
        unit="项",
        sources=SOURCES,
        description="截至期末已超过完成时限、尚未审核通过的已下发任务（承办单位计），归属承办党组织。",
        **stock(_targets, unit="unit_id", condition=_overdue),
    )
)

register(
    Metric(
        key="tasks.on_time_rate",
        label="任务按时完成率",
        area="tasks",
        kind=FLOW,
        unit="%",
        numerator="tasks.completed_on_time",
        denominator="tasks.received",
        description="按时完成任务 ÷ 承办任务（按完成时限所在期间）。",
    )
)
