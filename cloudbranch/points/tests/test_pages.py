"""Pages and API: my points, rules, scores (+ export), adjustments; meeting attendance awards."""

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from cloudbranch.audit.models import AuditEvent
from cloudbranch.meetings import attendance, checkin
from cloudbranch.meetings.choices import MeetingKind, MeetingStatus
from cloudbranch.meetings.models import Invitee, Meeting
from cloudbranch.points import services
from cloudbranch.points.choices import Period
from cloudbranch.points.models import PointEvent, PointRule, PointTally

from .factories import tally


def _award(person, n, action="read_article"):
    for i in range(n):
        services.point_award(person=person, action=action, source_type="test", source_id=i)


def test_my_points_page(world, login):
    person = world.people["member1"]
    _award(person, 3)
    client = login(world.users["member1"])
    response = client.get("/points/mine/")
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        'id="points-today">3<' in html
        and "阅读文章" in html
        and '已获 <span class="fw-bold text-danger">3</span>/6' in html
    )
    assert "本月在计算机本科第一党支部排名第" in html


def test_my_points_page_needs_a_person(world, login):
    assert login(world.users["secretary1"]).get("/points/mine/").status_code == 404


def test_my_points_query_count_is_constant(world, login):
    person = world.people["member1"]
    client = login(world.users["member1"])
    counts = []
    for n in (2, 30):
        _award(person, n, action="exam_pass")  # no daily cap
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/points/mine/").status_code == 200
        counts.append(len(ctx))
    # session, user, own person (+unit), branch rank, history count + page, today, tallies, today sum, menu
    assert counts[0] == counts[1] == 11


def test_mine_api(world, login):
    person = world.people["member1"]
    _award(person, 2)
    client = login(world.users["member1"])
    body = client.get("/api/points/mine").json()
    assert body["totals"]["today"] == 2 and body["totals"]["year"] == 2
    assert body["branch_rank"]["rank"] == 1
    assert {a["action"]: a["earned"] for a in body["today"]}["read_article"] == 2
    history = client.get("/api/points/mine/history").json()
    assert history["count"] == 2 and history["items"][0]["action"] == "read_article"
    assert login(world.users["sysadmin"]).get("/api/points/mine").status_code == 404


def test_ranking_page_and_api(world, login):
    month = timezone.localdate().replace(day=1)
    tally(world.people["a1_other"], 9, day=month)
    client = login(world.users["member1"])
    html = client.get(f"/points/ranking/?unit={world.college_a.pk}").content.decode()
    assert "张一" in html and "李二" in html and 'id="ranking-me"' in html and "下级组织排行" in html
    body = client.get(f"/api/points/ranking?unit={world.college_a.pk}&period=month").json()
    assert body["count"] == 3 and body["items"][0]["name"] == "张一" and body["items"][0]["rank"] == 1
    assert body["me"]["rank"] == 2 and [u["rank"] for u in body["units"]] == [1, 2]
    fragment = client.get(f"/points/ranking/?unit={world.college_a.pk}", headers={"HX-Request": "true"})
    assert "<html" not in fragment.content.decode() and "ranking-list" in fragment.content.decode()


def test_rules_page_edits_a_rule(world, login):
    rule = PointRule.objects.get(action="read_article")
    assert login(world.users["secretary1"]).get("/points/rules/").status_code == 403
    client = login(world.users["admin"])
    assert client.get("/points/rules/").status_code == 200
    response = client.post(
        "/points/rules/", {"rule": rule.pk, "points": 2, "daily_cap": 8, "yearly_cap": 0, "active": "on"}
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.points, rule.daily_cap) == (2, 8)
    assert AuditEvent.objects.filter(action="points.rule.update").count() == 1
    bad = client.post("/points/rules/", {"rule": rule.pk, "points": 9, "daily_cap": 5, "yearly_cap": 0})
    assert bad.status_code == 422 and "每日上限不能小于每次积分" in bad.content.decode()
    rule.refresh_from_db()
    assert rule.points == 2


def test_rules_api(world, login):
    rule = PointRule.objects.get(action="post")
    client = login(world.users["member1"])
    assert len(client.get("/api/points/rules").json()) == PointRule.objects.count()
    assert (
        client.patch(f"/api/points/rules/{rule.pk}", {"points": 2}, content_type="application/json").status_code == 403
    )
    admin = login(world.users["admin"])
    response = admin.patch(f"/api/points/rules/{rule.pk}", {"daily_cap": 4}, content_type="application/json")
    assert response.status_code == 200 and response.json()["daily_cap"] == 4


