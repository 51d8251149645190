"""Outgoing and incoming transfers: letters, receipts, leaving the roster, incoming people
created or reactivated with the ID number encrypted, reminders."""

import datetime
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.development import transfers as svc
from cloudbranch.development.choices import TransferStatus
from cloudbranch.development.models import Reminder, Transfer
from cloudbranch.development.tests.factories import transfer_roles
from cloudbranch.notifications.models import Notification
from cloudbranch.people.choices import RosterStatus
from cloudbranch.people.models import Person, PersonEvent
from cloudbranch.testing.factories import PersonFactory, id_number_for


@pytest.fixture
def roles(world):
    return transfer_roles(world)


def outgoing(world, person=None, **kw):
    return svc.transfer_create_outgoing(
        actor=world.users["secretary1"],
        person_id=(person or world.people["a1_other"]).pk,
        external_org=kw.pop("external_org", "中共某市某区街道工委"),
        reason="毕业离校",
        **kw,
    )


def approve(user, t):
    return svc.transfer_decide(actor=user, transfer_id=t.pk, decision="approved")


def issued(world, roles, **kw):
    t = outgoing(world, **kw)
    return approve(roles["cs_a"], approve(world.users["secretary1"], t))


# --- outgoing ---------------------------------------------------------------------------------


def test_letter_numbers_are_generated_unique_per_year(world, roles):
    a = outgoing(world)
    b = outgoing(world, person=PersonFactory(unit=world.branch_a1))
    year = timezone.localdate().year
    assert a.letter_number == f"CB-{year}-000001"
    assert b.letter_number == f"CB-{year}-000002"
    with pytest.raises(DomainError) as exc:
        outgoing(world, person=PersonFactory(unit=world.branch_a1), letter_number=a.letter_number)
    assert exc.value.errors[0]["field"] == "letter_number"
    c = outgoing(world, person=PersonFactory(unit=world.branch_a1), letter_number="校组字〔2026〕15号")
    assert c.letter_number == "校组字〔2026〕15号"
    assert svc.next_letter_number(year) == f"CB-{year}-000003"
    assert svc.next_letter_number(year + 1) == f"CB-{year + 1}-000001"


def test_outgoing_validation(world, roles):
    with pytest.raises(DomainError) as exc:
        outgoing(world, external_org="  ", letter_valid_days=0)
    fields = {e["field"] for e in exc.value.errors}
    assert {"external_org", "letter_valid_days"} <= fields


def test_outgoing_state_machine(world, roles):
    t = outgoing(world, letter_valid_days=30)
    # Leaving the system leaves the committee: sending branch and committee approve.
    t = approve(world.users["secretary1"], t)
    assert t.status == TransferStatus.PENDING_OUT
    with pytest.raises(ConflictError):  # no receipt before the letter
        svc.transfer_record_receipt(actor=world.users["secretary1"], transfer_id=t.pk)
    t = approve(roles["cs_a"], t)
    assert t.status == TransferStatus.LETTER_ISSUED
    assert t.letter_issued_on == timezone.localdate()
    assert t.receipt_due_on == timezone.localdate() + datetime.timedelta(days=30)
    with pytest.raises(ConflictError):  # nothing left to approve
        approve(roles["cs_a"], t)
    with pytest.raises(Http404):  # only the sending side sees (and records the receipt)
        svc.transfer_record_receipt(actor=roles["cs_b"], transfer_id=t.pk)
    with pytest.raises(DomainError):
        svc.transfer_record_receipt(
            actor=world.users["secretary1"],
            transfer_id=t.pk,
            returned_on=timezone.localdate() + datetime.timedelta(days=1),
        )
    t = svc.transfer_record_receipt(actor=world.users["secretary1"], transfer_id=t.pk, returned_on=timezone.localdate())
    assert t.status == TransferStatus.COMPLETED
    assert t.receipt_returned_on == timezone.localdate()
    person = Person.objects.get(pk=world.people["a1_other"].pk)
    assert person.roster_status == RosterStatus.TRANSFERRED_OUT
    assert PersonEvent.objects.filter(person=person, details__transfer=t.pk).exists()
    with pytest.raises(ConflictError):
        svc.transfer_record_receipt(actor=world.users["secretary1"], transfer_id=t.pk)
    with pytest.raises(ConflictError):
        svc.transfer_cancel(actor=world.users["secretary1"], transfer_id=t.pk)


def test_requester_may_cancel_after_letter(world, roles):
    t = issued(world, roles)
    t = svc.transfer_cancel(actor=world.users["secretary1"], transfer_id=t.pk)
    assert t.status == TransferStatus.CANCELLED


