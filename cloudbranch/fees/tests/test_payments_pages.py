"""Member pages (my dues, pay, order status, sandbox checkout, receipt), the callback endpoint,
the fee collector's pages, the member API, and pinned query counts."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cloudbranch.fees import payments
from cloudbranch.fees.choices import BillStatus, OrderStatus
from cloudbranch.fees.models import Bill, LedgerEntry, PaymentOrder
from cloudbranch.testing.factories import PersonFactory

from .payments_support import fee_collector, make_bill, signed_callback


@pytest.fixture
def member(world):
    return world.users["member1"]


@pytest.fixture
def bills(world):
    person = world.people["member1"]
    return [make_bill(person, "2025-01", "12.50"), make_bill(person, "2025-02", "12.50")]


# my dues page, /api/fees/mine, /api/fees/entries, ledger page
PINNED = [10, 5, 5, 6]


def test_member_pays_two_months_through_the_sandbox(login, member, bills, django_capture_on_commit_callbacks):
    client = login(member)
    page = client.get(reverse("fees:my_dues"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "2025年1月" in html and "25.00" in html and "去支付" in html

    response = client.post(reverse("fees:pay"), {"bill": [b.pk for b in bills]})
    order = PaymentOrder.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("fees:sandbox_checkout", args=[order.order_no])

    checkout = client.get(response.url).content.decode()
    assert "模拟支付成功" in checkout and "取消" in checkout and "25.00" in checkout

    status = client.get(reverse("fees:order", args=[order.order_no]), headers={"HX-Request": "true"})
    assert 'hx-trigger="every 2s"' in status.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(response.url, {"action": "pay"})
    assert response.status_code == 302 and response.url == reverse("fees:order", args=[order.order_no])
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID

    status = client.get(reverse("fees:order", args=[order.order_no]), headers={"HX-Request": "true"}).content.decode()
    assert "every 2s" not in status and "支付成功" in status
    entry = LedgerEntry.objects.filter(order=order).order_by("month").first()
    assert reverse("fees:receipt", args=[entry.pk]) in status

    receipt = client.get(reverse("fees:receipt", args=[entry.pk])).content.decode()
    assert "党费收据" in receipt and entry.receipt_no in receipt and "打印" in receipt
    assert "确认冲正" not in receipt

    page = client.get(reverse("fees:my_dues")).content.decode()
    assert "暂无待缴党费" in page and entry.receipt_no in page


def test_sandbox_cancel(login, member, bills):
    client = login(member)
    client.post(reverse("fees:pay"), {"bill": [bills[0].pk]})
    order = PaymentOrder.objects.get()
    response = client.post(reverse("fees:sandbox_checkout", args=[order.order_no]), {"action": "cancel"})
    assert response.status_code == 302 and response.url == reverse("fees:my_dues")
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED
    response = client.post(reverse("fees:sandbox_checkout", args=[order.order_no]), {"action": "pay"})
    assert response.status_code == 409


def test_pay_errors_show_on_the_page(login, member, bills):
    client = login(member)
    response = client.post(reverse("fees:pay"), {})
    assert response.status_code == 422 and "请选择要缴纳的账单" in response.content.decode()
    Bill.objects.filter(pk=bills[0].pk).update(status=BillStatus.PAID)
    response = client.post(reverse("fees:pay"), {"bill": [bills[0].pk]})
    assert response.status_code == 409
    assert not PaymentOrder.objects.exists()


def test_orders_and_receipts_are_private(world, login, member, bills):
    order = payments.order_create(actor=member, bill_ids=[bills[0].pk])
    other = login(world.users["secretary1"])
    assert other.get(reverse("fees:order", args=[order.order_no])).status_code == 404
    assert other.get(reverse("fees:sandbox_checkout", args=[order.order_no])).status_code == 404
    assert other.get(f"/api/fees/orders/{order.order_no}").status_code == 404
    body, headers = signed_callback(order.order_no, order.amount)
    payments.callback_handle(provider="sandbox", body=body, headers=headers)
    entry = LedgerEntry.objects.get()
    # The secretary of a1 sees it (fee collector and up in scope), the sibling's does not.
    assert other.get(reverse("fees:receipt", args=[entry.pk])).status_code == 200
    assert "确认冲正" in other.get(reverse("fees:receipt", args=[entry.pk])).content.decode()
    assert login(world.users["secretary2"]).get(reverse("fees:receipt", args=[entry.pk])).status_code == 404
    collector = login(fee_collector(world.branch_a1))
    page = collector.get(reverse("fees:receipt", args=[entry.pk])).content.decode()
    assert "确认冲正" not in page


def test_callback_endpoint(client, member, bills):
    order = payments.order_create(actor=member, bill_ids=[bills[0].pk])
    url = reverse("fees:callback", args=["sandbox"])
    body, headers = signed_callback(order.order_no, order.amount)
    client.handler.enforce_csrf_checks = True
    response = client.post(url, body, content_type="application/json", headers={"X-Sandbox-Signature": "bad"})
    assert response.status_code == 400 and response.content == b"fail"
    response = client.post(url, body, content_type="application/json", headers=headers)
    assert response.status_code == 200 and response.content == b"success"
    assert response["Content-Type"].startswith("text/plain")
    response = client.post(url, body, content_type="application/json", headers=headers)
    assert response.status_code == 200 and response.content == b"success"
    assert client.get(url).status_code == 405
    assert LedgerEntry.objects.count() == 1


def test_expired_order_page(login, member, bills):
    order = payments.order_create(actor=member, bill_ids=[bills[0].pk])
    PaymentOrder.objects.filter(pk=order.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    page = login(member).get(reverse("fees:order", args=[order.order_no])).content.decode()
    assert "已过期" in page and "every 2s" not in page


def test_offline_page(world, login, bills):
    collector = fee_collector(world.branch_a1)
    client = login(collector)
    other = make_bill(world.people["a2_person"], "2025-01")
    listing = client.get(reverse("fees:offline")).content.decode()
    assert world.people["member1"].name in listing and world.people["a2_person"].name not in listing
    url = reverse("fees:offline") + f"?person={world.people['member1'].pk}"
    form = client.get(url).content.decode()
    assert "2025年1月" in form
    response = client.post(url, {"bill": [bills[0].pk], "method": "cash", "receipt_no": "", "paid_on": "2025-03-01"})
    assert response.status_code == 422 and "请填写收据号" in response.content.decode()
    response = client.post(
        url, {"bill": [bills[0].pk], "method": "cash", "receipt_no": "NO.9", "paid_on": "2025-03-01"}
    )
    assert response.status_code == 302
    assert LedgerEntry.objects.get().receipt_no == "NO.9"
    assert client.get(reverse("fees:offline") + f"?person={world.people['a2_person'].pk}").status_code == 404
    response = client.post(url, {"bill": [other.pk], "method": "cash", "receipt_no": "X", "paid_on": "2025-03-01"})
    assert response.status_code == 404
    assert client.get(reverse("fees:entries")).status_code == 200
    member = login(world.users["member1"])
    assert member.get(reverse("fees:offline")).status_code == 403
    assert member.get(reverse("fees:entries")).status_code == 403


def test_reverse_page(world, login, bills):
    entry = payments.offline_payment(
        actor=world.users["secretary1"], bill_ids=[bills[0].pk], method="cash", receipt_no="A", paid_on="2025-03-01"
    )[0]
    response = login(world.users["secretary1"]).post(reverse("fees:reverse", args=[entry.pk]), {"reason": "录错"})
    assert response.status_code == 302
    reversal = LedgerEntry.objects.get(reverses=entry)
    assert response.url == reverse("fees:receipt", args=[reversal.pk])
    response = login(world.users["secretary2"]).post(reverse("fees:reverse", args=[entry.pk]), {"reason": "x"})
    assert response.status_code == 404


def test_member_api(login, member, bills):
    client = login(member)
    data = client.get("/api/fees/mine").json()
    assert [b["id"] for b in data["open_bills"]] == [b.pk for b in bills] and data["open_total"] == "25.00"
    response = client.post("/api/fees/orders", {"bill_ids": [b.pk for b in bills]}, content_type="application/json")
    assert response.status_code == 201
    order = response.json()
    assert order["amount"] == "25.00" and order["checkout_url"].endswith(f"/fees/sandbox/{order['order_no']}/")
    body, headers = signed_callback(order["order_no"], order["amount"])
    payments.callback_handle(provider="sandbox", body=body, headers=headers)
    detail = client.get(f"/api/fees/orders/{order['order_no']}").json()
    assert detail["status"] == "paid" and len(detail["entry_ids"]) == 2
    data = client.get("/api/fees/mine").json()
    assert data["open_bills"] == [] and len(data["history"]) == 2
    mine = client.get("/api/fees/entries").json()
    assert mine["count"] == 2


def _grow(world, n: int, start: int):
    """n more members in a1, each with an open bill and a paid one, and the member's own history."""
    collector = world.users["secretary1"]
    for i in range(n):
        person = PersonFactory(unit=world.branch_a1)
        make_bill(person, "2024-01")
        paid = make_bill(person, "2024-02")
        payments.offline_payment(
            actor=collector, bill_ids=[paid.pk], method="cash", receipt_no=f"G{start + i}", paid_on="2025-01-01"
        )
    me = world.people["member1"]
    for m in range(start % 12 + 1, start % 12 + 3):
        b = make_bill(me, datetime.date(2023 - start, m, 1))
        payments.offline_payment(
            actor=collector, bill_ids=[b.pk], method="cash", receipt_no=f"M{start}{m}", paid_on="2025-01-01"
        )
        make_bill(me, datetime.date(2022 - start, m, 1))


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_query_counts_are_constant(world, member):
    _grow(world, 2, 0)
    member_client = _client(member)
    secretary = _client(world.users["secretary1"])
    urls = [
        (member_client, reverse("fees:my_dues")),
        (member_client, "/api/fees/mine"),
        (secretary, "/api/fees/entries"),
        (secretary, reverse("fees:entries")),
    ]
    small = [_count(c, u) for c, u in urls]
    _grow(world, 6, 10)
    assert [_count(c, u) for c, u in urls] == small
    assert small == PINNED
