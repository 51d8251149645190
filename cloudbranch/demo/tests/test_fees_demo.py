"""Two years of dues in the demo seed (issue 7 item 10), at a small scale."""

import datetime
import hashlib
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Count
from django.test.utils import override_settings

from cloudbranch.audit.models import AuditEvent
from cloudbranch.demo import fees_demo, seeding
from cloudbranch.demo.generator import ScaleParams
from cloudbranch.fees.choices import ArrearsStatus, BaseKind, BaseStatus, BillStatus, EntryKind, OrderStatus
from cloudbranch.fees.models import ArrearsCase, Bill, DuesBase, LedgerEntry, PaymentOrder
from cloudbranch.orgs.models import OrgUnit, RoleAssignment
from cloudbranch.orgs.roles import Role
from cloudbranch.people.choices import Category, PoliticalStatus
from cloudbranch.people.models import Person

from .parts import keep_only

PARAMS = ScaleParams(universities=1, colleges=4, branches=16, people=900)
TODAY = datetime.date(2026, 11, 26)
CURRENT = datetime.date(2026, 11, 1)
allow_accounts = override_settings(DEBUG=True, DEMO_PASSWORD="demo12345")
PARTY = (PoliticalStatus.FULL, PoliticalStatus.PROBATIONARY)
MODELS = (DuesBase, Bill, PaymentOrder, LedgerEntry, ArrearsCase)


@pytest.fixture(autouse=True)
def _no_meetings(monkeypatch):
    """Only dues (and development, whose transfers move members between branches) are seeded here:
    the other parts are tested in their own modules and are most of a seed's time."""
    keep_only(monkeypatch, "fees", "development")


def seed(**kwargs):
    with allow_accounts:
        return seeding.seed(scale="demo", seed=kwargs.pop("seed", 1), params=PARAMS, today=TODAY, **kwargs)


def fee_counts() -> dict:
    return {m.__name__: m.objects.count() for m in MODELS}


def db_digest() -> str:
    h = hashlib.sha256()
    for person, month, amount, status in Bill.objects.order_by("person_id", "month").values_list(
        "person_id", "month", "amount_due", "status"
    ):
        h.update(f"{person}|{month}|{amount}|{status}\n".encode())
    return h.hexdigest()


def _skip_later_parts(m):
    """Learning and communication come after the dues and are tested in their own modules: the
    tests that need a database of their own leave them out (they are most of a seed's time)."""
    keep_only(m, "fees", "development")


@pytest.fixture(scope="class")
def _seeded_once(django_db_setup, django_db_blocker):
    """One seed for the tests that only read it (rolled back after the class; each test runs in a
    savepoint of its own, so the idempotency check's second seed cannot leak)."""
    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as m:
        keep_only(m, "fees", "development")
        with transaction.atomic():
            yield seed()
            transaction.set_rollback(True)


@pytest.fixture
def seeded(_seeded_once, db):
    assert _seeded_once.created and _seeded_once.fees and not _seeded_once.fees_skipped
    return _seeded_once


def unpaid_run(statuses: list[str]) -> int:
    """Consecutive open bills before the current month, counting back from the previous one."""
    n = 0
    for status in reversed(statuses[:-1]):
        if status != BillStatus.OPEN:
            break
        n += 1
    return n


