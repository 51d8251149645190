"""Attendance pages and API: permissions (sibling branch 404, invitee 403), flows, query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.meetings import checkin
from cloudbranch.meetings.choices import AttendanceStatus, MeetingStatus
from cloudbranch.meetings.models import Invitee
from cloudbranch.notifications.models import Notification
from cloudbranch.testing.factories import PersonFactory

from .test_attendance_services import make_meeting

pytestmark = pytest.mark.django_db


def running_meeting(world, **kw):
    now = timezone.now()
    return make_meeting(
        world, starts_at=now - datetime.timedelta(minutes=5), ends_at=now + datetime.timedelta(hours=1), **kw
    )


def future_meeting(world, **kw):
    return make_meeting(world, starts_at=timezone.now() + datetime.timedelta(days=1), **kw)


# --- permissions ------------------------------------------------------------------------------

PAGE_ROLES = ("anonymous", "member1", "secretary1", "secretary2", "admin", "sysadmin")
PAGE_MATRIX = {
    "panel": (302, 200, 200, 404, 200, 404),
    "screen": (302, 403, 200, 404, 200, 404),
    "qr": (302, 403, 200, 404, 200, 404),
}


@pytest.mark.parametrize("page", list(PAGE_MATRIX))
def test_page_permission_matrix(world, client, page):
    meeting = running_meeting(world)
    name = {"panel": "attendance_panel", "screen": "checkin_screen", "qr": "checkin_qr"}[page]
    url = reverse(f"meetings:{name}", args=[meeting.pk])
    for role, expected in zip(PAGE_ROLES, PAGE_MATRIX[page], strict=True):
        client.logout()
        if role != "anonymous":
            client.force_login(world.users[role])
        assert client.get(url).status_code == expected, role


def test_panel_for_host_lists_invitees_and_links_the_screen(world, login):
    meeting = running_meeting(world)
    body = (
        login(world.users["secretary1"])
        .get(reverse("meetings:attendance_panel", args=[meeting.pk]), HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert 'id="attendance-panel"' in body and "<html" not in body
    assert "张一" in body and "党员一" in body
    assert reverse("meetings:checkin_screen", args=[meeting.pk]) in body
    assert reverse("meetings:mark_attendance", args=[Invitee.objects.filter(meeting=meeting).first().pk]) in body


def test_panel_for_invitee_shows_only_his_status_and_leave_form(world, login):
    meeting = future_meeting(world)
    body = login(world.users["member1"]).get(reverse("meetings:attendance_panel", args=[meeting.pk])).content.decode()
    assert "我的状态" in body and "未签到" in body
    assert reverse("meetings:leave_request", args=[meeting.pk]) in body
    assert "张一" not in body  # other invitees are not listed
    assert reverse("meetings:checkin_screen", args=[meeting.pk]) not in body


def test_member_requests_leave_but_cannot_decide(world, login):
    meeting = future_meeting(world)
    client = login(world.users["member1"])
    resp = client.post(reverse("meetings:leave_request", args=[meeting.pk]), {"reason": "出差"}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 200 and "请假待批" in resp.content.decode()
    inv = Invitee.objects.get(meeting=meeting, person=world.people["member1"])
    assert inv.status == AttendanceStatus.LEAVE_REQUESTED
    assert client.post(reverse("meetings:leave_decide", args=[inv.pk]), {"decision": "approve"}).status_code == 403
    # an empty reason: 422 and nothing written
    resp = client.post(reverse("meetings:leave_request", args=[meeting.pk]), {"reason": ""}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 422 and "请假事由" in resp.content.decode()
    assert Invitee.objects.get(pk=inv.pk).leave_reason == "出差"

    secretary = login(world.users["secretary1"])
    resp = secretary.post(
        reverse("meetings:leave_decide", args=[inv.pk]), {"decision": "approve"}, HTTP_HX_REQUEST="true"
    )
    assert resp.status_code == 200
    assert Invitee.objects.get(pk=inv.pk).status == AttendanceStatus.LEAVE_APPROVED
    assert Notification.objects.filter(recipient=world.users["member1"], category="meeting").exists()


def test_sibling_secretary_gets_404_on_writes(world, login):
    meeting = future_meeting(world)
    inv = Invitee.objects.filter(meeting=meeting).first()
    client = login(world.users["secretary2"])
    assert client.post(reverse("meetings:leave_decide", args=[inv.pk]), {"decision": "approve"}).status_code == 404
    assert (
        client.post(
            reverse("meetings:mark_attendance", args=[inv.pk]), {"status": "present", "reason": "x"}
        ).status_code
        == 404
    )
    assert client.post(reverse("meetings:leave_request", args=[meeting.pk]), {"reason": "x"}).status_code == 404


def test_manual_marking_page(world, login):
    meeting = running_meeting(world)
    inv = Invitee.objects.get(meeting=meeting, person=world.people["a1_other"])
    client = login(world.users["secretary1"])
    url = reverse("meetings:mark_attendance", args=[inv.pk])
    resp = client.post(url, {"status": "present", "reason": ""}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 422 and "原因" in resp.content.decode()
    resp = client.post(url, {"status": "present", "reason": "到场未带手机"}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 200
    assert Invitee.objects.get(pk=inv.pk).status == AttendanceStatus.PRESENT
    assert AuditEvent.objects.get(action="meetings.invitee.mark").changes["reason"] == "到场未带手机"
    assert (
        client.post(reverse("meetings:mark_attendance", args=[inv.pk]), {"status": "absent", "reason": "x"}).status_code
        == 302
    )


def test_panel_query_count_is_constant(world, login):
    meeting = running_meeting(world)
    client = login(world.users["secretary1"])
    url = reverse("meetings:attendance_panel", args=[meeting.pk])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200
        return len(ctx.captured_queries)

    count()
    before = count()
    people = [PersonFactory(unit=world.branch_a1) for _ in range(25)]
    Invitee.objects.bulk_create(
        [
            Invitee(meeting=meeting, person=p, status=s)
            for p, s in zip(people, ["present", "leave_requested"] * 13, strict=False)
        ]
    )
    Invitee.objects.filter(meeting=meeting, status="leave_requested").update(leave_reason="出差")
    # session, user, meeting, grants, scope check, own invitee row, counts, page count, page rows
    assert count() == before == 9


def test_screen_shows_qr_and_code(world, login):
    meeting = running_meeting(world)
    client = login(world.users["secretary1"])
    body = client.get(reverse("meetings:checkin_screen", args=[meeting.pk])).content.decode()
    assert "<svg" in body and meeting.checkin_code in body and 'hx-trigger="every 10s"' in body
    fragment = client.get(reverse("meetings:checkin_qr", args=[meeting.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "<svg" in fragment and "<html" not in fragment


def test_phone_check_in_by_code_and_by_qr_link(world, login):
    meeting = running_meeting(world)
    client = login(world.users["member1"])
    url = reverse("meetings:checkin")
    assert client.get(url).status_code == 200
    resp = client.post(url, {"code": "000000" if meeting.checkin_code != "000000" else "111111"})
    assert resp.status_code == 422 and "签到码不正确" in resp.content.decode()
    resp = client.post(url, {"code": meeting.checkin_code})
    assert resp.status_code == 200 and "签到成功" in resp.content.decode()
    resp = client.post(url, {"code": meeting.checkin_code})
    assert resp.status_code == 409 and "无需重复签到" in resp.content.decode()

    other = running_meeting(world, title="党课")
    token = checkin.make_token(other)
    landing = client.get(url, {"t": token}).content.decode()
    assert token in landing and "确认签到" in landing
    assert Invitee.objects.get(meeting=other, person=world.people["member1"]).status == AttendanceStatus.INVITED
    resp = client.post(url, {"token": token})
    assert resp.status_code == 200 and "党课" in resp.content.decode()
    resp = client.post(url, {"token": token})
    assert resp.status_code == 409 and "已使用过" in resp.content.decode()


def test_my_meetings_page(world, login):
    future = future_meeting(world, title="十二月主题党日")
    held = make_meeting(
        world, starts_at=timezone.now() - datetime.timedelta(days=3), status=MeetingStatus.HELD, title="十一月支部大会"
    )
    Invitee.objects.filter(meeting=held, person=world.people["member1"]).update(status="present")
    body = login(world.users["member1"]).get(reverse("meetings:my_meetings")).content.decode()
    assert "十二月主题党日" in body and "十一月支部大会" in body
    assert reverse("meetings:leave_request", args=[future.pk]) in body
    resp = login(world.users["member1"]).post(
        reverse("meetings:leave_request", args=[future.pk]), {"reason": "出差", "next": reverse("meetings:my_meetings")}
    )
    assert resp.status_code == 302 and resp.url == reverse("meetings:my_meetings")
    # someone without a person record sees an empty page
    assert login(world.users["secretary2"]).get(reverse("meetings:my_meetings")).status_code == 200


# --- API --------------------------------------------------------------------------------------


def test_api_invitees_scoping(world, login):
    meeting = future_meeting(world)
    url = f"/api/meetings/{meeting.pk}/invitees"
    body = login(world.users["secretary1"]).get(url).json()
    assert body["count"] == 2
    body = login(world.users["member1"]).get(url).json()
    assert [i["person_name"] for i in body["items"]] == ["党员一"]
    assert login(world.users["secretary2"]).get(url).status_code == 404


def test_api_leave_and_decision(world, login):
    meeting = future_meeting(world)
    member = login(world.users["member1"])
    resp = member.post(f"/api/meetings/{meeting.pk}/leave", {"reason": "出差"}, content_type="application/json")
    assert resp.status_code == 200 and resp.json()["status"] == "leave_requested"
    inv_id = resp.json()["id"]
    resp = member.post(
        f"/api/meetings/invitees/{inv_id}/leave-decision", {"approve": True}, content_type="application/json"
    )
    assert resp.status_code == 403
    secretary = login(world.users["secretary1"])
    resp = secretary.post(
        f"/api/meetings/invitees/{inv_id}/leave-decision", {"approve": False}, content_type="application/json"
    )
    assert resp.status_code == 200 and resp.json()["status"] == "leave_rejected"
    resp = secretary.post(
        f"/api/meetings/invitees/{inv_id}/leave-decision", {"approve": True}, content_type="application/json"
    )
    assert resp.status_code == 409


def test_api_checkin_and_marking(world, login):
    meeting = running_meeting(world)
    member = login(world.users["member1"])
    resp = member.post("/api/meetings/checkin", {"token": checkin.make_token(meeting)}, content_type="application/json")
    assert resp.status_code == 200 and resp.json()["check_in_method"] == "qr"
    resp = member.post("/api/meetings/checkin", {}, content_type="application/json")
    assert resp.status_code == 422
    inv = Invitee.objects.get(meeting=meeting, person=world.people["a1_other"])
    url = f"/api/meetings/invitees/{inv.pk}/attendance"
    assert member.post(url, {"status": "present", "reason": "x"}, content_type="application/json").status_code == 403
    secretary = login(world.users["secretary1"])
    resp = secretary.post(url, {"status": "absent", "reason": "未请假"}, content_type="application/json")
    assert resp.status_code == 200 and resp.json()["status"] == "absent"


def test_api_code_rate_limit_is_429(world, login):
    meeting = running_meeting(world)
    member = login(world.users["member1"])
    wrong = f"{(int(meeting.checkin_code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert member.post("/api/meetings/checkin", {"code": wrong}, content_type="application/json").status_code == 422
    resp = member.post("/api/meetings/checkin", {"code": meeting.checkin_code}, content_type="application/json")
    assert resp.status_code == 429 and "过多" in resp.json()["detail"]


def test_api_mine(world, login):
    future_meeting(world, title="即将召开")
    make_meeting(
        world, starts_at=timezone.now() - datetime.timedelta(days=3), status=MeetingStatus.HELD, title="已召开"
    )
    client = login(world.users["member1"])
    assert [i["meeting_title"] for i in client.get("/api/meetings/mine?scope=upcoming").json()["items"]] == ["即将召开"]
    assert [i["meeting_title"] for i in client.get("/api/meetings/mine?scope=history").json()["items"]] == ["已召开"]
    assert client.get("/api/meetings/mine").json()["count"] == 2
    assert login(world.users["secretary2"]).get("/api/meetings/mine").json()["count"] == 0
