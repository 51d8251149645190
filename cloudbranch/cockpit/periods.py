"""The calendar periods of stored figures (SPEC §9): today (D), every month (M), quarter (Q) and year (Y)
of the current and the previous calendar year, in the local time zone.

A period is a ``core.metrics.Period(kind, start, end)`` with an inclusive end. The CURRENT period
of each kind is cut at ``today`` (``end = today``): a stock of the current month is counted as of
today, a flow of the current month sums what happened up to today.
"""

from __future__ import annotations

import datetime

from cloudbranch.core.metrics import DAY, MONTH, QUARTER, YEAR, Period


def month_start(d: datetime.date) -> datetime.date:
    return d.replace(day=1)


def quarter_start(d: datetime.date) -> datetime.date:
    return datetime.date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def year_start(d: datetime.date) -> datetime.date:
    return datetime.date(d.year, 1, 1)


def period_start(kind: str, d: datetime.date) -> datetime.date:
    """The first day of the period of ``kind`` that contains ``d``."""
    if kind == DAY:
        return d
    if kind == MONTH:
        return month_start(d)
    if kind == QUARTER:
        return quarter_start(d)
    if kind == YEAR:
        return year_start(d)
    raise ValueError(f"unknown period kind {kind!r}")


def _add_months(d: datetime.date, months: int) -> datetime.date:
    m = d.month - 1 + months
    return datetime.date(d.year + m // 12, m % 12 + 1, 1)


def next_start(kind: str, start: datetime.date) -> datetime.date:
    """The first day of the period after the one starting at ``start``."""
    if kind == DAY:
        return start + datetime.timedelta(days=1)
    if kind == MONTH:
        return _add_months(start, 1)
    if kind == QUARTER:
        return _add_months(start, 3)
    if kind == YEAR:
        return datetime.date(start.year + 1, 1, 1)
    raise ValueError(f"unknown period kind {kind!r}")


def period_end(kind: str, start: datetime.date) -> datetime.date:
    """The last day (inclusive) of the full calendar period starting at ``start``."""
    return next_start(kind, start) - datetime.timedelta(days=1)


def period(kind: str, d: datetime.date, *, today: datetime.date | None = None) -> Period:
    """The period of ``kind`` containing ``d``; cut at ``today`` when it is the current one."""
    start = period_start(kind, d)
    end = period_end(kind, start)
    if today is not None and start <= today < end:
        end = today
    return Period(kind, start, end)


def starts_between(kind: str, first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The starts of every period of ``kind`` that overlaps [first, last], in order."""
    out = []
    s = period_start(kind, first)
    while s <= last:
        out.append(s)
        s = next_start(kind, s)
    return out


def current_periods(today: datetime.date) -> list[Period]:
    """D, M, Q, Y containing ``today`` (cut at today): what the incremental recompute refreshes."""
    return [period(kind, today, today=today) for kind in (DAY, MONTH, QUARTER, YEAR)]


def stored_periods(today: datetime.date) -> list[Period]:
    """Every period the full recompute stores for the run date ``today``: D = today; each month,
    quarter and year of the previous and the current calendar year up to the current one."""
    first = datetime.date(today.year - 1, 1, 1)
    out = [Period(DAY, today, today)]
    for kind in (MONTH, QUARTER, YEAR):
        out.extend(period(kind, s, today=today) for s in starts_between(kind, first, today))
    return out


def first_stored_start(today: datetime.date) -> datetime.date:
    """The first day of the stored range (1 January of the previous year)."""
    return datetime.date(today.year - 1, 1, 1)
