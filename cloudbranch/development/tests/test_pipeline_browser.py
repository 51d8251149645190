"""The pipeline page and the due list on a 375px phone: no horizontal scrolling, charts drawn."""

import os

import pytest

from cloudbranch.testing.browser import login_via_form

from .test_pipeline_views import _build

pytestmark = pytest.mark.browser

PASSWORD = "Passw0rd!x"  # UserFactory's password
SCROLL_TOLERANCE = 2


def _page_width(page) -> int:
    return page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")


@pytest.mark.django_db(transaction=True)
def test_pipeline_and_due_list_fit_a_phone(world, live_server, phone_page):
    from playwright.sync_api import expect

    _build(world)
    page = phone_page
    login_via_form(page, live_server.url, "admin", PASSWORD)
    page.goto(f"{live_server.url}/development/pipeline/?unit={world.root.pk}")
    expect(page.locator("[data-testid=total-open]")).to_have_text("5")
    expect(page.locator("#chart-funnel canvas")).to_have_count(1)
    expect(page.locator("#chart-children canvas")).to_have_count(1)
    assert _page_width(page) <= 375 + SCROLL_TOLERANCE
    if os.environ.get("PIPELINE_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["PIPELINE_SCREENSHOTS"], "pipeline-phone.png"), full_page=True)
    page.click("a:has-text('到期与逾期') >> nth=-1")
    expect(page.locator("#due-table tbody tr")).to_have_count(3)
    assert _page_width(page) <= 375 + SCROLL_TOLERANCE
    if os.environ.get("PIPELINE_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["PIPELINE_SCREENSHOTS"], "due-phone.png"), full_page=True)
