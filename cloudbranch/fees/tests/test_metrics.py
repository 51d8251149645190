"""Dues metrics (fees/metrics.py): fen integers per bill month, arrears members."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cloudbranch.core.metrics import DAY, MONTH, Period, get
from cloudbranch.fees import metrics  # noqa: F401
from cloudbranch.fees.models import Bill, LedgerEntry
from cloudbranch.testing.factories import PersonFactory, make_unit

D = datetime.date
MARCH = Period(MONTH, D(2025, 3, 1), D(2025, 3, 31))


def bill(person, month, amount, status="open", unit=None):
    return Bill.objects.create(person=person, unit=unit or person.unit, month=month, amount_due=amount, status=status)


def pay(b, amount, by, *, kind="payment", reverses=None):
    return LedgerEntry.objects.create(
        person=b.person, unit=b.unit, bill=b, kind=kind, method="cash", amount=amount, month=b.month,
        created_by=by, reverses=reverses,
    )  # fmt: skip


@pytest.fixture
def dues(world):
    u1, u2 = make_unit(parent=world.college_b), make_unit(parent=world.college_b)
    a, b, c = PersonFactory(unit=u1), PersonFactory(unit=u1), PersonFactory(unit=u2)
    ba = bill(a, D(2025, 3, 1), "10.50", status="paid")
    pay(ba, "10.50", world.users["admin"])
    bb = bill(b, D(2025, 3, 1), "0.20")
    wrong = pay(bb, "0.20", world.users["admin"])
    pay(bb, "-0.20", world.users["admin"], kind="reversal", reverses=wrong)  # undone: b still owes
    pay(ba, "5.00", world.users["admin"], kind="voluntary")  # not part of what was due
    bill(c, D(2025, 3, 1), "3.00", status="exempt")
    bill(c, D(2025, 4, 1), "3.00")
    for m in (1, 2):  # b: unpaid January, February, March → 3 months in arrears at the end of March
        bill(b, D(2025, m, 1), "0.20")
    return u1, u2


def test_expected_and_paid_fen(dues):
    u1, u2 = dues
    ids = [u1.pk, u2.pk]
    assert get("dues.expected_fen").compute(ids, MARCH) == {u1.pk: 1070}
    assert get("dues.paid_fen").compute(ids, MARCH) == {u1.pk: 1050}
    assert get("dues.expected_fen").compute([u2.pk], Period(MONTH, D(2025, 4, 1), D(2025, 4, 30))) == {u2.pk: 300}
    months = get("dues.expected_fen").compute_months(ids, D(2025, 1, 1), D(2025, 12, 31))
    assert months == {
        (u1.pk, D(2025, 1, 1)): 20,
        (u1.pk, D(2025, 2, 1)): 20,
        (u1.pk, D(2025, 3, 1)): 1070,
        (u2.pk, D(2025, 4, 1)): 300,
    }
    assert all(v == int(v) for v in months.values())


def test_arrears_members(dues):
    u1, u2 = dues
    metric = get("dues.arrears_members")
    assert metric.compute([u1.pk, u2.pk], Period(MONTH, D(2025, 2, 1), D(2025, 2, 28))) == {}
    assert metric.compute([u1.pk, u2.pk], MARCH) == {u1.pk: 1}
    today = timezone.localdate()
    assert metric.compute([u1.pk], Period(DAY, today, today)) == {u1.pk: 1}
    assert metric.compute_dates([u1.pk], [D(2025, 2, 28), D(2025, 3, 31)]) == {(u1.pk, D(2025, 3, 31)): 1}


def test_one_query(dues, world):
    u1, _u2 = dues
    for _round in range(2):
        for key in ("dues.expected_fen", "dues.paid_fen", "dues.arrears_members"):
            with CaptureQueriesContext(connection) as ctx:
                get(key).compute(None, MARCH)
            assert len(ctx) == 1, key
        with CaptureQueriesContext(connection) as ctx:
            get("dues.arrears_members").compute_dates(None, [D(2025, m, 28) for m in range(1, 13)])
            get("dues.paid_fen").compute_months(None, D(2025, 1, 1), D(2025, 12, 31))
        assert len(ctx) == 2
        p = PersonFactory(unit=u1)
        pay(bill(p, D(2025, 3, 1), "1.00", status="paid"), "1.00", world.users["admin"])
