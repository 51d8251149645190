"""Meeting pages: permissions, form, transitions with their messages, themes, query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cloudbranch.meetings.choices import MeetingKind, MeetingStatus
from cloudbranch.meetings.models import Meeting, MonthlyTheme
from cloudbranch.notifications.models import Notification

from .factories import make_meeting, make_theme


def _meeting(world, **kw):
    return make_meeting(unit=world.branch_a1, created_by=world.users["secretary1"], **kw)


def _form(world, **kw):
    start = (timezone.localtime() + datetime.timedelta(days=2)).replace(second=0, microsecond=0)
    data = {
        "kind": MeetingKind.THEMED_DAY,
        "title": "主题党日",
        "unit": world.branch_a1.pk,
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "place": "活动室",
        "invitee_scope": "unit",
    }
    data.update(kw)
    return data


def test_list_and_detail_for_member(world, login):
    m = _meeting(world, title="一支部大会")
    client = login(world.users["member1"])
    r = client.get("/meetings/")
    assert r.status_code == 200 and "一支部大会" in r.text
    r = client.get(f"/meetings/{m.pk}/")
    assert r.status_code == 200
    assert "发布通知" not in r.text  # members see no lifecycle buttons


def test_member_cannot_create(world, login):
    client = login(world.users["member1"])
    assert client.get("/meetings/new/").status_code == 403
    assert client.post("/meetings/new/", _form(world)).status_code == 403
    assert not Meeting.objects.exists()


@pytest.mark.parametrize("suffix", ["", "edit/"])
def test_sibling_secretary_gets_404(world, login, suffix):
    m = _meeting(world)
    assert login(world.users["secretary2"]).get(f"/meetings/{m.pk}/{suffix}").status_code == 404


@pytest.mark.parametrize("action", ["schedule", "cancel", "held", "archive"])
def test_sibling_secretary_cannot_post_transitions(world, login, action):
    m = _meeting(world)
    client = login(world.users["secretary2"])
    assert client.post(f"/meetings/{m.pk}/{action}/", {"reason": "x"}).status_code == 404
    assert login(world.users["member1"]).post(f"/meetings/{m.pk}/{action}/", {"reason": "x"}).status_code == 403


def test_sibling_list_hides_meetings(world, login):
    _meeting(world, title="一支部大会")
    r = login(world.users["secretary2"]).get("/meetings/")
    assert "一支部大会" not in r.text


def test_create_page_and_post(world, login):
    client = login(world.users["secretary1"])
    r = client.get("/meetings/new/")
    assert r.status_code == 200 and "安排会议" in r.text
    r = client.post("/meetings/new/", _form(world))
    m = Meeting.objects.get()
    assert r.status_code == 302 and r.url == f"/meetings/{m.pk}/"
    assert m.status == MeetingStatus.DRAFT and m.kind == MeetingKind.THEMED_DAY


def test_create_by_unit_code(world, login):
    client = login(world.users["admin"])
    r = client.post("/meetings/new/", _form(world, unit="", unit_code="ca02"))
    assert r.status_code == 302
    assert Meeting.objects.get().unit == world.branch_a2


def test_create_with_broken_rule_shows_message_and_writes_nothing(world, login):
    data = _form(world, kind=MeetingKind.GROUP)
    r = login(world.users["secretary1"]).post("/meetings/new/", data)
    assert r.status_code == 422
    assert "党小组会只能由党小组召开" in r.text
    assert not Meeting.objects.exists()


def test_form_parts_offer_people_groups_and_themes(world, login):
    make_theme(unit=world.root, created_by=world.users["admin"], title="全校主题")
    make_theme(unit=world.college_b, created_by=world.users["admin"], title="数学学院主题")
    r = login(world.users["secretary1"]).get(f"/meetings/form-parts/?unit={world.branch_a1.pk}")
    assert r.status_code == 200
    assert "党员一" in r.text and "第一党小组" in r.text and "全校主题" in r.text
    assert "数学学院主题" not in r.text and "李二" not in r.text


def test_edit_scheduled_meeting_renotifies(world, login):
    m = _meeting(world, status=MeetingStatus.SCHEDULED, invitees=[world.people["member1"]])
    m.notified_at = timezone.now()
    m.save()
    client = login(world.users["secretary1"])
    assert client.get(f"/meetings/{m.pk}/edit/").status_code == 200
    data = _form(world, title="改了标题", kind=MeetingKind.GENERAL)
    data["starts_at"] = timezone.localtime(m.starts_at).strftime("%Y-%m-%dT%H:%M")
    data["ends_at"] = timezone.localtime(m.ends_at).strftime("%Y-%m-%dT%H:%M")
    r = client.post(f"/meetings/{m.pk}/edit/", data)
    assert r.status_code == 302
    assert Notification.objects.get(recipient=world.users["member1"]).title == "会议变更：改了标题"


def test_edit_archived_meeting_refused(world, login):
    m = _meeting(world, status=MeetingStatus.ARCHIVED)
    client = login(world.users["secretary1"])
    r = client.post(f"/meetings/{m.pk}/edit/", _form(world, title="改"))
    assert r.status_code == 409 and "已归档的会议不能修改" in r.text
    m.refresh_from_db()
    assert m.title != "改"


def test_transitions_through_the_page(world, login):
    m = _meeting(world)
    client = login(world.users["secretary1"])
    r = client.get(f"/meetings/{m.pk}/")
    assert "发布通知" in r.text and "取消会议" in r.text
    r = client.post(f"/meetings/{m.pk}/schedule/")
    assert r.status_code == 302
    m.refresh_from_db()
    assert m.status == MeetingStatus.SCHEDULED
    r = client.post(f"/meetings/{m.pk}/held/")  # not started yet
    assert r.status_code == 409 and "会议尚未开始" in r.text
    Meeting.objects.filter(pk=m.pk).update(starts_at=timezone.now() - datetime.timedelta(hours=1))
    assert client.post(f"/meetings/{m.pk}/held/").status_code == 302
    assert client.post(f"/meetings/{m.pk}/archive/").status_code == 302
    m.refresh_from_db()
    assert m.status == MeetingStatus.ARCHIVED
    r = client.get(f"/meetings/{m.pk}/")
    assert "内容只读" in r.text and "编辑" not in r.text


def test_illegal_transition_message_on_page(world, login):
    m = _meeting(world, status=MeetingStatus.CANCELLED)
    r = login(world.users["secretary1"]).post(f"/meetings/{m.pk}/schedule/")
    assert r.status_code == 409
    assert "已取消的会议不能发布通知" in r.text


def test_cancel_needs_reason_on_page(world, login):
    m = _meeting(world)
    client = login(world.users["secretary1"])
    r = client.post(f"/meetings/{m.pk}/cancel/", {"reason": ""})
    assert r.status_code == 422 and "请填写取消原因" in r.text
    r = client.post(f"/meetings/{m.pk}/cancel/", {"reason": "时间冲突"})
    assert r.status_code == 302
    m.refresh_from_db()
    assert (m.status, m.cancel_reason) == (MeetingStatus.CANCELLED, "时间冲突")


def test_detail_shows_theme_with_materials(world, login):
    theme = make_theme(
        unit=world.college_a,
        created_by=world.users["admin"],
        title="学习新条例",
        materials="原文\nhttps://example.org/a",
    )
    m = _meeting(world, theme=theme, kind=MeetingKind.THEMED_DAY)
    r = login(world.users["member1"]).get(f"/meetings/{m.pk}/")
    assert "学习新条例" in r.text and 'href="https://example.org/a"' in r.text


def test_themes_page_visibility_and_publish(world, login):
    admin = world.users["admin"]
    make_theme(unit=world.college_a, created_by=admin, title="计算机学院主题")
    make_theme(unit=world.college_b, created_by=admin, title="数学学院主题")
    make_theme(unit=world.root, created_by=admin, title="全校主题")
    r = login(world.users["member1"]).get("/meetings/themes/")
    assert r.status_code == 200
    assert "计算机学院主题" in r.text and "全校主题" in r.text and "数学学院主题" not in r.text
    assert "发布月度主题" not in r.text
    assert login(world.users["member1"]).post("/meetings/themes/new/", {}).status_code == 403
    client = login(admin)
    r = client.post(
        "/meetings/themes/new/", {"unit": world.college_a.pk, "month": "2026-05", "title": "五月主题", "materials": ""}
    )
    assert r.status_code == 302
    assert MonthlyTheme.objects.get(title="五月主题").month == datetime.date(2026, 5, 1)
    r = client.post("/meetings/themes/new/", {"unit": world.college_a.pk, "month": "2026-05", "title": "重复"})
    assert r.status_code == 409 and "主题已经发布" in r.text


def test_list_filters_and_htmx_partial(world, login):
    _meeting(world, title="党课一", kind=MeetingKind.LECTURE)
    _meeting(world, title="大会一", kind=MeetingKind.GENERAL)
    client = login(world.users["secretary1"])
    r = client.get("/meetings/?kind=lecture", headers={"HX-Request": "true", "HX-Target": "meeting-rows"})
    assert r.status_code == 200
    assert "党课一" in r.text and "大会一" not in r.text and "<html" not in r.text


def test_menu_entry(world, login):
    r = login(world.users["member1"]).get("/meetings/")
    assert 'href="/meetings/"' in r.text and "组织生活" in r.text


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/meetings/").status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_is_constant(world, login):
    client = login(world.users["secretary1"])
    theme = make_theme(unit=world.college_a, created_by=world.users["admin"])
    _meeting(world, theme=theme)
    first = _list_queries(client)
    for i in range(25):
        _meeting(world, title=f"会议{i}", theme=theme if i % 2 else None)
    assert _list_queries(client) == first == 7
