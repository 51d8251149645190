"""A member on a 375px phone: the study home, the library and an article whose page sends the
study heartbeat (study.js) as soon as it is visible. Every wait is a Playwright event, no sleep."""

import pytest

from cloudbranch.learning.models import StudyProgress
from cloudbranch.learning.tests.test_resources_support import make_resource
from cloudbranch.testing.browser import login_via_form, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Passw0rd!x"  # UserFactory's password
PHONE_WIDTH = 375
SCROLL_TOLERANCE = 2


def _fits_phone(page) -> None:
    width = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
    assert width <= PHONE_WIDTH + SCROLL_TOLERANCE, f"{page.url} scrolls sideways on a phone: {width}px"


def test_member_reads_an_article_on_a_phone(world, live_server, phone_page):
    page = phone_page
    article = make_resource(
        world.branch_a1,
        world.users["secretary1"],
        title="深刻领悟“两个确立”的决定性意义",
        body="<h2>一、为什么</h2><p>" + "学习党章，尊崇党章，遵守党章，贯彻党章，维护党章。" * 20 + "</p>",
        kps=["两个确立"],
    )
    make_resource(world.root, world.users["admin"], title="全校学习通知", audience="school", column="news")
    login_via_form(page, live_server.url, "member1", PASSWORD)

    page.goto(f"{live_server.url}/learning/")
    assert page.locator("#study-cards").is_visible()
    assert page.get_by_text("全校学习通知").first.is_visible()
    _fits_phone(page)
    screenshot(page, "learning-home-phone")

    page.goto(f"{live_server.url}/learning/resources/?q=两个确立")
    link = page.get_by_role("link", name="深刻领悟“两个确立”的决定性意义")
    assert link.is_visible()
    _fits_phone(page)

    with page.expect_response(lambda r: r.url.endswith(f"/learning/resources/{article.pk}/beat/")) as beat:
        link.click()
    assert beat.value.status == 200 and beat.value.json()["seconds"] == 0
    assert page.locator("#study-status").is_visible()
    _fits_phone(page)
    screenshot(page, "learning-article-phone")
    assert StudyProgress.objects.filter(person=world.people["member1"], resource=article).exists()
