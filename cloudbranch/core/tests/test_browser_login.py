"""Browser journey: log in through the form, see the Chinese home page, use the phone menu."""

import pytest

from cloudbranch.testing.browser import login_via_form, screenshot

pytestmark = pytest.mark.browser

PASSWORD = "Passw0rd!x"  # UserFactory's password


def test_login_lands_on_chinese_home(page, live_server, world):
    login_via_form(page, live_server.url, "secretary1", PASSWORD)

    assert page.url.rstrip("/") == live_server.url.rstrip("/")
    assert "云端支部" in page.title()
    assert page.locator("nav.navbar").is_visible()
    body = page.inner_text("body")
    assert "一支部书记" in body or "secretary1" in body
    assert "退出登录" in page.content()
    screenshot(page, "login-home-desktop")


def test_phone_menu_opens(phone_page, live_server, world):
    login_via_form(phone_page, live_server.url, "secretary1", PASSWORD)

    toggler = phone_page.locator(".navbar-toggler")
    menu = phone_page.locator("#cb-nav")
    assert toggler.is_visible()
    assert not menu.is_visible()
    toggler.click()
    phone_page.wait_for_selector("#cb-nav.collapse.show")  # the collapse transition has finished
    assert menu.get_by_text("消息").is_visible()
    # Nothing may force a horizontal scroll on a 375px screen.
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(phone_page, "login-home-phone-menu")


def test_wrong_password_shows_chinese_error(page, live_server, world):
    login_via_form(page, live_server.url, "secretary1", "wrong-password")

    assert "/accounts/login/" in page.url
    alert = page.locator(".alert-danger")
    assert alert.is_visible()
    assert "用户名或密码错误" in alert.inner_text()
    screenshot(page, "login-wrong-password")
