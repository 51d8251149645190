"""Browser journey on a phone: the daily quiz answered one question at a time (HTMX, no reload)."""

import pytest

from cloudbranch.learning import daily
from cloudbranch.learning.models import DailyQuiz
from cloudbranch.testing.browser import login_via_form, screenshot

from .test_quiz_support import bank, right

pytestmark = pytest.mark.browser

PASSWORD = "Passw0rd!x"


def test_daily_quiz_on_a_phone(phone_page, live_server, world):
    bank(world.root, world.users["admin"], per_kind=3)
    page = phone_page
    login_via_form(page, live_server.url, "member1", PASSWORD)
    page.goto(live_server.url + "/learning/daily/")
    assert page.get_by_text("第 1 / 5 题").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    quiz = DailyQuiz.objects.get(person=world.people["member1"])
    for i, q in enumerate(daily.quiz_questions(quiz)):
        if q.kind == "fill":
            page.locator("input[name=blank]").first.fill(right(q)[0])
        else:
            for value in right(q):
                page.locator(f"input[name=choice][value='{value}']").check()
        if i == 0:
            screenshot(page, "daily-quiz-phone-question")
        page.get_by_role("button", name="提交答案").click()
        page.wait_for_selector("#daily-feedback")
        assert "回答正确" in page.inner_text("#daily-feedback")
        if i == 0:
            screenshot(page, "daily-quiz-phone-feedback")
        page.locator("#daily-card a.btn-primary").click()
        if i < 4:
            page.wait_for_selector(f"text=第 {i + 2} / 5 题")
    page.wait_for_selector("#daily-done")
    assert "5 / 5" in page.inner_text("#daily-done")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "daily-quiz-phone-done")
