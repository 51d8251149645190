"""Orders and provider callbacks: signature, replay, amount, unknown order, late and out-of-order
callbacks, expiry with a provider query."""

import datetime
from decimal import Decimal

import pytest
from django.http import Http404
from django.test import override_settings
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.fees import payments
from cloudbranch.fees.choices import BillStatus, EntryKind, OrderStatus
from cloudbranch.fees.ledger import check_ledger, paid_for_bill
from cloudbranch.fees.models import CallbackLog, LedgerEntry, PaymentOrder
from cloudbranch.fees.providers import CallbackData, QueryResult, QueryStatus, SandboxProvider
from cloudbranch.notifications.models import Notification

from .payments_support import fee_collector, make_bill, signed_callback


@pytest.fixture
def member(world):
    return world.users["member1"]


@pytest.fixture
def bills(world):
    person = world.people["member1"]
    return [make_bill(person, "2025-01", "12.50"), make_bill(person, "2025-02", "12.50")]


def _callback(order, amount=None, **kwargs):
    body, headers = signed_callback(order.order_no, order.amount if amount is None else amount, **kwargs)
    return payments.callback_handle(provider="sandbox", body=body, headers=headers)


def test_order_for_several_months(member, bills):
    order = payments.order_create(actor=member, bill_ids=[b.pk for b in bills])
    assert order.amount == Decimal("25.00")
    assert order.status == OrderStatus.CREATED
    assert order.order_no.startswith(timezone.localdate().strftime("%Y%m%d"))
    assert 29 <= (order.expires_at - order.created_at).total_seconds() / 60 <= 30
    assert set(order.bills.values_list("pk", flat=True)) == {b.pk for b in bills}
    assert AuditEvent.objects.filter(action="fees.paymentorder.create", target_id=str(order.pk)).exists()


def test_order_only_for_own_open_bills(world, member, bills):
    other = make_bill(world.people["a1_other"], "2025-01")
    with pytest.raises(Http404):
        payments.order_create(actor=member, bill_ids=[bills[0].pk, other.pk])
    paid = make_bill(world.people["member1"], "2024-12", status=BillStatus.PAID)
    with pytest.raises(ConflictError):
        payments.order_create(actor=member, bill_ids=[paid.pk])
    with pytest.raises(DomainError):
        payments.order_create(actor=member, bill_ids=[])
    with pytest.raises(DomainError):  # no person record
        payments.order_create(actor=world.users["secretary1"], bill_ids=[bills[0].pk])
    assert not PaymentOrder.objects.exists()


def test_a_new_order_for_a_bill_expires_the_older_one(member, bills):
    first = payments.order_create(actor=member, bill_ids=[bills[0].pk])
    second = payments.order_create(actor=member, bill_ids=[b.pk for b in bills])
    first.refresh_from_db()
    assert first.status == OrderStatus.EXPIRED
    assert second.status == OrderStatus.CREATED


def test_callback_pays_every_bill(member, bills):
    order = payments.order_create(actor=member, bill_ids=[b.pk for b in bills])
    result = _callback(order, txn_id="T-1")
    assert (result.ok, result.status) == (True, 200)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.provider_txn_id == "T-1" and order.paid_at
    entries = list(LedgerEntry.objects.filter(order=order).order_by("month"))
    assert [(e.kind, e.method, e.amount, e.bill_id) for e in entries] == [
        (EntryKind.PAYMENT, "online", Decimal("12.50"), bills[0].pk),
        (EntryKind.PAYMENT, "online", Decimal("12.50"), bills[1].pk),
    ]
    assert all(e.receipt_no.startswith(order.order_no) for e in entries)
    for b in bills:
        b.refresh_from_db()
        assert b.status == BillStatus.PAID and paid_for_bill(b) == b.amount_due
    assert AuditEvent.objects.filter(action="fees.paymentorder.pay", target_id=str(order.pk)).exists()
    assert Notification.objects.filter(recipient=member, title__contains="25.00").exists()
    assert CallbackLog.objects.get(order_no=order.order_no).signature_ok
    assert check_ledger() == []


