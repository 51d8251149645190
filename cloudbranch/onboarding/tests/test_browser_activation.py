"""A member on the roster activates their account on a 375×740 phone and lands on the home page
(the one-time code is read from the console channel's outbox)."""

import pytest

from cloudbranch.testing.browser import screenshot

from .conftest import NEW_PASSWORD, last_code, make_newcomer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(db):
    from cloudbranch.conftest import build_world

    return build_world()


def test_member_activates_on_a_phone(world, live_server, browser):
    from playwright.sync_api import expect

    from cloudbranch.testing.browser import new_page

    _, id_number = make_newcomer(world.branch_a1)
    page = new_page(browser, phone=True)
    page.set_viewport_size({"width": 375, "height": 740})
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        with page.expect_navigation():
            page.get_by_role("link", name="激活账号").click()
        page.fill("#id_name", "赵新人")
        page.fill("#id_id_number", id_number)
        page.fill("#id_staff_number", "S2024001")
        with page.expect_navigation():
            page.get_by_role("button", name="下一步").click()
        expect(page.locator("#masked-to")).to_have_text("138****1234")
        page.fill("#id_code", last_code())
        with page.expect_navigation():
            page.get_by_role("button", name="下一步").click()
        page.fill("#id_password1", NEW_PASSWORD)
        page.fill("#id_password2", NEW_PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="开通并登录").click()
        assert page.url.rstrip("/") == live_server.url.rstrip("/")
        expect(page.get_by_text("账号已开通")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth + 2")
        screenshot(page, "onboarding-activated-phone", full_page=False)
    finally:
        page.context.close()
