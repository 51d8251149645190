"""Early-warning rules of member development (预警, issue 10 item 5), reusing the engine's own
bookkeeping and the reminder logic of this app:

- steps overdue: open cases whose ``next_due_on`` (kept by the engine, see ``state.sync_case``)
  has passed — the same cases ``cases.send_reminders`` warns about as "overdue"; split by who
  records the step (the branch, or the committee above that approves it);
- thought reports missing: people with an open case and no report for the previous complete
  period of their unit's policy (``thought._missing_rows``, the grouped computation behind the
  "未提交" tab and ``thought.send_reminders``);
- lost-contact deadlines: cases that reached the 停止党籍 or 除名 deadline without a successful
  contact (``mobile._due_q``, 党员教育管理工作条例 第二十四条).

Every ``find(today)`` runs a constant number of queries, whatever the number of cases."""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef
from django.urls import reverse

from cloudbranch.core.alerts import DANGER, WARNING, AlertRule, Finding, register
from cloudbranch.people.models import Person

from .choices import CaseStatus, LostContactStatus, Recorder
from .mobile import _due_q, removal_due_on, suspension_due_on
from .models import Case, ContactAttempt, LostContact, RuleStep
from .thought import PolicyBook, _missing_rows, _open_case_rows, period_end, period_label

SOURCE_MAX = 120  # characters of a step's source quoted in a warning


def _overdue_cases(today: datetime.date, recorder: str) -> list[Finding]:
    """Two queries: the overdue open cases, and their next steps' names and sources."""
    rows = list(
        Case.objects.filter(
            status=CaseStatus.OPEN, next_due_on__isnull=False, next_due_on__lt=today, person__unit__status="active"
        )
        .exclude(next_step_code="")
        .order_by("next_due_on", "id")
        .values_list(
            "id",
            "rule_set_id",
            "next_step_code",
            "next_due_on",
            "person__name",
            "person__unit_id",
            "person__unit__name",
        )
    )
    if not rows:
        return []
    steps = {
        (rs, code): (name, source, rec)
        for rs, code, name, source, rec in RuleStep.objects.filter(
            rule_set_id__in={r[1] for r in rows}, code__in={r[2] for r in rows}
        ).values_list("rule_set_id", "code", "name", "source", "recorder")
    }
    found = []
    for case_id, rule_set_id, code, due, name, unit_id, unit_name in rows:
        step_name, source, rec = steps.get((rule_set_id, code), (code, "", Recorder.BRANCH))
        if rec != recorder:
            continue
        days = (today - due).days
        text = f"{unit_name}：{name}“{step_name}”已超过期限 {due:%Y-%m-%d}（逾期 {days} 天）"
        source = " ".join(source.split())
        if source:
            text += f"（依据：{source[:SOURCE_MAX]}{'…' if len(source) > SOURCE_MAX else ''}）"
        found.append(
            Finding(
                unit_id=unit_id,
                subject=f"case:{case_id}:{code}",
                message=text,
                url=reverse("development:case_detail", args=[case_id]),
                severity=DANGER,
            )
        )
    return found


def find_steps_overdue(today: datetime.date) -> list[Finding]:
    return _overdue_cases(today, Recorder.BRANCH)


def find_approvals_overdue(today: datetime.date) -> list[Finding]:
    return _overdue_cases(today, Recorder.COMMITTEE)


def find_thought_missing(today: datetime.date) -> list[Finding]:
    """Four queries: open cases, policies, one grouped query of reports, the people concerned."""
    missing = _missing_rows(_open_case_rows(Case.objects.all()), today=today, book=PolicyBook(), previous=True)
    if not missing:
        return []
    people = {
        pk: (name, unit_id, unit_name)
        for pk, name, unit_id, unit_name in Person.objects.filter(
            pk__in={m[1] for m in missing}, unit__status="active"
        ).values_list("id", "name", "unit_id", "unit__name")
    }
    url = reverse("development:thought_reports") + "?tab=missing"
    found = []
    for _case_id, person_id, start, months in missing:
        if person_id not in people:
            continue
        name, unit_id, unit_name = people[person_id]
        found.append(
            Finding(
                unit_id=unit_id,
                subject=f"thought:{person_id}:{start.isoformat()}",
                message=(
                    f"{unit_name}：{name} 未提交{period_label(start, months)}思想汇报"
                    f"（截至 {period_end(start, months):%Y-%m-%d}）"
                ),
                url=url,
                severity=WARNING,
            )
        )
    return found


def find_lost_contact_due(today: datetime.date) -> list[Finding]:
    """One query: lost-contact cases past the 停止党籍 / 除名 deadline, with no successful attempt."""
    succeeded = ContactAttempt.objects.filter(lost_contact_id=OuterRef("pk"), succeeded=True)
    found = []
    for lost in (
        LostContact.objects.filter(_due_q(today))
        .filter(~Exists(succeeded), person__unit__status="active")
        .select_related("person__unit")
        .order_by("lost_since", "id")
    ):
        if lost.status == LostContactStatus.OPEN:
            what, code, due = "停止党籍", "suspend", suspension_due_on(lost)
        else:
            what, code, due = "按自行脱党除名", "remove", removal_due_on(lost)
        found.append(
            Finding(
                unit_id=lost.person.unit_id,
                subject=f"lost:{lost.pk}:{code}",
                message=(
                    f"{lost.person.unit.name}：失联党员 {lost.person.name} 已于 {due:%Y-%m-%d} 到{what}期限"
                    "（党员教育管理工作条例第二十四条）"
                ),
                url=reverse("development:lost_detail", args=[lost.pk]),
                severity=DANGER,
            )
        )
    return found


register(
    AlertRule(
        key="development.steps_overdue",
        label="发展党员步骤逾期",
        area="development",
        owner_perm="development.record_step",
        find=find_steps_overdue,
        description="发展党员下一步骤已超过规定期限（中国共产党发展党员工作细则）。",
    )
)
register(
    AlertRule(
        key="development.approvals_overdue",
        label="发展党员审批逾期",
        area="development",
        owner_perm="development.approve_step",
        find=find_approvals_overdue,
        description="应由上级党委审批的步骤已超过规定期限（中国共产党发展党员工作细则）。",
    )
)
register(
    AlertRule(
        key="development.thought_missing",
        label="思想汇报未提交",
        area="development",
        owner_perm="development.comment_thoughtreport",
        find=find_thought_missing,
        description="入党申请人、积极分子、发展对象和预备党员上一个汇报周期未提交思想汇报。",
    )
)
register(
    AlertRule(
        key="development.lost_contact_due",
        label="失联党员处置到期",
        area="structure",
        owner_perm="development.change_mobilerecord",
        find=find_lost_contact_due,
        description="失联满 6 个月应停止党籍，停止党籍满 2 年应按自行脱党除名（党员教育管理工作条例第二十四条）。",
    )
)