def test_bad_signature_is_refused_and_logged(member, bills):
    order = payments.order_create(actor=member, bill_ids=[bills[0].pk])
    body, _ = signed_callback(order.order_no, order.amount)
    result = payments.callback_handle(provider="sandbox", body=body, headers={"X-Sandbox-Signature": "0" * 64})
    assert (result.ok, result.status) == (False, 400)
    forged, headers = signed_callback(order.order_no, order.amount, secret="not-the-secret")
    assert payments.callback_handle(provider="sandbox", body=forged, headers=headers).status == 400
    assert payments.callback_handle(provider="sandbox", body=body, headers={}).status == 400
    order.refresh_from_db()
    assert order.status == OrderStatus.CREATED
    assert not LedgerEntry.objects.exists()
    logs = CallbackLog.objects.filter(order_no=order.order_no)
    assert logs.count() == 3 and not logs.filter(signature_ok=True).exists()
    assert all(log.outcome.startswith("rejected") for log in logs)


def test_malformed_body_is_refused(member, bills):
    body = b"not json"
    result = payments.callback_handle(provider="sandbox", body=body, headers={"X-Sandbox-Signature": "x"})
    assert result.status == 400
    from cloudbranch.fees.providers import sandbox_sign

    result = payments.callback_handle(
        provider="sandbox", body=body, headers={"X-Sandbox-Signature": sandbox_sign(body)}
    )
    assert result.status == 400
    assert CallbackLog.objects.count() == 2


def test_replay_changes_nothing(member, bills):
    order = payments.order_create(actor=member, bill_ids=[b.pk for b in bills])
    body, headers = signed_callback(order.order_no, order.amount, txn_id="T-9")
    first = payments.callback_handle(provider="sandbox", body=body, headers=headers)
    entries = LedgerEntry.objects.count()
    audits = AuditEvent.objects.count()
    second = payments.callback_handle(provider="sandbox", body=body, headers=headers)
    assert first.ok and second.ok and second.status == 200
    assert second.outcome.startswith("duplicate")
    assert LedgerEntry.objects.count() == entries == 2
    assert AuditEvent.objects.count() == audits
    assert CallbackLog.objects.filter(order_no=order.order_no).count() == 2


def test_out_of_order_callback_for_a_paid_order_is_ignored(member, bills):
    order = payments.order_create(actor=member, bill_ids=[bills[0].pk])
    assert _callback(order, txn_id="A").ok
    result = _callback(order, txn_id="B")
    assert result.ok and result.outcome.startswith("ignored")
    order.refresh_from_db()
    assert order.provider_txn_id == "A"
    assert LedgerEntry.objects.count() == 1


def test_wrong_amount_fails_the_order(member, bills):
    order = payments.order_create(actor=member, bill_ids=[b.pk for b in bills])
    result = _callback(order, amount="0.01")
    assert (result.ok, result.status) == (False, 400)
    order.refresh_from_db()
    assert order.status == OrderStatus.FAILED
    assert not LedgerEntry.objects.exists()
    assert all(b.status == BillStatus.OPEN for b in type(bills[0]).objects.all())
    log = CallbackLog.objects.get(order_no=order.order_no)
    assert log.signature_ok and "amount mismatch" in log.outcome
    # The right amount afterwards does not revive a failed order.
    assert _callback(order).status == 400
    assert not LedgerEntry.objects.exists()
    assert check_ledger() == []


def test_unknown_order_is_404_and_logged(db):
    body, headers = signed_callback("20250101NOSUCHORDER", "1.00")
    result = payments.callback_handle(provider="sandbox", body=body, headers=headers)
    assert (result.ok, result.status) == (False, 404)
    assert CallbackLog.objects.get(order_no="20250101NOSUCHORDER").outcome == "unknown order"
    assert payments.callback_handle(provider="nosuch", body=body, headers=headers).status == 404


