"""Browser journey of issue 12 ("Done means"): an official uploads a small roster file, sees the
preview, confirms it, and undoes it. Tasks run with the immediate backend, so the preview is
ready when the job page loads; assertions wait through Playwright's ``expect``."""

from __future__ import annotations

import re

import pytest

from cloudbranch.people.models import ImportJob, Person
from cloudbranch.people.tests.import_helpers import person_row, workbook_bytes
from cloudbranch.testing.browser import login_via_form, screenshot

pytestmark = pytest.mark.browser

PASSWORD = "Passw0rd!x"  # UserFactory's password
NAMES = ("周明远", "吴佳琪")


def test_official_previews_confirms_and_undoes_an_import(page, live_server, world, tmp_path):
    from playwright.sync_api import expect

    path = tmp_path / "新生党员.xlsx"
    path.write_bytes(workbook_bytes([person_row(9300 + i, 姓名=name) for i, name in enumerate(NAMES)]))
    login_via_form(page, live_server.url, "secretary1", PASSWORD)
    page.goto(f"{live_server.url}/people/import/")
    page.set_input_files("#id_file", str(path))
    with page.expect_navigation():
        page.get_by_role("button", name="上传并预览").click()

    # The preview: counts and the planned changes; nothing written yet.
    expect(page).to_have_url(re.compile(r"/people/import/\d+/$"))
    expect(page.locator("#job-message")).to_contain_text("将新增 2 人")
    expect(page.locator("#job-changes tbody tr")).to_have_count(2)
    expect(page.locator("#job-changes")).to_contain_text(NAMES[0])
    screenshot(page, "import-preview-desktop")
    assert not Person.objects.filter(name__in=NAMES).exists()

    with page.expect_navigation():
        page.get_by_role("button", name="确认导入").click()
    expect(page.locator("#job-message")).to_contain_text("导入完成：新增 2 人")
    expect(page.locator("#job-progress .badge")).to_have_class(re.compile("text-bg-success"))
    assert Person.objects.filter(name__in=NAMES).count() == 2

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.locator("#undo-form button").click()
    expect(page.locator("#job-message")).to_contain_text("已撤销")
    expect(page.locator("#undo-form")).to_have_count(0)
    screenshot(page, "import-undone-desktop")
    assert not Person.objects.filter(name__in=NAMES).exists()
    assert ImportJob.objects.get(file_name="新生党员.xlsx").status == "undone"
