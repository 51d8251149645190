"""The portal's message board: public answered messages with public replies, the visitors' form
only when the root unit's policy allows it, the captcha and the rate limit."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cloudbranch.audit.models import AuditEvent
from cloudbranch.news import captcha
from cloudbranch.news.choices import MessageStatus
from cloudbranch.news.models import Message
from cloudbranch.news.tests.test_portal_pages import answered_message, set_board

FORM = {
    "category": "consultation",
    "title": "想了解入党流程",
    "body": "请问大一学生如何递交入党申请书？",
    "visitor_name": "李同学",
    "visitor_contact": "13700001111",
}


@pytest.fixture
def fixed_captcha(monkeypatch):
    """Every challenge is "3 + 4 = ?" (the image is still drawn)."""
    monkeypatch.setattr(captcha, "_question", lambda: ("3 + 4 = ?", 7))


def post_message(client, **overrides):
    client.get(reverse("public:captcha"))
    return client.post(reverse("public:message_create"), {**FORM, "captcha": "7", **overrides})


def test_closed_board_shows_no_form_no_messages_and_refuses_posts(client, world, fixed_captcha):
    set_board(world.root, public_board=False)
    answered_message(world.root, "已答复的留言", officer=world.users["admin"])
    html = client.get(reverse("public:board")).content.decode()
    assert 'name="captcha"' not in html and "已答复的留言" not in html
    assert "暂未对访客开放" in html
    assert "已答复的留言" not in client.get(reverse("public:home")).content.decode()
    assert post_message(client).status_code == 403
    assert Message.objects.count() == 1


def test_board_without_any_policy_is_closed(client, world):
    html = client.get(reverse("public:board")).content.decode()
    assert 'name="captcha"' not in html


def test_open_board_shows_answered_public_messages_with_public_replies_only(client, world):
    set_board(world.root, public_board=True)
    officer = world.users["admin"]
    answered_message(world.root, "已答复的咨询", officer=officer)
    answered_message(world.root, "已办结的建议", officer=officer, status=MessageStatus.CLOSED)
    answered_message(world.root, "尚未答复的留言", officer=officer, status=MessageStatus.OPEN)
    answered_message(world.root, "不公开的留言", officer=officer, public=False)
    answered_message(world.branch_a1, "给支部的留言", officer=officer)
    response = client.get(reverse("public:board"))
    html = response.content.decode()
    assert "已答复的咨询" in html and "已办结的建议" in html and "公开答复：已答复的咨询" in html
    for hidden in ("尚未答复的留言", "不公开的留言", "给支部的留言", "内部说明", "13912345678", "王访客"):
        assert hidden not in html
    assert officer.username not in html and officer.display_name not in html
    assert 'name="captcha"' in html and reverse("public:captcha") in html
    assert "已答复的咨询" in client.get(reverse("public:home")).content.decode()  # a hot topic


def test_board_query_count_is_constant(client, world):
    set_board(world.root, public_board=True)
    for i in range(3):
        answered_message(world.root, f"咨询{i}", officer=world.users["admin"])
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("public:board"))
    for i in range(25):
        answered_message(world.root, f"更多咨询{i}", officer=world.users["admin"])
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("public:board"))
    assert len(few) == len(many) == 4  # unit + policy, count, page, public replies


def test_captcha_is_a_png_never_cached(client, world):
    response = client.get(reverse("public:captcha"))
    assert response["Content-Type"] == "image/png" and response.content.startswith(b"\x89PNG")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_visitor_leaves_a_message_with_the_captcha(client, world, fixed_captcha):
    set_board(world.root, public_board=True)
    response = post_message(client)
    assert response.status_code == 302 and response["Location"] == reverse("public:board")
    message = Message.objects.get()
    assert message.unit == world.root and message.author is None
    assert message.visitor_name == "李同学" and message.visitor_contact == "13700001111"
    assert message.status == MessageStatus.OPEN and message.ip_hash
    assert AuditEvent.objects.filter(action="news.message.create", target_id=str(message.pk)).exists()
    page = client.get(reverse("public:board")).content.decode()
    assert "留言已提交" in page and "想了解入党流程" not in page  # shown once answered


def test_wrong_or_missing_captcha_writes_nothing(client, world, fixed_captcha):
    set_board(world.root, public_board=True)
    assert post_message(client, captcha="8").status_code == 422
    response = client.post(reverse("public:message_create"), {**FORM, "captcha": "7"})  # no image fetched
    assert response.status_code == 422
    assert "验证码不正确" in response.content.decode()
    assert not Message.objects.exists()


def test_a_captcha_answer_serves_once(client, world, fixed_captcha):
    set_board(world.root, public_board=True)
    assert post_message(client).status_code == 302
    again = client.post(reverse("public:message_create"), {**FORM, "captcha": "7"})
    assert again.status_code == 422
    assert Message.objects.count() == 1


def test_invalid_form_is_422_and_keeps_the_input(client, world, fixed_captcha):
    set_board(world.root, public_board=True)
    response = post_message(client, title="")
    assert response.status_code == 422
    assert "请问大一学生如何递交入党申请书" in response.content.decode()
    assert not Message.objects.exists()


def test_visitors_are_rate_limited(client, world, fixed_captcha):
    set_board(world.root, public_board=True)
    for _ in range(3):
        assert post_message(client).status_code == 302
    refused = post_message(client)
    assert refused.status_code == 429
    assert "留言过于频繁" in refused.content.decode()
    assert Message.objects.count() == 3
