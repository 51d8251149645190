"""Reads of the elections area. Every list starts from the visibility rule in
``elections.visible_q`` (officers: Election.objects.restrict(user, "voting.view_election");
members: elections where they are a voter) and runs a constant number of queries."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q

from .choices import RoundStatus
from .elections import access_election, visible_q
from .models import Candidate, Election, Round, Tally, VoteMark, Voter


def election_list(user, *, status: str = "", unit_id: int | None = None):
    q = visible_q(user)
    if q is None:
        return Election.objects.none()
    qs = (
        Election.objects.filter(q)
        .select_related("unit")
        .annotate(n_candidates=Count("candidates", distinct=True))
        .order_by("-election_date", "-id")
    )
    if status:
        qs = qs.filter(status=status)
    if unit_id:
        qs = qs.filter(unit_id=unit_id)
    return qs


def candidates_of(election):
    return Candidate.objects.filter(election=election).select_related("person", "person__unit")


def roll_of(election, *, q: str = ""):
    qs = Voter.objects.filter(election=election).select_related("person", "person__unit").order_by("person__name", "id")
    if q:
        qs = qs.filter(Q(person__name__contains=q))
    return qs


def open_round(election) -> Round | None:
    return Round.objects.filter(election=election, status=RoundStatus.OPEN).first()


def voted_ids(rnd: Round | None) -> set[int]:
    if rnd is None:
        return set()
    return set(VoteMark.objects.filter(round=rnd).values_list("voter_id", flat=True))


def rounds_with_tallies(election) -> list[Round]:
    """Every round with its tallies (candidate and person loaded): three queries."""
    return list(
        Round.objects.filter(election=election)
        .order_by("number")
        .prefetch_related(
            Prefetch(
                "tallies",
                queryset=Tally.objects.select_related("candidate__person").order_by(
                    "-votes_for", "candidate__sort_order", "candidate_id"
                ),
            )
        )
    )


def winners_of(election) -> list[Candidate]:
    return list(
        Candidate.objects.filter(election=election, elected=True)
        .select_related("person")
        .order_by("elected_round", "-votes", "sort_order")
    )


__all__ = ["access_election", "election_list", "candidates_of", "roll_of", "rounds_with_tallies", "winners_of"]
