import datetime
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.fees import billing
from cloudbranch.fees.models import Bill
from cloudbranch.orgs.roles import Role
from cloudbranch.people.choices import PersonEventKind
from cloudbranch.people.models import Person, PersonEvent
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant

from .factories import make_base

MARCH = datetime.date(2025, 3, 1)


def test_generation_is_idempotent_and_uses_defaults(world):
    s = world.users["secretary1"]
    staff = PersonFactory(unit=world.branch_a1, category="faculty")
    make_base(staff, amount="6000", by=s)
    PersonFactory(unit=world.branch_a1, category="retiree")  # no base → no bill
    PersonFactory(unit=world.branch_a1, category="staff")  # no base → no bill
    PersonFactory(unit=world.branch_a1, political_status="activist", joined_on=None, confirmed_on=None)
    PersonFactory(unit=world.branch_a1, roster_status="left")
    first = billing.generate_bills(MARCH)
    students = Person.objects.filter(category="student", roster_status="active", political_status="full").count()
    assert first.created == students + 1
    assert first.missing_base == 2
    assert Bill.objects.get(person=staff).amount_due == Decimal("90.00")
    assert Bill.objects.get(person=world.people["member1"]).amount_due == Decimal("0.20")
    second = billing.generate_bills(MARCH)
    assert second.created == 0 and second.existing == first.created
    assert Bill.objects.count() == first.created
    assert AuditEvent.objects.filter(action="fees.bill.generate").count() == 2


def test_mid_month_rules(world):
    joined_mid = PersonFactory(
        unit=world.branch_a1, joined_on=datetime.date(2025, 3, 5), confirmed_on=None, political_status="probationary"
    )
    joined_first = PersonFactory(
        unit=world.branch_a1, joined_on=MARCH, confirmed_on=None, political_status="probationary"
    )
    transferred_in = PersonFactory(unit=world.branch_a1)
    Person.objects.filter(pk=transferred_in.pk).update(
        created_at=timezone.make_aware(datetime.datetime(2025, 3, 10, 9))
    )
    moved = PersonFactory(unit=world.branch_a2)  # moved from a1 to a2 on March 12
    PersonEvent.objects.create(
        person=moved,
        kind=PersonEventKind.UNIT,
        effective_on=datetime.date(2025, 3, 12),
        details={"old_unit": world.branch_a1.pk, "new_unit": world.branch_a2.pk},
    )
    billing.generate_bills(MARCH)
    billed = set(Bill.objects.filter(month=MARCH).values_list("person_id", flat=True))
    assert joined_mid.pk not in billed and transferred_in.pk not in billed
    assert joined_first.pk in billed
    assert Bill.objects.get(person=moved, month=MARCH).unit == world.branch_a1
    billing.generate_bills("2025-04")
    april = set(Bill.objects.filter(month=datetime.date(2025, 4, 1)).values_list("person_id", flat=True))
    assert {joined_mid.pk, transferred_in.pk} <= april
    assert Bill.objects.get(person=moved, month=datetime.date(2025, 4, 1)).unit == world.branch_a2


def test_exemption(world):
    billing.generate_bills(MARCH)
    bill = Bill.objects.get(person=world.people["a1_other"])
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    collector = grant(UserFactory(), world.branch_a1, Role.FEE_COLLECTOR).user
    with pytest.raises(PermissionDenied):
        billing.bill_exempt(actor=collector, bill_id=bill.pk, reason="困难")
    with pytest.raises(Http404):
        billing.bill_exempt(actor=world.users["secretary2"], bill_id=bill.pk, reason="困难")
    with pytest.raises(DomainError):
        billing.bill_exempt(actor=world.users["secretary1"], bill_id=bill.pk, reason=" ")
    bill = billing.bill_exempt(actor=world.users["secretary1"], bill_id=bill.pk, reason="生活困难，支部同意")
    assert bill.status == "exempt" and bill.exemption_approved_by == world.users["secretary1"]
    assert AuditEvent.objects.filter(action="fees.bill.exempt", target_id=str(bill.pk)).exists()
    with pytest.raises(ConflictError):
        billing.bill_exempt(actor=world.users["secretary1"], bill_id=bill.pk, reason="再次")


