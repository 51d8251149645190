"""The journey of issue 4 ("Done means") in a real browser: the branch secretary plans a themed
Party day (主题党日) through the meeting form and sends the notice → a member checks in on a 375px
phone by typing the 6-digit code read from the host's screen → the secretary marks the meeting held,
writes the minutes and archives it → the compliance calendar of the branch turns green for this
month's themed day.

Two browser contexts (own cookies): the secretary on a desktop, the member on a phone. The meeting
starts a few minutes from now so that check-in is open (it opens 30 minutes before the start);
"mark held" is refused before the start, so once the member has checked in the test lets the start
pass by moving ``starts_at`` back in the database (the only write that bypasses the pages).
Every wait is Playwright's ``expect`` auto-waiting; screenshots go to /tmp/cloudbranch-screenshots.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from cloudbranch.meetings.choices import AttendanceStatus, CheckInMethod, MeetingKind, MeetingStatus
from cloudbranch.meetings.models import Invitee, Meeting
from cloudbranch.notifications.models import Notification
from cloudbranch.testing.browser import login_via_form, new_page, screenshot

pytestmark = pytest.mark.browser

PASSWORD = "Passw0rd!x"  # UserFactory's password
PHONE_WIDTH = 375
SCROLL_TOLERANCE = 2  # px: sub-pixel rounding, never a real horizontal scroll
TITLE = "本月主题党日：重温入党誓词"
MINUTES = "一、全体党员重温入党誓词。\n二、学习本月主题材料，交流心得体会。"
DECISIONS = "下月开展志愿服务活动。"


def _page_width(page) -> int:
    return page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")


def _fits_phone(page) -> None:
    width = _page_width(page)
    assert width <= PHONE_WIDTH + SCROLL_TOLERANCE, f"{page.url} scrolls sideways on a phone: {width}px"


def _local_input(moment: datetime.datetime) -> str:
    """A value for an <input type="datetime-local"> in the site's time zone (Asia/Shanghai)."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def sec_phone(browser):
    """A second phone (375x812) context, for the secretary."""
    page = new_page(browser, phone=True)
    yield page
    page.context.close()


