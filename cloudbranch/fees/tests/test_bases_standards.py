import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudbranch.fees import standards
from cloudbranch.fees.models import DuesBracket
from cloudbranch.fees.standards import monthly_dues

ON = datetime.date(2025, 3, 1)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_standards():
    standards.clear_cache()
    yield
    standards.clear_cache()


@pytest.mark.parametrize(
    ("kind", "amount", "expected"),
    [
        ("salary", "0", "0.00"),
        ("salary", "3000.00", "15.00"),  # 0.5 %, upper bound included
        ("salary", "3000.01", "30.00"),  # 1 % of 3000.01 = 30.0001
        ("salary", "5000.00", "50.00"),
        ("salary", "5000.01", "75.00"),
        ("salary", "10000.00", "150.00"),
        ("salary", "10000.01", "200.00"),
        ("salary", "4321.17", "43.21"),
        ("salary", "2999.99", "15.00"),  # 14.99995 → half up
        ("salary", "4321.50", "43.22"),  # 43.215 → 43.22 (half up)
        ("pension", "5000.00", "25.00"),
        ("pension", "5000.01", "50.00"),
        ("student", "0", "0.20"),
        ("student", "9000", "0.20"),
        ("no_income", "0", "0.20"),
    ],
)
def test_brackets_at_the_boundaries(kind, amount, expected):
    result = monthly_dues(kind, Decimal(amount), on=ON)
    assert result == Decimal(expected)
    assert str(result) == expected


def test_floats_and_negatives_are_refused():
    with pytest.raises(TypeError):
        monthly_dues("salary", 3000.0, on=ON)
    with pytest.raises(ValueError):
        monthly_dues("salary", Decimal("-1"), on=ON)


def test_rule_set_in_force_on_the_date():
    DuesBracket.objects.create(
        rule_set="2030",
        valid_from=datetime.date(2030, 1, 1),
        base_kind="student",
        fixed_amount=Decimal("0.50"),
        source="test",
    )
    standards.clear_cache()
    assert monthly_dues("student", 0, on=datetime.date(2029, 12, 1)) == Decimal("0.20")
    assert monthly_dues("student", 0, on=datetime.date(2030, 1, 1)) == Decimal("0.50")
    with pytest.raises(standards.NoStandard):
        monthly_dues("salary", Decimal("100"), on=datetime.date(2030, 1, 1))
    with pytest.raises(standards.NoStandard):
        monthly_dues("salary", Decimal("100"), on=datetime.date(2000, 1, 1))


money = st.decimals(min_value=Decimal("0"), max_value=Decimal("100000"), places=2, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(["salary", "pension", "student", "no_income"]), a=money, b=money)
def test_monotonic_two_places_never_float(kind, a, b):
    low, high = sorted([a, b])
    d_low, d_high = monthly_dues(kind, low, on=ON), monthly_dues(kind, high, on=ON)
    assert d_low <= d_high
    for d in (d_low, d_high):
        assert isinstance(d, Decimal)
        assert d.as_tuple().exponent == -2


@settings(max_examples=200, deadline=None)
@given(a=money)
def test_salary_rate_matches_the_band(a):
    rate = (
        Decimal("0.005")
        if a <= 3000
        else Decimal("0.01")
        if a <= 5000
        else Decimal("0.015")
        if a <= 10000
        else Decimal("0.02")
    )
    expected = (a * rate).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    assert monthly_dues("salary", a, on=ON) == expected
