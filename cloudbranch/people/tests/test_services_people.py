import datetime
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import DomainError
from cloudbranch.people import services
from cloudbranch.people.models import Person, PersonEvent
from cloudbranch.testing.factories import id_number_for

BIRTH = datetime.date(1996, 5, 4)


def new_person_kwargs(world, **overrides):
    data = {
        "unit_id": world.branch_a1.pk,
        "id_number": id_number_for(7, birth=BIRTH).lower(),
        "name": "赵六",
        "gender": "male",
        "category": "student",
        "political_status": "activist",
        "phone": "13912345678",
        "applied_on": datetime.date(2015, 6, 1),
        "activist_on": datetime.date(2016, 1, 1),
    }
    data.update(overrides)
    return data


def test_create_writes_event_and_audit_without_clear_sensitive_values(world):
    kwargs = new_person_kwargs(world)
    person = services.person_create(actor=world.users["secretary1"], **kwargs)
    person.refresh_from_db()
    assert person.birth_date == BIRTH  # derived from the ID number
    assert person.reveal_id_number() == kwargs["id_number"].upper()
    assert person.id_number_masked == kwargs["id_number"].upper()[:4] + "*" * 10 + kwargs["id_number"].upper()[-4:]
    assert list(PersonEvent.objects.filter(person=person).values_list("kind", flat=True)) == ["created"]
    audit = AuditEvent.objects.get(action="people.person.create", target_id=str(person.pk))
    dumped = json.dumps(audit.changes, ensure_ascii=False)
    assert kwargs["id_number"].upper() not in dumped and "13912345678" not in dumped
    assert audit.changes["id_number"] == {"changed": True}
    assert audit.changes["phone"] == {"changed": True}


def test_create_refuses_duplicate_id(world):
    existing = world.people["a2_person"]
    with pytest.raises(DomainError) as exc:
        services.person_create(
            actor=world.users["admin"],
            **new_person_kwargs(
                world, id_number=existing.reveal_id_number(), birth_date=existing.birth_date, gender=existing.gender
            ),
        )
    assert exc.value.errors[0]["field"] == "id_number"
    assert Person.objects.count() == 4


def test_create_with_invalid_data_writes_nothing(world):
    before = (Person.objects.count(), PersonEvent.objects.count(), AuditEvent.objects.count())
    with pytest.raises(DomainError) as exc:
        services.person_create(
            actor=world.users["secretary1"], **new_person_kwargs(world, activist_on=datetime.date(2014, 1, 1))
        )
    assert {e["field"] for e in exc.value.errors} == {"activist_on"}
    assert (Person.objects.count(), PersonEvent.objects.count(), AuditEvent.objects.count()) == before


def test_create_outside_scope_is_404_and_without_add_is_403(world):
    with pytest.raises(Http404):
        services.person_create(actor=world.users["secretary2"], **new_person_kwargs(world))
    with pytest.raises(PermissionDenied):
        services.person_create(actor=world.users["member1"], **new_person_kwargs(world))


def test_create_refuses_committee_units(world):
    with pytest.raises(DomainError) as exc:
        services.person_create(actor=world.users["admin"], **new_person_kwargs(world, unit_id=world.college_a.pk))
    assert exc.value.errors[0]["field"] == "unit"


def test_update_writes_status_event_and_audit(world):
    person = world.people["a1_other"]
    services.person_update(
        actor=world.users["secretary1"],
        person_id=person.pk,
        phone="13700000000",
        is_mobile=True,
        effective_on=datetime.date(2024, 1, 1),
    )
    kinds = set(PersonEvent.objects.filter(person=person).values_list("kind", flat=True))
    assert kinds == {"flags", "updated"}
    audit = AuditEvent.objects.get(action="people.person.update", target_id=str(person.pk))
    assert audit.changes["phone"] == {"changed": True}
    assert "13700000000" not in json.dumps(audit.changes)
    assert audit.changes["is_mobile"] == {"old": False, "new": True}


def test_unit_change_creates_unit_event(world):
    person = world.people["a1_other"]
    services.person_update(actor=world.users["admin"], person_id=person.pk, unit_id=world.branch_a2.pk)
    event = PersonEvent.objects.get(person=person, kind="unit")
    assert event.old_value == world.branch_a1.name and event.new_value == world.branch_a2.name
    assert event.details == {"old_unit": world.branch_a1.pk, "new_unit": world.branch_a2.pk}
    person.refresh_from_db()
    assert person.unit_id == world.branch_a2.pk


def test_unit_change_to_a_unit_outside_scope_is_refused(world):
    person = world.people["a1_other"]
    with pytest.raises(Http404):
        services.person_update(actor=world.users["secretary1"], person_id=person.pk, unit_id=world.branch_a2.pk)
    # Passing the unit object as well must not bypass the check.
    with pytest.raises(Http404):
        services.person_update(
            actor=world.users["secretary1"], person_id=person.pk, unit_id=world.branch_a2.pk, unit=world.branch_a2
        )
    person.refresh_from_db()
    assert person.unit_id == world.branch_a1.pk


def test_update_refuses_duplicate_id(world):
    person = world.people["a1_other"]
    other = world.people["member1"]
    with pytest.raises(DomainError):
        services.person_update(
            actor=world.users["admin"],
            person_id=person.pk,
            id_number=other.reveal_id_number(),
            birth_date=other.birth_date,
        )


def test_status_change_event(world):
    person = world.people["a1_other"]
    services.person_update(
        actor=world.users["secretary1"], person_id=person.pk, political_status="probationary", confirmed_on=None
    )
    event = PersonEvent.objects.get(person=person, kind="status")
    assert (event.old_value, event.new_value) == ("中共党员", "预备党员")


def test_update_without_change_writes_nothing(world):
    person = world.people["a1_other"]
    services.person_update(actor=world.users["secretary1"], person_id=person.pk, name=person.name)
    assert not PersonEvent.objects.filter(person=person).exists()
    assert not AuditEvent.objects.filter(action="people.person.update").exists()
