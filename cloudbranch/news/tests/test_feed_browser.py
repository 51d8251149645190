"""The feed on a 375px phone in a real browser: a member posts two photos through the form, the
merged feed shows the photo grid, scrolling to the bottom loads the next pages (infinite scroll,
HTMX ``revealed``), a like updates its count in place, a photo opens full size. No page scrolls
sideways. Screenshots go to /tmp/cloudbranch-screenshots.
"""

import datetime

import pytest
from django.utils import timezone

from cloudbranch.points import services as points
from cloudbranch.testing.browser import login_via_form, screenshot

from .factories import make_post, photo_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Passw0rd!x"  # UserFactory's password
SCROLL_TOLERANCE = 2


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    points.clear_rules_cache()
    yield
    points.clear_rules_cache()


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= (
        SCROLL_TOLERANCE
    )


def test_member_posts_scrolls_and_likes_on_a_phone(world, live_server, phone_page, tmp_path):
    from playwright.sync_api import expect

    start = timezone.now() - datetime.timedelta(days=2)
    for i in range(45):
        make_post(
            world.branch_a2,
            world.people["a2_person"],
            body=f"二支部活动{i}",
            created_at=start + datetime.timedelta(minutes=i),
        )
    page = phone_page
    login_via_form(page, live_server.url, "member1", PASSWORD)

    # Post two photos through the form.
    files = []
    for i in range(2):
        path = tmp_path / f"p{i}.jpg"
        path.write_bytes(photo_bytes(2400, 1800))
        files.append(str(path))
    page.goto(f"{live_server.url}/news/posts/new/")
    page.fill("#id_body", "主题党日：走进红色教育基地")
    page.set_input_files("#id_photos", files)
    with page.expect_navigation():
        page.get_by_role("button", name="发布", exact=True).click()
    first = page.locator("article.cb-post").first
    expect(first).to_contain_text("主题党日：走进红色教育基地")
    expect(first.locator(".cb-photos img")).to_have_count(2)
    assert no_sideways_scroll(page)
    screenshot(page, "feed-phone-top", full_page=False)

    # Infinite scroll: 46 posts, 20 a page → two more pages load as the last item is revealed.
    cards = page.locator("article.cb-post")
    expect(cards).to_have_count(20)
    for expected in (40, 46):
        cards.last.scroll_into_view_if_needed()
        expect(cards).to_have_count(expected)
    expect(page.get_by_text("没有更多了")).to_be_visible()
    assert page.locator("article.cb-post", has_text="二支部活动0").count() == 1

    # Like in place.
    page.evaluate("window.scrollTo(0, 0)")
    like = first.locator("form[hx-post] button")
    like.click()
    expect(first.locator(".cb-like-count")).to_have_text("1")
    expect(first.locator(".bi-heart-fill")).to_have_count(1)

    # Full-size view.
    first.locator("a.cb-photo").first.click()
    expect(page.locator("#cb-photo-viewer")).to_be_visible()
    screenshot(page, "feed-phone-viewer", full_page=False)
    page.locator("#cb-photo-viewer").click()
    expect(page.locator("#cb-photo-viewer")).to_be_hidden()
    assert no_sideways_scroll(page)
