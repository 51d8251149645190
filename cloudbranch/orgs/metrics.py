"""Structure metric of the tree itself: ``structure.branches`` (SPEC §9).

A branch (党支部 or 流动党支部) counts 1 for itself, so a unit's total is the number of branches
in its subtree. As of a past date: founded on or before it (or no founding date) and not yet
closed then (``closed_on`` after it); as of today: status active. One grouped query.
"""

from __future__ import annotations

from django.db.models import Q

from cloudbranch.core.metric_queries import stock
from cloudbranch.core.metrics import STOCK, Metric, register

from .choices import BRANCH_KINDS, UnitStatus
from .models import OrgUnit


def _branch(as_of, today) -> Q:
    q = Q(kind__in=BRANCH_KINDS) & (Q(founded_on__isnull=True) | Q(founded_on__lte=as_of))
    if as_of >= today:
        return q & Q(status=UnitStatus.ACTIVE)
    return q & ((Q(status=UnitStatus.ACTIVE) & Q(closed_on__isnull=True)) | Q(closed_on__gt=as_of))


register(
    Metric(
        key="structure.branches",
        label="党支部",
        area="structure",
        kind=STOCK,
        unit="个",
        sources={"orgs.OrgUnit": "id"},
        description="期末存续的党支部（含流动党支部）个数：每个支部计 1，归属支部自身。"
        "过去日期按成立日期与撤销/合并日期判断，当前按状态“正常”。",
        **stock(OrgUnit.objects.all, unit="id", condition=_branch),
    )
)
