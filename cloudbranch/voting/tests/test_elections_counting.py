"""The counting rules as pure functions: quorum, 差额 rounding, majority, ties, additional rounds."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from cloudbranch.voting import counting


def test_quorum_exactly_four_fifths_fails_just_above_passes():
    assert not counting.quorum_met(40, 50)  # exactly 4/5
    assert counting.quorum_met(41, 50)
    assert not counting.quorum_met(4, 5)
    assert counting.quorum_met(5, 5)
    assert not counting.quorum_met(0, 0)
    assert counting.quorum_needed(50) == 41
    assert counting.quorum_needed(5) == 5
    assert counting.quorum_needed(7) == 6  # 5.6 → more than that: 6


def test_surplus_rounds_up():
    assert counting.min_candidates(5, Decimal("0.20")) == 6
    assert counting.min_candidates(7, Decimal("0.20")) == 9  # 8.4 → 9
    assert counting.min_candidates(3, Decimal("0.20")) == 4  # 3.6 → 4
    assert counting.min_candidates(10, Decimal("0.20")) == 12
    assert counting.min_candidates(5, "0.30") == 7  # 6.5 → 7
    assert counting.min_candidates(2, "0") == 2


def test_majority_exactly_half_fails():
    assert not counting.has_majority(5, 10)
    assert counting.has_majority(6, 10)
    assert counting.has_majority(4, 7)
    assert not counting.has_majority(3, 7)
    assert counting.majority_needed(10) == 6


def test_ballot_with_too_many_for_marks_is_invalid():
    ballots = [
        {"1": "for", "2": "for", "3": "against"},
        {"1": "for", "2": "for", "3": "for"},  # three "for" for two seats: 废票
        {"1": "against"},  # 2 and 3 unmarked: abstentions
    ]
    count = counting.count_ballots(ballots, [1, 2, 3], seats=2)
    assert (count.cast, count.valid, count.invalid) == (3, 2, 1)
    assert count.per_candidate[1].votes_for == 1 and count.per_candidate[1].votes_against == 1
    assert count.per_candidate[3].abstentions == 1 and count.per_candidate[3].votes_against == 1


def test_decide_majority_and_order():
    out = counting.decide({1: 9, 2: 7, 3: 6, 4: 5}, seats=3, present=10)
    assert out.elected == [1, 2, 3] and out.next is None
    out = counting.decide({1: 9, 2: 7, 3: 5, 4: 4}, seats=3, present=10)  # 5 of 10 is not a majority
    assert out.elected == [1, 2] and out.remaining == 1 and out.next == counting.NEXT_ADDITIONAL


def test_tie_at_last_seat_needs_runoff():
    out = counting.decide({1: 9, 2: 8, 3: 8, 4: 2}, seats=2, present=10)
    assert out.elected == [1] and out.tied == [2, 3] and out.tied_seats == 1
    assert out.next == counting.NEXT_RUNOFF
    # A tie that fits in the seats is no tie.
    out = counting.decide({1: 9, 2: 8, 3: 8, 4: 7}, seats=3, present=10)
    assert out.elected == [1, 2, 3] and out.next is None


def test_additional_candidates_keep_the_surplus():
    votes = {1: 5, 2: 4, 3: 4, 4: 3, 5: 1}
    assert counting.additional_candidates(votes, 1, ratio="0.20") == [1, 2, 3]  # 2 needed, tie at 4 → 3
    assert counting.additional_candidates(votes, 2, ratio="0.20") == [1, 2, 3]  # 3 needed
    assert counting.additional_candidates({1: 1}, 2, ratio="0.20") == [1]  # not enough: all
    assert counting.additional_candidates(votes, 1, equal=True) == [1]


votes_st = st.dictionaries(st.integers(1, 30), st.integers(0, 40), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(votes=votes_st, seats=st.integers(1, 8), present=st.integers(1, 40))
def test_decide_properties(votes, seats, present):
    out = counting.decide(votes, seats, present)
    elected = set(out.elected)
    # never more than the seats, with the run-off seats
    assert len(out.elected) + out.tied_seats + out.remaining == seats or (
        not out.tied and len(out.elected) + out.remaining == seats
    )
    assert len(out.elected) <= seats
    # everyone elected has a majority; every tied one too
    assert all(counting.has_majority(votes[c], present) for c in out.elected + out.tied)
    # nobody left out with a majority has more votes than someone elected
    for c, v in votes.items():
        if c not in elected and counting.has_majority(v, present):
            assert all(votes[e] >= v for e in elected)
    # a run-off only when taking every tied one would exceed the seats
    if out.tied:
        assert len(out.tied) > out.tied_seats >= 1
        assert len({votes[c] for c in out.tied}) == 1
        assert not set(out.tied) & elected
        assert out.remaining == 0
    # the order of the input does not matter
    again = counting.decide(dict(reversed(list(votes.items()))), seats, present)
    assert (again.elected, again.tied, again.remaining) == (out.elected, out.tied, out.remaining)


@settings(max_examples=200, deadline=None)
@given(present=st.integers(0, 500), entitled=st.integers(0, 500))
def test_quorum_property(present, entitled):
    assert counting.quorum_met(present, entitled) == (entitled > 0 and Decimal(present) / entitled > Decimal("0.8"))


@settings(max_examples=200, deadline=None)
@given(seats=st.integers(1, 50), pct=st.integers(0, 100))
def test_min_candidates_property(seats, pct):
    ratio = Decimal(pct) / 100
    n = counting.min_candidates(seats, ratio)
    assert n >= seats * (1 + ratio) > n - 1
