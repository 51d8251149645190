"""Two copies of one callback arriving at the same moment produce one payment: the order row is
locked (select_for_update) for the whole decision. Needs real concurrency: PostgreSQL."""

import threading

import pytest
from django.db import connection

from cloudbranch.fees import payments
from cloudbranch.fees.choices import OrderStatus
from cloudbranch.fees.ledger import check_ledger
from cloudbranch.fees.models import CallbackLog, LedgerEntry

from .payments_support import make_bill, signed_callback

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("runs against PostgreSQL (make test starts one)")


@pytest.mark.parametrize("same_txn", [True, False])
def test_concurrent_callbacks_pay_once(world, same_txn):
    person = world.people["member1"]
    bills = [make_bill(person, "2025-01", "12.50"), make_bill(person, "2025-02", "12.50")]
    order = payments.order_create(actor=world.users["member1"], bill_ids=[b.pk for b in bills])
    callbacks = [signed_callback(order.order_no, order.amount, txn_id="T-1" if same_txn else f"T-{i}") for i in (1, 2)]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def deliver(body, headers):
        try:
            barrier.wait(timeout=10)
            results.append(payments.callback_handle(provider="sandbox", body=body, headers=headers))
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=cb) for cb in callbacks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert all(r.ok for r in results) and len(results) == 2
    assert sorted(r.outcome.split(":")[0] for r in results) == ["duplicate" if same_txn else "ignored", "paid"]
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert LedgerEntry.objects.filter(order=order).count() == 2  # one per bill, not per callback
    assert CallbackLog.objects.filter(order_no=order.order_no).count() == 2
    assert check_ledger() == []