def test_adjustment_api(world, login):
    person = world.people["a1_other"]
    admin = login(world.users["admin"])
    response = admin.post(
        "/api/points/adjustments",
        {"person_id": person.pk, "points": 5, "note": "志愿服务补录"},
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["points"] == 5
    bad = admin.post(
        "/api/points/adjustments", {"person_id": person.pk, "points": 5, "note": ""}, content_type="application/json"
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "note"
    s2 = login(world.users["secretary2"])
    assert (
        s2.post(
            "/api/points/adjustments",
            {"person_id": person.pk, "points": 5, "note": "x"},
            content_type="application/json",
        ).status_code
        == 404
    )


def test_scores_page_api_and_export(world, login):
    year = 2025
    tally(world.people["member1"], 1234, period=Period.YEAR, day=datetime.date(year, 1, 1))
    tally(world.people["a1_other"], 5000, period=Period.YEAR, day=datetime.date(year, 1, 1))
    client = login(world.users["secretary1"])
    response = client.get(f"/points/scores/?unit={world.branch_a1.pk}&year={year}")
    html = response.content.decode()
    assert response.status_code == 200 and "待评议" in html
    assert "72.34" in html and "90.00" in html  # 60 + 12.34 ; 60 + min(30, 50)
    body = client.get(f"/api/points/scores?unit={world.branch_a1.pk}&year={year}").json()
    assert body["count"] == 2
    assert [(r["name"], r["bonus"], r["subtotal"]) for r in body["items"]] == [
        ("张一", "30.00", "90.00"),
        ("党员一", "12.34", "72.34"),
    ]
    export = client.get(f"/points/scores.xlsx?unit={world.branch_a1.pk}&year={year}")
    assert export.status_code == 200
    ws = load_workbook(io.BytesIO(export.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[3][1] == "张一" and rows[3][7] == "待评议"
    assert AuditEvent.objects.filter(action="points.scores.export").count() == 1


@pytest.mark.parametrize(
    ("who", "unit", "status"),
    [
        ("secretary1", "branch_a1", 200),
        ("secretary2", "branch_a1", 404),
        ("admin", "branch_b1", 200),
        ("member1", "branch_a1", 403),
        ("auditor", "root", 403),
    ],
)
def test_scores_scope(world, login, who, unit, status):
    client = login(world.users[who])
    pk = getattr(world, unit).pk
    assert client.get(f"/points/scores/?unit={pk}&year=2025").status_code == status
    assert client.get(f"/points/scores.xlsx?unit={pk}&year=2025").status_code == status
    assert client.get(f"/api/points/scores?unit={pk}&year=2025").status_code == status


def test_menu_entries(world, login):
    html = login(world.users["member1"]).get("/points/mine/").content.decode()
    assert "我的积分" in html and "积分排行" in html
    html = login(world.users["sysadmin"]).get("/").content.decode()
    assert "积分排行" not in html


# --- organizational life -------------------------------------------------------------------

START = datetime.datetime(2025, 5, 20, 14, 0, tzinfo=datetime.UTC)
DURING = START + datetime.timedelta(minutes=10)


def _meeting(world):
    meeting = Meeting.objects.create(
        unit=world.branch_a1,
        kind=MeetingKind.THEMED_DAY,
        title="主题党日",
        starts_at=START,
        ends_at=START + datetime.timedelta(hours=2),
        status=MeetingStatus.SCHEDULED,
        created_by=world.users["secretary1"],
        checkin_code="135790",
    )
    Invitee.objects.bulk_create([Invitee(meeting=meeting, person=world.people[k]) for k in ("member1", "a1_other")])
    return meeting


def test_meeting_attendance_awards_once(world):
    meeting = _meeting(world)
    member = world.people["member1"]
    checkin.checkin_with_code(actor=world.users["member1"], code="135790", now=DURING)
    event = PointEvent.objects.get(person=member, action="meeting_attendance")
    assert event.points == 2 and event.source_type == "meetings.meeting" and event.source_id == str(meeting.pk)
    # marked absent and present again by hand: still one award
    inv = Invitee.objects.get(meeting=meeting, person=member)
    attendance.mark_attendance(actor=world.users["secretary1"], invitee_id=inv.pk, status="absent", reason="更正")
    attendance.mark_attendance(actor=world.users["secretary1"], invitee_id=inv.pk, status="present", reason="补签")
    assert PointEvent.objects.filter(person=member, action="meeting_attendance").count() == 1
    assert PointTally.objects.get(person=member, period="year").points == 2
    # a manual mark pays the other invitee
    other = Invitee.objects.get(meeting=meeting, person=world.people["a1_other"])
    attendance.mark_attendance(actor=world.users["secretary1"], invitee_id=other.pk, status="present", reason="补签")
    assert PointEvent.objects.filter(person=world.people["a1_other"], action="meeting_attendance").count() == 1
    # marking absent pays nothing
    assert not PointEvent.objects.exclude(action="meeting_attendance").exists()
