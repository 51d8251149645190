"""The cockpit in a real browser on a 375px phone: charts drawn full width and 260px high, no
sideways scroll, the 表格 toggle shows the same data as a table, the ranking select re-ranks, and
the big screen draws its charts, a chart and the whole page download as PNG; no JavaScript error. Screenshots in /tmp/cloudbranch-screenshots."""

from __future__ import annotations

import datetime

import pytest

from cloudbranch.cockpit.tests.factories import finished_run, put_figures
from cloudbranch.testing.browser import login_via_form, screenshot

pytestmark = pytest.mark.browser

PASSWORD = "Passw0rd!x"
PHONE_WIDTH = 375


def test_dashboard_on_a_phone_and_big_screen(world, live_server, phone_page, page):
    year = datetime.date(2024, 1, 1)
    put_figures(world.root, {"structure.full_members": 100, "structure.probationary_members": 20,
                             "structure.members_male": 70, "structure.members_female": 50,
                             "life.meetings_met": 9, "life.meetings_required": 12}, "M", datetime.date(2024, 6, 1))  # fmt: skip
    put_figures(world.college_a, {"structure.party_members": 70, "life.meetings_met": 3, "life.meetings_required": 4}, "Y", year)  # fmt: skip
    put_figures(world.college_b, {"structure.party_members": 50, "life.meetings_met": 4, "life.meetings_required": 4}, "Y", year)  # fmt: skip
    finished_run()
    base = live_server.url
    errors: list[str] = []
    for p in (phone_page, page):
        p.on("pageerror", lambda exc: errors.append(str(exc)))
        login_via_form(p, base, world.users["admin"].username, PASSWORD)

    phone_page.goto(f"{base}/cockpit/?unit={world.root.pk}&year=2024&month=6")
    chart = phone_page.locator("#chart-status canvas")
    chart.wait_for()
    box = phone_page.locator("#chart-status").bounding_box()
    assert box["height"] == 260
    assert box["width"] > 300
    width = phone_page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
    assert width <= PHONE_WIDTH + 2
    assert phone_page.locator("#table-status").is_hidden()
    phone_page.click("[data-cb-toggle=status]")
    assert phone_page.locator("#table-status").is_visible()
    assert phone_page.locator("#chart-status").is_hidden()
    phone_page.select_option("#rank-select", "structure.party_members")
    assert phone_page.locator("#rank-top li").first.inner_text().startswith(world.college_a.name)
    screenshot(phone_page, "cockpit-dashboard-phone")

    # Exports on the desktop page: one chart as a PNG, the whole page (headline + charts) as a PNG.
    page.goto(f"{base}/cockpit/?unit={world.root.pk}&year=2024&month=6")
    page.locator("#chart-treemap canvas").wait_for()
    page.click("[data-cb-toggle=gender]")  # a chart shown as its table is left out of the page image
    for trigger, name in (("[data-cb-image=status]", "党员与发展对象构成"), ("[data-cb-page-image]", "党建数据座舱")):
        with page.expect_download() as info:
            page.click(trigger)
        download = info.value
        assert download.suggested_filename.startswith(name) and download.suggested_filename.endswith(".png")
        png = open(download.path(), "rb").read()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        if trigger == "[data-cb-page-image]":
            w, h = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
            assert w >= 2400 and h > 2000, (w, h)  # 2× the page width; headline plus every chart

    page.goto(f"{base}/cockpit/?unit={world.root.pk}&year=2024&month=6&screen=1")
    page.locator("#chart-treemap canvas").wait_for()
    screenshot(page, "cockpit-dashboard-screen", full_page=False)
    assert errors == []
