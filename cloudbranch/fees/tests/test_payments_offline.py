"""Offline and voluntary payments, reversals: rules and permissions (service and API)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.fees import payments
from cloudbranch.fees.choices import BillStatus, EntryKind, OrderStatus
from cloudbranch.fees.ledger import check_ledger, member_balance, paid_for_bill, unit_balance
from cloudbranch.fees.models import LedgerEntry

from .payments_support import fee_collector, make_bill

TODAY = datetime.date(2025, 3, 5)


@pytest.fixture
def collector(world):
    return fee_collector(world.branch_a1)


@pytest.fixture
def bills(world):
    person = world.people["a1_other"]
    return [make_bill(person, "2025-01", "8.00"), make_bill(person, "2025-02", "8.00")]


def _pay(actor, bills, **kwargs):
    args = {"method": "cash", "receipt_no": "R-001", "paid_on": TODAY}
    args.update(kwargs)
    return payments.offline_payment(actor=actor, bill_ids=[b.pk for b in bills], **args)


def test_fee_collector_records_cash(collector, bills):
    entries = _pay(collector, bills)
    assert [(e.kind, e.method, e.amount, e.receipt_no) for e in entries] == [
        (EntryKind.PAYMENT, "cash", Decimal("8.00"), "R-001")
    ] * 2
    assert "2025-03-05" in entries[0].reason
    for b in bills:
        b.refresh_from_db()
        assert b.status == BillStatus.PAID
    assert AuditEvent.objects.filter(action="fees.ledgerentry.create").count() == 2
    assert check_ledger() == []


def test_offline_permissions(world, collector, bills):
    with pytest.raises(Http404):  # sibling branch's secretary
        _pay(world.users["secretary2"], bills)
    with pytest.raises(PermissionDenied):  # a member holds no fees.add_ledgerentry
        _pay(world.users["member1"], bills)
    with pytest.raises(Http404):  # a collector of a2 does not see a1's bills
        _pay(fee_collector(world.branch_a2), bills)
    assert not LedgerEntry.objects.exists()
    _pay(world.users["secretary1"], bills[:1])  # the secretary collects too


def test_offline_rules(world, collector, bills):
    with pytest.raises(DomainError) as exc:
        _pay(collector, bills, receipt_no=" ", paid_on=timezone.localdate() + datetime.timedelta(days=1))
    assert {e["field"] for e in exc.value.errors} == {"receipt_no", "paid_on"}
    with pytest.raises(DomainError):
        _pay(collector, bills, method="online")
    other = make_bill(world.people["member1"], "2025-01")
    with pytest.raises(DomainError):
        _pay(collector, [bills[0], other])
    _pay(collector, bills[:1])
    with pytest.raises(ConflictError):
        _pay(collector, bills)
    assert LedgerEntry.objects.count() == 1


def test_offline_payment_closes_open_orders(world, collector):
    bill = make_bill(world.people["member1"], "2025-01")
    order = payments.order_create(actor=world.users["member1"], bill_ids=[bill.pk])
    _pay(collector, [bill])
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED


def test_voluntary_payment_and_the_centre_flag(world, collector):
    person = world.people["a1_other"]
    small = payments.voluntary_payment(
        actor=collector, person_id=person.pk, amount="200", method="cash", receipt_no="V1", paid_on=TODAY
    )
    big = payments.voluntary_payment(
        actor=collector,
        person_id=person.pk,
        amount=Decimal("1000.00"),
        method="transfer",
        receipt_no="V2",
        paid_on=TODAY,
    )
    assert small.kind == EntryKind.VOLUNTARY and not payments.is_centre_remittance(small)
    assert payments.is_centre_remittance(big) and big.reason.startswith("【全额上缴中央】")
    assert big.month == datetime.date(2025, 3, 1)
    assert member_balance(person) == Decimal("1200.00")
    assert unit_balance(world.college_a, month=datetime.date(2025, 3, 1)) == Decimal("1200.00")
    with pytest.raises(DomainError):
        payments.voluntary_payment(
            actor=collector, person_id=person.pk, amount="0", method="cash", receipt_no="V3", paid_on=TODAY
        )
    with pytest.raises(Http404):
        payments.voluntary_payment(
            actor=collector,
            person_id=world.people["a2_person"].pk,
            amount="5",
            method="cash",
            receipt_no="V3",
            paid_on=TODAY,
        )
    assert check_ledger() == []


def test_reversal_rules(world, collector, bills):
    entry = _pay(collector, bills[:1])[0]
    with pytest.raises(PermissionDenied):  # the collector sees the entry but may not approve
        payments.entry_reverse(actor=collector, entry_id=entry.pk, reason="录错")
    with pytest.raises(Http404):
        payments.entry_reverse(actor=world.users["secretary2"], entry_id=entry.pk, reason="录错")
    with pytest.raises(Http404):
        payments.entry_reverse(actor=world.users["member1"], entry_id=entry.pk, reason="录错")
    with pytest.raises(DomainError):
        payments.entry_reverse(actor=world.users["secretary1"], entry_id=entry.pk, reason=" ")
    reversal = payments.entry_reverse(actor=world.users["secretary1"], entry_id=entry.pk, reason="收据号录错")
    assert reversal.amount == Decimal("-8.00") and reversal.reverses_id == entry.pk
    assert reversal.kind == EntryKind.REVERSAL and reversal.approved_by == world.users["secretary1"]
    bills[0].refresh_from_db()
    assert bills[0].status == BillStatus.OPEN and paid_for_bill(bills[0]) == 0
    with pytest.raises(ConflictError):  # once only
        payments.entry_reverse(actor=world.users["admin"], entry_id=entry.pk, reason="再冲")
    with pytest.raises(ConflictError):  # a reversal is never reversed
        payments.entry_reverse(actor=world.users["admin"], entry_id=reversal.pk, reason="再冲")
    assert check_ledger() == []
    # The reopened bill is paid again with the right receipt.
    _pay(collector, bills[:1], receipt_no="R-002")
    assert paid_for_bill(bills[0]) == Decimal("8.00")
    assert check_ledger() == []
    with pytest.raises(ValueError):  # append-only
        entry.save()


def test_offline_api(world, login, collector, bills):
    client = login(collector)
    payload = {"bill_ids": [bills[0].pk], "method": "transfer", "receipt_no": "T-1", "paid_on": "2025-03-01"}
    response = client.post("/api/fees/payments/offline", payload, content_type="application/json")
    assert response.status_code == 201, response.content
    entry_id = response.json()[0]["id"]
    client = login(world.users["secretary2"])
    payload["bill_ids"] = [bills[1].pk]
    assert client.post("/api/fees/payments/offline", payload, content_type="application/json").status_code == 404
    client = login(world.users["member1"])
    assert client.post("/api/fees/payments/offline", payload, content_type="application/json").status_code == 403
    client = login(collector)
    url = f"/api/fees/entries/{entry_id}/reverse"
    assert client.post(url, {"reason": "x"}, content_type="application/json").status_code == 403
    client = login(world.users["secretary1"])
    response = client.post(url, {"reason": "转账退回"}, content_type="application/json")
    assert response.status_code == 201 and response.json()["amount"] == "-8.00"
    assert client.post(url, {"reason": "again"}, content_type="application/json").status_code == 409
