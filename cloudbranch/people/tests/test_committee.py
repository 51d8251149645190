import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.orgs.roles import Role
from cloudbranch.people.models import CommitteeMembership
from cloudbranch.people.selectors import unit_warnings
from cloudbranch.people.services import committee_seat_add, committee_seat_end
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant

START = datetime.date(2025, 3, 1)


@pytest.fixture
def college_secretary(world):
    user = UserFactory(username="college1")
    grant(user, world.college_a, Role.COMMITTEE_SECRETARY)
    return user


def seat(actor, world, person, position="secretary", started_on=START):
    return committee_seat_add(
        actor=actor, unit_id=world.branch_a1.pk, person_id=person.pk, position=position, started_on=started_on
    )


def test_full_member_takes_a_seat_and_it_is_audited(world, college_secretary):
    s = seat(college_secretary, world, world.people["a1_other"])
    assert s.ended_on is None
    event = AuditEvent.objects.get(action="people.committee.add")
    assert event.changes["position"] == {"new": "secretary"}


def test_probationary_member_cannot_sit(world, college_secretary):
    probationary = PersonFactory(unit=world.branch_a1, political_status="probationary", confirmed_on=None)
    with pytest.raises(DomainError) as exc:
        seat(college_secretary, world, probationary)
    assert exc.value.errors[0]["field"] == "person"
    assert not CommitteeMembership.objects.exists()


def test_person_of_another_branch_cannot_sit(world, college_secretary):
    with pytest.raises(DomainError):
        seat(college_secretary, world, world.people["a2_person"])


def test_one_sitting_secretary_and_one_seat_per_person(world, college_secretary):
    seat(college_secretary, world, world.people["a1_other"])
    with pytest.raises(DomainError, match="在任书记"):
        seat(college_secretary, world, world.people["member1"])
    with pytest.raises(DomainError, match="已是本届委员"):
        seat(college_secretary, world, world.people["a1_other"], position="member")


def test_future_start_refused(world, college_secretary):
    with pytest.raises(DomainError):
        seat(
            college_secretary,
            world,
            world.people["a1_other"],
            started_on=timezone.localdate() + datetime.timedelta(days=3),
        )


def test_end_keeps_history_and_frees_the_post(world, college_secretary):
    s = seat(college_secretary, world, world.people["a1_other"])
    with pytest.raises(DomainError):
        committee_seat_end(actor=college_secretary, seat_id=s.pk, ended_on=START - datetime.timedelta(days=1))
    committee_seat_end(actor=college_secretary, seat_id=s.pk, ended_on=datetime.date(2025, 9, 1))
    with pytest.raises(ConflictError):
        committee_seat_end(actor=college_secretary, seat_id=s.pk, ended_on=datetime.date(2025, 9, 1))
    seat(college_secretary, world, world.people["member1"])
    assert CommitteeMembership.objects.filter(unit=world.branch_a1).count() == 2


def test_branch_secretary_cannot_appoint_and_sibling_gets_404(world):
    with pytest.raises(PermissionDenied):
        seat(world.users["secretary1"], world, world.people["a1_other"])
    with pytest.raises(Http404):
        seat(world.users["secretary2"], world, world.people["a1_other"])


def test_committee_clears_the_no_committee_warning(world, college_secretary):
    PersonFactory.create_batch(6, unit=world.branch_a1)
    codes = [w.code for w in unit_warnings([world.branch_a1])[world.branch_a1.pk]]
    assert "no_committee" in codes
    people = list(world.branch_a1.people.all()[:3])
    for person, position in zip(people, ["secretary", "organization_officer", "publicity_officer"], strict=True):
        seat(college_secretary, world, person, position=position)
    codes = [w.code for w in unit_warnings([world.branch_a1]).get(world.branch_a1.pk, [])]
    assert "no_committee" not in codes


def test_committee_page_and_form(client, world, college_secretary):
    url = f"/people/units/{world.branch_a1.pk}/committee/"
    client.force_login(world.users["member1"])
    page = client.get(url)
    assert page.status_code == 200 and '<h2 class="h6">登记委员' not in page.content.decode()
    assert client.post(url, {"person": world.people["a1_other"].pk}).status_code == 403
    client.force_login(world.users["secretary2"])
    assert client.get(url).status_code == 404
    client.force_login(college_secretary)
    bad = client.post(url, {"person": world.people["a1_other"].pk, "position": "secretary", "started_on": "2999-01-01"})
    assert bad.status_code == 422 and "任职日期不能晚于今天" in bad.content.decode()
    ok = client.post(url, {"person": world.people["a1_other"].pk, "position": "secretary", "started_on": "2025-03-01"})
    assert ok.status_code == 302
    assert "在任" in client.get(url).content.decode()


def test_committee_api(client, world, college_secretary):
    client.force_login(college_secretary)
    url = f"/api/people/units/{world.branch_a1.pk}/committee"
    created = client.post(
        url,
        {"person_id": world.people["a1_other"].pk, "position": "secretary", "started_on": "2025-03-01"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert client.get(url).json()["count"] == 1
    refused = client.post(
        url,
        {"person_id": world.people["a2_person"].pk, "position": "member", "started_on": "2025-03-01"},
        content_type="application/json",
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "person"
    ended = client.post(
        f"/api/people/committee/{created.json()['id']}/end", {"ended_on": "2025-09-01"}, content_type="application/json"
    )
    assert ended.status_code == 200 and ended.json()["ended_on"] == "2025-09-01"
