"""Balances are sums of ledger entries, never stored totals (ADR 0005); ``check_ledger``
verifies that the bills' and orders' statuses agree with the entries.

Invariants (each violation is reported as one line):

1. A paid bill's entries (its payment and any reversals of it) sum to its ``amount_due``.
2. A bill that is not paid (open or exempt) has entries summing to zero.
3. An order is paid if and only if it has entries.
4. A reversal points at an entry, has the opposite amount, the same person and bill; no other
   entry is negative or zero.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce

from .choices import BillStatus, EntryKind, OrderStatus
from .models import Bill, LedgerEntry, PaymentOrder
from .money import to_fen

ZERO = Decimal("0.00")
_NET = Coalesce(Sum("entries__amount"), Value(ZERO), output_field=DecimalField(max_digits=14, decimal_places=2))


def _sum(qs) -> Decimal:
    return qs.aggregate(
        total=Coalesce(Sum("amount"), Value(ZERO), output_field=DecimalField(max_digits=12, decimal_places=2))
    )["total"]


def paid_for_bill(bill) -> Decimal:
    """What has been paid for one bill, net of reversals."""
    return _sum(LedgerEntry.objects.filter(bill=bill))


def paid_for_bills(bill_ids) -> dict[int, Decimal]:
    """``paid_for_bill`` for many bills in one query."""
    rows = (
        LedgerEntry.objects.filter(bill_id__in=list(bill_ids))
        .values("bill_id")
        .annotate(total=Sum("amount"))
        .values_list("bill_id", "total")
    )
    return dict(rows)


def member_balance(person, *, year: int | None = None) -> Decimal:
    """All money received from one member (dues, voluntary, minus reversals), optionally in one year."""
    qs = LedgerEntry.objects.filter(person=person)
    if year:
        qs = qs.filter(month__year=year)
    return _sum(qs)


def unit_balance(unit, *, month: datetime.date | None = None, year: int | None = None) -> Decimal:
    """Money received in a unit and everything below it, for one month or year or overall."""
    qs = LedgerEntry.objects.filter(unit__path__startswith=unit.path)
    if month:
        qs = qs.filter(month=month)
    if year:
        qs = qs.filter(month__year=year)
    return _sum(qs)


def month_balances(entries) -> dict[datetime.date, Decimal]:
    """Sums per month of an entry queryset (already scoped by the caller)."""
    rows = entries.order_by().values("month").annotate(total=Sum("amount")).values_list("month", "total")
    return dict(rows)


def member_year_summary(person, year: int) -> list[dict]:
    """Per month of ``year``: due (bills not exempt), paid (entries on bills) and voluntary, in
    two queries."""
    bills = {
        b["month"]: b
        for b in Bill.objects.filter(person=person, month__year=year).values("month", "amount_due", "status")
    }
    entries: dict[datetime.date, dict[str, Decimal]] = {}
    rows = (
        LedgerEntry.objects.filter(person=person, month__year=year)
        .order_by()
        .values("month")
        .annotate(
            paid=Coalesce(
                Sum("amount", filter=Q(bill__isnull=False)),
                Value(ZERO),
                output_field=DecimalField(max_digits=12, decimal_places=2),
            ),
            voluntary=Coalesce(
                Sum("amount", filter=Q(bill__isnull=True)),
                Value(ZERO),
                output_field=DecimalField(max_digits=12, decimal_places=2),
            ),
        )
    )
    for row in rows:
        entries[row["month"]] = row
    out = []
    for m in range(1, 13):
        month = datetime.date(year, m, 1)
        bill = bills.get(month)
        e = entries.get(month, {})
        due = bill["amount_due"] if bill and bill["status"] != BillStatus.EXEMPT else ZERO
        out.append(
            {
                "month": month,
                "status": bill["status"] if bill else "",
                "due": due,
                "paid": to_fen(e.get("paid", ZERO)),
                "voluntary": to_fen(e.get("voluntary", ZERO)),
            }
        )
    return out


def check_ledger(*, limit: int = 1000) -> list[str]:
    """Every violation of the invariants in the module docstring, as readable lines."""
    problems: list[str] = []
    for b in (
        Bill.objects.filter(status=BillStatus.PAID)
        .annotate(net=_NET)
        .exclude(net=F("amount_due"))
        .values("pk", "person_id", "month", "amount_due", "net")[:limit]
    ):
        problems.append(
            f"bill {b['pk']} (person {b['person_id']}, {b['month']:%Y-%m}) is paid but its entries sum to "
            f"{b['net']} instead of {b['amount_due']}"
        )
    for b in (
        Bill.objects.exclude(status=BillStatus.PAID)
        .annotate(net=_NET)
        .exclude(net=ZERO)
        .values("pk", "status", "person_id", "month", "net")[:limit]
    ):
        problems.append(
            f"bill {b['pk']} (person {b['person_id']}, {b['month']:%Y-%m}) is {b['status']} but its entries "
            f"sum to {b['net']}"
        )
    for o in (
        PaymentOrder.objects.annotate(n=Count("entries"))
        .filter(Q(status=OrderStatus.PAID, n=0) | (~Q(status=OrderStatus.PAID) & Q(n__gt=0)))
        .values("order_no", "status", "n")[:limit]
    ):
        problems.append(f"order {o['order_no']} is {o['status']} with {o['n']} ledger entries")
    for e in (
        LedgerEntry.objects.filter(kind=EntryKind.REVERSAL)
        .filter(
            Q(reverses__isnull=True)
            | ~Q(amount=-F("reverses__amount"))
            | ~Q(person_id=F("reverses__person_id"))
            | (Q(bill__isnull=True) & Q(reverses__bill__isnull=False))
            | (Q(bill__isnull=False) & ~Q(bill_id=F("reverses__bill_id")))
        )
        .values("pk", "reverses_id")[:limit]
    ):
        problems.append(f"reversal {e['pk']} does not mirror entry {e['reverses_id']}")
    for e in (
        LedgerEntry.objects.exclude(kind=EntryKind.REVERSAL)
        .filter(Q(amount__lte=0) | Q(reverses__isnull=False))
        .values("pk", "kind", "amount")[:limit]
    ):
        problems.append(f"entry {e['pk']} ({e['kind']}) has amount {e['amount']} or points at another entry")
    for e in (
        LedgerEntry.objects.filter(bill__isnull=False)
        .exclude(person_id=F("bill__person_id"))
        .values("pk", "bill_id")[:limit]
    ):
        problems.append(f"entry {e['pk']} belongs to another member than bill {e['bill_id']}")
    return problems
