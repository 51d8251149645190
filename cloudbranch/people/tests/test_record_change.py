import datetime

import pytest

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import DomainError
from cloudbranch.people.choices import PersonEventKind, PoliticalStatus, RosterStatus
from cloudbranch.people.models import PersonEvent
from cloudbranch.people.services import person_record_change
from cloudbranch.testing.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_workflow_change_writes_history_and_audit_without_scope_check(world):
    person = PersonFactory(
        unit=world.branch_a1, political_status=PoliticalStatus.MASSES, joined_on=None, confirmed_on=None
    )
    # secretary2 holds nothing over branch a1: the caller (a workflow) has authorized the change.
    person_record_change(
        actor=world.users["secretary2"],
        person=person,
        changes={"political_status": PoliticalStatus.APPLICANT, "applied_on": datetime.date(2025, 3, 1)},
        effective_on=datetime.date(2025, 3, 1),
        reason="发展党员：递交入党申请书",
    )
    person.refresh_from_db()
    assert person.political_status == PoliticalStatus.APPLICANT
    event = PersonEvent.objects.get(person=person, kind=PersonEventKind.STATUS)
    assert event.details["reason"] == "发展党员：递交入党申请书"
    assert AuditEvent.objects.filter(action="people.person.update", target_id=str(person.pk)).exists()


def test_workflow_change_still_obeys_person_rules(world):
    person = PersonFactory(
        unit=world.branch_a1, political_status=PoliticalStatus.MASSES, joined_on=None, confirmed_on=None
    )
    with pytest.raises(DomainError):
        # A probationary member needs the earlier stage dates.
        person_record_change(actor=world.users["admin"], person=person, changes={"political_status": "probationary"})


def test_roster_status_change_is_recorded(world):
    person = PersonFactory(unit=world.branch_a1)
    person_record_change(
        actor=world.users["admin"], person=person, changes={"roster_status": RosterStatus.TRANSFERRED_OUT}
    )
    assert PersonEvent.objects.filter(person=person, kind=PersonEventKind.UPDATED).exists()
