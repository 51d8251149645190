"""Early-warning rule of organizational life (预警, issue 10 item 5): meetings behind, judged by
the compliance rules (``compliance.py``, 支部工作条例 2018 第十一、十二、十三、十七条) exactly as the
daily ``compliance_warnings`` command does — an open period about to close with fewer meetings
than required (WARNING), or a period that closed unmet within the last ``RED_FLAG_DAYS`` days
(MISSED). The subject is the (unit, meeting kind, period): a warning that turns into a miss when
the period closes stays the same warning, with its severity raised; holding the meeting clears it.

Queries: the roots, then ``compliance_rollup``'s four per root and judged year (one root and one
year except in the first week of January) — constant in the number of units and meetings."""

from __future__ import annotations

import datetime

from django.urls import reverse

from cloudbranch.core.alerts import DANGER, WARNING, AlertRule, Finding, register
from cloudbranch.orgs.models import OrgUnit

from . import compliance
from .choices import ComplianceState, MeetingKind

RED_FLAG_DAYS = 7  # as the compliance_warnings command: a period missed within a week is still reported


def find_meetings_behind(today: datetime.date) -> list[Finding]:
    years = sorted({today.year, (today - datetime.timedelta(days=RED_FLAG_DAYS)).year})
    found: dict[str, Finding] = {}
    for root in OrgUnit.objects.filter(parent__isnull=True).order_by("path"):
        for year in years:
            rollup = compliance.compliance_rollup(root, year, today=today)
            spans = {s.key: s for s in rollup.periods}
            for unit_id, cells in rollup.cells.items():
                unit = rollup.units[unit_id]
                if unit.status != "active":
                    continue
                for cell in cells:
                    span = spans[cell.key]
                    if cell.state == ComplianceState.WARNING:
                        severity = WARNING
                        text = (
                            f"{unit.name}：{span.label}（{span.start:%Y-%m-%d} 至 {span.end:%Y-%m-%d}）应召开"
                            f"{MeetingKind(cell.kind).label} {cell.required} 次，已召开 {cell.held} 次，"
                            f"距周期结束还有 {cell.days_left} 天"
                        )
                        url = reverse("meetings:create") + f"?unit={unit_id}"
                    elif cell.state == ComplianceState.MISSED and 0 < (today - span.end).days <= RED_FLAG_DAYS:
                        severity = DANGER
                        text = (
                            f"{unit.name}：{span.label}（{span.start:%Y-%m-%d} 至 {span.end:%Y-%m-%d}）"
                            f"{MeetingKind(cell.kind).label}未按要求召开（应 {cell.required} 次，实际 {cell.held} 次）"
                        )
                        url = reverse("meetings:calendar", args=[unit_id]) + f"?year={year}"
                    else:
                        continue
                    source = _source(span, cell.kind)
                    subject = f"unit:{unit_id}:{cell.kind}:{cell.key}"
                    found[subject] = Finding(
                        unit_id=unit_id,
                        subject=subject,
                        message=f"{text}（{source}）" if source else text,
                        url=url,
                        severity=severity,
                    )
    return list(found.values())


def _source(span, kind: str) -> str:
    """The source article of the rule in force for the period (rules are cached: no query)."""
    for rule in compliance.rules_in_force(span.start):
        if rule.kind == kind and rule.period == span.period:
            return rule.source
    return ""


register(
    AlertRule(
        key="life.meetings_behind",
        label="组织生活未按期召开",
        area="life",
        owner_perm="meetings.add_meeting",
        find=find_meetings_behind,
        description=(
            "当前月度/季度/年度即将结束仍未达到规定次数，或刚结束（7 天内）的周期未按要求召开"
            "（支部工作条例 2018 第十一、十二、十三、十七条）。"
        ),
    )
)
