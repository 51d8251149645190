"""Playwright: a publicity officer writes and submits a notice → the secretary approves it → a
member reads it on a 375px phone → the read rate updates. Every wait is a Playwright event."""

import pytest

from cloudbranch.news.models import Article, ReadReceipt
from cloudbranch.news.tests.factories import publicity_officer
from cloudbranch.testing.browser import login_via_form, new_page, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Passw0rd!x"  # UserFactory's password
PHONE_WIDTH = 375
SCROLL_TOLERANCE = 2


def _fits_phone(page) -> None:
    width = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
    assert width <= PHONE_WIDTH + SCROLL_TOLERANCE, f"{page.url} scrolls sideways on a phone: {width}px"


def test_notice_written_approved_read_on_phone(world, live_server, browser):
    officer = publicity_officer(world.branch_a1, username="publicity1")
    base = live_server.url

    # 1. The publicity officer writes a notice requiring reading and submits it (on a phone too).
    page = new_page(browser, phone=True)
    login_via_form(page, base, officer.username, PASSWORD)
    page.goto(f"{base}/news/articles/new/?category=notice")
    page.select_option("#id_unit", str(world.branch_a1.pk))
    page.fill("#id_title", "关于学习党的二十届三中全会精神的通知")
    page.fill("#id_body", "<p>请全体党员认真学习全会公报。</p><script>alert(1)</script>")
    page.check("#id_requires_reading")
    _fits_phone(page)
    with page.expect_navigation():
        page.click("button[name=then][value=submit]")
    article = Article.objects.get()
    assert article.status == "submitted" and "<script" not in article.body
    page.context.close()

    # 2. The branch secretary approves it from the review queue.
    page = new_page(browser)
    login_via_form(page, base, "secretary1", PASSWORD)
    page.goto(f"{base}/news/manage/?status=review")
    with page.expect_navigation():
        page.get_by_role("link", name="关于学习党的二十届三中全会精神的通知").click()
    with page.expect_navigation():
        page.click("#review-form button[value=approve]")
    assert Article.objects.get().status == "published"
    page.goto(f"{base}/news/articles/{article.pk}/receipts/")
    assert "0.0%" in page.locator("#read-rate").inner_text()

    # 3. The member reads it on a phone: the unread badge, the article, the 已读 mark.
    phone = new_page(browser, phone=True)
    login_via_form(phone, base, "member1", PASSWORD)
    phone.goto(f"{base}/news/")
    assert phone.locator("#unread-badge").is_visible()
    _fits_phone(phone)
    screenshot(phone, "news-list-phone")
    with phone.expect_navigation():
        phone.get_by_role("link", name="关于学习党的二十届三中全会精神的通知").first.click()
    assert "已读" in phone.locator("#read-mark").inner_text()
    _fits_phone(phone)
    screenshot(phone, "news-article-phone")
    assert ReadReceipt.objects.filter(article=article, person=world.people["member1"]).count() == 1

    # 4. The read rate updates: 1 of 2 in branch_a1 (member1 and 张一).
    page.reload()
    assert "50.0%" in page.locator("#read-rate").inner_text()
    assert "张一" in page.locator("#unread-list").inner_text()
    phone.context.close()
    page.context.close()
