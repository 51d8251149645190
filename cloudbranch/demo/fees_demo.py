"""Two years of dues for the seeded demo tree (issue 7 item 10).

``seed_fees(root, seed=..., today=..., now=..., creator=...)`` reads the Party members under
``root`` (probationary and full, roster active) and the dues brackets in a few queries, plans
everything in Python (``plan_fees``: deterministic for a seed and a day) and writes it in
batches: approved ``DuesBase`` rows (a few members get a raise mid-period, so history shows),
one ``Bill`` per member and month for the last 24 full months plus the current one (from the
month a member joined, if later), ``PaymentOrder`` rows (sandbox, paid) and ``LedgerEntry`` rows.

Behaviour: most members pay every month a few days in (≈70 % online, the rest cash or transfer
with a receipt number), some pay a quarter at once online (three bills in one order), the
current month is mostly still open; ≈4 % owe the last 1–2 months, a couple 3–4 months, exactly
two 6 months or more (with an open ``ArrearsCase``); a few have months exempted (生活困难);
one duplicated cash payment is reversed; two voluntary extra payments (one of 1,000 yuan, 全额
上缴中央). In secretary1's branch (``<root>0101``) member1 owes the current and the previous
month and another member owes three months. Monthly dues follow the ``DuesBracket`` rows
(rate × base, half up to the fen, ``fees.money.to_fen``; flat amounts for students).

Writes go straight through the models (demo data, not a user's action); ledger entries and the
order↔bill links are inserted with ``executemany``. One audit row ``demo.seed.fees`` holds the counts.
"""

from __future__ import annotations

import datetime
import hashlib
import random
import time
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import connection

from cloudbranch.audit.services import audit_record
from cloudbranch.fees.choices import (
    ArrearsStatus,
    BaseKind,
    BaseStatus,
    BillStatus,
    EntryKind,
    OrderStatus,
    PaymentMethod,
)
from cloudbranch.fees.models import ArrearsCase, Bill, DuesBase, DuesBracket, LedgerEntry, PaymentOrder
from cloudbranch.fees.money import to_fen
from cloudbranch.orgs.models import OrgUnit, RoleAssignment
from cloudbranch.orgs.roles import Role
from cloudbranch.people.choices import Category, PoliticalStatus, RosterStatus
from cloudbranch.people.models import Person

FEES_ACTION = "demo.seed.fees"
BATCH_SIZE = 1000
CHUNK = 2000  # members planned and written at a time (keeps memory flat at province scale)
MONTHS_BACK = 24
EXEMPT_REASON = "生活困难，经支部同意免缴"
REVERSAL_REASON = "同一笔现金党费重复录入，经支部书记批准冲正"
VOLUNTARY_BIG_REASON = "自愿多交党费 1000 元，按规定全额上缴中央"
VOLUNTARY_REASON = "自愿多交党费"
PROVIDER = "sandbox"
PAY_CURRENT = {"regular", "exempt", "reversal", "voluntary", "voluntary_big"}  # profiles that may pay this month
ORDER_TTL = datetime.timedelta(minutes=30)


def has_bills(root: OrgUnit) -> bool:
    return Bill.objects.filter(unit__path__startswith=root.path).exists()


