import datetime

from cloudbranch.cockpit import periods
from cloudbranch.core.metrics import DAY, MONTH, QUARTER, YEAR, Period

D = datetime.date


def test_period_starts_and_ends():
    assert periods.period_start(QUARTER, D(2026, 5, 15)) == D(2026, 4, 1)
    assert periods.period_end(QUARTER, D(2026, 10, 1)) == D(2026, 12, 31)
    assert periods.period_end(MONTH, D(2024, 2, 1)) == D(2024, 2, 29)
    assert periods.period_end(YEAR, D(2025, 1, 1)) == D(2025, 12, 31)
    assert periods.next_start(MONTH, D(2025, 12, 1)) == D(2026, 1, 1)


def test_current_period_is_cut_at_today():
    today = D(2026, 5, 15)
    assert periods.period(MONTH, today, today=today) == Period(MONTH, D(2026, 5, 1), today)
    assert periods.period(MONTH, D(2026, 4, 3), today=today) == Period(MONTH, D(2026, 4, 1), D(2026, 4, 30))
    assert periods.current_periods(today) == [
        Period(DAY, today, today),
        Period(MONTH, D(2026, 5, 1), today),
        Period(QUARTER, D(2026, 4, 1), today),
        Period(YEAR, D(2026, 1, 1), today),
    ]


def test_stored_periods_cover_previous_and_current_year_up_to_today():
    today = D(2026, 5, 15)
    stored = periods.stored_periods(today)
    kinds = [p.kind for p in stored]
    assert kinds.count(DAY) == 1
    assert kinds.count(MONTH) == 12 + 5
    assert kinds.count(QUARTER) == 4 + 2
    assert kinds.count(YEAR) == 2
    months = [p for p in stored if p.kind == MONTH]
    assert months[0] == Period(MONTH, D(2025, 1, 1), D(2025, 1, 31))
    assert months[-1] == Period(MONTH, D(2026, 5, 1), today)
    assert [p for p in stored if p.kind == YEAR] == [
        Period(YEAR, D(2025, 1, 1), D(2025, 12, 31)),
        Period(YEAR, D(2026, 1, 1), today),
    ]


def test_last_day_of_a_year_is_not_cut():
    today = D(2025, 12, 31)
    assert periods.period(YEAR, today, today=today).end == today
    assert len([p for p in periods.stored_periods(today) if p.kind == MONTH]) == 24


def test_starts_between():
    assert periods.starts_between(QUARTER, D(2025, 2, 10), D(2025, 7, 1)) == [
        D(2025, 1, 1),
        D(2025, 4, 1),
        D(2025, 7, 1),
    ]
