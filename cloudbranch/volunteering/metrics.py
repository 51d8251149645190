"""Volunteer-service metrics (志愿服务, SPEC §9). Each compute is one grouped query.

* ``service.hours`` / ``service.services`` / ``service.volunteers``: sign-ups whose hours the
  organizer confirmed (status confirmed), by the local date of the shift's start, in the
  VOLUNTEER's current unit (a member serving another unit's post counts for their own branch).
  ``service.volunteers`` counts distinct people per month; a quarter or year is the sum of its
  months (the engine sums months), i.e. person-months of service.
* ``service.wishes_fulfilled``: micro-wishes confirmed as fulfilled (status confirmed), by the
  local date of ``confirmed_at``, in the WISH's unit (the unit that published it).
* ``service.hours_per_member``: service hours ÷ Party members (average, scale 1).
"""

from __future__ import annotations

from django.db.models import Count, Sum

from cloudbranch.core.metric_queries import flow
from cloudbranch.core.metrics import FLOW, Metric, register

from .choices import SignupStatus, WishStatus
from .models import Signup, Wish

SIGNUP_SOURCES = {"volunteering.Signup": "person.unit_id"}


def _served():
    return Signup.objects.filter(status=SignupStatus.CONFIRMED)


def _signups(**kwargs):
    return flow(_served, unit="person__unit_id", day="shift__starts_at", aware=True, **kwargs)


register(
    Metric(
        key="service.hours",
        label="志愿服务时长",
        area="service",
        kind=FLOW,
        unit="小时",
        sources=SIGNUP_SOURCES,
        description="期内已确认的志愿服务时长合计（按班次开始日期），计入志愿者当前所在党组织。",
        **_signups(value=lambda: Sum("hours")),
    )
)

register(
    Metric(
        key="service.services",
        label="志愿服务人次",
        area="service",
        kind=FLOW,
        unit="人次",
        sources=SIGNUP_SOURCES,
        description="期内时长已确认的志愿服务人次（每人每班次一次），计入志愿者当前所在党组织。",
        **_signups(),
    )
)

register(
    Metric(
        key="service.volunteers",
        label="参加志愿服务人数",
        area="service",
        kind=FLOW,
        unit="人",
        sources=SIGNUP_SOURCES,
        description="当月有已确认志愿服务的不同人员数，计入其当前所在党组织；季度、年度为各月之和（人·月）。",
        **_signups(value=lambda: Count("person", distinct=True)),
    )
)

register(
    Metric(
        key="service.wishes_fulfilled",
        label="实现微心愿",
        area="service",
        kind=FLOW,
        unit="个",
        sources={"volunteering.Wish": "unit_id"},
        description="期内经发布组织确认实现的微心愿个数（按确认时间），归属发布心愿的党组织。",
        **flow(
            lambda: Wish.objects.filter(status=WishStatus.CONFIRMED),
            unit="unit_id",
            day="confirmed_at",
            aware=True,
        ),
    )
)

register(
    Metric(
        key="service.hours_per_member",
        label="党员人均服务时长",
        area="service",
        kind=FLOW,
        unit="小时",
        numerator="service.hours",
        denominator="structure.party_members",
        scale=1,
        description="志愿服务时长 ÷ 期末党员人数。",
    )
)
