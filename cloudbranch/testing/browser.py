"""Playwright (Chromium) helpers for browser journeys.

The fixtures that use these live in ``cloudbranch/conftest.py``: ``browser`` (one Chromium per
test session), ``page`` (desktop viewport) and ``phone_page`` (375x812, touch). Browser tests
are marked ``browser`` and need ``live_server``; they skip when Chromium is not installed.

Playwright's own browser downloads are never used: the Debian ``chromium`` package is driven
through ``executable_path``. Screenshots go to ``/tmp`` (never the repository).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP_VIEWPORT = {"width": 1280, "height": 800}
PHONE_VIEWPORT = {"width": 375, "height": 812}
DEFAULT_TIMEOUT_MS = 15_000
SCREENSHOT_DIR = Path(os.environ.get("CLOUDBRANCH_SCREENSHOT_DIR", "/tmp/cloudbranch-screenshots"))
LOGIN_PATH = "/accounts/login/"


def chromium_path() -> str | None:
    """The system Chromium (Debian package ``chromium``), or None when it is not installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def launch_chromium(playwright, executable_path: str):
    return playwright.chromium.launch(executable_path=executable_path, args=CHROMIUM_ARGS, headless=True)


def new_page(browser, *, phone: bool = False):
    """A page in a fresh context (own cookies), Chinese locale and Beijing time."""
    options = {
        "viewport": PHONE_VIEWPORT if phone else DESKTOP_VIEWPORT,
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
    }
    if phone:
        options.update(is_mobile=True, has_touch=True, device_scale_factor=2)
    context = browser.new_context(**options)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    return context.new_page()


def login_via_form(page, live_server_url: str, username: str, password: str) -> None:
    """Log in through the real login page; returns once the next page has loaded.

    A failed login stays on the login page (the caller checks the error text).
    """
    base = str(live_server_url).rstrip("/")
    page.goto(f"{base}{LOGIN_PATH}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("form button[type=submit]")


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Save a PNG under SCREENSHOT_DIR (``/tmp/cloudbranch-screenshots`` by default)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
