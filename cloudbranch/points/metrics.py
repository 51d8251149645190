"""Points metric (积分, SPEC §9): ``learning.points`` — the sum of ``PointEvent.points`` (corrections
are negative events) by the event's ``day``, in the person's CURRENT unit. One grouped query."""

from __future__ import annotations

from django.db.models import Sum

from cloudbranch.core.metric_queries import flow
from cloudbranch.core.metrics import FLOW, Metric, register

from .models import PointEvent

register(
    Metric(
        key="learning.points",
        label="积分",
        area="learning",
        kind=FLOW,
        unit="分",
        sources={"points.PointEvent": "person.unit_id"},
        description="期内获得的积分合计（更正为负分），按积分日期，计入人员当前所在党组织。",
        **flow(PointEvent.objects.all, unit="person__unit_id", day="day", value=lambda: Sum("points")),
    )
)
