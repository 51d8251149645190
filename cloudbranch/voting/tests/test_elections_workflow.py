"""An election from creation to the new committee seated: every rule on the way."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.notifications.models import Notification
from cloudbranch.orgs.roles import Role
from cloudbranch.people.choices import CommitteePosition, PoliticalStatus, RosterStatus
from cloudbranch.people.models import CommitteeMembership
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant, make_unit
from cloudbranch.voting import ballots, elections
from cloudbranch.voting.choices import ElectionKind, ElectionStatus, RoundKind, RoundStatus, VoterExclusion
from cloudbranch.voting.models import Ballot, Candidate, Round, Tally, VoteMark, Voter

from .factories import election_all_present, election_frozen, election_make, election_members, election_vote

pytestmark = pytest.mark.django_db


@pytest.fixture
def branch(world):
    unit = make_unit(parent=world.college_a, name="选举测试支部")
    grant(world.users["secretary1"], unit, Role.BRANCH_SECRETARY)
    return unit


@pytest.fixture
def officer(world):
    return world.users["secretary1"]


def test_create_defaults_and_postponement_rule(world, branch, officer):
    e = election_make(officer, branch)
    assert e.surplus_ratio == elections.counting.DEFAULT_SURPLUS_RATIO and e.term_years == branch.term_years
    branch.term_started_on = datetime.date(2020, 1, 1)  # term (3 years) ended 2023-01-01
    branch.save()
    with pytest.raises(DomainError) as exc:
        election_make(officer, branch, election_date=datetime.date(2024, 1, 2))  # more than a year late
    assert exc.value.errors[0]["field"] == "postponement_approval"
    assert election_make(officer, branch, election_date=datetime.date(2024, 1, 1)).pk  # exactly a year: fine
    assert election_make(
        officer, branch, election_date=datetime.date(2024, 6, 1), postponement_approval="院党委〔2024〕3号批复"
    ).pk
    with pytest.raises(DomainError):  # more than a year early
        election_make(officer, branch, election_date=datetime.date(2021, 12, 31))


def test_only_officers_of_the_unit_create(world, branch):
    with pytest.raises(Http404):
        election_make(world.users["secretary2"], branch)
    with pytest.raises(PermissionDenied):
        election_make(world.users["member1"], world.branch_a1)


def test_surplus_rule_rounds_up_when_publishing(world, branch, officer):
    people = election_members(branch, 9)
    e = election_make(officer, branch, seats=7)
    for p in people[:8]:
        elections.candidate_add(actor=officer, election=e, person=p)
    with pytest.raises(DomainError) as exc:  # 7 × 1.2 = 8.4 → 9
        elections.candidates_publish(actor=officer, election=e)
    assert "至少 9 名" in exc.value.message
    elections.candidate_add(actor=officer, election=e, person=people[8])
    assert elections.candidates_publish(actor=officer, election=e).status == ElectionStatus.NOMINATED


def test_surplus_five_seats_six_candidates(world, branch, officer):
    people = election_members(branch, 6)
    e = election_make(officer, branch, seats=5)
    for p in people[:5]:
        elections.candidate_add(actor=officer, election=e, person=p)
    with pytest.raises(DomainError):
        elections.candidates_publish(actor=officer, election=e)
    elections.candidate_add(actor=officer, election=e, person=people[5])
    elections.candidates_publish(actor=officer, election=e)


def test_equal_election_only_for_secretary_with_reason(world, branch, officer):
    with pytest.raises(DomainError):
        election_make(officer, branch, seats=3, equal_election=True, equal_reason="x")  # committee
    with pytest.raises(DomainError):
        election_make(officer, branch, kind=ElectionKind.SECRETARY, seats=1, equal_election=True)  # no reason
    e = election_make(
        officer, branch, kind=ElectionKind.SECRETARY, seats=1, equal_election=True, equal_reason="直接选举书记等额"
    )
    (p,) = election_members(branch, 1)
    elections.candidate_add(actor=officer, election=e, person=p)
    assert elections.candidates_publish(actor=officer, election=e).status == ElectionStatus.NOMINATED


def test_probationary_and_outsiders_cannot_stand(world, branch, officer):
    e = election_make(officer, branch)
    probationary = PersonFactory(unit=branch, political_status=PoliticalStatus.PROBATIONARY, confirmed_on=None)
    with pytest.raises(DomainError, match="不是正式党员"):
        elections.candidate_add(actor=officer, election=e, person=probationary)
    with pytest.raises(DomainError):
        elections.candidate_add(actor=officer, election=e, person=world.people["a2_person"])


def test_roll_is_frozen(world, branch, officer):
    PersonFactory(unit=branch, political_status=PoliticalStatus.PROBATIONARY, confirmed_on=None)
    e, cands, voters = election_frozen(officer, branch, seats=3, candidates=4, extra_voters=2)
    assert len(voters) == 6  # full members only
    before = set(Voter.objects.filter(election=e).values_list("person_id", flat=True))
    PersonFactory(unit=branch)  # joins after the freeze
    leaver = voters[0].person
    leaver.roster_status = RosterStatus.TRANSFERRED_OUT
    leaver.save()
    probationary_now_full = PersonFactory(unit=branch, political_status=PoliticalStatus.FULL)
    assert probationary_now_full.pk not in before
    assert set(Voter.objects.filter(election=e).values_list("person_id", flat=True)) == before


def test_quorum_exactly_four_fifths_fails(world, branch, officer):
    e, cands, voters = election_frozen(officer, branch, seats=3, candidates=4, extra_voters=6)  # 10 voters
    election_all_present(officer, voters[:8])  # 8 of 10 = exactly 4/5
    with pytest.raises(DomainError, match="超过应到人数的五分之四"):
        elections.round_open(actor=officer, election=e)
    assert not Round.objects.filter(election=e).exists()
    # An approved absentee leaves the base: 8 of 9 > 4/5.
    elections.voter_exclude(actor=officer, voter=voters[9], reason=VoterExclusion.ABROAD, note="出国交流，支委会批准")
    rnd = elections.round_open(actor=officer, election=e)
    assert (rnd.entitled, rnd.present) == (9, 8)


def test_quorum_just_above_passes(world, branch, officer):
    e, cands, voters = election_frozen(officer, branch, seats=3, candidates=4, extra_voters=6)
    election_all_present(officer, voters[:9])  # 9 of 10
    rnd = elections.round_open(actor=officer, election=e)
    assert (rnd.entitled, rnd.present, rnd.kind) == (10, 9, RoundKind.FIRST)
    with pytest.raises(ConflictError):  # presence frozen while the round is open
        elections.voter_presence(actor=officer, voter=voters[9], present=True)


def test_exclusion_needs_a_note(world, branch, officer):
    e, cands, voters = election_frozen(officer, branch)
    with pytest.raises(DomainError):
        elections.voter_exclude(actor=officer, voter=voters[0], reason=VoterExclusion.ILLNESS, note="")


def test_double_voting_refused(world, branch, officer):
    e, cands, voters = election_frozen(officer, branch, seats=1, candidates=2, extra_voters=0)
    election_all_present(officer, voters)
    elections.round_open(actor=officer, election=e)
    election_vote(e, voters[0], [cands[0].pk])
    with pytest.raises(ConflictError):
        election_vote(e, voters[0], [cands[1].pk])
    assert Ballot.objects.filter(round__election=e).count() == 1
    assert VoteMark.objects.filter(round__election=e).count() == 1


def test_absent_voter_and_non_voter_cannot_cast(world, branch, officer):
    e, cands, voters = election_frozen(officer, branch, seats=1, candidates=2, extra_voters=4)
    election_all_present(officer, voters[:5])
    elections.round_open(actor=officer, election=e)
    with pytest.raises(DomainError, match="尚未报到"):
        election_vote(e, voters[5], [cands[0].pk])
    with pytest.raises(Http404):  # not a voter and no grant: the election does not exist for them
        ballots.ballot_cast(actor=world.users["member1"], election=e, marks={})
    with pytest.raises(PermissionDenied):  # an officer sees it but has no vote
        ballots.ballot_cast(actor=officer, election=e, marks={})


def _first_round(officer, e, voters, votes):
    """``votes``: one list of "for" candidate ids per voter."""
    election_all_present(officer, voters)
    rnd = elections.round_open(actor=officer, election=e)
    for voter, for_ids in zip(voters, votes, strict=False):
        election_vote(e, voter, for_ids)
    return elections.round_close(actor=officer, round=rnd)


def test_majority_exactly_half_fails_and_additional_round(world, branch, officer):
    e, cands, voters = election_frozen(officer, branch, seats=3, candidates=4, extra_voters=0)  # 4 voters
    a, b, c, d = (x.pk for x in cands)
    rnd = _first_round(officer, e, voters, [[a, b, c], [a, b, d], [a, b], [a]])
    # a 4/4, b 3/4, c 1, d 1 — c would need 3: one seat left
    assert rnd.result["elected"] == [a, b] and rnd.result["remaining"] == 1
    assert e.__class__.objects.get(pk=e.pk).status == ElectionStatus.VOTING
    t = {x.candidate_id: x for x in Tally.objects.filter(round=rnd)}
    assert t[a].votes_for == 4 and t[a].elected and not t[c].elected
    e.refresh_from_db()
    plan = elections.next_round_plan(e)
    assert plan["kind"] == RoundKind.ADDITIONAL and plan["seats"] == 1 and set(plan["candidate_ids"]) == {c, d}
    # 2 elected < 3 (the smallest committee): the seat cannot be left empty
    assert e.status == ElectionStatus.VOTING and not elections.may_leave_empty(e)
    with pytest.raises(ConflictError):
        elections.result_accept_fewer(actor=officer, election=e, reason="不再选")
    rnd2 = elections.round_open(actor=officer, election=e)
    assert rnd2.kind == RoundKind.ADDITIONAL and rnd2.number == 2
    for voter, ids in zip(voters, [[c], [c], [d], []], strict=True):  # c gets 2 of 4: exactly half
        election_vote(e, voter, ids)
    rnd2 = elections.round_close(actor=officer, round=rnd2)
    assert rnd2.result["elected"] == [] and rnd2.result["next"] == "additional"
    rnd3 = elections.round_open(actor=officer, election=e)
    for voter, ids in zip(voters, [[c], [c], [c], []], strict=True):
        election_vote(e, voter, ids)
    rnd3 = elections.round_close(actor=officer, round=rnd3)
    assert rnd3.result["elected"] == [c]
    e.refresh_from_db()
    assert e.status == ElectionStatus.COUNTED
    assert Candidate.objects.get(pk=c).elected_round == 3


def test_tie_at_last_seat_goes_to_runoff(world, branch, officer):
    e, cands, voters = election_frozen(officer, branch, seats=2, candidates=3, extra_voters=2)  # 5 voters
    a, b, c = (x.pk for x in cands)
    rnd = _first_round(officer, e, voters, [[a, b], [a, c], [a, b], [b, c], [a, c]])
    # a 4, b 3, c 3: both b and c have a majority (>2.5) and tie for the last seat
    assert rnd.result["elected"] == [a] and rnd.result["tied"] == [b, c] and rnd.result["tied_seats"] == 1
    rnd2 = elections.round_open(actor=officer, election=e)
    assert rnd2.kind == RoundKind.RUNOFF and rnd2.seats == 1
    assert set(rnd2.candidates.values_list("pk", flat=True)) == {b, c}
    for voter, ids in zip(voters, [[b], [b], [c], [b], []], strict=True):
        election_vote(e, voter, ids)
    elections.round_close(actor=officer, round=rnd2)
    e.refresh_from_db()
    assert e.status == ElectionStatus.COUNTED
    assert set(Candidate.objects.filter(election=e, elected=True).values_list("pk", flat=True)) == {a, b}


def test_invalid_ballot_counts_for_nobody(world, branch, officer):
    e, cands, voters = election_frozen(officer, branch, seats=1, candidates=2, extra_voters=1)
    a, b = (x.pk for x in cands)
    rnd = _first_round(officer, e, voters, [[a, b], [a], [a]])  # the first marks two for one seat
    assert rnd.valid_ballots == 2 and rnd.result["invalid"] == 1
    assert Tally.objects.get(round=rnd, candidate_id=b).votes_for == 0
    assert rnd.result["elected"] == [a]  # 2 of 3 present


def test_more_paper_ballots_than_voters_voids_the_round(world, branch, officer):
    e, cands, voters = election_frozen(officer, branch, seats=1, candidates=2, extra_voters=1)
    election_all_present(officer, voters)
    rnd = elections.round_open(actor=officer, election=e)
    ballots.paper_voters_mark(actor=officer, round=rnd, voter_ids=[voters[0].pk, voters[1].pk])
    for _i in range(3):  # three ballots typed, two voters ticked
        ballots.paper_ballot_enter(actor=officer, round=rnd, marks={str(cands[0].pk): "for"})
    rnd = elections.round_close(actor=officer, round=rnd)
    assert rnd.status == RoundStatus.VOID and "无效" in rnd.result["void_reason"]
    again = elections.round_open(actor=officer, election=e)
    assert again.number == 2 and again.kind == RoundKind.FIRST
    ballots.paper_voters_mark(actor=officer, round=again, voter_ids=[voters[0].pk])
    with pytest.raises(ConflictError):  # a voter who voted on paper cannot also vote on the phone
        election_vote(e, voters[0], [cands[0].pk])
    with pytest.raises(DomainError, match="已投票"):
        ballots.paper_voters_mark(actor=officer, round=again, voter_ids=[voters[0].pk])


def test_result_posts_report_approve_writes_committee(world, branch, officer):
    e, cands, voters = election_frozen(officer, branch, seats=3, candidates=4, extra_voters=0)
    a, b, c, d = (x.pk for x in cands)
    _first_round(officer, e, voters, [[a, b, c], [a, b, c], [a, b, c], [d]])
    e.refresh_from_db()
    assert e.status == ElectionStatus.COUNTED
    with pytest.raises(DomainError, match="分工"):
        elections.result_report(actor=officer, election=e)
    elections.posts_assign(
        actor=officer,
        election=e,
        positions={
            a: CommitteePosition.SECRETARY,
            b: CommitteePosition.ORGANIZATION_OFFICER,
            c: CommitteePosition.MEMBER,
        },
    )
    college_secretary = UserFactory()
    grant(college_secretary, world.college_a, Role.COMMITTEE_SECRETARY)
    elections.result_report(actor=officer, election=e)
    assert Notification.objects.filter(recipient=college_secretary, title__contains="待批准").exists()
    # not the unit itself: a committee secretary AT the branch may not approve its own election
    own = UserFactory()
    grant(own, branch, Role.COMMITTEE_SECRETARY)
    with pytest.raises(PermissionDenied):
        elections.result_approve(actor=own, election=e)
    with pytest.raises(PermissionDenied):
        elections.result_approve(actor=officer, election=e)
    elections.result_approve(actor=college_secretary, election=e)
    e.refresh_from_db()
    branch.refresh_from_db()
    assert e.status == ElectionStatus.CONFIRMED
    seats = dict(
        CommitteeMembership.objects.filter(unit=branch, ended_on__isnull=True).values_list("person_id", "position")
    )
    persons = {x.pk: x.person_id for x in cands}
    assert seats == {
        persons[a]: CommitteePosition.SECRETARY,
        persons[b]: CommitteePosition.ORGANIZATION_OFFICER,
        persons[c]: CommitteePosition.MEMBER,
    }
    assert branch.term_started_on == e.election_date and branch.term_years == e.term_years
    with pytest.raises(ConflictError):
        elections.election_cancel(actor=officer, election=e, reason="晚了")


def test_secretary_election_winner_is_secretary_and_delegates_write_nothing(world, branch, officer):
    e, cands, voters = election_frozen(
        officer, branch, kind=ElectionKind.SECRETARY, seats=1, candidates=2, extra_voters=1
    )
    _first_round(officer, e, voters, [[cands[0].pk]] * 3)
    elections.result_report(actor=officer, election=e)
    elections.result_approve(actor=world.users["admin"], election=e)
    assert CommitteeMembership.objects.get(unit=branch, ended_on__isnull=True).position == CommitteePosition.SECRETARY

    d, dc, dv = election_frozen(officer, branch, kind=ElectionKind.DELEGATES, seats=1, candidates=2, extra_voters=0)
    _first_round(officer, d, dv, [[dc[0].pk]] * len(dv))
    elections.result_report(actor=officer, election=d)
    elections.result_approve(actor=world.users["admin"], election=d)
    assert CommitteeMembership.objects.filter(unit=branch, ended_on__isnull=True).count() == 1  # unchanged


def test_leave_seats_empty_when_enough_elected(world, branch, officer):
    e, cands, voters = election_frozen(officer, branch, seats=4, candidates=5, extra_voters=0)
    a, b, c, d, x = (k.pk for k in cands)
    _first_round(officer, e, voters, [[a, b, c], [a, b, c], [a, b, c], [d, x]])
    e.refresh_from_db()
    assert elections.may_leave_empty(e)
    elections.result_accept_fewer(actor=officer, election=e, reason="支部大会决定缺额不再选举")
    e.refresh_from_db()
    assert e.status == ElectionStatus.COUNTED


def test_cancel_needs_reason_and_sibling_cannot(world, branch, officer):
    e = election_make(officer, branch)
    with pytest.raises(DomainError):
        elections.election_cancel(actor=officer, election=e, reason=" ")
    with pytest.raises(Http404):
        elections.election_cancel(actor=world.users["secretary2"], election=e, reason="x")
    assert elections.election_cancel(actor=officer, election=e, reason="并入他支部").status == ElectionStatus.CANCELLED
