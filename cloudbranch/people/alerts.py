"""Early-warning rules of the roster (预警, issue 10 item 5): branch size, committee and term
(``selectors.unit_warnings``, 支部工作条例 2018 第四条 and ch. 6) and lost-contact members (the
``Person.is_lost_contact`` flag). Each ``find(today)`` covers every active unit in a constant
number of queries; the cockpit keeps the warnings open and clears them once fixed."""

from __future__ import annotations

import datetime

from django.urls import reverse

from cloudbranch.core.alerts import DANGER, WARNING, AlertRule, Finding, register
from cloudbranch.orgs.models import OrgUnit

from .choices import RosterStatus
from .models import Person
from .selectors import unit_warnings

SIZE_CODES = ("too_few", "too_many", "no_committee")
TERM_CODES = ("term_expired", "term_expiring")


def _unit_findings(today: datetime.date, codes: tuple[str, ...]) -> list[Finding]:
    """Four queries: the active units, two for the head counts, one for the committee seats."""
    units = list(OrgUnit.objects.active().only("id", "name", "kind", "status", "path", "term_years", "term_started_on"))
    found = []
    for unit_id, warnings in unit_warnings(units, today=today).items():
        for w in warnings:
            if w.code not in codes:
                continue
            if w.code == "no_committee":
                url = reverse("people:committee", args=[unit_id])
            elif w.code == "too_few":
                url = reverse("people:list") + f"?unit={unit_id}"
            else:
                url = reverse("orgs:unit_detail", args=[unit_id])
            found.append(
                Finding(
                    unit_id=unit_id,
                    subject=f"unit:{unit_id}:{w.code}",
                    message=f"{w.unit.name}：{w.message}",
                    url=url,
                    severity=DANGER if w.level == "danger" else WARNING,
                )
            )
    return found


def find_branch_size(today: datetime.date) -> list[Finding]:
    return _unit_findings(today, SIZE_CODES)


def find_committee_term(today: datetime.date) -> list[Finding]:
    return _unit_findings(today, TERM_CODES)


def find_lost_contact(today: datetime.date) -> list[Finding]:
    """People on the roster flagged as lost contact (失联). One query."""
    rows = (
        Person.objects.filter(is_lost_contact=True, roster_status=RosterStatus.ACTIVE, unit__status="active")
        .order_by("unit__path", "name", "id")
        .values_list("id", "name", "unit_id", "unit__name")
    )
    return [
        Finding(
            unit_id=unit_id,
            subject=f"person:{person_id}:lost_contact",
            message=f"{unit_name}：{name} 标记为失联党员，请尽力联系并按规定处置（党员教育管理工作条例第二十四条）",
            url=reverse("people:detail", args=[person_id]),
            severity=WARNING,
        )
        for person_id, name, unit_id, unit_name in rows
    ]


register(
    AlertRule(
        key="structure.branch_size",
        label="支部规模与支委会设置",
        area="structure",
        owner_perm="people.change_person",
        find=find_branch_size,
        description="正式党员不足 3 名、超过 50 名，或 7 名以上未设支部委员会（支部工作条例 2018 第四条、第六章）。",
    )
)
register(
    AlertRule(
        key="structure.committee_term",
        label="换届提醒",
        area="structure",
        owner_perm="orgs.change_orgunit",
        find=find_committee_term,
        description="本届任期已届满或 60 天内届满（支部工作条例 2018 第六章）。",
    )
)
register(
    AlertRule(
        key="structure.lost_contact",
        label="失联党员",
        area="structure",
        owner_perm="people.change_person",
        find=find_lost_contact,
        description="名册上标记为失联的党员（党员教育管理工作条例第二十四条）。",
    )
)
