"""Ballot secrecy: nothing in the schema joins a ballot to a voter, the row order does not follow
the voting order (shuffle on insert), and the audit log says who voted, never what or which ballot."""

import json
import random
from collections import Counter

import pytest
from django.db import connection, models

from cloudbranch.audit.models import AuditEvent
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import grant, make_unit
from cloudbranch.voting import ballots, elections
from cloudbranch.voting.models import Ballot, Round

from .factories import election_all_present, election_frozen, election_vote

pytestmark = pytest.mark.django_db


def test_ballot_schema_has_no_link_to_a_voter():
    from django.conf import settings

    from cloudbranch.people.models import Person
    from cloudbranch.voting.models import VoteMark, Voter

    fields = Ballot._meta.get_fields()
    assert {f.name for f in fields} == {"id", "round", "marks"}
    assert isinstance(Ballot._meta.pk, models.UUIDField)
    for f in fields:
        assert not isinstance(f, models.DateField | models.DateTimeField | models.TimeField | models.AutoField)
        if f.is_relation:
            assert f.related_model is Round, f.name
            assert (
                f.related_model not in (Voter, Person, VoteMark)
                and f.related_model._meta.label != settings.AUTH_USER_MODEL
            )
    # and nothing points at a ballot either
    assert not [r for r in Ballot._meta.related_objects]
    # Round does not link to a voter in a way that reaches a ballot: marks live apart
    assert {f.name for f in VoteMark._meta.get_fields()} == {"id", "round", "voter", "paper"}


def _election(world, n_voters):
    unit = make_unit(parent=world.college_a)
    grant(world.users["secretary1"], unit, Role.BRANCH_SECRETARY)
    officer = world.users["secretary1"]
    e, cands, voters = election_frozen(officer, unit, seats=1, candidates=2, extra_voters=n_voters - 2)
    election_all_present(officer, voters)
    rnd = elections.round_open(actor=officer, election=e)
    return officer, e, cands, voters, rnd


def test_audit_of_casting_names_the_voter_not_the_ballot(world):
    officer, e, cands, voters, rnd = _election(world, 4)
    for i, v in enumerate(voters):
        election_vote(e, v, [cands[i % 2].pk])
    ballot_ids = {str(b) for b in Ballot.objects.values_list("id", flat=True)}
    events = list(AuditEvent.objects.filter(action="voting.vote.cast"))
    assert len(events) == 4
    for ev in events:
        assert ev.target_type == "voting.votemark"
        text = f"{ev.target_id} {ev.target_repr} {ev.changes}"
        assert not any(bid in text for bid in ballot_ids)
        assert "for" not in str(ev.changes) and "against" not in str(ev.changes) and "marks" not in str(ev.changes)
    assert not AuditEvent.objects.filter(target_type="voting.ballot").exists()


def _in_insertion_order(rnd) -> list[str]:
    """The round's ballots in the order the database stored them (SQLite rowid, PostgreSQL ctid):
    the order an administrator reading the table would see."""
    order = "rowid" if connection.vendor == "sqlite" else "ctid"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT marks FROM voting_ballot WHERE round_id = %s ORDER BY {order}", [rnd.pk])
        rows = [row[0] for row in cursor.fetchall()]
    return [json.loads(r)["sig"] if isinstance(r, str) else r["sig"] for r in rows]


