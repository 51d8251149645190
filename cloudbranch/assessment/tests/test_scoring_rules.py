"""scoring.py: the rules at their exact boundaries, properties (hypothesis), ranking ties."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudbranch.assessment import scoring

BANDS = [{"min": "90", "share": "0.5"}, {"min": "100", "share": "1"}, {"min": "95", "share": "0.8"}]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("-5", "0.00"), ("60", "0.00"), ("60.01", "0.01"), ("80", "12.50"), ("99.99", "24.99"), ("100", "25.00"),
     ("130", "25.00")],
)  # fmt: skip
def test_linear_boundaries(value, expected):
    assert scoring.linear(D(value), target=100, floor=60, max_score=25) == D(expected)


def test_linear_rounds_half_up():
    # 10 × 1/8 = 1.25 exactly; 10 × 0.125/1 → 1.25; 3 × 1/8 = 0.375 → 0.38 (half-up)
    assert scoring.linear(D("1"), target=8, floor=0, max_score=3) == D("0.38")
    assert scoring.linear(D("1"), target=8, floor=0, max_score=D("0.2")) == D("0.03")  # 0.025 → 0.03


@pytest.mark.parametrize(
    ("value", "expected"),
    [("100", "15.00"), ("120", "15.00"), ("99.99", "12.00"), ("95", "12.00"), ("94.9", "7.50"), ("90", "7.50"),
     ("89.99", "0.00"), ("0", "0.00")],
)  # fmt: skip
def test_threshold_edges(value, expected):
    assert scoring.thresholds(D(value), bands=BANDS, max_score=15) == D(expected)


def test_manual_and_no_data():
    assert scoring.auto_score("manual", {}, D(5), D(80)) is None
    assert scoring.auto_score("linear", {"target": "100"}, D(25), None) == D("0.00")
    assert scoring.auto_score("thresholds", {"bands": BANDS}, D(15), None) == D("0.00")
    assert scoring.NO_DATA in scoring.explain("linear", {"target": "100"}, D(25), None)


def test_final_and_total():
    assert scoring.final(D("10"), None) == D("10")
    assert scoring.final(D("10"), D("3")) == D("3")  # manual overrides auto
    assert scoring.final(None, D("0")) == D("0")
    assert scoring.total([D("10.5"), None, D("3.25")]) == D("13.75")


def test_ranking_ties_share_a_rank_and_skip():
    ranked = scoring.competition_ranks(
        [("d", "branch", "/1/4/", D(70)), ("b", "branch", "/1/3/", D(80)), ("c", "branch", "/1/2/", D(80)),
         ("a", "branch", "/1/1/", D(90)), ("x", "general_branch", "/1/9/", D(10))]
    )  # fmt: skip
    assert [(k, r) for k, _g, _p, _t, r in ranked] == [("a", 1), ("c", 2), ("b", 2), ("d", 4), ("x", 1)]


def test_clean_params():
    params, errors = scoring.clean_params("thresholds", {"bands": BANDS})
    assert errors == [] and [b["min"] for b in params["bands"]] == ["100", "95", "90"]
    assert scoring.clean_params("linear", {"target": 50, "floor": 60})[1][0]["field"] == "target"
    assert scoring.clean_params("linear", {})[1][0]["field"] == "target"
    assert scoring.clean_params("linear", {"target": "x"})[1]
    assert scoring.clean_params("thresholds", {"bands": []})[1]
    assert scoring.clean_params("thresholds", {"bands": [{"min": 1, "share": 0}]})[1]
    assert scoring.clean_params("thresholds", {"bands": [{"min": 1, "share": "1.5"}]})[1]
    assert scoring.clean_params("thresholds", {"bands": [{"min": 1, "share": 1}, {"min": 1, "share": 0.5}]})[1]
    # a higher band may not give less
    assert scoring.clean_params("thresholds", {"bands": [{"min": 95, "share": 0.5}, {"min": 90, "share": 1}]})[1]
    assert scoring.clean_params("manual", {"x": 1}) == ({}, [])


def test_explain_in_words():
    text = scoring.explain("linear", {"target": "100", "floor": "0"}, D(25), D("80"), unit="%")
    assert "80%" in text and "20 分" in text
    text = scoring.explain("thresholds", {"bands": BANDS}, D(15), D("96"), unit="%")
    assert "95%" in text and "12 分" in text


decimals = st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False, allow_infinity=False)
positive = st.decimals(min_value=D("0.01"), max_value=1000, places=2)


@given(value=decimals, a=decimals, b=decimals, max_score=positive)
def test_linear_properties(value, a, b, max_score):
    floor, target = min(a, b), max(a, b)
    if floor == target:
        return
    s = scoring.linear(value, target=target, floor=floor, max_score=max_score)
    assert D(0) <= s <= scoring.q(max_score)
    assert s == s.quantize(D("0.01"))
    # monotonic
    assert scoring.linear(value + 1, target=target, floor=floor, max_score=max_score) >= s


@given(
    value=decimals,
    max_score=positive,
    shares=st.lists(st.decimals(min_value=D("0.01"), max_value=1, places=2), min_size=1, max_size=4, unique=True),
)
def test_threshold_properties(value, max_score, shares):
    bands = [{"min": 10 * i, "share": s} for i, s in enumerate(sorted(shares))]
    s = scoring.thresholds(value, bands=bands, max_score=max_score)
    assert s == D("0.00") or any(s == scoring.q(max_score * b["share"]) for b in bands)
    assert scoring.thresholds(value + 10, bands=bands, max_score=max_score) >= s


@given(totals=st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=12))
def test_ranking_properties(totals):
    ranked = scoring.competition_ranks((i, "branch", f"/{i:03d}/", D(t)) for i, t in enumerate(totals))
    for _k, _g, _p, t, r in ranked:
        assert r == 1 + sum(1 for x in totals if x > t)  # competition rank: 1 + how many did better
    # ties in tree order
    paths = [(t, p) for _k, _g, p, t, _r in ranked]
    assert paths == sorted(paths, key=lambda x: (-x[0], x[1]))
