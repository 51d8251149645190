"""Visitors without login: only where the unit's policy allows it, with a captcha (wrong answer
refused, one use, five minutes) and a rate limit per IP hash (3 per 10 minutes, 10 per day)."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.test import RequestFactory

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import DomainError
from cloudbranch.news import board, captcha, ratelimit
from cloudbranch.news.models import Message
from cloudbranch.news.tests.factories import open_public_board

pytestmark = pytest.mark.django_db


def _visitor_message(unit, ip="203.0.113.9", **kw):
    data = {"category": "consultation", "title": "如何转入组织关系", "body": "请问流程？", "visitor_name": "校友"}
    data.update(kw)
    return board.message_create(actor=None, unit=unit, ip=ip, **data)


def _request():
    request = RequestFactory().get("/")
    request.session = SessionStore()
    return request


@pytest.fixture
def fixed_question(monkeypatch):
    monkeypatch.setattr(captcha, "_question", lambda: ("3 + 4 = ?", 7))


# --- policy ----------------------------------------------------------------------------------


def test_visitor_refused_when_the_policy_is_off(world):
    with pytest.raises(board.BoardClosed):
        _visitor_message(world.root)
    open_public_board(world.root, world.users["admin"], on=False)
    with pytest.raises(board.BoardClosed):
        _visitor_message(world.root)
    assert not Message.objects.exists()


def test_visitor_message_when_the_policy_is_on_stores_only_the_ip_hash(world):
    open_public_board(world.root, world.users["admin"])
    message = _visitor_message(world.root, visitor_contact="13800000000")
    assert message.author_id is None and not message.anonymous
    assert message.ip_hash == board.ip_hash("203.0.113.9") and len(message.ip_hash) == 64
    assert "203.0.113.9" not in message.ip_hash
    event = AuditEvent.objects.get(action="news.message.create", target_id=str(message.pk))
    assert event.actor_id is None and event.changes["visitor"] is True and event.changes["ip_hash"] == message.ip_hash
    # a branch whose policy is off still refuses
    with pytest.raises(board.BoardClosed):
        _visitor_message(world.branch_a1)


def test_visitor_pages_follow_the_policy(world, client, fixed_question):
    url = f"/news/board/new/?unit={world.root.pk}"
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get(f"/news/board/?unit={world.root.pk}").status_code == 302
    open_public_board(world.root, world.users["admin"])
    assert client.get(url).status_code == 200
    assert client.get(f"/news/board/?unit={world.root.pk}").status_code == 200
    png = client.get("/news/board/captcha.png")
    assert png.status_code == 200 and png["Content-Type"] == "image/png" and png.content[:4] == b"\x89PNG"
    data = {"unit": world.root.pk, "category": "suggestion", "title": "访客建议", "body": "内容", "public": "on"}
    response = client.post(url, {**data, "captcha": "7"})
    assert response.status_code == 302, response.content.decode()[:2000]
    message = Message.objects.get(title="访客建议")
    assert message.author_id is None and message.public
    # the public message shows on the board and its page; a sibling unit stays closed
    assert "访客建议" in client.get(f"/news/board/?unit={world.root.pk}").content.decode()
    assert client.get(f"/news/board/{message.pk}/").status_code == 200
    assert client.get(f"/news/board/?unit={world.branch_a1.pk}").status_code == 302


# --- captcha ---------------------------------------------------------------------------------


def test_captcha_wrong_answer_is_refused_and_consumed(fixed_question):
    request = _request()
    token, png = captcha.new_challenge(request)
    assert token is None and png[:4] == b"\x89PNG"
    assert captcha.check(request, "8") is False
    assert captcha.check(request, "7") is False  # one attempt per challenge


def test_captcha_serves_once(fixed_question):
    request = _request()
    captcha.new_challenge(request)
    assert captcha.check(request, " 7 ") is True
    assert captcha.check(request, "7") is False


def test_captcha_expires_after_five_minutes(fixed_question, monkeypatch):
    request = _request()
    now = 1_000_000.0
    monkeypatch.setattr(captcha, "_now", lambda: now)
    captcha.new_challenge(request)
    monkeypatch.setattr(captcha, "_now", lambda: now + 5 * 60 + 1)
    assert captcha.check(request, "7") is False
    monkeypatch.setattr(captcha, "_now", lambda: now)
    captcha.new_challenge(request)
    monkeypatch.setattr(captcha, "_now", lambda: now + 5 * 60 - 1)
    assert captcha.check(request, "7") is True


def test_captcha_answer_not_in_clear_in_the_session(fixed_question):
    request = _request()
    captcha.new_challenge(request)
    stored = request.session[captcha.SESSION_KEY]
    assert set(stored) == {"digest", "expires"} and len(stored["digest"]) == 64


def test_visitor_page_refuses_a_wrong_captcha(world, client, fixed_question):
    open_public_board(world.root, world.users["admin"])
    client.get("/news/board/captcha.png")
    data = {"unit": world.root.pk, "category": "suggestion", "title": "错误验证码", "body": "内容", "captcha": "8"}
    response = client.post(f"/news/board/new/?unit={world.root.pk}", data)
    assert response.status_code == 422
    assert "验证码错误" in response.content.decode()
    # the challenge is used up: the right answer no longer works without a new image
    response = client.post(f"/news/board/new/?unit={world.root.pk}", {**data, "captcha": "7"})
    assert response.status_code == 422
    assert not Message.objects.exists()


# --- rate limit ------------------------------------------------------------------------------


def test_ratelimit_hit_counts_in_a_window():
    assert [ratelimit.hit("t:k", 2, 60) for _ in range(3)] == [True, True, False]
    assert ratelimit.hit("t:other", 2, 60) is True
    cache.clear()
    assert ratelimit.hit("t:k", 2, 60) is True


def test_fourth_visitor_message_in_ten_minutes_is_refused_with_429(world):
    open_public_board(world.root, world.users["admin"])
    for i in range(3):
        _visitor_message(world.root, title=f"第{i}条")
    with pytest.raises(board.RateLimited) as info:
        _visitor_message(world.root, title="第四条")
    assert info.value.status == 429
    assert "10 分钟最多留言 3 条" in info.value.message
    assert Message.objects.count() == 3
    # another IP is not affected
    _visitor_message(world.root, ip="198.51.100.1", title="另一网络")


def test_ten_visitor_messages_a_day(world, monkeypatch):
    open_public_board(world.root, world.users["admin"])
    monkeypatch.setattr(board, "VISITOR_LIMITS", ((100, 600, "10m"), (10, 24 * 3600, "day")))
    for i in range(10):
        _visitor_message(world.root, title=f"第{i}条")
    with pytest.raises(board.RateLimited):
        _visitor_message(world.root, title="第十一条")


def test_rate_limited_page_shows_a_clear_message(world, client, fixed_question):
    open_public_board(world.root, world.users["admin"])
    for i in range(3):
        _visitor_message(world.root, ip="127.0.0.1", title=f"第{i}条")
    client.get("/news/board/captcha.png")
    data = {"unit": world.root.pk, "category": "suggestion", "title": "第四条", "body": "内容", "captcha": "7"}
    response = client.post(f"/news/board/new/?unit={world.root.pk}", data, REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 429
    assert "留言过于频繁" in response.content.decode()
    assert not Message.objects.filter(title="第四条").exists()


def test_invalid_input_does_not_use_the_quota(world):
    open_public_board(world.root, world.users["admin"])
    for _ in range(5):
        with pytest.raises(DomainError):
            _visitor_message(world.root, body="")
    _visitor_message(world.root)
