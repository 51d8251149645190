"""The yearly ledger (台账): content, print page, .xlsx export (audited), scope, constant queries."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from cloudbranch.audit.models import AuditEvent
from cloudbranch.meetings import ledger
from cloudbranch.meetings.choices import AttendanceStatus, MeetingKind, MeetingStatus
from cloudbranch.meetings.models import Talk
from cloudbranch.testing.factories import PersonFactory

from .test_records_minutes import invite, make_meeting

YEAR = 2025
TZ = ZoneInfo(settings.TIME_ZONE)


def at(month, day, hour=14):
    return datetime.datetime(YEAR, month, day, hour, tzinfo=TZ)


@pytest.fixture
def year_of_meetings(world):
    general = make_meeting(world, title="一季度党员大会", when=at(3, 20), status=MeetingStatus.ARCHIVED)
    for person, status in [
        (world.people["member1"], AttendanceStatus.PRESENT),
        (world.people["a1_other"], AttendanceStatus.LEAVE_APPROVED),
        (PersonFactory(unit=world.branch_a1), AttendanceStatus.ABSENT),
        (PersonFactory(unit=world.branch_a1), AttendanceStatus.INVITED),
    ]:
        invite(general, person, status)
    make_meeting(world, title="一月支委会", kind=MeetingKind.COMMITTEE, when=at(1, 8), status=MeetingStatus.HELD)
    make_meeting(
        world,
        title="取消的党课",
        kind=MeetingKind.LECTURE,
        when=at(2, 1),
        status=MeetingStatus.CANCELLED,
        cancel_reason="临时停电",
    )
    joint = make_meeting(
        world,
        unit=world.branch_a2,
        title="联合主题党日",
        kind=MeetingKind.THEMED_DAY,
        when=at(3, 5),
        status=MeetingStatus.HELD,
    )
    joint.joint_units.add(world.branch_a1)
    make_meeting(world, title="草稿会议", when=at(4, 1), status=MeetingStatus.DRAFT)
    make_meeting(world, title="已通知会议", when=at(4, 2), status=MeetingStatus.SCHEDULED)
    make_meeting(world, title="去年的会", when=datetime.datetime(YEAR - 1, 12, 31, 20, tzinfo=TZ))
    make_meeting(world, unit=world.branch_a2, title="二支部自己的会", when=at(3, 6))
    Talk.objects.create(
        unit=world.group_a1,
        interviewer=world.people["a1_other"],
        interviewee=world.people["member1"],
        held_on=datetime.date(YEAR, 3, 1),
        topic="年度谈心",
        created_by=world.users["secretary1"],
    )
    return general


def test_ledger_content(world, year_of_meetings):
    data = ledger.build_ledger(world.users["secretary1"], world.branch_a1, YEAR)
    assert [m.title for m in data.meetings] == ["一月支委会", "取消的党课", "联合主题党日", "一季度党员大会"]
    general = data.meetings[-1]
    assert (general.expected, general.present, general.leave, general.absent) == (4, 1, 1, 2)
    assert [m.is_joint for m in data.meetings] == [False, False, True, False]
    totals = {label: (held, cancelled) for label, held, cancelled in data.kind_totals}
    assert totals["支部党员大会"] == (1, 0) and totals["党课"] == (0, 1) and totals["主题党日"] == (1, 0)
    assert (data.held_total, data.cancelled_total) == (3, 1)
    monthly = {label: counts for label, counts, _ in data.monthly}
    assert monthly["支委会"][0] == 1 and monthly["主题党日"][2] == 1 and monthly["谈心谈话"][2] == 1
    assert [t.topic for t in data.talks] == ["年度谈心"]


def test_ledger_page(world, year_of_meetings, login):
    url = reverse("meetings:ledger") + f"?unit={world.branch_a1.pk}&year={YEAR}"
    response = login(world.users["secretary1"]).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "2025 年组织生活台账",
        "一季度党员大会",
        "联合·计算机本科第二党支部",
        "临时停电",
        "年度谈心",
        "@media print",
        "已召开 3 次，取消 1 次",
    ):
        assert text in html, text
    assert "草稿会议" not in html and "去年的会" not in html and "二支部自己的会" not in html


def test_ledger_scope(world, year_of_meetings, login):
    url = reverse("meetings:ledger") + f"?unit={world.branch_a1.pk}&year={YEAR}"
    assert login(world.users["secretary2"]).get(url).status_code == 404
    assert login(world.users["member1"]).get(url).status_code == 403
    export = reverse("meetings:ledger_export") + f"?unit={world.branch_a1.pk}&year={YEAR}"
    assert login(world.users["secretary2"]).get(export).status_code == 404
    assert login(world.users["admin"]).get(url).status_code == 200
    assert not AuditEvent.objects.filter(action="meetings.ledger.export").exists()


def test_ledger_export_xlsx(world, year_of_meetings, login):
    url = reverse("meetings:ledger_export") + f"?unit={world.branch_a1.pk}&year={YEAR}"
    response = login(world.users["secretary1"]).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == ledger.XLSX_TYPE
    assert "attachment; filename*=UTF-8''" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content), read_only=True)
    assert wb.sheetnames == ["会议活动", "谈心谈话", "月度统计"]
    rows = list(wb["会议活动"].iter_rows(values_only=True))
    assert rows[0][0] == "计算机本科第一党支部 2025 年组织生活台账"
    assert [r[3] for r in rows[2:]] == ["一月支委会", "取消的党课", "联合主题党日", "一季度党员大会"]
    general = rows[-1]
    assert general[2] == "支部党员大会" and general[10:15] == (4, 1, 1, 2, "25%")
    assert rows[4][5] == "是"  # the joint meeting
    talks = list(wb["谈心谈话"].iter_rows(values_only=True))
    assert talks[1][1:5] == ("第一党小组", "张一", "党员一", "年度谈心")
    monthly = {r[0]: r[1:] for r in wb["月度统计"].iter_rows(values_only=True)}
    assert monthly["类型"][0] == "1月"
    assert monthly["支委会"][0] == 1 and monthly["支委会"][-1] == 1
    assert monthly["谈心谈话"][2] == 1
    event = AuditEvent.objects.get(action="meetings.ledger.export")
    assert event.target_id == str(world.branch_a1.pk)
    assert event.changes == {"year": YEAR, "meetings": 4, "talks": 1}


def test_ledger_page_queries_constant(world, login):
    client = login(world.users["secretary1"])
    url = reverse("meetings:ledger") + f"?unit={world.branch_a1.pk}&year={YEAR}"

    def add(n):
        for i in range(n):
            m = make_meeting(
                world, when=at(1 + i % 12, 10), host=world.people["a1_other"], recorder=world.people["member1"]
            )
            invite(m, world.people["member1"])
            joint = make_meeting(world, unit=world.branch_a2, when=at(1 + i % 12, 11))
            joint.joint_units.add(world.branch_a1)
            Talk.objects.create(
                unit=world.branch_a1,
                interviewer=world.people["a1_other"],
                interviewee=world.people["member1"],
                held_on=datetime.date(YEAR, 1 + i % 12, 1),
                topic="谈话",
                created_by=world.users["secretary1"],
            )

    add(1)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    add(15)
    with CaptureQueriesContext(connection) as big:
        response = client.get(url)
    assert len(big.captured_queries) == len(small.captured_queries) == 8
    assert response.content.decode().count("联合·") == 16
