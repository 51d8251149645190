"""The democracy demo (issue 9 item 8): a confirmed committee election written to the unit, a live
election where member1 can vote now, appraisals (closed and in rating), award rounds, small scale."""

import datetime

import pytest
from django.db import transaction
from django.test.utils import override_settings

from cloudbranch.audit.models import AuditEvent
from cloudbranch.demo import democracy_demo, seeding
from cloudbranch.demo.generator import ScaleParams
from cloudbranch.people.choices import CommitteePosition
from cloudbranch.people.models import CommitteeMembership, Person
from cloudbranch.voting import appraisals, ballots, elections
from cloudbranch.voting.choices import (
    AppraisalStatus,
    AwardRoundStatus,
    ElectionStatus,
    Grade,
    NominationStatus,
    RoundStatus,
)
from cloudbranch.voting.models import (
    Appraisal,
    AppraisalEntry,
    AppraisalRating,
    AwardRound,
    Ballot,
    Election,
    Nomination,
    Objection,
    VoteMark,
)

from .parts import keep_only

PARAMS = ScaleParams(universities=1, colleges=3, branches=12, people=500)
TODAY = datetime.date(2026, 11, 26)
allow_accounts = override_settings(DEBUG=True, DEMO_PASSWORD="demo12345")
MODELS = (Election, Ballot, VoteMark, Appraisal, AppraisalEntry, AppraisalRating, AwardRound, Nomination, Objection)


def _skip_others(m):
    keep_only(m, "democracy")


@pytest.fixture(autouse=True)
def _only_democracy(monkeypatch):
    _skip_others(monkeypatch)


def seed():
    with allow_accounts:
        return seeding.seed(scale="demo", seed=1, params=PARAMS, today=TODAY)


@pytest.fixture(scope="module")
def _seeded_once(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as m:
        _skip_others(m)
        with transaction.atomic():
            yield seed()
            transaction.set_rollback(True)


@pytest.fixture
def seeded(_seeded_once, db):
    assert _seeded_once.created and _seeded_once.democracy
    return _seeded_once


def units(seeded):
    return seeding.demo_units(seeded.root, province=False)


def user(username):
    return Person.objects.select_related("user").get(user__username=username).user


def test_counts_and_audit(seeded):
    c = seeded.democracy
    assert c["elections"] == Election.objects.count() == 2
    assert AuditEvent.objects.get(action=democracy_demo.DEMOCRACY_ACTION).changes["elections"] == 2
    assert AuditEvent.objects.filter(action="voting.election.approve").count() == 1


def test_confirmed_election_written_to_the_unit(seeded):
    branch2 = units(seeded)["branch2"]
    election = Election.objects.get(unit=branch2)
    assert election.status == ElectionStatus.CONFIRMED
    winners = list(election.candidates.filter(elected=True))
    assert len(winners) == 3 and election.candidates.count() >= 4  # 差额
    seats = CommitteeMembership.objects.filter(unit=branch2, ended_on__isnull=True)
    assert {s.person_id for s in seats} == {c.person_id for c in winners}
    assert seats.get(position=CommitteePosition.SECRETARY).person.user.username == "secretary2"
    branch2.refresh_from_db()
    assert branch2.term_started_on == election.election_date
    rnd = election.rounds.get()
    assert rnd.status == RoundStatus.CLOSED and rnd.ballots_cast == VoteMark.objects.filter(round=rnd).count()


def test_member1_can_vote_now(seeded):
    branch1 = units(seeded)["branch1"]
    election = Election.objects.get(unit=branch1)
    assert election.status == ElectionStatus.VOTING
    rnd = election.rounds.get(status=RoundStatus.OPEN)
    member = user("member1")
    voter = elections.voter_of(member, election)
    assert voter.present and not voter.excluded and not ballots.has_voted(voter, rnd)
    assert ballots.has_voted(elections.voter_of(user("secretary1"), election), rnd)
    assert election.voters.exclude(excluded="").count() == 1
    assert Ballot.objects.filter(round=rnd).count() == VoteMark.objects.filter(round=rnd).count() > 1
    # member1 votes right now, through the service.
    marks = {str(c): "for" for c in rnd.candidates.values_list("pk", flat=True)[:3]}
    ballots.ballot_cast(actor=member, election=election, marks=marks)
    assert ballots.has_voted(voter, rnd)


def test_appraisals(seeded):
    branch1 = units(seeded)["branch1"]
    last = Appraisal.objects.get(unit=branch1, year=TODAY.year - 1)
    assert last.status == AppraisalStatus.CLOSED
    graded = last.entries.filter(graded=True)
    assert not graded.filter(final_grade="").exists()
    excellent = graded.filter(final_grade=Grade.EXCELLENT).count()
    assert 1 <= excellent <= appraisals.excellent_cap(graded.count())
    bad = graded.get(final_grade=Grade.UNQUALIFIED)
    assert bad.handling and bad.handling_note and bad.handling_deadline
    current = Appraisal.objects.get(unit=branch1, year=TODAY.year)
    assert current.status == AppraisalStatus.RATING
    me = Person.objects.get(user__username="member1")
    assert not AppraisalRating.objects.filter(entry__appraisal=current, rater=me).exists()
    assert AppraisalRating.objects.filter(entry__appraisal=current).exists()
    assert me.pk in {e.person_id for e in appraisals.pending_participants(current)}
    assert appraisals.own_entry(user("member1"), current.pk).self_submitted_at


def test_award_rounds(seeded):
    rounds = AwardRound.objects.all()
    notice = rounds.get(status=AwardRoundStatus.NOTICE)
    statuses = set(notice.nominations.values_list("status", flat=True))
    expected = {NominationStatus.ELECTED, NominationStatus.NOT_ELECTED, NominationStatus.REJECTED}
    assert expected | {NominationStatus.WITHDRAWN, NominationStatus.REVOKED} <= statuses
    assert notice.nominations.values("nominating_unit").distinct().count() >= 3
    assert Objection.objects.filter(nomination__round=notice, handled_at__isnull=True).count() == 1
    assert Objection.objects.filter(nomination__round=notice, upheld=True).count() == 1
    reviewing = rounds.get(unit=units(seeded)["college"])
    assert {NominationStatus.PENDING, NominationStatus.APPROVED} <= set(
        reviewing.nominations.values_list("status", flat=True)
    )
    final = rounds.get(status=AwardRoundStatus.FINAL, year=TODAY.year - 1)
    assert final.nominations.filter(status=NominationStatus.AWARDED).exists()
    all_statuses = set(Nomination.objects.values_list("status", flat=True))
    assert all_statuses == set(NominationStatus.values)


def test_second_seed_adds_nothing(seeded):
    before = {m.__name__: m.objects.count() for m in MODELS}
    again = seed()
    assert not again.created and again.democracy is None
    assert {m.__name__: m.objects.count() for m in MODELS} == before
