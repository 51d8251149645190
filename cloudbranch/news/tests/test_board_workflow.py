"""Message board workflow: open → answered (first reply) → closed (with a note); who may reply,
close and pin; pinned first; the sensitive-word filter; the API."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.news import board
from cloudbranch.news.choices import MessageStatus, WordAction
from cloudbranch.news.models import Message, SensitiveWord
from cloudbranch.notifications.models import Notification
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import UserFactory, grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def message(world):
    return board.message_create(
        actor=world.users["member1"],
        unit=world.branch_a1,
        category="suggestion",
        title="学习室开放时间",
        body="希望延长。",
    )


def test_statuses_open_answered_closed(world, message):
    sec = world.users["secretary1"]
    assert message.status == MessageStatus.OPEN
    board.message_reply(actor=sec, message=message, body="已协调延长至 22 点。")
    message.refresh_from_db()
    assert message.status == MessageStatus.ANSWERED and message.answered_at is not None
    first = message.answered_at
    board.message_reply(actor=sec, message=message, body="补充：周末也开放。")
    message.refresh_from_db()
    assert message.answered_at == first  # the first reply counts
    board.message_close(actor=sec, message=message, note="问题已解决。")
    message.refresh_from_db()
    assert message.status == MessageStatus.CLOSED and message.closed_at is not None
    with pytest.raises(ConflictError):
        board.message_reply(actor=sec, message=message, body="再回复")
    with pytest.raises(ConflictError):
        board.message_close(actor=sec, message=message, note="再关闭")
    actions = list(
        AuditEvent.objects.filter(target_id=str(message.pk), target_type="news.message")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["news.message.create", "news.message.reply", "news.message.reply", "news.message.close"]


def test_closing_an_open_message_needs_a_note_and_answers_it(world, message):
    with pytest.raises(DomainError):
        board.message_close(actor=world.users["secretary1"], message=message, note="  ")
    board.message_close(actor=world.users["secretary1"], message=message, note="已转学院办理。")
    message.refresh_from_db()
    assert message.status == MessageStatus.CLOSED and message.answered_at == message.closed_at
    reply = message.replies.get()
    assert board.is_closing_note(message, reply)


def test_the_author_is_notified_of_replies(world, message):
    board.message_reply(actor=world.users["secretary1"], message=message, body="收到")
    note = Notification.objects.get(recipient=world.users["member1"])
    assert "学习室开放时间" in note.title and note.url == f"/news/board/{message.pk}/"


def test_who_may_reply(world, message):
    # the sibling branch's secretary does not even see it
    with pytest.raises(Http404):
        board.message_reply(actor=world.users["secretary2"], message=message, body="x")
    # a member of the branch reads the public message but it is not theirs to handle
    with pytest.raises(Http404):
        board.message_reply(actor=world.users["member1"], message=message, body="x")
    # officers of the unit or above may
    publicity = UserFactory()
    grant(publicity, world.branch_a1, Role.PUBLICITY_OFFICER)
    board.message_reply(actor=publicity, message=message, body="宣传委员答复")
    board.message_reply(actor=world.users["admin"], message=message, body="党委答复")


def test_sibling_secretary_gets_404_on_officer_pages_and_api(world, message, client):
    client.force_login(world.users["secretary2"])
    # the public message is readable school-wide, but handling it is not theirs
    assert client.get(f"/news/board/{message.pk}/").status_code == 200
    assert "办结并关闭" not in client.get(f"/news/board/{message.pk}/").content.decode()
    assert client.post(f"/news/board/{message.pk}/reply/", {"body": "x"}).status_code == 404
    assert client.post(f"/news/board/{message.pk}/close/", {"note": "x"}).status_code == 404
    assert client.post(f"/news/board/{message.pk}/pin/", {"pinned": "1"}).status_code == 404
    assert (
        client.post(f"/api/news/board/messages/{message.pk}/replies", {"body": "x"}, "application/json").status_code
        == 404
    )
    assert client.get(f"/api/news/board/stats?unit={world.branch_a1.pk}").status_code == 404
    assert client.get(f"/news/board/stats/?unit={world.branch_a1.pk}").status_code == 404


def test_member_may_not_handle_messages(world, message, client):
    client.force_login(world.users["member1"])
    assert client.post(f"/news/board/{message.pk}/reply/", {"body": "x"}).status_code == 404
    assert (
        client.post(f"/api/news/board/messages/{message.pk}/close", {"note": "x"}, "application/json").status_code
        == 404
    )
    assert client.get("/news/board/manage/").status_code == 403
    assert client.get("/news/board/stats/").status_code == 403


def test_visible_but_not_allowed_is_403(world, message, monkeypatch):
    # no role holds news.view_message without news.reply_message today; the rule is still kept
    monkeypatch.setattr(board, "may_reply", lambda user, unit: False)
    with pytest.raises(PermissionDenied):
        board.message_reply(actor=world.users["secretary1"], message=message, body="x")


def test_pages_reply_and_close(world, message, client):
    client.force_login(world.users["secretary1"])
    response = client.post(f"/news/board/{message.pk}/reply/", {"body": "页面回复", "public": "on"})
    assert response.status_code == 302
    response = client.post(f"/news/board/{message.pk}/close/", {"note": ""})
    assert response.status_code == 422
    response = client.post(f"/news/board/{message.pk}/close/", {"note": "办结"})
    assert response.status_code == 302
    response = client.post(f"/news/board/{message.pk}/reply/", {"body": "关闭后回复"})
    assert response.status_code == 409 and "已关闭" in response.content.decode()
    assert message.replies.count() == 2


def test_pin_shows_first_and_only_public(world, client):
    member = world.users["member1"]
    old = board.message_create(actor=member, unit=world.branch_a1, category="other", title="较早的热点", body="b")
    board.message_create(actor=member, unit=world.branch_a1, category="other", title="较新的留言", body="b")
    private = board.message_create(
        actor=member, unit=world.branch_a1, category="other", title="私密", body="b", public=False
    )
    with pytest.raises(DomainError):
        board.message_pin(actor=world.users["secretary1"], message=private, pinned=True)
    board.message_pin(actor=world.users["secretary1"], message=old, pinned=True)
    assert AuditEvent.objects.filter(action="news.message.pin", target_id=str(old.pk)).exists()
    client.force_login(member)
    text = client.get(f"/news/board/?unit={world.branch_a1.pk}").content.decode()
    assert text.index("较早的热点") < text.index("较新的留言")
    assert "热点" in text
    api = client.get(f"/api/news/board/messages?unit={world.branch_a1.pk}").json()
    assert api["items"][0]["title"] == "较早的热点" and api["items"][0]["pinned"] is True


def test_validation(world):
    member = world.users["member1"]
    with pytest.raises(DomainError):
        board.message_create(actor=member, unit=world.branch_a1, category="x", title="t", body="b")
    with pytest.raises(DomainError) as info:
        board.message_create(actor=member, unit=world.branch_a1, category="other", title="t", body="长" * 3001)
    assert info.value.errors[0]["field"] == "body"
    board.message_create(actor=member, unit=world.branch_a1, category="other", title="t", body="长" * 3000)
    # a duty holder (no Party tree) cannot leave a message
    with pytest.raises(DomainError):
        board.message_create(actor=world.users["sysadmin"], unit=world.branch_a1, category="other", title="t", body="b")


def test_dissolved_unit_refuses(world):
    world.branch_a2.status = "dissolved"
    world.branch_a2.save()
    with pytest.raises(DomainError):
        board.message_create(actor=world.users["member1"], unit=world.branch_a2, category="other", title="t", body="b")


def test_sensitive_words_reject_and_hold(world):
    from cloudbranch.news import wordfilter

    wordfilter.forget()
    admin = world.users["admin"]
    SensitiveWord.objects.create(word="违禁词", action=WordAction.REJECT, created_by=admin)
    SensitiveWord.objects.create(word="待审词", action=WordAction.HOLD, created_by=admin)
    member = world.users["member1"]
    with pytest.raises(DomainError) as info:
        board.message_create(actor=member, unit=world.branch_a1, category="other", title="t", body="含有违 禁 词")
    assert info.value.status == 422
    held = board.message_create(actor=member, unit=world.branch_a1, category="other", title="t", body="含有待审词")
    assert held.public is False
    event = AuditEvent.objects.get(action="news.message.create", target_id=str(held.pk))
    assert event.changes["held"] is True
    wordfilter.forget()


def test_api_create_reply_close_pin(world, client):
    client.force_login(world.users["member1"])
    response = client.post(
        "/api/news/board/messages",
        {
            "unit": world.branch_a1.pk,
            "category": "praise",
            "title": "表扬志愿服务",
            "body": "感谢！",
            "anonymous": False,
        },
        "application/json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["author"] == "党员一" and data["is_mine"] and data["status"] == "open"
    mid = data["id"]
    bad = client.post(
        "/api/news/board/messages",
        {"unit": world.branch_a1.pk, "category": "praise", "title": "", "body": "x"},
        "application/json",
    )
    assert bad.status_code == 422
    client.force_login(world.users["secretary1"])
    response = client.post(f"/api/news/board/messages/{mid}/replies", {"body": "谢谢"}, "application/json")
    assert response.status_code == 201 and response.json()["status"] == "answered"
    response = client.post(f"/api/news/board/messages/{mid}/pin", {"pinned": True}, "application/json")
    assert response.status_code == 200 and response.json()["pinned"] is True
    response = client.post(f"/api/news/board/messages/{mid}/close", {"note": "已办结"}, "application/json")
    assert response.status_code == 200 and response.json()["status"] == "closed"
    assert response.json()["replies"][-1]["closing"] is True
    response = client.post(f"/api/news/board/messages/{mid}/close", {"note": "again"}, "application/json")
    assert response.status_code == 409
    assert Message.objects.get(pk=mid).status == MessageStatus.CLOSED


def test_api_requires_login(world, client):
    assert client.get("/api/news/board/messages").status_code == 401
    assert client.post("/api/news/board/messages", {}, "application/json").status_code == 401