def test_late_callback_with_bills_still_open_is_accepted(member, bills):
    order = payments.order_create(actor=member, bill_ids=[b.pk for b in bills])
    PaymentOrder.objects.filter(pk=order.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    assert payments.order_expire_stale() == {"expired": 1, "paid": 0, "skipped": 0}
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED
    result = _callback(order)
    assert result.ok and "late" in result.outcome
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert LedgerEntry.objects.filter(kind=EntryKind.PAYMENT, order=order).count() == 2
    assert check_ledger() == []


def test_late_callback_after_an_offline_payment_is_flagged_for_refund(world, member, bills):
    order = payments.order_create(actor=member, bill_ids=[b.pk for b in bills])
    collector = fee_collector(world.branch_a1)
    # The member also paid January in cash; the offline payment closes the open order.
    payments.offline_payment(
        actor=collector, bill_ids=[bills[0].pk], method="cash", receipt_no="NO.1", paid_on=timezone.localdate()
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED
    result = _callback(order)
    assert result.ok and "1 flagged for refund" in result.outcome
    over = LedgerEntry.objects.get(order=order, kind=EntryKind.VOLUNTARY)
    assert over.bill_id is None and over.amount == Decimal("12.50") and over.reason.startswith(payments.REFUND_FLAG)
    assert LedgerEntry.objects.get(order=order, kind=EntryKind.PAYMENT).bill_id == bills[1].pk
    assert paid_for_bill(bills[0]) == Decimal("12.50")  # January is not paid twice
    assert list(payments.refunds_pending(world.users["secretary1"])) == [over]
    assert check_ledger() == []
    # The secretary refunds it by reversal.
    payments.entry_reverse(actor=world.users["secretary1"], entry_id=over.pk, reason="退回重复缴纳")
    assert not payments.refunds_pending(world.users["secretary1"]).exists()
    assert check_ledger() == []


class PaidProvider(SandboxProvider):
    """A provider whose query says the order was paid (its callback got lost)."""

    def query(self, order):
        return QueryResult(QueryStatus.PAID, CallbackData(order.order_no, order.amount, "Q-1", timezone.now()))


@override_settings(FEES_PROVIDERS=["cloudbranch.fees.tests.test_payments_callbacks.PaidProvider"])
def test_expiry_asks_the_provider_first(member, bills):
    order = payments.order_create(actor=member, bill_ids=[bills[0].pk])
    fresh = payments.order_create(actor=member, bill_ids=[bills[1].pk])
    PaymentOrder.objects.filter(pk=order.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert payments.order_expire_stale() == {"expired": 0, "paid": 1, "skipped": 0}
    order.refresh_from_db()
    fresh.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.provider_txn_id == "Q-1"
    assert fresh.status == OrderStatus.CREATED
    assert check_ledger() == []


def test_cancel_then_late_callback(member, bills):
    order = payments.order_create(actor=member, bill_ids=[bills[0].pk])
    payments.order_cancel(actor=member, order_no=order.order_no)
    with pytest.raises(ConflictError):
        payments.order_cancel(actor=member, order_no=order.order_no)
    assert _callback(order).ok
    bills[0].refresh_from_db()
    assert bills[0].status == BillStatus.PAID


def test_sandbox_pay_sends_the_signed_callback(member, bills, django_capture_on_commit_callbacks):
    order = payments.order_create(actor=member, bill_ids=[b.pk for b in bills])
    with django_capture_on_commit_callbacks(execute=True):
        payments.sandbox_pay(actor=member, order_no=order.order_no)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.provider_txn_id.startswith("SBX")
    log = CallbackLog.objects.get(order_no=order.order_no)
    assert log.signature_ok and log.outcome == "paid"
