"""The yearly ledger (台账) of a unit's organizational life: a print-friendly page and an .xlsx.

Rows: every meeting of the year the unit held, or took part in as a joint unit, that was held,
archived or cancelled (drafts and meetings only announced are plans, not records), in date order,
with its attendance taken from the invitee rows; the talks of the unit's subtree; per-kind
totals and monthly counts of the meetings that took place. A constant number of queries whatever
the number of meetings.

Reading the ledger needs ``meetings.view_compliance`` at the unit: it is the oversight view
kept by those who answer for the unit's organizational life (secretaries, organization
officers, the organization department), not a member page.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from openpyxl import Workbook

from cloudbranch.audit.services import audit_record
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import access_by_id, can

from .choices import COUNTED_STATUSES, AttendanceStatus, MeetingKind, MeetingStatus
from .models import Meeting, Talk

LEDGER_PERM = "meetings.view_compliance"
LEDGER_STATUSES = (MeetingStatus.HELD, MeetingStatus.ARCHIVED, MeetingStatus.CANCELLED)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Ledger:
    unit: OrgUnit
    year: int
    meetings: list = field(default_factory=list)
    talks: list = field(default_factory=list)
    kind_totals: list = field(default_factory=list)  # [(label, held, cancelled)]
    monthly: list = field(default_factory=list)  # [(label, [12 counts], total)]
    held_total: int = 0
    cancelled_total: int = 0
    show_talks: bool = False


def access_ledger_unit(user, unit_id) -> OrgUnit:
    """The unit if the user may read its ledger: 404 outside scope, 403 without the permission."""
    return access_by_id(user, OrgUnit, unit_id, action=LEDGER_PERM)


def _year_bounds(year: int) -> tuple[datetime.datetime, datetime.datetime]:
    tz = ZoneInfo(settings.TIME_ZONE)
    return datetime.datetime(year, 1, 1, tzinfo=tz), datetime.datetime(year + 1, 1, 1, tzinfo=tz)


def ledger_meetings(unit: OrgUnit, year: int):
    """The year's held, archived and cancelled meetings of ``unit`` or joined by it, annotated
    with attendance counts (expected/present/leave/absent), oldest first. One query."""
    start, end = _year_bounds(year)
    joint_ids = Meeting.joint_units.through.objects.filter(orgunit_id=unit.pk).values("meeting_id")
    status = "invitees__status"
    return (
        Meeting.objects.filter(Q(unit=unit) | Q(pk__in=joint_ids))
        .filter(status__in=LEDGER_STATUSES, starts_at__gte=start, starts_at__lt=end)
        .select_related("unit", "host", "recorder")
        .annotate(
            expected=Count("invitees"),
            present=Count("invitees", filter=Q(**{status: AttendanceStatus.PRESENT})),
            leave=Count("invitees", filter=Q(**{status: AttendanceStatus.LEAVE_APPROVED})),
        )
        .order_by("starts_at", "id")
    )


def ledger_talks(unit: OrgUnit, year: int):
    """Talks recorded in the unit's subtree in ``year``, oldest first. One query."""
    return (
        Talk.objects.filter(unit__path__startswith=unit.path, held_on__year=year)
        .select_related("unit", "interviewer", "interviewee")
        .order_by("held_on", "id")
    )


def build_ledger(user, unit: OrgUnit, year: int) -> Ledger:
    """The whole ledger of one unit and year (two queries, or one without talk access)."""
    ledger = Ledger(unit=unit, year=year, show_talks=can(user, "meetings.view_talk", unit))
    meetings = list(ledger_meetings(unit, year))
    for m in meetings:
        m.absent = m.expected - m.present - m.leave
        m.is_joint = m.unit_id != unit.pk
        m.local_start = timezone.localtime(m.starts_at)
    ledger.meetings = meetings
    if ledger.show_talks:
        ledger.talks = list(ledger_talks(unit, year))
    held: dict[str, list[int]] = {k: [0] * 12 for k in MeetingKind.values}
    cancelled: dict[str, int] = dict.fromkeys(MeetingKind.values, 0)
    for m in meetings:
        if m.status in COUNTED_STATUSES:
            held[m.kind][m.local_start.month - 1] += 1
        else:
            cancelled[m.kind] += 1
    ledger.kind_totals = [(str(MeetingKind(k).label), sum(held[k]), cancelled[k]) for k in MeetingKind.values]
    ledger.monthly = [(str(MeetingKind(k).label), held[k], sum(held[k])) for k in MeetingKind.values]
    talks_by_month = [0] * 12
    for t in ledger.talks:
        talks_by_month[t.held_on.month - 1] += 1
    if ledger.show_talks:
        ledger.monthly.append(("谈心谈话", talks_by_month, sum(talks_by_month)))
    ledger.held_total = sum(t[1] for t in ledger.kind_totals)
    ledger.cancelled_total = sum(t[2] for t in ledger.kind_totals)
    return ledger


def ledger_export(*, actor, unit_id, year: int) -> tuple[bytes, Ledger]:
    """The ledger as .xlsx (sheets 会议活动, 谈心谈话, 月度统计), audited as meetings.ledger.export."""
    unit = access_ledger_unit(actor, unit_id)
    ledger = build_ledger(actor, unit, year)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("会议活动")
    ws.append([f"{unit.name} {year} 年组织生活台账"])
    ws.append(
        [
            "日期",
            "开始时间",
            "类型",
            "标题",
            "主办组织",
            "联合",
            "状态",
            "地点",
            "主持人",
            "记录人",
            "应到",
            "实到",
            "请假",
            "缺席",
            "出席率",
            "取消原因",
        ]
    )
    for m in ledger.meetings:
        rate = f"{m.present * 100 / m.expected:.0f}%" if m.expected else ""
        ws.append(
            [
                m.local_start.date(),
                m.local_start.strftime("%H:%M"),
                m.get_kind_display(),
                m.title,
                m.unit.name,
                "是" if m.is_joint else "",
                m.get_status_display(),
                m.place or m.online_link,
                m.host.name if m.host else "",
                m.recorder.name if m.recorder else "",
                m.expected,
                m.present,
                m.leave,
                m.absent,
                rate,
                m.cancel_reason,
            ]
        )
    ws = wb.create_sheet("谈心谈话")
    ws.append(["日期", "所在组织", "谈话人", "谈话对象", "主题", "谈话要点"])
    for t in ledger.talks:
        ws.append([t.held_on, t.unit.name, t.interviewer.name, t.interviewee.name, t.topic, t.summary])
    ws = wb.create_sheet("月度统计")
    ws.append(["类型", *[f"{n}月" for n in range(1, 13)], "全年"])
    for label, counts, total in ledger.monthly:
        ws.append([label, *counts, total])
    buffer = io.BytesIO()
    wb.save(buffer)
    audit_record(
        actor=actor,
        action="meetings.ledger.export",
        target=unit,
        changes={"year": year, "meetings": len(ledger.meetings), "talks": len(ledger.talks)},
    )
    return buffer.getvalue(), ledger
