"""Reports: sums to the fen (reversals, exemptions, voluntary), drill-down, export, permissions, queries."""

import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from cloudbranch.audit.models import AuditEvent
from cloudbranch.fees import reports
from cloudbranch.fees.choices import BillStatus, EntryKind, PaymentMethod
from cloudbranch.fees.models import Bill, LedgerEntry
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant, make_unit

JAN = datetime.date(2026, 1, 1)
FEB = datetime.date(2026, 2, 1)
D = Decimal


def bill(person, month, amount, status=BillStatus.OPEN, unit=None):
    return Bill.objects.create(
        person=person, unit=unit or person.unit, month=month, amount_due=D(amount), status=status
    )


def entry(b, amount, kind=EntryKind.PAYMENT, *, by, reverses=None, method=PaymentMethod.CASH, month=None, person=None):
    person = person or b.person
    return LedgerEntry.objects.create(
        person=person,
        unit=b.unit if b else person.unit,
        bill=b,
        kind=kind,
        method=method,
        amount=D(amount),
        month=month or b.month,
        reverses=reverses,
        reason="冲正" if reverses else "",
        created_by=by,
    )


@pytest.fixture
def collector(world):
    return grant(UserFactory(username="collector"), world.branch_a1, Role.FEE_COLLECTOR).user


@pytest.fixture
def data(world):
    """a1: 3 bills Jan (one exempt), one paid then reversed and paid again; a2: one paid; b1: open;
    group_a1: paid; a voluntary 1200 (to the Centre) and a voluntary 50 reversed."""
    by = world.users["admin"]
    m1, other, a2p, b1p = (world.people[k] for k in ("member1", "a1_other", "a2_person", "b1_person"))
    g = PersonFactory(unit=world.group_a1)
    ex = PersonFactory(unit=world.branch_a1)
    b1 = bill(m1, JAN, "12.35", BillStatus.PAID)
    e = entry(b1, "12.35", by=by)
    entry(b1, "-12.35", EntryKind.REVERSAL, by=by, reverses=e)
    entry(b1, "12.35", by=by)
    bill(other, JAN, "0.20")  # open
    bill(ex, JAN, "30.00", BillStatus.EXEMPT)
    b2 = bill(a2p, JAN, "45.67", BillStatus.PAID)
    entry(b2, "45.67", by=by, method=PaymentMethod.ONLINE)
    bill(b1p, JAN, "100.01")
    b3 = bill(g, JAN, "0.50", BillStatus.PAID)
    entry(b3, "0.50", by=by)
    entry(None, "1200.00", EntryKind.VOLUNTARY, by=by, month=JAN, person=m1)
    v = entry(None, "50.00", EntryKind.VOLUNTARY, by=by, month=JAN, person=other)
    entry(None, "-50.00", EntryKind.REVERSAL, by=by, month=JAN, person=other, reverses=v)
    bill(m1, FEB, "12.35")  # another month
    return world


def test_report_sums_to_the_fen(data):
    w = data
    rep = reports.unit_report(w.root, reports.Period(2026, 1))
    t = rep.totals
    assert t.expected == D("12.35") + D("0.20") + D("45.67") + D("100.01") + D("0.50")  # exempt excluded
    assert t.paid == D("12.35") + D("45.67") + D("0.50")  # reversal nets out
    assert t.outstanding == D("0.20") + D("100.01")
    assert t.voluntary == D("1200.00")
    assert t.centre == D("1200.00")
    assert t.collected == D("1258.52")
    assert t.to_committee == D("58.52")
    assert (t.billed, t.paid_bills, t.exempt) == (5, 3, 1)
    assert t.member_rate == D("60.0")
    assert t.amount_rate == (D("58.52") * 100 / D("158.73")).quantize(D("0.1"))

    year = reports.unit_report(w.root, reports.Period(2026)).totals
    assert year.expected == t.expected + D("12.35") and year.paid == t.paid
    assert year.billed == 6
    assert rep.chart["expected"][0] == str(t.expected) and rep.chart["paid"][0] == str(t.paid)


def test_drill_down_sums_equal_parent(data):
    w = data
    for unit in (w.root, w.college_a, w.branch_a1):
        rep = reports.unit_report(unit, reports.Period(2026))
        total = reports.Totals()
        for r in rep.rows:
            total.add(r.totals)
        assert total.as_dict() == rep.totals.as_dict()
    root = reports.unit_report(w.root, reports.Period(2026, 1))
    by_unit = {r.unit: r.totals for r in root.rows}
    assert set(by_unit) == {w.college_a, w.college_b}
    a1 = reports.unit_report(w.branch_a1, reports.Period(2026, 1))
    rows = {r.unit: r.totals for r in a1.rows}
    assert rows[w.group_a1].paid == D("0.50")
    assert rows[None].expected == D("12.55")  # 本级: member1 + a1_other


def test_report_pages_and_permissions(data, collector, login):
    w = data
    url = reverse("fees:report")
    a1 = f"{url}?unit={w.branch_a1.pk}&year=2026&month=1"
    assert login(w.users["secretary2"]).get(a1).status_code == 404
    assert login(w.users["member1"]).get(url).status_code == 403
    page = login(collector).get(a1)
    assert page.status_code == 200
    html = page.content.decode()
    assert "12.55" in html and w.group_a1.name in html
    assert login(collector).get(f"{url}?unit={w.branch_a2.pk}").status_code == 404
    root = login(w.users["admin"]).get(f"{url}?unit={w.root.pk}&year=2026&month=1").content.decode()
    assert f"?unit={w.college_a.pk}&year=2026&month=1" in root  # drill-down link
    api = login(w.users["admin"]).get(f"/api/fees/report?unit={w.root.pk}&year=2026&month=1")
    assert api.status_code == 200
    assert D(api.json()["totals"]["paid"]) == D("58.52")
    assert login(w.users["secretary2"]).get(f"/api/fees/report?unit={w.branch_a1.pk}").status_code == 404
    assert login(w.users["member1"]).get("/api/fees/report").status_code == 403


def test_export_audited(data, login):
    w = data
    r = login(w.users["admin"]).get(f"{reverse('fees:report_export')}?unit={w.root.pk}&year=2026&month=1")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    total = next(row for row in rows if row[0] == "合计")
    assert D(str(total[2])) == D("58.52")
    ev = AuditEvent.objects.get(action="fees.report.export")
    assert ev.changes["period"] == "2026-01" and ev.target_id == str(w.root.pk)


def _report_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_report_queries_constant(data, login):
    w = data
    c = login(w.users["admin"])
    url = f"{reverse('fees:report')}?unit={w.root.pk}&year=2026"
    small = _report_queries(c, url)
    for k in range(6):
        college = make_unit(parent=w.root, kind="sub_committee", name=f"学院{k}", code=f"X{k}")
        branch = make_unit(parent=college, name=f"支部{k}", code=f"X{k}B")
        for m in (JAN, FEB):
            b = bill(PersonFactory(unit=branch), m, "3.00", BillStatus.PAID)
            entry(b, "3.00", by=w.users["admin"])
    big = _report_queries(c, url)
    assert (small, big) == (10, 10)  # pinned: session, user, grants, nav, unit, children, bills, entries, chart ×2


def test_rates_round_half_up():
    """1 of 16 bills paid is 6.25 %: read as 6.3 (四舍五入), not banker's 6.2."""
    totals = reports.Totals(expected=Decimal("16"), paid=Decimal("1"), billed=16, paid_bills=1)
    assert (totals.member_rate, totals.amount_rate) == (Decimal("6.3"), Decimal("6.3"))
