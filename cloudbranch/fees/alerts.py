"""Early-warning rules of dues (预警, issue 10 item 5), from the arrears logic of ``arrears.py``:

- arrears: members whose run of consecutive unpaid months (``arrears.compute_runs``) reached
  ``WARN_MONTHS`` (3); danger from ``CASE_MONTHS`` (6, 党章 第九条). The subject is the person and
  the run's first month, so a growing run keeps its warning and paying the months clears it;
- arrears cases: open ``ArrearsCase`` rows awaiting the branch's decision (党章 第九条).

Constant queries: two for the runs and one for the people; one for the cases."""

from __future__ import annotations

import datetime

from django.urls import reverse

from cloudbranch.core.alerts import DANGER, WARNING, AlertRule, Finding, register
from cloudbranch.people.models import Person

from .arrears import CASE_MONTHS, WARN_MONTHS, compute_runs
from .choices import ArrearsStatus
from .models import ArrearsCase


def find_arrears(today: datetime.date) -> list[Finding]:
    runs = [r for r in compute_runs(today=today).values() if r.months >= WARN_MONTHS]
    if not runs:
        return []
    people = {
        pk: (name, unit_id, unit_name)
        for pk, name, unit_id, unit_name in Person.objects.filter(
            pk__in=[r.person_id for r in runs], unit__status="active"
        ).values_list("id", "name", "unit_id", "unit__name")
    }
    found = []
    for run in sorted(runs, key=lambda r: (-r.months, r.person_id)):
        if run.person_id not in people:
            continue
        name, unit_id, unit_name = people[run.person_id]
        text = (
            f"{unit_name}：{name} 自 {run.first_month:%Y年%m月} 起连续 {run.months} 个月未交纳党费"
            f"（欠缴 {run.amount} 元）"
        )
        if run.months >= CASE_MONTHS and not run.has_reason:
            text += "，按党章第九条应由支部研究处理"
        elif run.has_reason:
            text += "，已申请免缴待审批"
        found.append(
            Finding(
                unit_id=unit_id,
                subject=f"arrears:{run.person_id}:{run.first_month:%Y-%m}",
                message=text,
                url=reverse("fees:arrears") + f"?person={run.person_id}",
                severity=DANGER if run.months >= CASE_MONTHS else WARNING,
            )
        )
    return found


def find_arrears_cases(today: datetime.date) -> list[Finding]:
    rows = (
        ArrearsCase.objects.filter(status=ArrearsStatus.OPEN, unit__status="active")
        .order_by("opened_at", "id")
        .values_list("id", "unit_id", "unit__name", "person__name", "first_month", "months")
    )
    return [
        Finding(
            unit_id=unit_id,
            subject=f"arrearscase:{case_id}",
            message=(
                f"{unit_name}：{name} 自 {first:%Y年%m月} 起连续 {months} 个月未交纳党费且无正当理由，"
                "待支部大会作出决定（党章第九条）"
            ),
            url=reverse("fees:arrears") + f"?case={case_id}",
            severity=DANGER,
        )
        for case_id, unit_id, unit_name, name, first, months in rows
    ]


register(
    AlertRule(
        key="dues.arrears",
        label="党费欠缴",
        area="dues",
        owner_perm="fees.approve_dues",
        find=find_arrears,
        description=f"连续 {WARN_MONTHS} 个月以上未交纳党费的党员（{CASE_MONTHS} 个月以上为严重）。",
    )
)
register(
    AlertRule(
        key="dues.arrears_cases",
        label="欠缴党费待处理",
        area="dues",
        owner_perm="fees.change_arrearscase",
        find=find_arrears_cases,
        description="连续 6 个月不交纳党费且无正当理由、尚待支部作出决定的情形（党章第九条）。",
    )
)
