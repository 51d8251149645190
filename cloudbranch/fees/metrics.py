"""Dues metrics (党费, SPEC §9). Money is reported in fen (integers): yuan × 100, rounded.

* ``dues.expected_fen``: ``Bill.amount_due`` of the bills of the month (exempt bills excluded), by
  the bill's ``month``, in the BILL's unit (the member's unit when the bill was raised).
* ``dues.paid_fen``: ledger money for bills (``payment`` entries and the reversals of payments;
  voluntary extra dues are not part of what was due) by the entry's ``month`` (所属月份, the bill
  month it pays), in the ENTRY's unit — so ``dues.payment_rate`` compares the same months.
* ``dues.arrears_members``: members on the roster with 3 or more unpaid bills of months up to the
  date, in the person's CURRENT unit. Approximation for past dates: a bill counts as unpaid when
  it is still open today (a bill paid since is not counted back); today's figure is exact.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Q, Sum

from cloudbranch.core.metric_queries import flow, for_units
from cloudbranch.core.metrics import FLOW, STOCK, Metric, Period, register
from cloudbranch.people.choices import RosterStatus

from .choices import BillStatus, EntryKind
from .models import Bill, LedgerEntry

ARREARS_MONTHS = 3


def _billed():
    return Bill.objects.exclude(status=BillStatus.EXEMPT)


def _paid():
    return LedgerEntry.objects.filter(
        Q(kind=EntryKind.PAYMENT) | Q(kind=EntryKind.REVERSAL, reverses__kind=EntryKind.PAYMENT)
    )


register(
    Metric(
        key="dues.expected_fen",
        label="应缴党费",
        area="dues",
        kind=FLOW,
        unit="分",
        sources={"fees.Bill": "unit_id"},
        description="账单所属月份在期内的应缴党费（免缴账单除外），单位为分，归属账单所在党组织。",
        **flow(_billed, unit="unit_id", day="month", value=lambda: Sum("amount_due"), factor=100),
    )
)

register(
    Metric(
        key="dues.paid_fen",
        label="实缴党费",
        area="dues",
        kind=FLOW,
        unit="分",
        sources={"fees.LedgerEntry": "unit_id"},
        description="所属月份在期内的已缴党费（缴纳减冲正，不含自愿多交），单位为分，归属台账记录所在党组织。",
        **flow(_paid, unit="unit_id", day="month", value=lambda: Sum("amount"), factor=100),
    )
)


def _month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def arrears_dates(units, dates: list[datetime.date]) -> dict[tuple[int, datetime.date], Decimal]:
    """One query: the open bills of each member counted per date (one COUNT column per date), then
    the members with ``ARREARS_MONTHS`` or more counted per unit and date in Python."""
    dates = sorted(set(dates))
    if not dates:
        return {}
    columns = {f"d{i}": Count("pk", filter=Q(month__lte=_month_start(d))) for i, d in enumerate(dates)}
    qs = Bill.objects.filter(
        status=BillStatus.OPEN, month__lte=_month_start(dates[-1]), person__roster_status=RosterStatus.ACTIVE
    )
    qs = for_units(qs, "person__unit_id", units)
    rows = (
        qs.order_by()
        .values("person_id", "person__unit_id")
        .annotate(**columns)
        .values_list("person__unit_id", *columns)
    )
    out: dict[tuple[int, datetime.date], Decimal] = defaultdict(Decimal)
    for unit_id, *counts in rows:
        for d, n in zip(dates, counts, strict=True):
            if n >= ARREARS_MONTHS:
                out[(unit_id, d)] += 1
    return dict(out)


def arrears_compute(units, period: Period) -> dict[int, Decimal]:
    return {u: v for (u, _d), v in arrears_dates(units, [period.end]).items()}


register(
    Metric(
        key="dues.arrears_members",
        label="欠缴党员",
        area="dues",
        kind=STOCK,
        unit="人",
        sources={"fees.Bill": "person.unit_id", "people.Person": "unit_id"},
        description="截至期末有 3 个月及以上未缴账单的在册党员人数，计入人员当前所在党组织。"
        "过去日期按目前仍未缴的账单推算（之后补缴的不回溯计入）。",
        compute=arrears_compute,
        compute_dates=arrears_dates,
    )
)

register(
    Metric(
        key="dues.payment_rate",
        label="党费收缴率",
        area="dues",
        kind=FLOW,
        unit="%",
        numerator="dues.paid_fen",
        denominator="dues.expected_fen",
        description="实缴党费 ÷ 应缴党费（同一所属月份）。",
    )
)