def test_shuffle_makes_row_order_independent_of_voting_order(world, monkeypatch):
    """Each voter casts a distinct "signature"; after every cast the contents are a permutation of
    the cast ballots, and over many boxes the ballot found in the first and in the last stored row
    is spread uniformly over the voters (chi-square, fixed seed): the physical row order says
    nothing about who voted when."""
    monkeypatch.setattr(ballots, "_rng", random.Random(20240601))
    officer, e, cands, voters, rnd = _election(world, 4)
    first_row_holder = Counter()
    last_row_holder = Counter()
    trials = 120
    for _t in range(trials):
        Ballot.objects.filter(round=rnd).delete()
        for i in range(4):
            ballots._store(rnd, {"sig": str(i)})
        stored = _in_insertion_order(rnd)
        assert sorted(stored) == ["0", "1", "2", "3"]  # a permutation: nothing lost, nothing doubled
        first_row_holder[stored[0]] += 1
        last_row_holder[stored[-1]] += 1
    # Without the shuffle the first stored row would always hold voter 0's ballot.
    for counter in (first_row_holder, last_row_holder):
        expected = trials / 4
        chi2 = sum((counter[str(i)] - expected) ** 2 / expected for i in range(4))
        assert chi2 < 16.27  # p = 0.001 with 3 degrees of freedom


def test_swap_moves_marks_between_rows(world, monkeypatch):
    """Without the swap the row created last would hold the last ballot; with j forced to 0 it holds
    the first ballot's marks — the shuffle really happens on insert."""
    officer, e, cands, voters, rnd = _election(world, 3)

    class Zero(random.Random):
        def randrange(self, *a, **k):
            return 0

    monkeypatch.setattr(ballots, "_rng", Zero())
    ballots._store(rnd, {"sig": "A"})  # existing 0 → j == 0 == existing: kept
    ballots._store(rnd, {"sig": "B"})  # j = 0: the new row takes A, the old row takes B
    rows = {str(b.pk): b.marks["sig"] for b in Ballot.objects.filter(round=rnd)}
    assert sorted(rows.values()) == ["A", "B"]
    newest = Ballot.objects.filter(round=rnd).exclude(marks={"sig": "B"}).get()
    assert newest.marks == {"sig": "A"}


def test_phone_votes_are_a_permutation_and_cast_response_has_no_ballot(world, client):
    officer, e, cands, voters, rnd = _election(world, 5)
    votes = [[cands[0].pk], [cands[1].pk], [cands[0].pk], [], [cands[0].pk]]
    for v, ids in zip(voters, votes, strict=True):
        client.force_login(v.person.user)
        r = client.post(
            f"/api/democracy/elections/{e.pk}/ballot",
            {"marks": {str(c): "for" for c in ids}},
            content_type="application/json",
        )
        assert r.status_code == 201, r.content
        assert set(r.json()) == {"voted", "round"}
        again = client.post(f"/api/democracy/elections/{e.pk}/ballot", {"marks": {}}, content_type="application/json")
        assert again.status_code == 409
    stored = Counter(
        tuple(sorted(k for k, m in b.items() if m == "for")) for b in Ballot.objects.values_list("marks", flat=True)
    )
    assert stored == Counter(tuple(sorted(str(c) for c in ids)) for ids in votes)
    page = client.get(f"/democracy/elections/{e.pk}/")
    assert "您已投票" in page.content.decode()


def test_closing_reseals_the_ballots(world):
    """Closing a round writes its ballots again, as new rows in a new order: no row the casts
    wrote survives (so none keeps the write of the cast that made it, see ballots.reseal), the
    marks are the same multiset, and the count is unchanged."""
    officer, e, cands, voters, rnd = _election(world, 5)
    for i, v in enumerate(voters):
        election_vote(e, v, [cands[i % 2].pk])
    before_ids = set(Ballot.objects.filter(round=rnd).values_list("id", flat=True))
    before = Counter(json.dumps(m, sort_keys=True) for m in Ballot.objects.values_list("marks", flat=True))
    closed = elections.round_close(actor=officer, round=rnd)
    after_ids = set(Ballot.objects.filter(round=rnd).values_list("id", flat=True))
    after = Counter(json.dumps(m, sort_keys=True) for m in Ballot.objects.values_list("marks", flat=True))
    assert len(after_ids) == 5 and not (before_ids & after_ids)
    assert after == before
    assert closed.ballots_cast == 5 and closed.valid_ballots == 5
    assert {t.candidate_id: t.votes_for for t in closed.tallies.all()} == {cands[0].pk: 3, cands[1].pk: 2}