def test_pages_and_api_permissions(world, login, client):
    billing.generate_bills(MARCH)
    bill = Bill.objects.get(person=world.people["a1_other"])
    login(world.users["secretary2"])
    assert client.get("/fees/bills/?month=2025-03").content.decode().count("张一") == 0
    assert client.post(f"/fees/bills/{bill.pk}/exempt/", {"reason": "x"}).status_code == 404
    assert (
        client.post(f"/api/fees/bills/{bill.pk}/exempt", {"reason": "x"}, content_type="application/json").status_code
        == 404
    )
    assert client.get("/api/fees/bills?month=2025-03").json()["count"] == 1  # a2's own person only
    login(world.users["member1"])
    assert client.get("/fees/bills/").status_code == 403
    assert client.get("/api/fees/bills").json()["count"] == 0
    login(world.users["secretary1"])
    r = client.get("/fees/bills/?month=2025-03")
    assert r.status_code == 200 and "张一" in r.content.decode()
    r = client.post(f"/fees/bills/{bill.pk}/exempt/", {"reason": "困难"})
    assert r.status_code == 302
    r = client.post("/api/fees/bills/generate", {"month": "2025-03"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["created"] == 0
    r = client.post("/api/fees/bills/generate", {"month": "2025-04"}, content_type="application/json")
    assert r.json()["created"] == 2  # a1's two people (scope: the secretary's branch)


def test_task_and_command(world):
    from django.core.management import call_command

    from cloudbranch.fees.tasks import generate_monthly_bills

    generate_monthly_bills.enqueue("2025-03")
    assert Bill.objects.filter(month=MARCH).count() == 4
    call_command("generate_bills", "--month", "2025-03")
    assert Bill.objects.filter(month=MARCH).count() == 4


_bulk_seq = iter(range(10**9))


def _bulk_people(unit, n):
    from cloudbranch.people import crypto

    people = []
    for i in range(n):
        p = Person(
            name=f"批量{i}",
            gender="male",
            birth_date=datetime.date(1995, 1, 1),
            category="student",
            political_status="full",
            joined_on=datetime.date(2015, 1, 1),
            unit=unit,
        )
        p.id_number_encrypted = "x"
        p.id_number_hash = crypto.search_hash(f"bulk-{unit.pk}-{next(_bulk_seq)}")
        p.id_number_masked = "1101**********0000"
        people.append(p)
    Person.objects.bulk_create(people, batch_size=2000)


@pytest.mark.parametrize("path", ["/fees/bills/?month=2025-03", "/api/fees/bills?month=2025-03"])
def test_bill_lists_query_count_is_constant(world, login, client, path):
    login(world.users["secretary1"])
    counts = []
    for extra in (5, 40):
        _bulk_people(world.branch_a1, extra)
        billing.generate_bills(MARCH)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    assert counts[0] == (PAGE_QUERIES if path.startswith("/fees") else API_QUERIES)


PAGE_QUERIES = 8
API_QUERIES = 5


@pytest.mark.slow
def test_generation_speed_20000(world):
    from cloudbranch.testing.factories import make_unit

    units = [make_unit(parent=world.college_a) for _ in range(20)]
    for u in units:
        _bulk_people(u, 1000)
    n = Person.objects.on_roster().party_members().count()
    started = time.monotonic()
    result = billing.generate_bills(MARCH)
    elapsed = time.monotonic() - started
    print(f"\n{result.created} bills for {n} members in {elapsed:.2f}s → 200,000 ≈ {elapsed * 200_000 / n:.0f}s")
    assert result.created >= 20000
    assert elapsed * 200_000 / n < 120
