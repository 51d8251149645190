"""Shared test helpers of the voting app (each area appends its own)."""

from django.utils import timezone

# --- elections (换届选举) helpers -------------------------------------------------------------


def election_members(unit, n, *, prefix="选民"):
    """``n`` full members of ``unit``, each with a login account (voters vote on their phones)."""
    from cloudbranch.testing.factories import PersonFactory, UserFactory

    people = []
    for _i in range(n):
        user = UserFactory()
        people.append(PersonFactory(unit=unit, user=user, name=f"{prefix}{user.pk}"))
    return people


def election_make(actor, unit, **fields):

    from cloudbranch.voting import elections
    from cloudbranch.voting.choices import ElectionKind

    data = {
        "kind": ElectionKind.COMMITTEE,
        "title": f"{unit.name}换届选举",
        "seats": 3,
        "election_date": timezone.localdate(),
    }
    data.update(fields)
    return elections.election_create(actor=actor, unit=unit, **data)


def election_frozen(actor, unit, *, seats=3, candidates=4, extra_voters=2, **fields):
    """An election of ``unit`` with ``candidates`` candidates published and the roll frozen.
    Returns (election, candidates, voters) — ``voters`` are the Voter rows of the roll."""
    from cloudbranch.voting import elections
    from cloudbranch.voting.models import Voter

    people = election_members(unit, candidates + extra_voters)
    election = election_make(actor, unit, seats=seats, **fields)
    cands = [elections.candidate_add(actor=actor, election=election, person=p) for p in people[:candidates]]
    elections.candidates_publish(actor=actor, election=election)
    elections.roll_freeze(actor=actor, election=election)
    voters = list(Voter.objects.filter(election=election).select_related("person", "person__user"))
    return election, cands, voters


def election_all_present(actor, voters):
    from cloudbranch.voting import elections

    for v in voters:
        elections.voter_presence(actor=actor, voter=v, present=True)


def election_vote(election, voter, for_ids, *, against_ids=()):
    """The voter casts a ballot: "for" the given candidates, "against" others given, the rest abstain."""
    from cloudbranch.voting import ballots

    marks = {str(c): "for" for c in for_ids} | {str(c): "against" for c in against_ids}
    return ballots.ballot_cast(actor=voter.person.user, election=election, marks=marks)


# --- appraisals (民主评议党员) helpers --------------------------------------------------------


def appraisal_members(unit, n, *, probationary=0, prefix="评议"):
    """``n`` full members (and ``probationary`` probationary members) of ``unit``, each with a login."""

    from cloudbranch.testing.factories import PersonFactory, UserFactory

    people = []
    for i in range(n + probationary):
        user = UserFactory()
        extra = {}
        if i >= n:
            extra = {"political_status": "probationary", "joined_on": timezone.localdate(), "confirmed_on": None}
        people.append(PersonFactory(unit=unit, user=user, name=f"{prefix}{user.pk}", **extra))
    return people


def appraisal_open(actor, unit, *, year=None):
    """Open the appraisal of ``unit`` for ``year`` (this year by default) through the service."""

    from cloudbranch.voting import appraisals

    return appraisals.appraisal_create(actor=actor, unit_id=unit.pk, year=year or timezone.localdate().year)


def appraisal_to(actor, appraisal, stage):
    """Advance ``appraisal`` through the services up to ``stage`` (rating, proposal, decided with
    every graded member 合格, closed)."""

    from cloudbranch.voting import appraisals
    from cloudbranch.voting.choices import AppraisalStatus, Grade
    from cloudbranch.voting.models import AppraisalEntry

    order = list(AppraisalStatus.values)
    appraisal.refresh_from_db()
    while order.index(appraisal.status) < order.index(stage):
        nxt = appraisals.NEXT_STAGE[appraisal.status]
        if nxt == AppraisalStatus.DECIDED:
            ids = AppraisalEntry.objects.filter(appraisal=appraisal, graded=True).values_list("pk", flat=True)
            appraisals.appraisal_decide(
                actor=actor,
                appraisal_id=appraisal.pk,
                meeting_on=timezone.localdate(),
                grades={pk: Grade.QUALIFIED for pk in ids},
            )
        else:
            appraisals.appraisal_advance(actor=actor, appraisal_id=appraisal.pk, to=nxt)
        appraisal.refresh_from_db()
    return appraisal


# --- awards (评先评优) helpers ----------------------------------------------------------------

AWARD_DEEDS = "该同志政治立场坚定，理想信念坚定，带头学习贯彻党的创新理论，在教学科研和服务师生工作中成绩突出，" * 2


def award_round(actor, unit, **fields):
    """An award round of ``unit`` through the service: all three kinds, quota 2 each, deadline in a week."""
    import datetime

    from cloudbranch.voting import awards
    from cloudbranch.voting.choices import AwardKind

    data = {
        "year": timezone.localdate().year,
        "title": "优秀共产党员、优秀党务工作者和先进基层党组织评选",
        "kinds": list(AwardKind.values),
        "quotas": dict.fromkeys(AwardKind.values, 2),
        "nomination_deadline": timezone.localdate() + datetime.timedelta(days=7),
    }
    data.update(fields)
    return awards.round_create(actor=actor, unit=unit, **data)


def award_committee_secretary(unit):
    """A fresh user holding the committee secretary role at ``unit``."""
    from cloudbranch.orgs.roles import Role
    from cloudbranch.testing.factories import UserFactory, grant

    user = UserFactory()
    grant(user, unit, Role.COMMITTEE_SECRETARY)
    return user


def award_nominate(actor, award_round, unit, *, person=None, nominee_unit=None, kind="excellent_member"):
    from cloudbranch.voting import awards

    return awards.nomination_create(
        actor=actor,
        award_round=award_round,
        nominating_unit=unit,
        kind=kind,
        person=person,
        nominee_unit=nominee_unit,
        deeds=AWARD_DEEDS,
    )
