"""Browser journeys of issue 8 (communication), in addition to test_articles_browser.py.

test_articles_browser.py already drives the whole first journey (the publicity officer writes a
notice requiring reading and submits it, secretary1 approves it from the review queue, member1
reads it on a 375px phone and sees 已读, the receipts page goes from 0.0% to 50.0%). This file adds:

- the read rate as the secretary sees it, figure by figure (已读 0 / 应读 2 → 已读 1 / 应读 2, the
  branch's row, the unread list losing the reader), around a member reading on a phone;
- the visitor's journey on a phone without login: the public home page, a public article, the
  public board, a message with the image captcha (its answer is recovered on the server side from
  the browser's session), the confirmation.

Every wait is Playwright's ``expect`` auto-waiting (no sleeps); screenshots go to
/tmp/cloudbranch-screenshots.
"""

from __future__ import annotations

import importlib

import pytest
from django.conf import settings

from cloudbranch.news import captcha
from cloudbranch.news.choices import Category, Visibility
from cloudbranch.news.models import Message, ReadReceipt
from cloudbranch.news.tests.factories import (
    article_published,
    make_published_article,
    open_public_board,
    publicity_officer,
)
from cloudbranch.testing.browser import login_via_form, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Passw0rd!x"  # UserFactory's password
PHONE_WIDTH = 375
SCROLL_TOLERANCE = 2  # px: sub-pixel rounding, never a real horizontal scroll
NOTICE = "关于开展“三会一课”专题学习的通知"
PUBLIC_TITLE = "某大学党委召开党建工作会议"


def _expect():
    from playwright.sync_api import expect

    return expect


def _fits_phone(page) -> None:
    width = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
    assert width <= PHONE_WIDTH + SCROLL_TOLERANCE, f"{page.url} scrolls sideways on a phone: {width}px"


def _shot(page, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, name)


def _captcha_answer(page) -> int:
    """The answer of the challenge the browser's session holds, read on the server side.

    The session keeps only an HMAC of the answer (captcha.py), so the test tries the few possible
    answers (0..81: sums up to 40, differences up to 29, products up to 81) against it."""
    cookie = next(c["value"] for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    store = importlib.import_module(settings.SESSION_ENGINE).SessionStore(session_key=cookie)
    digest = store.load()[captcha.SESSION_KEY]["digest"]
    return next(n for n in range(0, 100) if captcha._digest(n) == digest)


def test_read_rate_rises_when_a_member_reads_on_phone(world, live_server, page, phone_page):
    expect = _expect()
    base = live_server.url
    officer = publicity_officer(world.branch_a1, username="publicity1")
    article = article_published(
        world.branch_a1, officer, world.users["secretary1"], title=NOTICE, requires_reading=True
    )
    assert article.status == "published" and article.visibility == Visibility.SUBTREE

    # The secretary on a desktop: nobody has read it yet, both people of branch_a1 are unread.
    login_via_form(page, base, "secretary1", PASSWORD)
    page.goto(f"{base}/news/articles/{article.pk}/receipts/")
    rate = page.locator("#read-rate")
    expect(rate).to_contain_text("已读 0 / 应读 2 人")
    expect(rate).to_contain_text("0.0%")
    expect(page.locator("#unread-list li")).to_have_count(2)
    expect(page.locator("#unread-list")).to_contain_text("党员一")
    expect(page.locator("#unread-list")).to_contain_text("张一")
    expect(page.get_by_role("button", name="提醒未读人员")).to_be_visible()
    _shot(page, "news-receipts-before")

    # member1 on a phone: the notice is flagged 未读 in the list, opening it marks it 已读.
    login_via_form(phone_page, base, "member1", PASSWORD)
    phone_page.goto(f"{base}/news/")
    item = phone_page.get_by_role("link", name=NOTICE).first
    expect(item).to_contain_text("未读")
    _fits_phone(phone_page)
    item.click()
    expect(phone_page.locator("#read-mark")).to_contain_text("已读")
    expect(phone_page.locator("h1")).to_contain_text(NOTICE)
    _fits_phone(phone_page)
    _shot(phone_page, "news-notice-read-phone")
    assert ReadReceipt.objects.filter(article=article, person=world.people["member1"]).count() == 1

    # Back in the list the 未读 flag is gone.
    phone_page.goto(f"{base}/news/")
    expect(phone_page.get_by_role("link", name=NOTICE).first).not_to_contain_text("未读")

    # The secretary's figures rise to 1 of 2: overall, on branch_a1's row, in the unread list.
    page.reload()
    expect(rate).to_contain_text("已读 1 / 应读 2 人")
    expect(rate).to_contain_text("50.0%")
    expect(page.locator("#unit-rates tbody")).to_contain_text("50.0%")
    expect(page.locator("#unread-list li")).to_have_count(1)
    expect(page.locator("#unread-list")).to_contain_text("张一")
    expect(page.locator("#unread-list")).not_to_contain_text("党员一")
    _shot(page, "news-receipts-after")


def test_visitor_reads_portal_and_leaves_message_on_phone(world, live_server, phone_page):
    expect = _expect()
    base = live_server.url
    open_public_board(world.root, world.users["admin"])  # the root unit's NewsPolicy.public_board on
    article = make_published_article(
        world.root, world.users["admin"], visibility=Visibility.PUBLIC, category=Category.NEWS, title=PUBLIC_TITLE
    )
    page = phone_page  # no login anywhere

    # The public home page lists the article.
    page.goto(f"{base}/public/")
    expect(page.locator("header")).to_contain_text("某大学党委")
    link = page.get_by_role("link", name=PUBLIC_TITLE)
    expect(link).to_be_visible()
    _fits_phone(page)
    _shot(page, "public-home-phone")

    # The article.
    link.click()
    expect(page).to_have_url(f"{base}/public/articles/{article.pk}/")
    expect(page.locator("h1")).to_contain_text(PUBLIC_TITLE)
    expect(page.locator("body")).to_contain_text("正文")
    _fits_phone(page)
    _shot(page, "public-article-phone")

    # The board, from the portal's navigation; its form is open to visitors.
    page.get_by_role("navigation", name="公开栏目").get_by_role("link", name="留言板").click()
    expect(page).to_have_url(f"{base}/public/board/")
    form = page.locator("#leave-message form")
    expect(form).to_be_visible()
    page.select_option("#id_category", index=0)
    page.fill("#id_title", "图书馆开放时间")
    page.fill("#id_body", "希望考试周图书馆延长开放时间。")
    page.fill("#id_visitor_name", "一名学生")
    # The image has loaded: the challenge is in the session (the cookie came with the image).
    expect(page.locator("#captcha-img")).to_have_js_property("complete", True)
    expect(page.locator("#captcha-img")).not_to_have_js_property("naturalWidth", 0)
    page.fill("#id_captcha", str(_captcha_answer(page)))
    _fits_phone(page)
    _shot(page, "public-board-form-phone")

    form.get_by_role("button", name="提交留言").click()
    expect(page).to_have_url(f"{base}/public/board/")
    expect(page.locator(".alert-success")).to_contain_text("留言已提交")
    expect(page.locator("#captcha-img")).not_to_have_js_property("naturalWidth", 0)  # a fresh challenge
    _fits_phone(page)
    _shot(page, "public-board-sent-phone")

    message = Message.objects.get()
    assert message.author_id is None and message.unit_id == world.root.pk
    assert (message.title, message.visitor_name) == ("图书馆开放时间", "一名学生")
    # Unanswered messages are not published: the visitor's message is not on the public page yet.
    expect(page.locator("main")).not_to_contain_text("希望考试周图书馆延长开放时间")
