"""The elections API end to end: the secretary prepares and runs a secretary election, three
voters check in and vote on their phones, the secretary counts and reports, the college approves
and the new secretary is seated with the term. Bad ids are a 422, never a 500."""

import pytest
from django.utils import timezone

from cloudbranch.orgs.roles import Role
from cloudbranch.people.choices import CommitteePosition
from cloudbranch.people.models import CommitteeMembership
from cloudbranch.testing.factories import grant, make_unit
from cloudbranch.voting import elections

from .factories import election_members

pytestmark = pytest.mark.django_db

API = "/api/democracy"


def _post(client, url, data=None):
    return client.post(f"{API}{url}", data or {}, content_type="application/json")


def test_secretary_election_through_the_api(world, client):
    branch = make_unit(parent=world.college_a, name="接口选举支部")
    officer = world.users["secretary1"]
    grant(officer, branch, Role.BRANCH_SECRETARY)
    people = election_members(branch, 3)
    client.force_login(officer)

    r = _post(
        client,
        "/elections",
        {
            "unit": branch.pk,
            "kind": "secretary",
            "title": "接口选举",
            "seats": 1,
            "election_date": timezone.localdate().isoformat(),
            "term_years": 3,
        },
    )
    assert r.status_code == 201, r.content
    eid = r.json()["id"]
    for p in people[:2]:
        assert _post(client, f"/elections/{eid}/candidates", {"person": p.pk}).status_code == 201
    assert _post(client, f"/elections/{eid}/candidates", {"person": 2**40}).status_code == 422
    assert _post(client, f"/elections/{eid}/candidates/publish").status_code == 200
    assert _post(client, f"/elections/{eid}/voters/freeze").json()["status"] == "roll_frozen"
    roll = client.get(f"{API}/elections/{eid}/voters").json()
    assert roll["count"] == 3
    cands = client.get(f"{API}/elections/{eid}/candidates").json()["items"]
    first = next(c["id"] for c in cands if c["person_id"] == people[0].pk)

    # quorum: nobody present yet
    assert _post(client, f"/elections/{eid}/rounds").status_code == 422
    for p in people:
        client.force_login(p.user)
        assert _post(client, f"/elections/{eid}/checkin").json()["present"] is True
    for i, p in enumerate(people):
        client.force_login(p.user)
        if i == 0:  # nothing open yet
            assert _post(client, f"/elections/{eid}/ballot", {"marks": {}}).status_code == 409
    client.force_login(officer)
    # an additional election alone may name candidates; a huge id is refused as input
    assert _post(client, f"/elections/{eid}/rounds", {"candidate_ids": [2**40]}).status_code == 422
    rnd = _post(client, f"/elections/{eid}/rounds")
    assert rnd.status_code == 201 and rnd.json()["present"] == 3
    round_id = rnd.json()["id"]
    assert _post(client, f"/rounds/{round_id}/paper-voters", {"voter_ids": [2**40]}).status_code == 422
    assert _post(client, f"/rounds/{round_id}/paper-voters", {"voter_ids": [0]}).status_code == 422
    for p in people:
        client.force_login(p.user)
        r = _post(client, f"/elections/{eid}/ballot", {"marks": {str(first): "for"}})
        assert r.status_code == 201 and set(r.json()) == {"voted", "round"}
        assert _post(client, f"/elections/{eid}/ballot", {"marks": {}}).status_code == 409
        # a voter does not manage: the roll is the officer's
        assert client.get(f"{API}/elections/{eid}/voters").status_code == 403

    client.force_login(officer)
    closed = _post(client, f"/rounds/{round_id}/close").json()
    assert closed["status"] == "closed" and closed["result"]["elected"] == [first]
    bad = _post(client, f"/elections/{eid}/posts", {"positions": {"abc": "secretary", "²": "secretary"}})
    assert bad.status_code == 422
    assert _post(client, f"/elections/{eid}/report").json()["status"] == "reported"

    # sibling secretary: not found; the branch's own secretary cannot approve
    client.force_login(world.users["secretary2"])
    assert client.get(f"{API}/elections/{eid}/result").status_code == 404
    assert _post(client, f"/elections/{eid}/approve").status_code == 404
    client.force_login(officer)
    assert _post(client, f"/elections/{eid}/approve").status_code == 403

    client.force_login(world.users["admin"])
    assert _post(client, f"/elections/{eid}/approve").json()["status"] == "confirmed"
    result = client.get(f"{API}/elections/{eid}/result").json()
    assert [w["person_id"] for w in result["winners"]] == [people[0].pk]
    assert result["rounds"][0]["tallies"][0]["votes_for"] == 3
    seat = CommitteeMembership.objects.get(unit=branch, ended_on__isnull=True)
    assert (seat.person_id, seat.position) == (people[0].pk, CommitteePosition.SECRETARY)
    branch.refresh_from_db()
    assert branch.term_ends_on == elections._add_years(timezone.localdate(), 3)
