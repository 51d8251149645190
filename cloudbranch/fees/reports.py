"""Dues reports per unit subtree and month or year (read-only, plus an audited .xlsx export).

For a unit U and a period (one month, or a calendar year):

- expected (应缴): the sum of ``amount_due`` of the bills of the period in U's subtree, exempt
  bills excluded (a bill belongs to the unit it was billed in);
- paid (实缴): the sum of the ledger entries of kind payment plus the reversals of such entries,
  by the entry's (bill) month — never a stored total;
- outstanding (未缴) = expected − paid;
- payment rate: bills paid / bills billed (per month this is members; for a year member-months,
  人次) and paid / expected by amount;
- voluntary (自愿多交): voluntary entries and their reversals;
- upward remittance (上缴): by local practice the whole collected amount (paid + voluntary)
  goes up to the higher Party committee, except single voluntary payments of 1000 yuan or more,
  which go in full to the Centre (中组发〔2008〕3号) and are shown separately.

A report costs a constant number of queries whatever the size of the subtree: bills and entries
are summed per unit path in the database and rolled up to the children in Python (as
people.selectors.unit_headcounts does), plus one query per series of the monthly chart.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from cloudbranch.audit.services import audit_record
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import access_by_id, can, granted_prefixes

from .choices import BillStatus, EntryKind
from .models import Bill, LedgerEntry
from .money import to_fen

VIEW_PERM = "fees.view_report"
CENTRE_THRESHOLD = Decimal("1000.00")
ZERO = Decimal("0.00")


def _fen(value) -> Decimal:
    """A database sum as an exact fen amount (SQLite returns long decimals; PostgreSQL exact ones)."""
    return to_fen(value if value is not None else ZERO)


_PAYMENT = Q(kind=EntryKind.PAYMENT) | (Q(kind=EntryKind.REVERSAL) & ~Q(reverses__kind=EntryKind.VOLUNTARY))
_VOLUNTARY = Q(kind=EntryKind.VOLUNTARY) | Q(kind=EntryKind.REVERSAL, reverses__kind=EntryKind.VOLUNTARY)
_CENTRE = Q(kind=EntryKind.VOLUNTARY, amount__gte=CENTRE_THRESHOLD) | Q(
    kind=EntryKind.REVERSAL, reverses__kind=EntryKind.VOLUNTARY, reverses__amount__gte=CENTRE_THRESHOLD
)


@dataclass
class Period:
    year: int
    month: int | None = None  # None: the whole year

    @property
    def start(self) -> datetime.date:
        return datetime.date(self.year, self.month or 1, 1)

    @property
    def end(self) -> datetime.date:
        """The first day of the month of the last bill month included."""
        return datetime.date(self.year, self.month or 12, 1)

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月" if self.month else f"{self.year}年"

    @property
    def key(self) -> str:
        return f"{self.year}-{self.month:02d}" if self.month else f"{self.year}"


def parse_period(year, month, *, today: datetime.date | None = None) -> Period:
    today = today or timezone.localdate()
    try:
        y = int(year)
    except (TypeError, ValueError):
        y = today.year
    if not 2000 <= y <= today.year + 1:
        y = today.year
    try:
        m = int(month) if month not in (None, "") else None
    except (TypeError, ValueError):
        m = None
    if m is not None and not 1 <= m <= 12:
        m = None
    return Period(y, m)


@dataclass
class Totals:
    expected: Decimal = ZERO
    paid: Decimal = ZERO
    voluntary: Decimal = ZERO
    centre: Decimal = ZERO  # voluntary payments of 1000 yuan or more: in full to the Centre
    billed: int = 0  # non-exempt bills (members per month; member-months per year)
    paid_bills: int = 0
    exempt: int = 0

    def add(self, other: Totals) -> None:
        self.expected += other.expected
        self.paid += other.paid
        self.voluntary += other.voluntary
        self.centre += other.centre
        self.billed += other.billed
        self.paid_bills += other.paid_bills
        self.exempt += other.exempt

    @property
    def outstanding(self) -> Decimal:
        return self.expected - self.paid

    @property
    def collected(self) -> Decimal:
        return self.paid + self.voluntary

    @property
    def to_committee(self) -> Decimal:
        """Remitted to the higher Party committee: everything collected except the Centre's share."""
        return self.collected - self.centre

    @property
    def member_rate(self) -> Decimal | None:
        if not self.billed:
            return None
        return (Decimal(self.paid_bills) * 100 / Decimal(self.billed)).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def amount_rate(self) -> Decimal | None:
        if not self.expected:
            return None
        return (self.paid * 100 / self.expected).quantize(Decimal("0.1"), ROUND_HALF_UP)

    def as_dict(self) -> dict:
        return {
            "expected": self.expected,
            "paid": self.paid,
            "outstanding": self.outstanding,
            "voluntary": self.voluntary,
            "collected": self.collected,
            "to_committee": self.to_committee,
            "to_centre": self.centre,
            "billed": self.billed,
            "paid_bills": self.paid_bills,
            "exempt": self.exempt,
            "member_rate": self.member_rate,
            "amount_rate": self.amount_rate,
        }