class TestOneSeed:
    """Read what one seed wrote (shared by the tests of this class)."""

    def test_bases_bills_payments_and_the_ledger_invariant(self, seeded):
        members = {
            p.pk: p
            for p in Person.objects.filter(political_status__in=PARTY, roster_status="active").select_related("unit")
        }
        # Bases: approved, one or more per member, dues from the 2008 brackets.
        bases = defaultdict(list)
        for b in DuesBase.objects.order_by("effective_from"):
            bases[b.person_id].append(b)
        assert set(bases) == set(members)
        assert all(b.status == BaseStatus.APPROVED and b.decided_by_id for bs in bases.values() for b in bs)
        kinds = {
            Category.STUDENT: BaseKind.STUDENT,
            Category.RETIREE: BaseKind.PENSION,
            Category.FACULTY: BaseKind.SALARY,
            Category.STAFF: BaseKind.SALARY,
        }
        for pid, bs in bases.items():
            assert {b.base_kind for b in bs} == {kinds[members[pid].category]}
        everything = [b for bs in bases.values() for b in bs]
        assert any(len(bs) == 2 for bs in bases.values()), "a raise shows the history"
        for b in everything:
            if b.base_kind == BaseKind.STUDENT:
                assert b.monthly_dues == Decimal("0.20")
            elif b.base_kind == BaseKind.PENSION:
                assert Decimal("3000") <= b.amount <= Decimal("9200")
        boundary = {b.amount: b.monthly_dues for b in everything if b.base_kind == BaseKind.SALARY}
        assert boundary.get(Decimal("3000.00")) == Decimal("15.00")  # ≤3000: 0.5 %
        assert boundary.get(Decimal("5000.00")) == Decimal("50.00")  # 3000–5000: 1 %
        odd = [b for b in everything if b.base_kind == BaseKind.SALARY and b.amount > 5000 and b.amount <= 10000]
        assert odd and all(b.monthly_dues == (b.amount * Decimal("0.015")).quantize(Decimal("0.01")) for b in odd[:50])

        # Bills: one per member and month, 24 full months plus the current one, from the base in force.
        bills = defaultdict(list)
        for bill in Bill.objects.order_by("month"):
            bills[bill.person_id].append(bill)
        assert set(bills) == set(members)
        months = fees_demo.window_months(TODAY)
        assert len(months) == 25 and months[-1] == CURRENT and months[0] == datetime.date(2024, 11, 1)
        by_id = {b.pk: b for b in everything}
        for pid, own in bills.items():
            assert [b.month for b in own] == months[-len(own) :]
            for bill in own:
                base = by_id[bill.base_id]
                assert bill.unit_id == members[pid].unit_id and bill.amount_due == base.monthly_dues
                assert base.effective_from <= bill.month
                assert not any(
                    b.effective_from <= bill.month and b.effective_from > base.effective_from for b in bases[pid]
                )
        statuses = Counter(Bill.objects.values_list("status", flat=True))
        assert statuses[BillStatus.PAID] > 0.85 * sum(statuses.values())
        current = Counter(Bill.objects.filter(month=CURRENT).values_list("status", flat=True))
        assert current[BillStatus.OPEN] > current[BillStatus.PAID] > 0
        exempt = Bill.objects.filter(status=BillStatus.EXEMPT)
        assert exempt.exists()
        assert all(b.exemption_reason == fees_demo.EXEMPT_REASON and b.exemption_approved_by_id for b in exempt)

        # Ledger invariant: a paid bill's entries sum to its amount, net of reversals; others have none.
        sums = defaultdict(Decimal)
        for bill_id, amount in LedgerEntry.objects.filter(bill__isnull=False).values_list("bill_id", "amount"):
            sums[bill_id] += amount
        for own in bills.values():
            for bill in own:
                assert sums.get(bill.pk, Decimal(0)) == (bill.amount_due if bill.status == BillStatus.PAID else 0)

        # Payments: mostly online through sandbox orders, the rest offline with receipt numbers.
        methods = Counter(LedgerEntry.objects.filter(kind=EntryKind.PAYMENT).values_list("method", flat=True))
        assert 0.6 < methods["online"] / sum(methods.values()) < 0.8 and methods["cash"] and methods["transfer"]
        assert not LedgerEntry.objects.filter(
            kind=EntryKind.PAYMENT, method__in=("cash", "transfer"), receipt_no=""
        ).exists()
        online = LedgerEntry.objects.filter(kind=EntryKind.PAYMENT, method="online")
        assert not online.filter(order__isnull=True).exists()
        assert all(e.created_at.astimezone().day <= 12 or e.month == CURRENT for e in online[:200])
        orders = PaymentOrder.objects.annotate(n=Count("bills"))
        assert {o.status for o in orders} == {OrderStatus.PAID} and {o.provider for o in orders} == {"sandbox"}
        assert all(o.provider_txn_id and o.paid_at for o in orders)
        sizes = Counter(o.n for o in orders)
        assert sizes[3] > 0, "some members pay a quarter at once"
        for order in PaymentOrder.objects.prefetch_related("bills", "entries"):
            assert (
                order.amount
                == sum(b.amount_due for b in order.bills.all())
                == sum(e.amount for e in order.entries.all())
            )

        # One reversal of a duplicated cash payment, with reason and approver; voluntary payments.
        reversal = LedgerEntry.objects.get(kind=EntryKind.REVERSAL)
        assert reversal.reason and reversal.approved_by_id and reversal.amount == -reversal.reverses.amount
        assert reversal.reverses.method == "cash" and reversal.bill.entries.filter(kind=EntryKind.PAYMENT).count() == 2
        voluntary = list(LedgerEntry.objects.filter(kind=EntryKind.VOLUNTARY))
        assert len(voluntary) == 2 and any(e.amount == 1000 and "全额上缴中央" in e.reason for e in voluntary)

        # Arrears: a few owe 1–2 months, a couple 3–5, exactly two 6+ with an open case.
        runs = {pid: unpaid_run([b.status for b in own]) for pid, own in bills.items()}
        spread = Counter(min(n, 6) for n in runs.values() if n)
        assert spread[1] + spread[2] > 0 and spread[3] + spread[4] + spread[5] >= 2 and spread[6] == 2
        cases = list(ArrearsCase.objects.all())
        assert len(cases) == 2 and {c.status for c in cases} == {ArrearsStatus.OPEN}
        assert {c.person_id for c in cases} == {pid for pid, n in runs.items() if n >= 6}
        assert all(c.months == runs[c.person_id] >= 6 for c in cases)
        assert ArrearsCase.objects.filter(unit__path__startswith=OrgUnit.objects.get(code="U0102").path).exists()

        audit = AuditEvent.objects.get(action=fees_demo.FEES_ACTION)
        assert (
            audit.changes["bills"] == Bill.objects.count() and audit.changes["entries"] == LedgerEntry.objects.count()
        )
        assert audit.changes["reversals"] == 1 and audit.changes["arrears_cases"] == 2

    def test_secretary1s_branch_and_the_fee_collector(self, seeded):
        branch = OrgUnit.objects.get(code="U0101")
        collector = RoleAssignment.objects.active().get(role=Role.FEE_COLLECTOR)
        assert collector.user.username == "collector1" and collector.unit == branch
        person = collector.user.person
        assert person.unit.path.startswith(branch.path) and person.political_status == PoliticalStatus.FULL
        assert "collector1" in [a.username for a in seeded.accounts]

        member1 = Bill.objects.filter(person__user__username="member1").order_by("month")
        assert [b.month for b in member1.filter(status=BillStatus.OPEN)] == [datetime.date(2026, 10, 1), CURRENT]
        assert member1.filter(status=BillStatus.PAID).count() == member1.count() - 2
        runs = []
        for p in Person.objects.filter(unit__path__startswith=branch.path, political_status__in=PARTY):
            runs.append(
                unpaid_run(list(Bill.objects.filter(person=p).order_by("month").values_list("status", flat=True)))
            )
        assert runs.count(3) == 1 and max(runs) == 3
        # The branch's bases are declared by the collector and approved by the secretary.
        declared = set(
            DuesBase.objects.filter(person__unit__path__startswith=branch.path).values_list(
                "declared_by__username", "decided_by__username"
            )
        )
        assert declared == {("collector1", "secretary1")}

    def test_idempotent_and_deterministic(self, seeded):
        before, digest = fee_counts(), db_digest()
        again = seed()
        assert not again.created and again.fees is None
        assert fee_counts() == before

        world = fees_demo.load_world(seeded.root, demo=seeding.demo_units(seeded.root, province=False))
        now = seeding._life_now(TODAY)
        standards = fees_demo.Standards.load()
        assert fees_demo.plan_digest(world, seed=1, today=TODAY, now=now, standards=standards) == digest
        assert fees_demo.plan_digest(world, seed=2, today=TODAY, now=now, standards=standards) != digest


@pytest.mark.django_db
def test_a_database_seeded_before_dues_gets_them_once(monkeypatch):
    _skip_later_parts(monkeypatch)
    with monkeypatch.context() as m:
        m.setattr(seeding, "_seed_fees", lambda root, **kw: (None, False))
        assert seed().created
    assert not Bill.objects.exists()
    result = seed(seed=9)  # the stored seed (1) wins
    assert not result.created and result.fees["bills"] == Bill.objects.count() > 0
    assert AuditEvent.objects.filter(action=fees_demo.FEES_ACTION).count() == 1
    assert AuditEvent.objects.get(action=fees_demo.FEES_ACTION).changes["seed"] == 1
    before = fee_counts()
    assert seed().fees is None
    assert fee_counts() == before


@pytest.mark.django_db
def test_without_an_administrator_account_the_dues_wait(monkeypatch):
    _skip_later_parts(monkeypatch)
    with override_settings(DEBUG=False, DEMO_ALLOW_WITHOUT_DEBUG=False):
        result = seeding.seed(scale="demo", seed=1, params=PARAMS, today=TODAY)
    assert result.fees_skipped and not Bill.objects.exists()
    assert seed().fees and Bill.objects.exists()
