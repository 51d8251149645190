"""The ledger invariants: check_ledger finds a broken ledger, the command exits non-zero, and
random sequences of online and offline payments, callbacks (late, repeated), expiries and
reversals keep it clean."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudbranch.core.errors import DomainError
from cloudbranch.fees import payments
from cloudbranch.fees.choices import BillStatus, EntryKind, OrderStatus
from cloudbranch.fees.ledger import check_ledger, member_balance
from cloudbranch.fees.models import Bill, LedgerEntry, PaymentOrder
from cloudbranch.testing.factories import PersonFactory, UserFactory

from .payments_support import fee_collector, make_bill, signed_callback


def test_check_finds_violations(world):
    bill = make_bill(world.people["member1"], "2025-01", "5.00")
    Bill.objects.filter(pk=bill.pk).update(status=BillStatus.PAID)  # paid without an entry
    open_bill = make_bill(world.people["member1"], "2025-02", "5.00")
    LedgerEntry(
        person=open_bill.person,
        unit=open_bill.unit,
        bill=open_bill,
        kind=EntryKind.PAYMENT,
        method="cash",
        amount=Decimal("5.00"),
        month=open_bill.month,
        created_by=world.users["secretary1"],
    ).save()
    problems = check_ledger()
    assert len(problems) == 2
    assert any(f"bill {bill.pk}" in p and "is paid" in p for p in problems)
    assert any(f"bill {open_bill.pk}" in p and "is open" in p for p in problems)
    with pytest.raises(CommandError):
        call_command("check_dues_ledger")


def test_command_passes_on_a_clean_ledger(db, capsys):
    call_command("check_dues_ledger")
    assert "OK" in capsys.readouterr().out


OPS = st.lists(
    st.tuples(
        st.sampled_from(["order", "callback", "replay", "expire", "offline", "reverse", "voluntary"]),
        st.integers(min_value=0, max_value=5),
        st.integers(min_value=1, max_value=3),
    ),
    min_size=1,
    max_size=25,
)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_random_sequences_keep_the_ledger_clean(world, ops):
    # Each example gets its own member (the database is shared by the examples of one test).
    member = UserFactory()
    person = PersonFactory(unit=world.branch_a1, user=member)
    secretary = world.users["secretary1"]
    collector = fee_collector(world.branch_a1)
    bills = [make_bill(person, datetime.date(2025, m, 1), f"{m}.25") for m in range(1, 7)]
    sent: list[tuple[bytes, dict]] = []
    for op, i, n in ops:
        chosen = [bills[(i + k) % 6] for k in range(n)]
        try:
            if op == "order":
                payments.order_create(actor=member, bill_ids=[b.pk for b in chosen])
            elif op == "callback":
                orders = list(PaymentOrder.objects.filter(person=person).order_by("pk"))
                if orders:
                    order = orders[i % len(orders)]
                    body, headers = signed_callback(order.order_no, order.amount, txn_id=f"T{order.pk}")
                    sent.append((body, headers))
                    payments.callback_handle(provider="sandbox", body=body, headers=headers)
            elif op == "replay" and sent:
                body, headers = sent[i % len(sent)]
                payments.callback_handle(provider="sandbox", body=body, headers=headers)
            elif op == "expire":
                PaymentOrder.objects.filter(status=OrderStatus.CREATED).update(
                    expires_at=timezone.now() - datetime.timedelta(seconds=1)
                )
                payments.order_expire_stale()
            elif op == "offline":
                payments.offline_payment(
                    actor=collector,
                    bill_ids=[b.pk for b in chosen],
                    method="cash",
                    receipt_no=f"R{i}",
                    paid_on=timezone.localdate(),
                )
            elif op == "reverse":
                entries = list(LedgerEntry.objects.filter(person=person).order_by("pk"))
                if entries:
                    payments.entry_reverse(actor=secretary, entry_id=entries[i % len(entries)].pk, reason="更正")
            elif op == "voluntary":
                payments.voluntary_payment(
                    actor=collector,
                    person_id=person.pk,
                    amount=Decimal(n * 500),
                    method="cash",
                    receipt_no="V",
                    paid_on=timezone.localdate(),
                )
        except DomainError:
            pass  # refused by a rule: nothing written
        assert check_ledger() == [], (op, i, n)
    total = sum(LedgerEntry.objects.filter(person=person).values_list("amount", flat=True), Decimal("0"))
    assert member_balance(person) == total