def test_letter_page_masks_id_unless_sensitive(world, roles, login):
    t = issued(world, roles, dues_paid_until=datetime.date(2026, 6, 30))
    person = world.people["a1_other"]
    clear = person.reveal_id_number()
    page = login(world.users["secretary1"]).get(f"/development/transfers/{t.pk}/letter/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "中国共产党党员组织关系介绍信" in body and "回执" in body and "存根" in body
    assert t.letter_number in body and person.id_number_masked in body and clear not in body
    assert "计算机学院党委" in body  # issuing unit: the committee that approved last
    page = login(world.users["admin"]).get(f"/development/transfers/{t.pk}/letter/")
    assert clear in page.content.decode()
    assert AuditEvent.objects.filter(action="people.person.view_sensitive", target_id=str(person.pk)).exists()
    assert login(world.users["secretary2"]).get(f"/development/transfers/{t.pk}/letter/").status_code == 404


def test_letter_before_issue_is_refused(world, roles, login):
    t = outgoing(world)
    page = login(world.users["secretary1"]).get(f"/development/transfers/{t.pk}/letter/")
    assert page.status_code == 409


# --- incoming ---------------------------------------------------------------------------------


def incoming(world, id_number=None, **kw):
    data = {
        "actor": world.users["secretary1"],
        "to_unit_id": world.branch_a1.pk,
        "name": "赵转入",
        "id_number": id_number or id_number_for(7, birth=datetime.date(1998, 3, 4)),
        "political_status": "full",
        "joined_on": datetime.date(2019, 6, 1),
        "confirmed_on": datetime.date(2020, 6, 1),
        "external_org": "中共某公司委员会",
        "reason": "入职",
        "letter_number": "外-2026-9",
    }
    data.update(kw)
    return svc.transfer_create_incoming(**data)


def test_incoming_creates_person_with_encrypted_id(world, roles):
    number = id_number_for(7, birth=datetime.date(1998, 3, 4))
    t = incoming(world, id_number=number)
    assert t.status == TransferStatus.PENDING_IN
    stored = json.dumps(Transfer.objects.get(pk=t.pk).incoming_data)
    assert number not in stored
    assert t.incoming_data["id_number_masked"] == number[:4] + "*" * 10 + number[-4:]
    assert t.incoming_data["birth_date"] == "1998-03-04"
    # From outside: the receiving branch, then its committee.
    t = approve(world.users["secretary1"], t)
    assert t.status == TransferStatus.PENDING_IN
    t = approve(roles["cs_a"], t)
    assert t.status == TransferStatus.COMPLETED
    person = Person.objects.with_id_number(number).get()
    assert t.person_id == person.pk
    assert person.unit_id == world.branch_a1.pk
    assert person.political_status == "full" and person.confirmed_on == datetime.date(2020, 6, 1)
    assert person.birth_date == datetime.date(1998, 3, 4)
    assert person.reveal_id_number() == number


def test_incoming_reactivates_a_former_member(world, roles):
    former = PersonFactory(
        unit=world.branch_b1,
        roster_status=RosterStatus.TRANSFERRED_OUT,
        political_status="probationary",
        confirmed_on=None,
    )
    number = former.reveal_id_number()
    t = incoming(world, id_number=number, name=former.name)
    approve(roles["cs_a"], approve(world.users["secretary1"], t))
    former.refresh_from_db()
    assert former.roster_status == RosterStatus.ACTIVE
    assert former.unit_id == world.branch_a1.pk
    assert former.political_status == "full"
    assert Person.objects.with_id_number(number).count() == 1
    assert PersonEvent.objects.filter(person=former, details__transfer=t.pk).exists()


def test_incoming_validation(world, roles):
    active = world.people["b1_person"]
    with pytest.raises(DomainError) as exc:
        incoming(world, id_number=active.reveal_id_number())
    assert "系统内转接" in exc.value.errors[0]["message"]
    with pytest.raises(DomainError) as exc:
        incoming(world, id_number="110101199001011234", political_status="activist", confirmed_on=None)
    fields = {e["field"] for e in exc.value.errors}
    assert {"id_number", "political_status"} <= fields
    with pytest.raises(DomainError) as exc:
        incoming(world, political_status="probationary")  # with a confirmation date
    assert exc.value.errors[0]["field"] == "confirmed_on"
    incoming(world)
    with pytest.raises(DomainError) as exc:
        incoming(world)
    assert "未办结" in exc.value.errors[0]["message"]
    with pytest.raises(Http404):
        incoming(world, actor=world.users["member1"])
    with pytest.raises(Http404):  # a sibling branch
        incoming(world, actor=world.users["secretary2"])


def test_incoming_state_machine(world, roles):
    t = incoming(world)
    with pytest.raises(PermissionDenied):  # the committee level is not the branch's
        approve(world.users["secretary1"], approve(world.users["secretary1"], t))
    t = svc.transfer_decide(actor=roles["cs_a"], transfer_id=t.pk, decision="rejected", comment="材料不符")
    assert t.status == TransferStatus.REJECTED
    with pytest.raises(ConflictError):
        approve(roles["cs_a"], t)
    t2 = incoming(world)
    t2 = svc.transfer_cancel(actor=world.users["secretary1"], transfer_id=t2.pk)
    assert t2.status == TransferStatus.CANCELLED
    assert not Person.objects.filter(name="赵转入").exists()


# --- reminders --------------------------------------------------------------------------------


def test_reminders_overdue_receipt_and_stale_approvals(world, roles):
    t = issued(world, roles, letter_valid_days=10)
    waiting = outgoing(world, person=PersonFactory(unit=world.branch_a1))
    Transfer.objects.filter(pk=waiting.pk).update(requested_at=timezone.now() - datetime.timedelta(days=8))
    Notification.objects.all().delete()
    assert svc.send_reminders(timezone.localdate()) == 1  # the waiting approval only; the receipt is not due yet
    assert Notification.objects.filter(recipient=world.users["secretary1"], title__contains="超过 7 天").exists()
    later = timezone.localdate() + datetime.timedelta(days=11)
    assert svc.send_reminders(later) == 1  # the overdue receipt; the stale key was already used
    assert Notification.objects.filter(recipient=world.users["secretary1"], title__contains="回执逾期").exists()
    assert svc.send_reminders(later) == 0  # once per key
    assert Reminder.objects.filter(key=f"transfer:{t.pk}:receipt:{t.receipt_due_on}").exists()
    assert svc.overdue_receipts(world.users["secretary1"], today=later).get().pk == t.pk