@dataclass
class ReportRow:
    unit: OrgUnit | None  # None: bills and entries of the unit itself (本级)
    totals: Totals
    drillable: bool = False


@dataclass
class Report:
    unit: OrgUnit
    period: Period
    totals: Totals
    rows: list[ReportRow]
    chart: dict = field(default_factory=dict)


def access_report_unit(user, unit_id) -> OrgUnit:
    """404 if the user does not see the unit, 403 if they see it without ``fees.view_report`` there."""
    unit = access_by_id(user, OrgUnit, unit_id)
    if not can(user, VIEW_PERM, unit):
        raise PermissionDenied
    return unit


def default_report_unit(user) -> OrgUnit:
    prefixes = granted_prefixes(user, VIEW_PERM)
    if not prefixes:
        raise PermissionDenied
    return OrgUnit.objects.filter(path__in=prefixes).order_by("depth", "path").first()


def _month_range(period: Period) -> Q:
    return Q(month__gte=period.start, month__lte=period.end)


def unit_report(unit: OrgUnit, period: Period) -> Report:
    """The report of ``unit``'s subtree: totals, one row per child unit (+ 本级), monthly chart.
    Five queries whatever the size of the subtree."""
    children = list(OrgUnit.objects.filter(parent=unit).order_by("status", "path"))
    child_by_path = {c.path: c for c in children}
    own = Totals()
    per_child = {c.path: Totals() for c in children}
    total = Totals()

    def bucket(path: str) -> Totals:
        if path == unit.path:
            return own
        rest = path[len(unit.path) :]
        child_path = unit.path + rest[: rest.index("/") + 1]
        return per_child.setdefault(child_path, Totals())

    bills = (
        Bill.objects.filter(_month_range(period), unit__path__startswith=unit.path)
        .values("unit__path")
        .annotate(
            expected=Sum("amount_due", filter=~Q(status=BillStatus.EXEMPT)),
            billed=Count("id", filter=~Q(status=BillStatus.EXEMPT)),
            paid_bills=Count("id", filter=Q(status=BillStatus.PAID)),
            exempt=Count("id", filter=Q(status=BillStatus.EXEMPT)),
        )
        .order_by()
    )
    for row in bills:
        t = bucket(row["unit__path"])
        t.add(
            Totals(
                expected=_fen(row["expected"]),
                billed=row["billed"],
                paid_bills=row["paid_bills"],
                exempt=row["exempt"],
            )
        )
    entries = (
        LedgerEntry.objects.filter(_month_range(period), unit__path__startswith=unit.path)
        .values("unit__path")
        .annotate(
            paid=Sum("amount", filter=_PAYMENT),
            voluntary=Sum("amount", filter=_VOLUNTARY),
            centre=Sum("amount", filter=_CENTRE),
        )
        .order_by()
    )
    for row in entries:
        bucket(row["unit__path"]).add(
            Totals(paid=_fen(row["paid"]), voluntary=_fen(row["voluntary"]), centre=_fen(row["centre"]))
        )
    rows = []
    for path, t in per_child.items():
        child = child_by_path.get(path)
        if child is None or (child.status != "active" and not (t.billed or t.exempt or t.paid or t.voluntary)):
            if child is None:
                own.add(t)  # a unit that is no longer a child: count it with the unit itself
            continue
        rows.append(ReportRow(child, t, drillable=True))
    for r in rows:
        total.add(r.totals)
    if own.billed or own.exempt or own.paid or own.voluntary:
        rows.append(ReportRow(None, own))
    total.add(own)
    return Report(unit=unit, period=period, totals=total, rows=rows, chart=monthly_chart(unit, period.year))


