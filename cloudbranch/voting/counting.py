"""Counting an election (换届选举计票): pure functions, no database.

Every number is a named constant with its source (中国共产党基层组织选举工作条例, 2020 — "条例";
中国共产党支部工作条例（试行）, 2018 — "支部条例"). Votes are whole numbers; fractions are compared
exactly (integer arithmetic), never with floats.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from fractions import Fraction

#: 差额 minimum: candidates at least 20% more than the seats (条例 2020 第十三条, via SPEC §8).
#: The ratio is stored per election (Election.surplus_ratio, default 0.20); this is the default.
DEFAULT_SURPLUS_RATIO = Decimal("0.20")

#: Quorum: voters present must be MORE than four fifths of those entitled to attend
#: (条例 2020: 有选举权的到会人数超过应到会人数的五分之四，会议有效). Exactly 4/5 fails.
QUORUM = Fraction(4, 5)

#: Majority: a candidate is elected with MORE than half of the votes of the voters present
#: (条例 2020: 被选举人获得的赞成票超过实到会有选举权的人数的一半，始得当选). Exactly half fails.
MAJORITY = Fraction(1, 2)

#: The marks a ballot may carry per candidate (see voting.choices.Mark).
FOR, AGAINST, ABSTAIN = "for", "against", "abstain"
MARKS = (FOR, AGAINST, ABSTAIN)

#: Next step after a round.
NEXT_RUNOFF = "runoff"  # candidates tied at the last seat(s): vote again among them (得票相等再投票)
NEXT_ADDITIONAL = "additional"  # fewer than the seats reached a majority: 另行选举 for the rest


def min_candidates(seats: int, ratio: Decimal | str | float = DEFAULT_SURPLUS_RATIO) -> int:
    """The fewest candidates a 差额 election of ``seats`` needs: seats × (1 + ratio) rounded UP
    (5 seats at 20% → 6; 7 seats → 8.4 → 9)."""
    value = Decimal(seats) * (Decimal(1) + Decimal(str(ratio)))
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def quorum_met(present: int, entitled: int) -> bool:
    """More than 4/5 of the entitled are present (``present / entitled > 4/5``), exactly."""
    return entitled > 0 and present * QUORUM.denominator > entitled * QUORUM.numerator


def quorum_needed(entitled: int) -> int:
    """The smallest number present that meets the quorum."""
    return entitled * QUORUM.numerator // QUORUM.denominator + 1


def has_majority(votes_for: int, present: int) -> bool:
    """More than half of those present voted for the candidate (exactly half fails)."""
    return present > 0 and votes_for * MAJORITY.denominator > present * MAJORITY.numerator


def majority_needed(present: int) -> int:
    return present * MAJORITY.numerator // MAJORITY.denominator + 1


def ballot_valid(marks: Mapping[str, str], seats: int) -> bool:
    """A ballot with more "for" marks than the round's seats is void (废票); any other is valid."""
    return sum(1 for m in marks.values() if m == FOR) <= seats


@dataclass
class CandidateCount:
    votes_for: int = 0
    votes_against: int = 0
    abstentions: int = 0


@dataclass
class Count:
    per_candidate: dict[int, CandidateCount]
    cast: int
    valid: int

    @property
    def invalid(self) -> int:
        return self.cast - self.valid


def count_ballots(ballots: Iterable[Mapping[str, str]], candidate_ids: Iterable[int], seats: int) -> Count:
    """Tally the valid ballots per candidate. A candidate left unmarked on a valid ballot counts
    as an abstention; invalid ballots (废票) count for nobody."""
    ids = list(candidate_ids)
    per = {cid: CandidateCount() for cid in ids}
    cast = valid = 0
    for marks in ballots:
        cast += 1
        if not ballot_valid(marks, seats):
            continue
        valid += 1
        for cid in ids:
            mark = marks.get(str(cid), ABSTAIN)
            row = per[cid]
            if mark == FOR:
                row.votes_for += 1
            elif mark == AGAINST:
                row.votes_against += 1
            else:
                row.abstentions += 1
    return Count(per_candidate=per, cast=cast, valid=valid)


@dataclass
class Outcome:
    """What one round decided.

    ``elected``: elected now, in descending order of votes. ``tied`` and ``tied_seats``: a
    run-off is needed among ``tied`` for ``tied_seats`` seats (they all have a majority, but
    taking them all would exceed the seats). ``remaining``: seats still empty because fewer than
    the seats reached a majority (另行选举 or leave them empty)."""

    elected: list[int] = field(default_factory=list)
    tied: list[int] = field(default_factory=list)
    tied_seats: int = 0
    remaining: int = 0

    @property
    def next(self) -> str | None:
        if self.tied:
            return NEXT_RUNOFF
        if self.remaining:
            return NEXT_ADDITIONAL
        return None


def decide(votes_for: Mapping[int, int], seats: int, present: int) -> Outcome:
    """Who is elected in a round of ``seats`` seats, ``present`` voters present.

    Only candidates with a majority can be elected; among them, the most votes win up to the
    seats. If candidates tie at the last seat(s) so that taking them all would exceed the seats,
    those above the tie are elected and the tied ones go to a run-off for the seats left. If fewer
    than the seats have a majority, the rest of the seats remain (``remaining``)."""
    majority = sorted(
        (cid for cid, v in votes_for.items() if has_majority(v, present)), key=lambda c: (-votes_for[c], c)
    )
    if len(majority) <= seats:
        return Outcome(elected=majority, remaining=seats - len(majority))
    cutoff = votes_for[majority[seats - 1]]
    above = [c for c in majority if votes_for[c] > cutoff]
    at = [c for c in majority if votes_for[c] == cutoff]
    if len(above) + len(at) <= seats:
        return Outcome(elected=above + at)
    return Outcome(elected=above, tied=sorted(at), tied_seats=seats - len(above))


def additional_candidates(
    votes_for: Mapping[int, int], remaining: int, *, ratio: Decimal | str = DEFAULT_SURPLUS_RATIO, equal: bool = False
) -> list[int]:
    """The candidates of an additional election (另行选举) among the not-yet-elected: those with the
    most votes, as many as the 差额 rule asks for ``remaining`` seats (``remaining`` in an equal
    election); everyone tied with the last one taken is taken too; all of them when there are
    not enough."""
    needed = remaining if equal else min_candidates(remaining, ratio)
    ranked = sorted(votes_for, key=lambda c: (-votes_for[c], c))
    if len(ranked) <= needed:
        return ranked
    cutoff = votes_for[ranked[needed - 1]]
    return [c for c in ranked if votes_for[c] >= cutoff]
