"""Browser journeys of the roster (issue 3, "Done means"): log in → open the roster → import a
file with errors → see the row/column list → import the fixed file → find the person; the same
roster on a 375px phone; the organization admin reveals a full ID number (audited).

Tasks run with the immediate backend in tests, so an import job has finished by the time its
page loads; the assertions still wait through Playwright's ``expect`` (never ``time.sleep``).
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.people.models import ImportJob, Person
from cloudbranch.people.tests.import_helpers import person_row, workbook_bytes
from cloudbranch.testing.browser import login_via_form, screenshot
from cloudbranch.testing.factories import PersonFactory

pytestmark = pytest.mark.browser

PASSWORD = "Passw0rd!x"  # UserFactory's password
PHONE_WIDTH = 375
SCROLL_TOLERANCE = 2  # px: sub-pixel rounding, never a real horizontal scroll

NAMES = ("陈立新", "林晓彤", "高远航", "韩雪梅")  # spreadsheet rows 2..5
FOUND = "林晓彤"  # the row with the bad check digit in the first file


def expect():
    from playwright.sync_api import expect as _expect

    return _expect


def _bad_check_digit(id_number: str) -> str:
    last = id_number[-1]
    return id_number[:-1] + ("0" if last != "0" else "1")


def _rows(*, broken: bool) -> list[dict]:
    rows = [person_row(9100 + i, 姓名=name) for i, name in enumerate(NAMES)]
    if broken:
        rows[1]["身份证号"] = _bad_check_digit(rows[1]["身份证号"])  # row 3
        rows[2]["所在党组织编码"] = "ZZ99"  # row 4: no such unit
        rows[3]["转正日期"] = timezone.localdate() + datetime.timedelta(days=60)  # row 5: in the future
    return rows


def _write_xlsx(path, rows) -> str:
    path.write_bytes(workbook_bytes(rows))
    return str(path)


def _page_width(page) -> int:
    return page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")


def _upload(page, file_path: str) -> None:
    page.set_input_files("#id_file", file_path)
    with page.expect_navigation():
        page.get_by_role("button", name="上传并预览").click()


def test_import_with_errors_then_fixed_file_then_find_person(page, live_server, world, tmp_path):
    ex = expect()
    login_via_form(page, live_server.url, "secretary1", PASSWORD)

    # The roster, from the top menu.
    page.locator("#cb-nav").get_by_role("link", name="人员名册").click()
    ex(page).to_have_url(re.compile(r"/people/$"))
    ex(page.locator("h1")).to_have_text("人员名册")
    ex(page.locator("#roster-rows")).to_contain_text("张一")
    ex(page.locator("#roster-rows")).not_to_contain_text("李二")  # secretary2's branch
    screenshot(page, "roster-desktop")

    # Import page.
    page.locator("main a[href='/people/import/']").click()
    ex(page).to_have_url(re.compile(r"/people/import/$"))
    ex(page.locator("h1")).to_have_text("导入人员")

    # A file with one error in each of rows 3, 4 and 5.
    _upload(page, _write_xlsx(tmp_path / "名册-有错.xlsx", _rows(broken=True)))
    ex(page).to_have_url(re.compile(r"/people/import/\d+/$"))
    ex(page.locator("#job-message")).to_contain_text("未导入任何数据")
    table = page.locator("#job-errors")
    ex(table).to_be_visible()
    ex(table.locator("thead th")).to_have_text(["行", "列", "问题"])
    cells = [
        (r.locator("td").nth(0).inner_text().strip(), r.locator("td").nth(1).inner_text().strip())
        for r in table.locator("tbody tr").all()
    ]
    assert cells == [("3", "身份证号"), ("4", "所在党组织编码"), ("5", "转正日期")], cells
    ex(table.locator("tbody tr").nth(1)).to_contain_text("ZZ99")
    ex(page.locator("#job-progress[hx-trigger]")).to_have_count(0)  # finished: polling stopped
    screenshot(page, "import-job-errors-desktop")
    # All or nothing: not even the valid rows 2 were written.
    assert not Person.objects.filter(name__in=NAMES).exists()
    assert ImportJob.objects.get(file_name="名册-有错.xlsx").status == "failed"

    # The fixed file.
    page.locator("main").get_by_role("link", name="重新上传").click()
    _upload(page, _write_xlsx(tmp_path / "名册-已改.xlsx", _rows(broken=False)))
    ex(page.locator("#job-message")).to_contain_text("将新增 4 人")
    with page.expect_navigation():
        page.get_by_role("button", name="确认导入").click()
    ex(page.locator("#job-message")).to_contain_text("导入完成：新增 4 人")
    ex(page.locator("#job-progress .badge")).to_have_class(re.compile("text-bg-success"))
    ex(page.locator("#job-errors")).to_have_count(0)
    screenshot(page, "import-job-success-desktop")
    assert set(Person.objects.filter(name__in=NAMES).values_list("unit__code", flat=True)) == {"CA01"}

    # Find the person in the roster (the search box filters through HTMX as one types).
    page.locator("main a[href='/people/']").click()
    ex(page).to_have_url(re.compile(r"/people/$"))
    page.fill("#id_q", FOUND)
    ex(page).to_have_url(re.compile(r"[?&]q="))
    rows = page.locator("#roster-rows")
    ex(rows).to_contain_text("共 1 人")
    ex(rows.locator("table")).to_contain_text(FOUND)
    ex(rows.locator("table")).not_to_contain_text("张一")
    screenshot(page, "roster-search-desktop")

    # Their detail page shows the masked ID number only: branch secretaries lack view_sensitive.
    person = Person.objects.get(name=FOUND)
    clear = person.reveal_id_number()
    masked = clear[:4] + "*" * 10 + clear[-4:]
    rows.locator("table").get_by_role("link", name=FOUND).click()
    ex(page).to_have_url(re.compile(rf"/people/{person.pk}/$"))
    ex(page.locator("#id-number")).to_have_text(masked)
    ex(page.get_by_text("显示完整证件号")).to_have_count(0)
    assert clear not in page.content()
    screenshot(page, "person-detail-desktop")


def test_roster_and_import_errors_on_a_phone(phone_page, live_server, world, tmp_path):
    ex = expect()
    page = phone_page
    PersonFactory(
        unit=world.branch_a1,
        name="预备党员甲",
        political_status="probationary",
        applied_on=datetime.date(2021, 3, 1),
        activist_on=datetime.date(2021, 9, 1),
        candidate_on=datetime.date(2022, 3, 1),
        joined_on=datetime.date(2022, 6, 1),
        confirmed_on=None,
    )
    login_via_form(page, live_server.url, "secretary1", PASSWORD)
    page.goto(f"{live_server.url}/people/")
    cards = page.locator("#roster-rows .list-group")
    ex(cards).to_be_visible()
    ex(page.locator("#roster-rows table")).to_be_hidden()  # the table is for wider screens
    ex(cards).to_contain_text("张一")
    ex(cards).to_contain_text("预备党员甲")
    assert _page_width(page) <= PHONE_WIDTH + SCROLL_TOLERANCE
    screenshot(page, "roster-phone")

    # Filter by political status: HTMX swaps the list and pushes the URL.
    page.select_option("#id_status", "probationary")
    ex(page).to_have_url(re.compile(r"[?&]status=probationary"))
    ex(cards).not_to_contain_text("张一")
    ex(cards).to_contain_text("预备党员甲")
    ex(page.locator("#roster-rows")).to_contain_text("共 1 人")
    assert _page_width(page) <= PHONE_WIDTH + SCROLL_TOLERANCE
    screenshot(page, "roster-phone-filtered")

    # A card opens the detail page, which fits the screen too.
    cards.get_by_role("link").filter(has_text="预备党员甲").click()
    ex(page).to_have_url(re.compile(r"/people/\d+/$"))
    ex(page.locator("h1")).to_have_text("预备党员甲")
    ex(page.locator("#id-number")).to_contain_text("**********")
    assert _page_width(page) <= PHONE_WIDTH + SCROLL_TOLERANCE
    screenshot(page, "person-detail-phone")

    # The import error table scrolls inside its own box, never the page.
    page.goto(f"{live_server.url}/people/import/")
    assert _page_width(page) <= PHONE_WIDTH + SCROLL_TOLERANCE
    _upload(page, _write_xlsx(tmp_path / "phone.xlsx", _rows(broken=True)))
    ex(page.locator(".table-responsive #job-errors tbody tr")).to_have_count(3)
    assert _page_width(page) <= PHONE_WIDTH + SCROLL_TOLERANCE
    screenshot(page, "import-job-errors-phone")


def test_org_admin_reveals_full_id_number_and_it_is_audited(page, live_server, world):
    ex = expect()
    person = world.people["a1_other"]
    clear = person.reveal_id_number()
    audited = AuditEvent.objects.filter(
        action="people.person.view_sensitive", target_id=str(person.pk), actor=world.users["admin"]
    )
    assert not audited.exists()

    login_via_form(page, live_server.url, "admin", PASSWORD)
    page.goto(f"{live_server.url}/people/{person.pk}/")
    id_number = page.locator("#id-number")
    ex(id_number).to_contain_text(person.id_number_masked)
    assert clear not in page.content()

    page.get_by_role("button", name="显示完整证件号").click()
    ex(id_number).to_contain_text(clear)
    ex(id_number).to_contain_text("已记录查看")
    ex(page.get_by_role("button", name="显示完整证件号")).to_have_count(0)
    screenshot(page, "person-detail-revealed-desktop")
    assert audited.count() == 1


def test_job_page_polls_progress_and_reloads_when_finished(page, live_server, world):
    """A job still queued (as with the database backend): the page polls the progress fragment
    every second and reloads by itself once a worker has finished the job."""
    from cloudbranch.people import importing

    ex = expect()
    job = importing.import_job_create(
        actor=world.users["secretary1"],
        file_name="排队中.xlsx",
        data=workbook_bytes(_rows(broken=True)),
        enqueue=False,
    )
    login_via_form(page, live_server.url, "secretary1", PASSWORD)
    page.goto(f"{live_server.url}/people/import/{job.pk}/")
    ex(page.locator("#job-progress")).to_have_attribute("hx-trigger", "every 1s")
    ex(page.locator("#job-errors")).to_have_count(0)

    importing.run_job(job.pk)  # the worker

    ex(page.locator("#job-errors tbody tr")).to_have_count(3)
    ex(page.locator("#job-message")).to_contain_text("未导入任何数据")
    ex(page.locator("#job-progress[hx-trigger]")).to_have_count(0)