def month_add(month: datetime.date, n: int) -> datetime.date:
    k = month.year * 12 + month.month - 1 + n
    return datetime.date(k // 12, k % 12 + 1, 1)


def window_months(today: datetime.date) -> list[datetime.date]:
    """The last 24 full months and the current one, oldest first (first days of months)."""
    current = today.replace(day=1)
    return [month_add(current, -k) for k in range(MONTHS_BACK, -1, -1)]


# --- standards ---------------------------------------------------------------------------------------


class Standards:
    """The dues brackets as loaded by the fees migration, looked up per month and base kind."""

    def __init__(self, rows: list[DuesBracket]):
        self.versions: dict[datetime.date, dict[str, list[DuesBracket]]] = {}
        for row in rows:
            self.versions.setdefault(row.valid_from, {}).setdefault(row.base_kind, []).append(row)
        self.starts = sorted(self.versions)

    @classmethod
    def load(cls) -> Standards:
        return cls(list(DuesBracket.objects.order_by("valid_from", "base_kind", "lower", "id")))

    def monthly_dues(self, kind: str, amount: Decimal, month: datetime.date) -> Decimal:
        start = max((s for s in self.starts if s <= month), default=self.starts[0] if self.starts else None)
        if start is None:
            raise LookupError("no dues brackets loaded (run migrate)")
        for band in self.versions[start].get(kind, []):
            if band.fixed_amount is not None:
                return to_fen(band.fixed_amount)
            if (band.lower is None or amount > band.lower) and (band.upper is None or amount <= band.upper):
                return to_fen(amount * band.rate)
        raise LookupError(f"no dues bracket for {kind} {amount}")


# --- what is read from the database ----------------------------------------------------------------


@dataclass
class Member:
    id: int
    unit: int
    category: str
    joined_on: datetime.date | None
    user: int | None
    lost: bool
    branch: int  # the branch (a group's parent branch)


@dataclass
class World:
    root_id: int
    members: list[Member]
    secretaries: dict[int, int]  # branch id → user id
    collectors: dict[int, int]  # branch id → user id
    showcase: int | None  # secretary1's branch
    sibling: int | None  # secretary2's branch
    college: str | None  # path of the first college (for the reversal and the voluntary payments)
    paths: dict[int, str]
    member1: int | None  # person id of the member1 account
    account_people: set[int] = field(default_factory=set)


def load_world(root: OrgUnit, *, demo: dict[str, OrgUnit]) -> World:
    """``demo``: the demo accounts' units (``seeding.demo_units``): college, branch1, branch2."""
    units = {
        uid: (code, kind, parent_id, path)
        for uid, code, kind, parent_id, path in OrgUnit.objects.filter(path__startswith=root.path).values_list(
            "id", "code", "kind", "parent_id", "path"
        )
    }
    showcase = demo["branch1"].pk if "branch1" in demo else None
    sibling = demo["branch2"].pk if "branch2" in demo else None
    college = demo["college"].path if "college" in demo else None

    def branch_of(unit_id: int) -> int:
        _code, kind, parent_id, _path = units[unit_id]
        return parent_id if kind == "group" and parent_id in units else unit_id

    members = [
        Member(
            id=pid,
            unit=unit_id,
            category=category,
            joined_on=joined_on,
            user=user_id,
            lost=lost,
            branch=branch_of(unit_id),
        )
        for pid, unit_id, category, joined_on, user_id, lost in Person.objects.filter(
            unit__path__startswith=root.path,
            roster_status=RosterStatus.ACTIVE,
            political_status__in=(PoliticalStatus.FULL, PoliticalStatus.PROBATIONARY),
        )
        .order_by("id")
        .values_list("id", "unit_id", "category", "joined_on", "user_id", "is_lost_contact")
    ]
    roles: dict[str, dict[int, int]] = {Role.BRANCH_SECRETARY: {}, Role.FEE_COLLECTOR: {}}
    for unit_id, user_id, role in (
        RoleAssignment.objects.active()
        .filter(role__in=list(roles), unit_id__in=list(units))
        .order_by("id")
        .values_list("unit_id", "user_id", "role")
    ):
        roles[role].setdefault(unit_id, user_id)
    member1 = (
        Person.objects.filter(user__username="member1", unit__path__startswith=root.path)
        .values_list("id", flat=True)
        .first()
    )
    return World(
        root_id=root.pk,
        members=members,
        secretaries=roles[Role.BRANCH_SECRETARY],
        collectors=roles[Role.FEE_COLLECTOR],
        showcase=showcase,
        sibling=sibling,
        college=college,
        paths={uid: v[3] for uid, v in units.items()},
        member1=member1,
        account_people={m.id for m in members if m.user},
    )


# --- the plan ----------------------------------------------------------------------------------------


@dataclass
class BasePlan:
    kind: str
    amount: Decimal
    effective_from: datetime.date
    monthly_dues: Decimal
    note: str = ""


@dataclass
class BillPlan:
    month: datetime.date
    amount: Decimal
    base: int  # index into the member's bases
    status: str = BillStatus.OPEN
    exemption_reason: str = ""
    paid: bool = False


@dataclass
class PaymentPlan:
    """One payment: online (an order of one or more bills) or offline (one entry per bill)."""

    bills: list[int]  # indexes into the member's bills
    method: str
    at: datetime.datetime
    duplicate: bool = False  # offline entry recorded twice, the second one reversed


@dataclass
class MemberPlan:
    member: Member
    profile: str
    bases: list[BasePlan]
    bills: list[BillPlan]
    payments: list[PaymentPlan]
    voluntary: list[tuple[Decimal, str, str, datetime.datetime]] = field(default_factory=list)
    arrears: tuple[datetime.date, int] | None = None  # (first month, months) of an open case


class Planner:
    def __init__(self, world: World, *, seed: int, today: datetime.date, now: datetime.datetime, standards):
        self.world, self.today, self.now, self.standards = world, today, now, standards
        self.rng = random.Random(f"fees:{seed}:{today.isoformat()}")
        self.months = window_months(today)
        self.current = self.months[-1]
        self.tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        self.raise_month = month_add(self.current, -self.rng.randint(6, 14))
        self.profiles = self._profiles()

    # who does what -----------------------------------------------------------------------------
    def _profiles(self) -> dict[int, str]:
        rng, w = self.rng, self.world
        members = w.members
        special: dict[int, str] = {}
        showcase = [m for m in members if m.branch == w.showcase]
        if w.member1 is not None:
            special[w.member1] = "member1"
        free = [m for m in showcase if m.id not in special and m.id not in w.account_people]
        if free:
            special[free[-1].id] = "arrears3"
        # The college's first branch with salaried members shows the reversal and the voluntary payments.
        salaried = [
            m
            for m in members
            if w.college
            and w.paths[m.unit].startswith(w.college)
            and m.category in (Category.FACULTY, Category.STAFF)
            and m.id not in special
            and m.id not in w.account_people
        ]
        if salaried:
            special[salaried[0].id] = "reversal"
            if len(salaried) > 1:
                special[salaried[1].id] = "voluntary_big"
            if len(salaried) > 2:
                special[salaried[2].id] = "voluntary"
        eligible = [m for m in members if m.id not in special and m.id not in w.account_people and self._old(m, 10)]
        # Exactly two members with six months or more: one in secretary2's branch if it can.
        sibling = [m for m in eligible if m.branch == w.sibling]
        sixes = [sibling[len(sibling) // 2]] if sibling else []
        others = [m for m in eligible if m not in sixes and m.branch not in (w.showcase, w.sibling)]
        if others:
            sixes.append(rng.choice(others))
        for m in sixes:
            special[m.id] = "arrears6"
        rest = [m for m in members if m.id not in special]
        n = len(members)
        counts = {"arrears34": max(2, n // 500), "exempt": max(3, n // 400)}
        pool = [m for m in rest if m.id not in w.account_people and m.branch != w.showcase and self._old(m, 8)]
        rng.shuffle(pool)
        hardship = [m for m in pool if m.category in (Category.STAFF, Category.RETIREE)] or pool
        for m in hardship[: counts["exempt"]]:
            special[m.id] = "exempt"
        pool = [m for m in pool if m.id not in special]
        for m in pool[: counts["arrears34"]]:
            special[m.id] = "arrears34"
        profiles = {}
        for m in members:
            if m.id in special:
                profiles[m.id] = special[m.id]
            elif m.id in w.account_people or m.branch == w.showcase:
                profiles[m.id] = "regular"
            else:
                roll = rng.random()
                profiles[m.id] = "arrears12" if roll < 0.035 else "quarterly" if roll < 0.065 else "regular"
        return profiles

    def _old(self, m: Member, months: int) -> bool:
        """Billed for at least ``months`` months of the window."""
        return self._first_month(m) <= month_add(self.current, -months)

    def _first_month(self, m: Member) -> datetime.date:
        if m.joined_on is None:
            return self.months[0]
        return max(self.months[0], m.joined_on.replace(day=1))

    # bases -------------------------------------------------------------------------------------------
    def _bases(self, m: Member, first: datetime.date) -> list[BasePlan]:
        rng = self.rng
        if m.category == Category.STUDENT:
            kind, amount = BaseKind.STUDENT, Decimal("0.00")
        elif m.category == Category.RETIREE:
            kind = BaseKind.PENSION
            roll = rng.random()
            amount = Decimal("5000.00") if roll < 0.05 else Decimal(rng.randint(300000, 800000)) / 100
        else:
            kind = BaseKind.SALARY
            roll = rng.random()
            if roll < 0.03:
                amount = Decimal("3000.00")
            elif roll < 0.06:
                amount = Decimal("5000.00")
            elif roll < 0.08:
                amount = Decimal("10000.00")
            elif m.category == Category.FACULTY:
                amount = Decimal(rng.randint(550000, 1500000)) / 100
            else:
                amount = Decimal(rng.randint(400000, 900000)) / 100
        bases = [BasePlan(kind, amount, first, self.standards.monthly_dues(kind, amount, first))]
        if kind != BaseKind.STUDENT and first < self.raise_month and rng.random() < 0.08:
            raised = to_fen(amount * Decimal(rng.randint(104, 115)) / 100)
            note = f"{self.raise_month.year}年{self.raise_month.month}月起{'调整工资' if kind == BaseKind.SALARY else '调整基本养老金'}"
            bases.append(
                BasePlan(
                    kind, raised, self.raise_month, self.standards.monthly_dues(kind, raised, self.raise_month), note
                )
            )
        return bases

    # timing -------------------------------------------------------------------------------------------
    def _at(self, month: datetime.date, lo: int, hi: int) -> datetime.datetime:
        day = self.rng.randint(lo, hi)
        moment = datetime.datetime(
            month.year, month.month, day, self.rng.randint(8, 21), self.rng.randint(0, 59), tzinfo=self.tz
        )
        return moment

    def member(self, m: Member) -> MemberPlan:
        rng = self.rng
        profile = self.profiles[m.id]
        first = self._first_month(m)
        bases = self._bases(m, first)
        bills = []
        for month in self.months:
            if month < first:
                continue
            idx = max(i for i, b in enumerate(bases) if b.effective_from <= month)
            bills.append(BillPlan(month=month, amount=bases[idx].monthly_dues, base=idx))
        past = [i for i, b in enumerate(bills) if b.month < self.current]
        unpaid: set[int] = set()
        arrears = None
        if profile == "member1":
            unpaid = set(past[-1:])
        elif profile == "arrears12":
            unpaid = set(past[-rng.randint(1, 2) :])
        elif profile in ("arrears3", "arrears34"):
            unpaid = set(past[-(3 if profile == "arrears3" else rng.randint(3, 4)) :])
        elif profile == "arrears6":
            run = past[-rng.randint(6, 8) :]
            unpaid = set(run)
            arrears = (bills[run[0]].month, len(run))
        elif profile == "exempt":
            length = min(rng.randint(3, 6), max(0, len(past) - 2))
            end = rng.randint(length, len(past) - 2) if length else 0
            for i in past[end - length : end]:
                bills[i].status = BillStatus.EXEMPT
                bills[i].exemption_reason = EXEMPT_REASON
        plan = MemberPlan(member=m, profile=profile, bases=bases, bills=bills, payments=[], arrears=arrears)
        preferred = self._method()
        current_share = min(0.3, 0.025 * (self.today.day - 2))
        payable = [i for i, b in enumerate(bills) if b.status == BillStatus.OPEN and i not in unpaid]
        if profile == "quarterly":
            quarters: dict[tuple[int, int], list[int]] = {}
            for i in payable:
                month = bills[i].month
                quarters.setdefault((month.year, (month.month - 1) // 3), []).append(i)
            for (year, q), idxs in sorted(quarters.items()):
                at = self._at(datetime.date(year, q * 3 + 3, 1), 3, 10)
                if at < self.now:
                    plan.payments.append(PaymentPlan(bills=idxs, method=PaymentMethod.ONLINE, at=at))
        else:
            for i in payable:
                month = bills[i].month
                if month == self.current:
                    if profile not in PAY_CURRENT or rng.random() >= current_share:
                        continue
                    at = self._at(month, 1, max(1, self.today.day - 1))
                else:
                    at = self._at(month, 2, 12)
                if at >= self.now:
                    continue
                method = preferred if rng.random() < 0.9 else self._method()
                plan.payments.append(PaymentPlan(bills=[i], method=method, at=at))
        if profile == "reversal":
            offline = [p for p in plan.payments if p.method == PaymentMethod.CASH]
            target = offline[-3] if len(offline) >= 3 else None
            if target is None and len(plan.payments) >= 3:
                target = plan.payments[-3]
                target.method = PaymentMethod.CASH
            if target is not None:
                target.duplicate = True
        if profile in ("voluntary_big", "voluntary"):
            month = month_add(self.current, -rng.randint(2, 8))
            at = self._at(month, 10, 20)
            if profile == "voluntary_big":
                plan.voluntary.append((Decimal("1000.00"), PaymentMethod.TRANSFER, VOLUNTARY_BIG_REASON, at))
            else:
                plan.voluntary.append((Decimal("200.00"), PaymentMethod.CASH, VOLUNTARY_REASON, at))
        for p in plan.payments:
            for i in p.bills:
                bills[i].status = BillStatus.PAID
                bills[i].paid = True
        return plan

    def _method(self) -> str:
        roll = self.rng.random()
        return PaymentMethod.ONLINE if roll < 0.7 else PaymentMethod.CASH if roll < 0.88 else PaymentMethod.TRANSFER


def plan_fees(world: World, *, seed: int, today: datetime.date, now: datetime.datetime, standards: Standards):
    """Yield the plans of the members, in chunks (deterministic for a seed, a day and a roster)."""
    planner = Planner(world, seed=seed, today=today, now=now, standards=standards)
    chunk = []
    for m in world.members:
        chunk.append(planner.member(m))
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def plan_digest(world: World, *, seed: int, today: datetime.date, now: datetime.datetime, standards: Standards) -> str:
    h = hashlib.sha256()
    for chunk in plan_fees(world, seed=seed, today=today, now=now, standards=standards):
        for p in chunk:
            for b in p.bills:
                h.update(f"{p.member.id}|{b.month}|{b.amount}|{b.status}\n".encode())
    return h.hexdigest()


# --- writing ----------------------------------------------------------------------------------------

ENTRY_COLUMNS = (
    "person_id",
    "unit_id",
    "bill_id",
    "order_id",
    "kind",
    "method",
    "amount",
    "month",
    "receipt_no",
    "reverses_id",
    "reason",
    "approved_by_id",
    "created_by_id",
    "created_at",
)


class _FeesWriter:
    def __init__(self, world: World, *, creator: int, now: datetime.datetime):
        self.world, self.creator, self.now = world, creator, now
        self.tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        self.counts: Counter = Counter()
        self.order_seq = 0
        self.receipt_seq = 0
        self.cases: list[ArrearsCase] = []
        self.reversals: list[tuple[int, Member, BillPlan, int, datetime.datetime]] = []
        ops = connection.ops
        self.adapt_dt, self.adapt_date = ops.adapt_datetimefield_value, ops.adapt_datefield_value
        self.adapt_money = lambda v: ops.adapt_decimalfield_value(v, 12, 2)

    def secretary(self, m: Member) -> int:
        return self.world.secretaries.get(m.branch) or self.creator

    def collector(self, m: Member) -> int:
        return self.world.collectors.get(m.branch) or self.world.secretaries.get(m.branch) or self.creator

    def receipt(self, at: datetime.datetime) -> str:
        self.receipt_seq += 1
        return f"SJ{at:%Y%m}{self.receipt_seq:06d}"

    def write(self, plans: list[MemberPlan]) -> None:
        tz_day = datetime.timedelta(days=1)
        # Bases.
        base_objs: list[list[DuesBase]] = []
        flat = []
        for p in plans:
            m = p.member
            own = []
            for b in p.bases:
                declared = datetime.datetime.combine(
                    month_add(b.effective_from, -1).replace(day=20), datetime.time(10), tzinfo=self.tz
                )
                declared = min(declared, self.now)
                own.append(
                    DuesBase(
                        person_id=m.id,
                        base_kind=b.kind,
                        amount=b.amount,
                        effective_from=b.effective_from,
                        monthly_dues=b.monthly_dues,
                        status=BaseStatus.APPROVED,
                        note=b.note,
                        declared_by_id=self.collector(m),
                        declared_at=declared,
                        decided_by_id=self.secretary(m),
                        decided_at=min(declared + 2 * tz_day, self.now),
                    )
                )
            base_objs.append(own)
            flat.extend(own)
        DuesBase.objects.bulk_create(flat, batch_size=BATCH_SIZE)
        self.counts["bases"] += len(flat)
        self.counts["bases_changed"] += sum(1 for own in base_objs if len(own) > 1)
        # Bills.
        bill_objs: list[list[Bill]] = []
        flat = []
        for p, bases in zip(plans, base_objs, strict=True):
            m = p.member
            own = []
            for b in p.bills:
                own.append(
                    Bill(
                        person_id=m.id,
                        unit_id=m.unit,
                        month=b.month,
                        amount_due=b.amount,
                        base_id=bases[b.base].pk,
                        status=b.status,
                        exemption_reason=b.exemption_reason,
                        exemption_approved_by_id=self.secretary(m) if b.status == BillStatus.EXEMPT else None,
                        created_at=min(datetime.datetime.combine(b.month, datetime.time(1), tzinfo=self.tz), self.now),
                    )
                )
                self.counts[f"bills_{b.status}"] += 1
            bill_objs.append(own)
            flat.extend(own)
        Bill.objects.bulk_create(flat, batch_size=BATCH_SIZE)
        self.counts["bills"] += len(flat)
        # Orders (online payments).
        orders: list[tuple[PaymentOrder, list[Bill], MemberPlan]] = []
        offline: list[tuple[PaymentPlan, MemberPlan, list[Bill]]] = []
        for p, bills in zip(plans, bill_objs, strict=True):
            m = p.member
            for pay in p.payments:
                paid = [bills[i] for i in pay.bills]
                if pay.method != PaymentMethod.ONLINE:
                    offline.append((pay, p, paid))
                    continue
                self.order_seq += 1
                order = PaymentOrder(
                    order_no=f"DF{pay.at:%Y%m%d%H%M}{self.order_seq:08d}",
                    person_id=m.id,
                    amount=sum((b.amount_due for b in paid), Decimal("0.00")),
                    provider=PROVIDER,
                    status=OrderStatus.PAID,
                    provider_txn_id=f"SBX{pay.at:%Y%m%d}{self.order_seq:010d}",
                    created_by_id=m.user or self.creator,
                    created_at=pay.at,
                    expires_at=pay.at + ORDER_TTL,
                    paid_at=pay.at + datetime.timedelta(seconds=20 + self.order_seq % 70),
                )
                orders.append((order, paid, p))
        PaymentOrder.objects.bulk_create([o for o, _b, _p in orders], batch_size=BATCH_SIZE)
        through = PaymentOrder.bills.through
        links = [(o.pk, b.pk) for o, bills, _p in orders for b in bills]
        self._executemany(through._meta.db_table, ("paymentorder_id", "bill_id"), links)
        self.counts["orders"] += len(orders)
        self.counts["orders_quarterly"] += sum(1 for _o, bills, _p in orders if len(bills) > 1)
        # Ledger entries.
        rows = []
        for order, bills, p in orders:
            m = p.member
            for b in bills:
                rows.append(
                    self._entry(
                        m,
                        b,
                        order.pk,
                        EntryKind.PAYMENT,
                        PaymentMethod.ONLINE,
                        b.amount_due,
                        "",
                        "",
                        None,
                        order.created_by_id,
                        order.paid_at,
                    )
                )
        duplicates = []
        for pay, p, bills in offline:
            m = p.member
            for b in bills:
                rows.append(
                    self._entry(
                        m,
                        b,
                        None,
                        EntryKind.PAYMENT,
                        pay.method,
                        b.amount_due,
                        self.receipt(pay.at),
                        "",
                        None,
                        self.collector(m),
                        pay.at,
                    )
                )
                if pay.duplicate:
                    again = pay.at + datetime.timedelta(minutes=3)
                    duplicates.append((m, b, pay, again, self.receipt(again)))
            self.counts[f"entries_{pay.method}"] += len(bills)
        self.counts["entries_online"] += sum(len(b) for _o, b, _p in orders)
        for p in plans:
            for amount, method, reason, at in p.voluntary:
                m = p.member
                month = at.date().replace(day=1)
                receipt = self.receipt(at) if method != PaymentMethod.ONLINE else ""
                rows.append(
                    self._entry(
                        m,
                        None,
                        None,
                        EntryKind.VOLUNTARY,
                        method,
                        amount,
                        receipt,
                        reason,
                        None,
                        self.collector(m),
                        at,
                        month=month,
                    )
                )
                self.counts["entries_voluntary"] += 1
            if p.arrears:
                first, months = p.arrears
                self.cases.append(
                    ArrearsCase(
                        person_id=p.member.id,
                        unit_id=p.member.unit,
                        first_month=first,
                        months=months,
                        status=ArrearsStatus.OPEN,
                        opened_at=min(
                            datetime.datetime.combine(month_add(first, 6), datetime.time(2), tzinfo=self.tz),
                            self.now,
                        ),
                    )
                )
        self._executemany(LedgerEntry._meta.db_table, ENTRY_COLUMNS, rows)
        self.counts["entries"] += len(rows)
        # A duplicated cash payment and its reversal (the entry ids are needed: through the ORM).
        for m, b, pay, again, receipt in duplicates:
            duplicate = LedgerEntry(
                person_id=m.id,
                unit_id=m.unit,
                bill_id=b.pk,
                kind=EntryKind.PAYMENT,
                method=pay.method,
                amount=b.amount_due,
                month=b.month,
                receipt_no=receipt,
                created_by_id=self.collector(m),
                created_at=again,
            )
            duplicate.save(force_insert=True)
            reversal = LedgerEntry(
                person_id=m.id,
                unit_id=m.unit,
                bill_id=b.pk,
                kind=EntryKind.REVERSAL,
                method=pay.method,
                amount=-b.amount_due,
                month=b.month,
                reverses=duplicate,
                reason=REVERSAL_REASON,
                approved_by_id=self.secretary(m),
                created_by_id=self.collector(m),
                created_at=min(again + datetime.timedelta(days=2), self.now),
            )
            reversal.save(force_insert=True)
            self.counts["entries"] += 2
            self.counts["reversals"] += 1

    def _entry(self, m, bill, order_id, kind, method, amount, receipt, reason, approved, created_by, at, month=None):
        return (
            m.id,
            m.unit,
            bill.pk if bill is not None else None,
            order_id,
            kind,
            method,
            self.adapt_money(amount),
            self.adapt_date(month or bill.month),
            receipt,
            None,
            reason,
            approved,
            created_by,
            self.adapt_dt(at),
        )

    def _executemany(self, table: str, columns: tuple, rows: list[tuple]) -> None:
        if not rows:
            return
        qn = connection.ops.quote_name
        sql = (
            f"INSERT INTO {qn(table)} ({', '.join(qn(c) for c in columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
        )
        with connection.cursor() as cursor:
            for start in range(0, len(rows), 5000):
                cursor.executemany(sql, rows[start : start + 5000])

    def finish(self) -> None:
        ArrearsCase.objects.bulk_create(self.cases)
        self.counts["arrears_cases"] = len(self.cases)


def seed_fees(
    root: OrgUnit,
    *,
    seed: int,
    today: datetime.date,
    now: datetime.datetime,
    creator: int,
    demo: dict[str, OrgUnit],
) -> dict:
    """Write two years of dues under ``root``; call inside a transaction. Returns counts."""
    started = time.monotonic()
    world = load_world(root, demo=demo)
    standards = Standards.load()
    writer = _FeesWriter(world, creator=creator, now=now)
    profiles = Counter()
    for chunk in plan_fees(world, seed=seed, today=today, now=now, standards=standards):
        writer.write(chunk)
        profiles.update(p.profile for p in chunk)
    writer.finish()
    counts = {"members": len(world.members), **dict(sorted(writer.counts.items()))}
    counts["members_in_arrears"] = sum(v for k, v in profiles.items() if k.startswith("arrears") or k == "member1")
    counts["members_quarterly"] = profiles["quarterly"]
    counts["members_exempt"] = profiles["exempt"]
    counts["seconds"] = round(time.monotonic() - started, 1)
    audit_record(actor=None, action=FEES_ACTION, target=root, changes={"seed": seed, **counts})
    return counts
