"""Double voting under real concurrency: the same voter casting from two phones at the same
moment gets one ballot stored and one 409; many voters casting at once lose no ballot (the round
row lock serializes the shuffle). Needs PostgreSQL."""

import threading

import pytest
from django.db import connection

from cloudbranch.core.errors import ConflictError
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import grant, make_unit
from cloudbranch.voting import elections
from cloudbranch.voting.models import Ballot, VoteMark

from .factories import election_all_present, election_frozen, election_vote

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("runs against PostgreSQL (make test starts one)")


def _run(calls):
    barrier = threading.Barrier(len(calls))
    results, errors = [], []

    def go(fn):
        try:
            barrier.wait(timeout=10)
            results.append(fn())
        except ConflictError as exc:
            errors.append(exc)
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertions
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=go, args=(fn,)) for fn in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results, errors


def _open(world, n):
    unit = make_unit(parent=world.college_a)
    officer = world.users["secretary1"]
    grant(officer, unit, Role.BRANCH_SECRETARY)
    e, cands, voters = election_frozen(officer, unit, seats=1, candidates=2, extra_voters=n - 2)
    election_all_present(officer, voters)
    elections.round_open(actor=officer, election=e)
    return e, cands, voters


def test_same_voter_twice_at_once_votes_once(world):
    e, cands, voters = _open(world, 3)
    v = voters[0]
    results, errors = _run([lambda: election_vote(e, v, [cands[0].pk]), lambda: election_vote(e, v, [cands[1].pk])])
    assert len(results) == 1 and len(errors) == 1 and isinstance(errors[0], ConflictError)
    assert VoteMark.objects.filter(voter=v).count() == 1
    assert Ballot.objects.filter(round__election=e).count() == 1


def test_many_voters_at_once_lose_no_ballot(world):
    e, cands, voters = _open(world, 8)
    calls = [lambda v=v, i=i: election_vote(e, v, [cands[i % 2].pk]) for i, v in enumerate(voters)]
    results, errors = _run(calls)
    assert errors == [] and len(results) == 8
    marks = list(Ballot.objects.filter(round__election=e).values_list("marks", flat=True))
    assert len(marks) == 8
    assert sum(1 for m in marks if m[str(cands[0].pk)] == "for") == 4
    assert sum(1 for m in marks if m[str(cands[1].pk)] == "for") == 4


def test_after_closing_no_ballot_row_keeps_its_casts_transaction(world):
    """PostgreSQL stamps each row with the id of the writing (sub)transaction (xmin); a cast
    writes its VoteMark and its ballot row (and swaps one other row) a few ids apart, so before
    closing the ballot rows carry the stamps of different casts: four casts touch at most two rows
    each, so at least two stamps differ. After the round is closed every ballot row carries the
    closing transaction's id, later than every cast's."""
    e, cands, voters = _open(world, 4)
    for i, v in enumerate(voters):
        election_vote(e, v, [cands[i % 2].pk])
    rnd = e.rounds.get()

    def xmins(table):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT xmin::text::bigint FROM {table} WHERE round_id = %s", [rnd.pk])
            return [row[0] for row in cursor.fetchall()]

    cast_txns = set(xmins("voting_votemark"))
    assert len(cast_txns) == 4
    # before closing, the ballot rows carry the stamps of different casts (what reseal removes)
    assert len(set(xmins("voting_ballot"))) > 1
    elections.round_close(actor=world.users["secretary1"], round=rnd)
    stamps = xmins("voting_ballot")
    assert len(stamps) == 4 and len(set(stamps)) == 1
    assert stamps[0] > max(cast_txns)
