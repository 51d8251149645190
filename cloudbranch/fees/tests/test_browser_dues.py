"""The dues journeys of issue 7 ("Done means") in a real browser: a member pays two months through
the sandbox on a 375px phone and opens the receipt; a fee collector records an offline cash payment
with a receipt number for another member; the branch secretary's report for the month counts both.

The bills are made directly (bill generation is tested elsewhere): each member has an approved dues
base and one open bill per month, its amount the base's monthly dues. The sandbox's callback is a
django-tasks task queued on commit; the immediate backend of the test settings runs it at once, and
every wait is Playwright's ``expect`` auto-waiting (never a sleep). Each page is also opened on the
other viewport (phone / desktop) for the screenshots in /tmp/cloudbranch-screenshots.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from cloudbranch.fees import ledger, standards
from cloudbranch.fees.choices import BillStatus, EntryKind, OrderStatus, PaymentMethod
from cloudbranch.fees.models import Bill, LedgerEntry, PaymentOrder
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.browser import login_via_form, new_page, screenshot
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant

from .factories import make_base
from .payments_support import make_bill

pytestmark = pytest.mark.browser

PASSWORD = "Passw0rd!x"  # UserFactory's password
PHONE_WIDTH = 375
SCROLL_TOLERANCE = 2  # px: sub-pixel rounding, never a real horizontal scroll
RECEIPT_NO = "XJ-2026-0007"


def _fits_phone(page) -> None:
    width = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
    assert width <= PHONE_WIDTH + SCROLL_TOLERANCE, f"{page.url} scrolls sideways on a phone: {width}px"


def _chart_settled(page) -> None:
    """Redraw the report's ECharts chart without its grow-in animation and return once it has
    rendered, so that a screenshot shows the bars (an event, not a sleep)."""
    page.evaluate(
        """() => new Promise((resolve) => {
            const chart = window.echarts.getInstanceByDom(document.getElementById("report-chart"));
            chart.on("finished", () => resolve(true));
            chart.setOption({animation: false});
        })"""
    )


def _month_label(month: datetime.date) -> str:
    return f"{month.year}年{month.month}月"


@pytest.fixture
def brackets(transactional_db):
    """The 2008 brackets come from a data migration; an earlier transactional test's flush may have
    deleted them: load them again (idempotent) and forget the cached bands."""
    import importlib

    from django.apps import apps

    importlib.import_module("cloudbranch.fees.migrations.0002_brackets_2008").load(apps, None)
    standards.clear_cache()
    yield
    standards.clear_cache()


@pytest.fixture
def other_page(browser):
    """A second desktop context (own cookies)."""
    page = new_page(browser)
    yield page
    page.context.close()


@pytest.fixture
def other_phone(browser):
    """A second phone context (own cookies)."""
    page = new_page(browser, phone=True)
    yield page
    page.context.close()


@pytest.mark.django_db(transaction=True)
def test_member_pays_online_collector_records_cash_report_counts_both(
    world, brackets, live_server, phone_page, page, other_page, other_phone
):
    from playwright.sync_api import expect

    base = live_server.url
    branch = world.branch_a1
    secretary = world.users["secretary1"]
    this_month = timezone.localdate().replace(day=1)
    last_month = (this_month - datetime.timedelta(days=1)).replace(day=1)

    # --- the data: approved bases and open bills ------------------------------------------------
    member = world.people["member1"]
    cash_payer = world.people["a1_other"]  # 张一, no account: pays the fee collector in cash
    late_payer = PersonFactory(unit=branch, name="赵一")  # stays unpaid: the rate is not 100%
    dues = {}
    for person, income in ((member, "4000.00"), (cash_payer, "2500.00"), (late_payer, "2000.00")):
        dues[person.pk] = make_base(person, amount=income, by=secretary).monthly_dues
    assert dues == {member.pk: Decimal("40.00"), cash_payer.pk: Decimal("12.50"), late_payer.pk: Decimal("10.00")}
    member_bills = [make_bill(member, month, dues[member.pk]) for month in (last_month, this_month)]
    cash_bill = make_bill(cash_payer, this_month, dues[cash_payer.pk])
    make_bill(late_payer, this_month, dues[late_payer.pk])
    collector = UserFactory(username="collector1", display_name="一支部组织委员")
    grant(collector, branch, Role.FEE_COLLECTOR)

    # --- 1. the member pays two months through the sandbox on a phone ---------------------------
    phone = phone_page
    login_via_form(phone, base, "member1", PASSWORD)
    phone.goto(f"{base}/fees/mine/")
    expect(phone.locator("h1")).to_have_text("我的党费")
    boxes = phone.locator("#pay-form input[name=bill]")
    expect(boxes).to_have_count(2)
    expect(phone.locator("#pay-form")).to_contain_text(_month_label(last_month))
    expect(phone.locator("#pay-form")).to_contain_text(_month_label(this_month))
    # both months are ticked by default; untick and tick one again: the total follows
    boxes.nth(0).uncheck()
    expect(phone.locator("#pay-total")).to_have_text("40.00")
    for i in range(2):
        boxes.nth(i).check()
    expect(phone.locator("#pay-total")).to_have_text("80.00")
    expect(phone.locator("#pay-button")).to_be_enabled()
    _fits_phone(phone)
    screenshot(phone, "dues-01-my-dues-phone")

    phone.locator("#pay-button").click()
    expect(phone).to_have_url(re.compile(r"/fees/sandbox/[^/]+/$"))
    order = PaymentOrder.objects.get(person=member)
    assert (order.amount, order.status, order.provider) == (Decimal("80.00"), OrderStatus.CREATED, "sandbox")
    assert sorted(order.bills.values_list("pk", flat=True)) == sorted(b.pk for b in member_bills)
    expect(phone.locator("body")).to_contain_text("￥80.00")
    expect(phone.locator("body")).to_contain_text(order.order_no)
    _fits_phone(phone)
    screenshot(phone, "dues-02-sandbox-phone")

    # the same pages on a desktop, while the order still waits (for the screenshots)
    login_via_form(other_page, base, "member1", PASSWORD)
    other_page.goto(f"{base}/fees/mine/")
    expect(other_page.locator("#pay-form input[name=bill]")).to_have_count(2)
    screenshot(other_page, "dues-01-my-dues-desktop")
    other_page.goto(f"{base}/fees/sandbox/{order.order_no}/")
    expect(other_page.get_by_role("button", name="模拟支付成功")).to_be_visible()
    screenshot(other_page, "dues-02-sandbox-desktop")
    other_page.goto(f"{base}/fees/orders/{order.order_no}/")
    expect(other_page.locator("#order-state")).to_have_text("待支付")
    screenshot(other_page, "dues-03-order-waiting-desktop")

    phone.get_by_role("button", name="模拟支付成功").click()
    expect(phone).to_have_url(re.compile(rf"/fees/orders/{order.order_no}/$"))
    expect(phone.locator("#order-state")).to_have_text("已支付")
    expect(phone.locator(".alert-success")).to_contain_text("支付成功")
    receipts = phone.locator("#order-receipts a")
    expect(receipts).to_have_count(2)
    expect(receipts.nth(0)).to_contain_text(_month_label(last_month))
    expect(receipts.nth(1)).to_contain_text(_month_label(this_month))
    _fits_phone(phone)
    screenshot(phone, "dues-03-order-paid-phone")
    # the desktop's waiting page turns paid by itself (HTMX polls every 2 s)
    expect(other_page.locator("#order-state")).to_have_text("已支付")
    screenshot(other_page, "dues-03-order-paid-desktop")

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert set(Bill.objects.filter(pk__in=[b.pk for b in member_bills]).values_list("status", flat=True)) == {
        BillStatus.PAID
    }
    online = list(LedgerEntry.objects.filter(person=member).order_by("month"))
    assert [(e.month, e.amount, e.kind, e.method) for e in online] == [
        (last_month, Decimal("40.00"), EntryKind.PAYMENT, PaymentMethod.ONLINE),
        (this_month, Decimal("40.00"), EntryKind.PAYMENT, PaymentMethod.ONLINE),
    ]

    receipts.nth(1).click()
    expect(phone).to_have_url(re.compile(rf"/fees/receipts/{online[1].pk}/$"))
    receipt = phone.locator("#receipt")
    expect(receipt.locator("h1")).to_have_text("党费收据")
    expect(receipt).to_contain_text("党员一")
    expect(receipt).to_contain_text(_month_label(this_month))
    expect(receipt).to_contain_text("40.00 元")
    expect(receipt).to_contain_text("在线支付")
    expect(receipt).to_contain_text(order.order_no)
    assert online[1].receipt_no
    expect(receipt).to_contain_text(online[1].receipt_no)
    expect(phone.locator("#reverse-form")).to_have_count(0)  # a member reverses nothing
    _fits_phone(phone)
    screenshot(phone, "dues-04-receipt-phone")
    other_page.goto(f"{base}/fees/receipts/{online[1].pk}/")
    expect(other_page.locator("#receipt")).to_contain_text("40.00 元")
    screenshot(other_page, "dues-04-receipt-desktop")

    # back on my dues: nothing open, both payments in the history
    phone.goto(f"{base}/fees/mine/")
    expect(phone.locator("#pay-form")).to_have_count(0)
    expect(phone.locator("body")).to_contain_text("暂无待缴党费")
    expect(phone.locator("#history li")).to_have_count(2)
    if last_month.year == this_month.year:  # the year summary: both months due and paid, in yuan and fen
        expect(phone.locator("#year-summary tfoot")).to_contain_text("80.00")
    this_row = phone.locator("#year-summary tbody tr").nth(this_month.month - 1)
    expect(this_row.locator("td")).to_have_text([re.compile(rf"^\s*{this_month.month}月"), "40.00", "40.00", "0.00"])
    _fits_phone(phone)
    screenshot(phone, "dues-05-my-dues-paid-phone")

    # --- 2. the fee collector records a cash payment with a receipt number (desktop) ------------
    login_via_form(page, base, "collector1", PASSWORD)
    page.goto(f"{base}/fees/offline/")
    expect(page.locator("h1")).to_have_text("登记线下缴费")
    members = page.locator("#offline-members")
    expect(members).to_contain_text("张一")
    expect(members).to_contain_text("赵一")
    expect(members).not_to_contain_text("党员一")  # nothing open any more
    page.fill("input[name=q]", "张一")
    page.get_by_role("button", name="查找").click()
    expect(members.locator("a")).to_have_count(1)
    members.locator("a", has_text="张一").click()
    expect(page).to_have_url(re.compile(rf"/fees/offline/\?person={cash_payer.pk}$"))
    bill_box = page.locator(f"input[name=bill][value='{cash_bill.pk}']")
    bill_box.check()
    page.select_option("#offline-method", PaymentMethod.CASH)
    page.fill("#offline-receipt", RECEIPT_NO)
    expect(page.locator("#offline-paid-on")).to_have_value(timezone.localdate().isoformat())
    screenshot(page, "dues-06-offline-form-desktop")
    other_phone.context.clear_cookies()
    login_via_form(other_phone, base, "collector1", PASSWORD)
    other_phone.goto(f"{base}/fees/offline/?person={cash_payer.pk}")
    expect(other_phone.locator("#offline-receipt")).to_be_visible()
    _fits_phone(other_phone)
    screenshot(other_phone, "dues-06-offline-form-phone")

    page.get_by_role("button", name="登记缴费").click()
    expect(page.locator(".alert-success[role=alert]")).to_contain_text("已登记 1 个月党费，共 12.50 元")
    expect(page.locator("body")).to_contain_text("该党员暂无待缴党费")
    screenshot(page, "dues-07-offline-done-desktop")
    cash_bill.refresh_from_db()
    assert cash_bill.status == BillStatus.PAID
    cash = LedgerEntry.objects.get(person=cash_payer)
    assert (cash.month, cash.amount, cash.method, cash.receipt_no, cash.kind) == (
        this_month,
        Decimal("12.50"),
        PaymentMethod.CASH,
        RECEIPT_NO,
        EntryKind.PAYMENT,
    )
    assert (cash.created_by_id, cash.bill_id, cash.unit_id) == (collector.pk, cash_bill.pk, branch.pk)

    # --- 3. the secretary's report of the branch for this month counts both -----------------------
    sec = new_page(page.context.browser)
    try:
        login_via_form(sec, base, "secretary1", PASSWORD)
        report_url = f"{base}/fees/report/?unit={branch.pk}&year={this_month.year}&month={this_month.month}"
        sec.goto(report_url)
        expect(sec.locator("h1")).to_contain_text("计算机本科第一党支部")
        # this month: 党员一 40.00 online + 张一 12.50 cash paid; 赵一 10.00 open
        expect(sec.get_by_test_id("total-expected")).to_have_text("62.50")
        expect(sec.get_by_test_id("total-paid")).to_have_text("52.50")
        expect(sec.get_by_test_id("total-outstanding")).to_have_text("10.00")
        expect(sec.get_by_test_id("total-rate")).to_have_text("66.7% / 84.0%")
        expect(sec.locator("#report-table tfoot")).to_contain_text("2/3")
        expect(sec.get_by_test_id("total-to-committee")).to_have_text("52.50")
        expect(sec.locator("#report-chart canvas")).to_have_count(1)
        _chart_settled(sec)
        screenshot(sec, "dues-08-report-desktop")
    finally:
        sec.context.close()
    other_phone.context.clear_cookies()
    login_via_form(other_phone, base, "secretary1", PASSWORD)
    other_phone.goto(report_url)
    expect(other_phone.get_by_test_id("total-paid")).to_have_text("52.50")
    _chart_settled(other_phone)
    _fits_phone(other_phone)
    screenshot(other_phone, "dues-08-report-phone")

    # --- the ledger invariant holds after the journey ---------------------------------------------
    assert ledger.check_ledger() == []
    assert LedgerEntry.objects.count() == 3
    assert sum(LedgerEntry.objects.values_list("amount", flat=True)) == Decimal("92.50")
