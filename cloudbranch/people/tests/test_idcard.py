import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudbranch.people import idcard

TODAY = datetime.date(2025, 6, 1)


def test_valid_number_parses():
    parsed = idcard.parse("11010519491231002X", today=TODAY)
    assert parsed.value == "11010519491231002X"
    assert parsed.birth_date == datetime.date(1949, 12, 31)
    assert parsed.gender == "female"


def test_lowercase_x_and_spaces_are_normalized():
    parsed = idcard.parse(" 11010519491231002x ", today=TODAY)
    assert parsed.value == "11010519491231002X"


def test_full_width_digits_are_normalized():
    assert idcard.parse("１１０１０５１９４９１２３１００２Ｘ", today=TODAY).value == "11010519491231002X"


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("110105194912310021", "校验位"),  # check digit should be X
        ("11010519491231002", "18 位"),
        ("1101051949123100211", "18 位"),
        ("11010519491331002X", "出生日期"),  # month 13
        ("110105194902300020", "出生日期"),  # 30 February
        ("990105194912310020", "地区码"),
        ("A1010519491231002X", "前 17 位"),
        ("110105189912310020", "不合理"),  # before 1900
    ],
)
def test_invalid_numbers_say_why(raw, fragment):
    with pytest.raises(idcard.IdNumberError) as exc:
        idcard.parse(raw, today=TODAY)
    assert fragment in str(exc.value)


def test_future_birth_date_refused():
    number = idcard.make("110101", datetime.date(2030, 1, 1), 1, "male")
    with pytest.raises(idcard.IdNumberError):
        idcard.parse(number, today=TODAY)


births = st.dates(min_value=datetime.date(1900, 1, 1), max_value=TODAY)
regions = st.sampled_from(["110101", "310104", "440305", "510107", "650102"])


@given(region=regions, birth=births, seq=st.integers(0, 99), gender=st.sampled_from(["male", "female"]))
def test_make_parses_back(region, birth, seq, gender):
    parsed = idcard.parse(idcard.make(region, birth, seq, gender), today=TODAY)
    assert parsed.birth_date == birth
    assert parsed.gender == gender


@given(
    region=regions,
    birth=births,
    seq=st.integers(0, 99),
    gender=st.sampled_from(["male", "female"]),
    position=st.integers(0, 16),
    delta=st.integers(1, 9),
)
def test_any_single_digit_change_breaks_the_check(region, birth, seq, gender, position, delta):
    number = idcard.make(region, birth, seq, gender)
    digits = list(number)
    digits[position] = str((int(digits[position]) + delta) % 10)
    changed = "".join(digits)
    # MOD 11-2 detects every single-digit substitution: the check character no longer matches.
    assert idcard.check_char(changed[:17]) != changed[17]
    with pytest.raises(idcard.IdNumberError):
        idcard.parse(changed, today=TODAY)
