"""Reconciliation of settlement files: every mismatch kind, bad files, nothing changed, audit, permissions."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import DomainError
from cloudbranch.fees import reconcile
from cloudbranch.fees.choices import BillStatus, EntryKind, OrderStatus, PaymentMethod
from cloudbranch.fees.models import Bill, LedgerEntry, PaymentOrder
from cloudbranch.fees.reconcile import Kind

D = Decimal
PAID_AT = timezone.make_aware(datetime.datetime(2026, 1, 10, 9, 30))


def paid_order(world, no, amount, txn, *, person=None, entry_amount=None, status=OrderStatus.PAID, paid_at=PAID_AT):
    person = person or world.people["member1"]
    by = world.users["admin"]
    order = PaymentOrder.objects.create(
        order_no=no,
        person=person,
        amount=D(amount),
        provider="sandbox",
        status=status,
        provider_txn_id=txn,
        created_by=by,
        expires_at=paid_at + datetime.timedelta(minutes=30),
        paid_at=paid_at if status == OrderStatus.PAID else None,
    )
    if status == OrderStatus.PAID:
        month = datetime.date(2025, 12, 1) + datetime.timedelta(days=31 * int(no[-1]))
        bill = Bill.objects.create(
            person=person, unit=person.unit, month=month.replace(day=1), amount_due=D(amount), status=BillStatus.PAID
        )
        order.bills.add(bill)
        LedgerEntry.objects.create(
            person=person,
            unit=person.unit,
            bill=bill,
            order=order,
            kind=EntryKind.PAYMENT,
            method=PaymentMethod.ONLINE,
            amount=D(entry_amount or amount),
            month=bill.month,
            created_by=by,
        )
    return order


@pytest.fixture
def ledger(world):
    paid_order(world, "CB0001", "12.35", "T1")  # matches
    paid_order(world, "CB0002", "20.00", "T2", entry_amount="10.00")  # ledger received 10.00
    paid_order(world, "CB0003", "5.00", "T3")  # not in the file
    paid_order(world, "CB0004", "7.00", "T4")  # txn id differs
    paid_order(world, "CB0005", "1.00", "", status=OrderStatus.EXPIRED)  # in the file but never paid
    return world


CSV = (
    "订单号,渠道流水号,金额,支付时间,备注\n"
    "CB0001,T1,12.35,2026-01-10 09:30:00,\n"
    "CB0002,T2,20.00,2026-01-10 09:31:00,\n"
    "CB0004,T4X,7.00,2026-01-10 09:32:00,\n"
    "CB0005,T5,1.00,2026-01-10 09:33:00,\n"
    "CB9999,T9,3.00,2026-01-10 09:34:00,\n"
    "CB0001,T1,12.35,2026-01-10 09:30:00,\n"
)


def kinds(result):
    return sorted((m.kind, m.order_no) for m in result.mismatches)


def test_every_mismatch_kind(ledger):
    admin = ledger.users["admin"]
    before = LedgerEntry.objects.count(), PaymentOrder.objects.count(), Bill.objects.count()
    result = reconcile.reconcile(actor=admin, file_name="settle.csv", data=CSV.encode("utf-8-sig"))
    assert kinds(result) == sorted(
        [
            (Kind.AMOUNT, "CB0002"),
            (Kind.DUPLICATE, "CB0001"),
            (Kind.DUPLICATE, "CB0001"),
            (Kind.MISSING_IN_FILE, "CB0003"),
            (Kind.MISSING_IN_LEDGER, "CB0005"),
            (Kind.MISSING_IN_LEDGER, "CB9999"),
            (Kind.TXN, "CB0004"),
        ]
    )
    assert result.matched == 1
    amount = next(m for m in result.mismatches if m.kind == Kind.AMOUNT)
    assert (amount.file_amount, amount.ledger_amount, amount.label) == (D("20.00"), D("10.00"), "金额不一致")
    assert result.date_from == result.date_to == datetime.date(2026, 1, 10)
    assert result.ledger_orders == 4
    assert result.counts[Kind.MISSING_IN_FILE] == 1
    # nothing changed, the run audited
    assert (LedgerEntry.objects.count(), PaymentOrder.objects.count(), Bill.objects.count()) == before
    ev = AuditEvent.objects.get(action="fees.reconcile.run")
    assert ev.changes["mismatches"][Kind.AMOUNT] == 1 and ev.changes["file"] == "settle.csv"


def test_xlsx_and_gbk(ledger):
    admin = ledger.users["admin"]
    wb = Workbook()
    ws = wb.active
    ws.append(["订单号", "渠道流水号", "金额", "支付时间"])
    ws.append(["CB0001", "T1", 12.35, datetime.datetime(2026, 1, 10, 9, 30)])
    ws.append(["CB0003", "T3", 5, "2026-01-10 10:00:00"])
    ws.append(["CB0004", "T4", "7.00", "2026/01/10"])
    buf = io.BytesIO()
    wb.save(buf)
    result = reconcile.reconcile(actor=admin, file_name="settle.xlsx", data=buf.getvalue())
    assert kinds(result) == [(Kind.MISSING_IN_FILE, "CB0002")]
    assert result.matched == 3
    gbk = "订单号,渠道流水号,金额,支付时间\nCB0001,T1,12.35,2026-01-10 09:30:00\n".encode("gbk")
    result = reconcile.reconcile(
        actor=admin,
        file_name="s.csv",
        data=gbk,
        date_from=datetime.date(2026, 1, 11),
        date_to=datetime.date(2026, 1, 12),
    )
    assert result.matched == 1 and not result.mismatches  # other orders are outside the period


@pytest.mark.parametrize(
    ("name", "data", "needle"),
    [
        ("a.txt", b"x", "只支持"),
        ("a.csv", b"", "空的"),
        ("a.csv", "订单号,金额\nA,1\n".encode(), "缺少列：渠道流水号、支付时间"),
        ("a.csv", "订单号,渠道流水号,金额,支付时间\nA,T,abc,2026-01-01\n".encode(), "第 2 行的金额"),
        ("a.csv", "订单号,渠道流水号,金额,支付时间\nA,T,1.005,2026-01-01\n".encode(), "精确到分"),
        ("a.csv", "订单号,渠道流水号,金额,支付时间\nA,T,1,明天\n".encode(), "支付时间"),
        ("a.csv", "订单号,渠道流水号,金额,支付时间\n".encode(), "没有数据行"),
        ("a.xlsx", b"not a zip", "不是有效的 .xlsx"),
    ],
)
def test_bad_files_one_message(world, name, data, needle):
    with pytest.raises(DomainError) as exc:
        reconcile.reconcile(actor=world.users["admin"], file_name=name, data=data)
    assert needle in exc.value.message and exc.value.message.startswith("对账文件无法使用")
    assert not AuditEvent.objects.filter(action="fees.reconcile.run").exists()


def test_permissions_and_page(ledger, login):
    for who in ("secretary1", "member1"):
        with pytest.raises(PermissionDenied):
            reconcile.reconcile(actor=ledger.users[who], file_name="s.csv", data=CSV.encode())
        assert login(ledger.users[who]).get(reverse("fees:reconcile")).status_code == 403
    c = login(ledger.users["admin"])
    assert c.get(reverse("fees:reconcile")).status_code == 200
    r = c.post(reverse("fees:reconcile"), {"file": SimpleUploadedFile("s.csv", CSV.encode())})
    html = r.content.decode()
    assert r.status_code == 200 and "台账有记录、渠道无记录" in html and "CB9999" in html
    r = c.post(reverse("fees:reconcile"), {"file": SimpleUploadedFile("s.csv", CSV.encode()), "export": "1"})
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    r = c.post(reverse("fees:reconcile"), {"file": SimpleUploadedFile("s.pdf", b"%PDF")})
    assert r.status_code == 422 and "只支持 .csv 或 .xlsx 文件" in r.content.decode()
    api = c.post("/api/fees/reconcile", {"file": SimpleUploadedFile("s.csv", CSV.encode())})
    assert api.status_code == 200 and api.json()["counts"][Kind.DUPLICATE] == 2
    bad = c.post("/api/fees/reconcile", {"file": SimpleUploadedFile("s.csv", b"")})
    assert bad.status_code == 422
    c = login(ledger.users["secretary1"])
    assert c.post("/api/fees/reconcile", {"file": SimpleUploadedFile("s.csv", CSV.encode())}).status_code == 403