def monthly_chart(unit: OrgUnit, year: int) -> dict:
    """Expected vs paid per month of ``year`` for the subtree (two queries); amounts as strings."""
    period = Period(year)
    expected = dict(
        Bill.objects.filter(_month_range(period), unit__path__startswith=unit.path)
        .exclude(status=BillStatus.EXEMPT)
        .values("month")
        .annotate(s=Sum("amount_due"))
        .order_by()
        .values_list("month", "s")
    )
    paid = dict(
        LedgerEntry.objects.filter(_month_range(period), unit__path__startswith=unit.path)
        .values("month")
        .annotate(s=Sum("amount", filter=_PAYMENT))
        .order_by()
        .values_list("month", "s")
    )
    months = [datetime.date(year, m, 1) for m in range(1, 13)]
    return {
        "months": [f"{m.month}月" for m in months],
        "expected": [str(_fen(expected.get(m))) for m in months],
        "paid": [str(_fen(paid.get(m))) for m in months],
    }


# --- export -----------------------------------------------------------------------------------

HEADERS = [
    "组织",
    "应缴金额（元）",
    "实缴金额（元）",
    "未缴金额（元）",
    "应缴人次",
    "已缴人次",
    "免缴人次",
    "人数缴纳率（%）",
    "金额缴纳率（%）",
    "自愿多交（元）",
    "上缴上级党委（元）",
    "全额上缴中央（元）",
]


def _cells(name: str, t: Totals) -> list:
    return [
        name,
        t.expected,
        t.paid,
        t.outstanding,
        t.billed,
        t.paid_bills,
        t.exempt,
        t.member_rate if t.member_rate is not None else "—",
        t.amount_rate if t.amount_rate is not None else "—",
        t.voluntary,
        t.to_committee,
        t.centre,
    ]


def report_export(*, actor, unit: OrgUnit, period: Period) -> tuple[str, bytes]:
    """The report as .xlsx (openpyxl write_only), audited as ``fees.report.export``."""
    from openpyxl import Workbook

    if not can(actor, VIEW_PERM, unit):
        raise PermissionDenied
    report = unit_report(unit, period)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("党费收缴情况")
    ws.append([f"{unit.name} {period.label} 党费收缴情况"])
    ws.append(
        [
            f"导出时间：{timezone.localtime():%Y-%m-%d %H:%M}；上缴说明：收缴党费按规定全额上缴上级党委；"
            "一次性自愿多交 1000 元以上的全额上缴中央。"
        ]
    )
    ws.append(HEADERS)
    for r in report.rows:
        ws.append(_cells(r.unit.name if r.unit else f"{unit.name}（本级）", r.totals))
    ws.append(_cells("合计", report.totals))
    buf = io.BytesIO()
    wb.save(buf)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="fees.report.export",
            target=unit,
            changes={"period": period.key, "rows": len(report.rows)},
        )
    return f"dues-report-{unit.pk}-{period.key}.xlsx", buf.getvalue()


def holds_report(user) -> bool:
    return bool(granted_prefixes(user, VIEW_PERM))
