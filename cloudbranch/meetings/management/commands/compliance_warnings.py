"""Daily compliance warnings and red flags for branch secretaries."""

import datetime

from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cloudbranch.meetings import compliance
from cloudbranch.meetings.choices import ComplianceState, MeetingKind
from cloudbranch.notifications.choices import Category
from cloudbranch.notifications.models import Notification
from cloudbranch.notifications.services import notify
from cloudbranch.orgs.choices import UnitKind
from cloudbranch.orgs.models import OrgUnit, RoleAssignment
from cloudbranch.orgs.roles import Role

RED_FLAG_DAYS = 7  # a period that closed within this many days is "just closed"


def notice_url(unit_id: int, state: str, kind: str, key: str) -> str:
    """Deterministic link of a notice: it is the record that the notice was sent (once per
    recipient × unit × rule × period × state)."""
    year = key[:4]
    return f"{reverse('meetings:calendar', args=[unit_id])}?year={year}&notice={state}-{kind}-{key}"


def run(*, today: datetime.date | None = None) -> dict[str, int]:
    """Notify secretaries of every WARNING in the open periods and every MISSED period that closed
    within ``RED_FLAG_DAYS``; notices already sent (same url to the same user) are not repeated."""
    today = today or timezone.localdate()
    years = sorted({today.year, (today - datetime.timedelta(days=RED_FLAG_DAYS)).year})
    findings = []  # (unit, state, cell, span)
    roots = list(OrgUnit.objects.filter(parent__isnull=True))
    for root in roots:
        for year in years:
            rollup = compliance.compliance_rollup(root, year, today=today)
            spans = {s.key: s for s in rollup.periods}
            for uid, cells in rollup.cells.items():
                for cell in cells:
                    span = spans[cell.key]
                    if cell.state == ComplianceState.WARNING:
                        findings.append((rollup.units[uid], cell, span))
                    elif cell.state == ComplianceState.MISSED and 0 < (today - span.end).days <= RED_FLAG_DAYS:
                        findings.append((rollup.units[uid], cell, span))
    if not findings:
        return {"warnings": 0, "red_flags": 0, "notifications": 0}

    # Secretaries of the unit; a group's rules go to its branch's secretaries.
    target_unit = {
        unit.id: (unit.parent_id if unit.kind == UnitKind.GROUP and unit.parent_id else unit.id)
        for unit, _c, _s in findings
    }
    secretaries: dict[int, set[int]] = {}
    for user_id, unit_id in (
        RoleAssignment.objects.active()
        .filter(role=Role.BRANCH_SECRETARY, unit_id__in=set(target_unit.values()), user__is_active=True)
        .values_list("user_id", "unit_id")
    ):
        secretaries.setdefault(unit_id, set()).add(user_id)

    urls = {notice_url(unit.id, cell.state, cell.kind, cell.key) for unit, cell, _s in findings}
    sent = set(Notification.objects.filter(url__in=urls).values_list("recipient_id", "url"))

    counts = {"warnings": 0, "red_flags": 0, "notifications": 0}
    for unit, cell, span in findings:
        url = notice_url(unit.id, cell.state, cell.kind, cell.key)
        recipients = [u for u in sorted(secretaries.get(target_unit[unit.id], ())) if (u, url) not in sent]
        if not recipients:
            continue
        kind = MeetingKind(cell.kind).label
        if cell.state == ComplianceState.WARNING:
            counts["warnings"] += 1
            title = f"{unit.name}：{span.label}{kind}尚未召开"
            body = (
                f"{span.label}（{span.start:%Y-%m-%d} 至 {span.end:%Y-%m-%d}）应召开{kind} {cell.required} 次，"
                f"已召开 {cell.held} 次，距周期结束还有 {cell.days_left} 天。"
            )
        else:
            counts["red_flags"] += 1
            title = f"【未完成】{unit.name}：{span.label}{kind}未按要求召开"
            body = (
                f"{span.label}（{span.start:%Y-%m-%d} 至 {span.end:%Y-%m-%d}）应召开{kind} {cell.required} 次，"
                f"实际召开 {cell.held} 次。"
            )
        with transaction.atomic():
            created = notify(recipients=recipients, category=Category.REMINDER, title=title, body=body, url=url)
        counts["notifications"] += len(created)
    return counts


class Command(BaseCommand):
    help = (
        "发送组织生活预警：对当前月度/季度/年度中“即将逾期”（距周期结束少于规则预警天数且未达最低次数）的组织，"
        "以及刚结束（7 天内）仍未完成的周期（红色提醒），通知该组织的支部书记（党小组通知所在支部书记）。"
        "同一组织×规则×周期×状态只通知一次，可重复运行。"
        "请每天运行一次，例如 cron：`15 8 * * * cd /srv/cloudbranch && .venv/bin/python manage.py compliance_warnings`，"
        "或 systemd timer（OnCalendar=*-*-* 08:15:00）。"
        " Daily: notify branch secretaries of compliance WARNINGs and of MISSED periods that just closed; idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按指定日期（YYYY-MM-DD）判断，默认今天")

    def handle(self, *args, **options):
        today = datetime.date.fromisoformat(options["date"]) if options.get("date") else None
        counts = run(today=today)
        self.stdout.write(
            f"预警 {counts['warnings']} 项，红色提醒 {counts['red_flags']} 项，发送通知 {counts['notifications']} 条。"
        )
