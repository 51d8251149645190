"""Browser journey of check-in on a 375px phone: the member opens "my meetings", taps 签到, types
the 6-digit code from the host's screen and sees the success message; the host's QR screen fits too."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from cloudbranch.meetings.models import Invitee
from cloudbranch.testing.browser import login_via_form, screenshot

from .test_attendance_services import make_meeting

pytestmark = pytest.mark.browser

PASSWORD = "Passw0rd!x"  # UserFactory's password
SCROLL_TOLERANCE = 2


def _page_width(page) -> int:
    return page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")


@pytest.mark.django_db(transaction=True)
def test_member_checks_in_by_code_on_a_phone(world, live_server, phone_page):
    from playwright.sync_api import expect

    now = timezone.now()
    meeting = make_meeting(
        world, starts_at=now - datetime.timedelta(minutes=5), ends_at=now + datetime.timedelta(hours=1)
    )
    page = phone_page
    login_via_form(page, live_server.url, "member1", PASSWORD)
    page.goto(f"{live_server.url}/meetings/mine/")
    assert _page_width(page) <= 375 + SCROLL_TOLERANCE
    page.locator("#my-upcoming a.btn-success", has_text="签到").click()
    page.fill("#checkin-code", meeting.checkin_code)
    page.click("form button[type=submit]:has-text('签到')")
    expect(page.locator("#checkin-result")).to_contain_text("签到成功")
    assert _page_width(page) <= 375 + SCROLL_TOLERANCE
    screenshot(page, "attendance-checkin-phone")
    assert Invitee.objects.get(meeting=meeting, person=world.people["member1"]).status == "present"


@pytest.mark.django_db(transaction=True)
def test_host_screen_fits_a_phone(world, live_server, phone_page):
    from playwright.sync_api import expect

    now = timezone.now()
    meeting = make_meeting(
        world, starts_at=now - datetime.timedelta(minutes=5), ends_at=now + datetime.timedelta(hours=1)
    )
    page = phone_page
    login_via_form(page, live_server.url, "secretary1", PASSWORD)
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/checkin/screen/")
    expect(page.locator("#checkin-qr svg")).to_be_visible()
    expect(page.locator("[data-checkin-code]")).to_have_text(meeting.checkin_code)
    assert _page_width(page) <= 375 + SCROLL_TOLERANCE
    screenshot(page, "attendance-screen-phone")
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/attendance/")
    expect(page.locator("#attendance-panel")).to_contain_text("张一")
    assert _page_width(page) <= 375 + SCROLL_TOLERANCE
    screenshot(page, "attendance-panel-phone")
