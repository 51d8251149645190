"""/api/meetings: list, detail, create, patch, lifecycle (409 on illegal moves), themes."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cloudbranch.meetings.choices import MeetingStatus
from cloudbranch.meetings.models import Meeting

from .factories import make_meeting, make_theme


def _meeting(world, **kw):
    return make_meeting(unit=world.branch_a1, created_by=world.users["secretary1"], **kw)


def _payload(world, **kw):
    start = timezone.now() + datetime.timedelta(days=2)
    return {
        "unit_id": world.branch_a1.pk,
        "kind": "general",
        "title": "支部党员大会",
        "starts_at": start.isoformat(),
        "ends_at": (start + datetime.timedelta(hours=2)).isoformat(),
        "place": "活动室",
        **kw,
    }


def test_create_patch_and_lifecycle(world, login):
    client = login(world.users["secretary1"])
    r = client.post("/api/meetings", _payload(world), content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    mid = body["id"]
    assert body["status"] == "draft" and body["status_label"] == "草稿" and body["kind_label"] == "支部党员大会"
    r = client.patch(f"/api/meetings/{mid}", {"title": "改后的标题"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["title"] == "改后的标题"
    r = client.post(f"/api/meetings/{mid}/schedule")
    assert r.status_code == 200 and r.json()["status"] == "scheduled"
    assert r.json()["invitee_count"] == 2
    r = client.post(f"/api/meetings/{mid}/held")
    assert r.status_code == 409 and r.json()["detail"] == "会议尚未开始，不能标记为已召开。"
    Meeting.objects.filter(pk=mid).update(starts_at=timezone.now() - datetime.timedelta(hours=1))
    assert client.post(f"/api/meetings/{mid}/held").json()["status"] == "held"
    assert client.post(f"/api/meetings/{mid}/archive").json()["status"] == "archived"
    r = client.patch(f"/api/meetings/{mid}", {"title": "归档后修改"}, content_type="application/json")
    assert r.status_code == 409 and "不能修改" in r.json()["detail"]


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("draft", "held"),
        ("draft", "archive"),
        ("scheduled", "schedule"),
        ("scheduled", "archive"),
        ("held", "schedule"),
        ("held", "cancel"),
        ("archived", "cancel"),
        ("cancelled", "schedule"),
        ("cancelled", "held"),
    ],
)
def test_illegal_moves_are_409(world, login, status, action):
    m = _meeting(world, status=status)
    r = login(world.users["secretary1"]).post(
        f"/api/meetings/{m.pk}/{action}", {"reason": "x"}, content_type="application/json"
    )
    assert r.status_code == 409
    assert "的会议不能" in r.json()["detail"]


def test_cancel_needs_reason(world, login):
    m = _meeting(world)
    r = login(world.users["secretary1"]).post(
        f"/api/meetings/{m.pk}/cancel", {"reason": " "}, content_type="application/json"
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"


def test_create_validation_errors(world, login):
    r = login(world.users["secretary1"]).post(
        "/api/meetings", _payload(world, kind="group"), content_type="application/json"
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "kind"


def test_permissions(world, login):
    m = _meeting(world)
    sibling = login(world.users["secretary2"])
    assert sibling.get(f"/api/meetings/{m.pk}").status_code == 404
    assert sibling.patch(f"/api/meetings/{m.pk}", {"title": "x"}, content_type="application/json").status_code == 404
    assert sibling.post(f"/api/meetings/{m.pk}/schedule").status_code == 404
    assert sibling.post("/api/meetings", _payload(world), content_type="application/json").status_code == 404
    member = login(world.users["member1"])
    assert member.get(f"/api/meetings/{m.pk}").status_code == 200
    assert member.post("/api/meetings", _payload(world), content_type="application/json").status_code == 403
    assert member.post(f"/api/meetings/{m.pk}/schedule").status_code == 403
    assert login(world.users["sysadmin"]).get("/api/meetings").status_code == 403


def test_joint_meeting_visible_to_joint_unit(world, login):
    m = make_meeting(unit=world.branch_a1, created_by=world.users["admin"], joint_units=[world.branch_a2])
    client = login(world.users["secretary2"])
    assert client.get(f"/api/meetings/{m.pk}").json()["joint_units"][0]["code"] == "CA02"
    assert [r["id"] for r in client.get("/api/meetings").json()["items"]] == [m.pk]
    # seeing it is not running it
    assert client.post(f"/api/meetings/{m.pk}/schedule").status_code == 403


def test_list_filters(world, login):
    a = _meeting(world, title="党课", kind="lecture")
    _meeting(world, title="大会", kind="general", starts_at=timezone.now() + datetime.timedelta(days=40))
    make_meeting(unit=world.branch_a2, created_by=world.users["admin"], title="二支部")
    client = login(world.users["admin"])
    assert client.get("/api/meetings").json()["count"] == 3
    assert [r["id"] for r in client.get("/api/meetings?kind=lecture").json()["items"]] == [a.pk]
    assert client.get(f"/api/meetings?unit={world.branch_a2.pk}").json()["count"] == 1
    assert client.get(f"/api/meetings?unit={world.college_b.pk}").json()["count"] == 0
    assert client.get("/api/meetings?q=党课").json()["count"] == 1
    end = (timezone.localdate() + datetime.timedelta(days=10)).isoformat()
    assert client.get(f"/api/meetings?date_to={end}").json()["count"] == 2


def test_themes(world, login):
    admin = world.users["admin"]
    make_theme(unit=world.college_b, created_by=admin, title="数学")
    client = login(admin)
    r = client.post(
        "/api/meetings/themes",
        {"unit_id": world.college_a.pk, "month": "2026-04-09", "title": "四月"},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["month"] == "2026-04-01"
    r = client.post(
        "/api/meetings/themes",
        {"unit_id": world.college_a.pk, "month": "2026-04-20", "title": "again"},
        content_type="application/json",
    )
    assert r.status_code == 409
    titles = [t["title"] for t in login(world.users["member1"]).get("/api/meetings/themes").json()["items"]]
    assert titles == ["四月"]
    r = login(world.users["secretary1"]).post(
        "/api/meetings/themes",
        {"unit_id": world.branch_a1.pk, "month": "2026-04-01", "title": "x"},
        content_type="application/json",
    )
    assert r.status_code == 403


def _api_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/api/meetings").status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_is_constant(world, login):
    client = login(world.users["secretary1"])
    _meeting(world)
    first = _api_queries(client)
    for i in range(30):
        _meeting(world, title=f"会议{i}", status=MeetingStatus.SCHEDULED)
    assert _api_queries(client) == first == 5