@pytest.mark.django_db(transaction=True)
def test_themed_day_from_notice_to_green_calendar(world, live_server, page, phone_page, sec_phone):
    from playwright.sync_api import expect

    base = live_server.url
    branch = world.branch_a1
    member = world.people["member1"]
    now = timezone.now()

    # the secretary also on a phone (own cookies): the same pages must work at 375px
    login_via_form(sec_phone, base, "secretary1", PASSWORD)

    # --- 1. the secretary plans the themed Party day through the form ---------------------------
    login_via_form(page, base, "secretary1", PASSWORD)
    page.goto(f"{base}/meetings/new/")
    expect(page.locator("h1")).to_have_text("安排会议")
    page.select_option("#id_unit", str(branch.pk))
    # choosing the unit reloads host / recorder / groups / themes by HTMX: wait for its people
    expect(page.locator("#id_recorder option", has_text="张一")).to_have_count(1)
    page.select_option("#id_kind", MeetingKind.THEMED_DAY)
    page.fill("#id_title", TITLE)
    page.fill("#id_starts_at", _local_input(now + datetime.timedelta(minutes=5)))
    page.fill("#id_ends_at", _local_input(now + datetime.timedelta(hours=2)))
    page.fill("#id_place", "计算机楼 301 会议室")
    page.select_option("#id_invitee_scope", "unit")
    page.select_option("#id_recorder", label="张一")
    page.fill("#id_topic", "重温入党誓词，学习本月主题")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "journey-01-meeting-form-desktop")
    page.click("#meeting-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/meetings/\d+/$"))
    sec_phone.goto(f"{base}/meetings/new/")
    sec_phone.select_option("#id_unit", str(branch.pk))
    expect(sec_phone.locator("#id_recorder option", has_text="张一")).to_have_count(1)
    _fits_phone(sec_phone)
    screenshot(sec_phone, "journey-01-meeting-form-phone")
    meeting = Meeting.objects.get(title=TITLE)
    assert (meeting.unit_id, meeting.kind, meeting.status) == (branch.pk, MeetingKind.THEMED_DAY, MeetingStatus.DRAFT)
    assert meeting.created_by == world.users["secretary1"]

    # --- 2. send the notice (发布通知): the member is invited and told ---------------------------
    page.get_by_role("button", name="发布通知").click()
    expect(page.locator(".alert-success")).to_contain_text("已发布会议通知")
    expect(page.locator("h1 .badge")).to_have_text("已通知")
    panel = page.locator("#attendance-panel")
    expect(panel).to_contain_text("党员一")
    expect(panel.locator("[data-count=expected]")).to_have_text("2")  # 党员一 and 张一, the whole branch
    assert Invitee.objects.filter(meeting=meeting, person=member, status=AttendanceStatus.INVITED).exists()
    assert Notification.objects.filter(recipient=world.users["member1"], title__contains=TITLE).exists()

    # the host's screen shows the rotating QR code and the 6-digit fallback code
    page.goto(f"{base}/meetings/{meeting.pk}/checkin/screen/")
    expect(page.locator("#checkin-qr svg")).to_be_visible()
    code = page.locator("[data-checkin-code]").inner_text().strip()
    meeting.refresh_from_db()
    assert re.fullmatch(r"\d{6}", code) and code == meeting.checkin_code

    # --- 3. the member checks in on a phone by typing the code ---------------------------------
    phone = phone_page
    login_via_form(phone, base, "member1", PASSWORD)
    phone.goto(f"{base}/meetings/mine/")
    upcoming = phone.locator("#my-upcoming")
    expect(upcoming).to_contain_text(TITLE)
    _fits_phone(phone)
    screenshot(phone, "journey-02-my-meetings-phone")
    upcoming.locator("a.btn-success", has_text="签到").first.click()
    phone.fill("#checkin-code", code)
    phone.click("form button[type=submit]:has-text('签到')")
    result = phone.locator("#checkin-result")
    expect(result).to_contain_text("签到成功")
    expect(result).to_contain_text(TITLE)
    _fits_phone(phone)
    screenshot(phone, "journey-03-checkin-success-phone")
    invitee = Invitee.objects.get(meeting=meeting, person=member)
    assert (invitee.status, invitee.check_in_method) == (AttendanceStatus.PRESENT, CheckInMethod.CODE)

    # --- 4. the secretary sees the attendance, marks the meeting held --------------------------
    page.goto(f"{base}/meetings/{meeting.pk}/")
    expect(panel.locator("[data-count=present]")).to_have_text("1")
    expect(panel.locator("[data-count=rate]")).to_have_text("50%")
    screenshot(page, "journey-04-detail-attendance-desktop")
    sec_phone.goto(f"{base}/meetings/{meeting.pk}/")
    expect(sec_phone.locator("#attendance-panel [data-count=present]")).to_have_text("1")
    expect(sec_phone.locator("#records-panel")).to_be_visible()
    _fits_phone(sec_phone)
    screenshot(sec_phone, "journey-04-detail-attendance-phone")
    expect(page.get_by_role("button", name="标记为已召开")).to_have_count(0)  # not offered before the start
    # time passes: the meeting has begun (keep it within today, so in this month's period)
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - datetime.timedelta(minutes=1))
    page.goto(f"{base}/meetings/{meeting.pk}/")
    page.get_by_role("button", name="标记为已召开").click()
    expect(page.locator(".alert-success")).to_contain_text("已标记为已召开")
    expect(page.locator("h1 .badge")).to_have_text("已召开")

    # --- 5. minutes in the records panel, then archive ------------------------------------------
    records = page.locator("#records-panel")
    records.locator("textarea[name=minutes]").fill(MINUTES)
    records.locator("textarea[name=decisions]").fill(DECISIONS)
    with page.expect_response(lambda r: r.url.endswith(f"/meetings/{meeting.pk}/records/minutes/")) as saved:
        records.get_by_role("button", name="保存会议记录").click()
    assert saved.value.status == 200
    expect(records.locator("textarea[name=minutes]")).to_have_value(MINUTES)
    expect(records.locator(".alert-success")).to_contain_text("会议记录已保存")
    meeting.refresh_from_db()
    assert (meeting.minutes, meeting.decisions) == (MINUTES, DECISIONS)
    page.get_by_role("button", name="归档").click()
    expect(page.locator(".alert-success")).to_contain_text("会议已归档")
    expect(page.locator("h1 .badge")).to_have_text("已归档")
    expect(page.locator(".alert-dark")).to_contain_text("内容只读")
    expect(records).to_contain_text("已归档，只读")
    expect(records).to_contain_text("重温入党誓词")
    expect(records.locator("textarea[name=minutes]")).to_have_count(0)  # read-only now
    expect(panel.locator("[data-count=present]")).to_have_text("1")
    screenshot(page, "journey-05-archived-detail-desktop")
    sec_phone.goto(f"{base}/meetings/{meeting.pk}/")
    expect(sec_phone.locator("#records-panel")).to_contain_text("已归档，只读")
    _fits_phone(sec_phone)
    screenshot(sec_phone, "journey-05-archived-detail-phone")
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.ARCHIVED and meeting.archived_at is not None

    # --- 6. the compliance calendar: this month's themed day is met (green) --------------------
    today = timezone.localdate()
    period = f"{today:%Y-%m}"
    calendar_url = f"{base}/meetings/calendar/{branch.pk}/?year={today.year}&month={today.month}"
    page.goto(calendar_url)
    expect(page.locator("h1")).to_contain_text(branch.name)
    cell = page.locator(f"#calendar-grid td[data-kind={MeetingKind.THEMED_DAY}][data-period='{period}']")
    expect(cell).to_have_attribute("data-state", "met")
    expect(cell).to_have_class(re.compile(r"\bbg-success-subtle\b"))
    expect(cell).to_contain_text("1 / 1")
    expect(cell).to_contain_text("已完成")
    # no committee at branch_a1: the committee-meeting rule does not apply there
    expect(page.locator(f"#calendar-grid td[data-kind={MeetingKind.COMMITTEE}]")).to_have_count(0)
    screenshot(page, "journey-06-calendar-desktop")

    # the same calendar as a list on the secretary's phone
    phone = sec_phone
    phone.goto(calendar_url)
    item = phone.locator(f"#calendar-list li[data-kind={MeetingKind.THEMED_DAY}][data-period='{period}']")
    expect(item).to_have_attribute("data-state", "met")
    expect(item.locator(".badge")).to_have_class(re.compile(r"\btext-bg-success\b"))
    expect(item).to_be_visible()
    _fits_phone(phone)
    screenshot(phone, "journey-07-calendar-phone")

    # --- 7. the roll-up of the branch counts the met themed day --------------------------------
    page.goto(f"{base}/meetings/compliance/?unit={branch.pk}&year={today.year}")
    expect(page.locator("[data-testid=total-met]")).not_to_have_text("0")
    screenshot(page, "journey-08-compliance-rollup-desktop")
