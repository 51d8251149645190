"""Query builders for metric definitions (each domain app's ``metrics.py``).

Every builder returns the keyword arguments of ``core.metrics.Metric`` that compute the figure —
``compute`` plus the batched form of the engine (``compute_months`` for flows, ``compute_dates``
for stocks) — each ONE grouped query over the app's own table (``GROUP BY unit`` and, for
``compute_months``, the local calendar month), filtered by the period and, when given, by the
list of unit ids. Nothing here knows any app: the caller passes a queryset factory and field paths.

* ``flow(queryset, unit=, day=, value=, aware=)``: the rows whose ``day`` (a DateField, or a
  DateTimeField read in local time when ``aware``) falls in the period, aggregated by ``value``
  (default ``Count("pk")``) per unit.
* ``stock(queryset, unit=, condition=)``: the rows matching ``condition(as_of, today)`` (a ``Q``)
  counted per unit; ``compute_dates`` puts one filtered COUNT column per date in the same query.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.db.models import Count, DateField, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from .metrics import Period

ZERO = Decimal(0)


def _dec(value) -> Decimal:
    if value is None:
        return ZERO
    if isinstance(value, Decimal):
        return value
    if isinstance(value, datetime.timedelta):
        return Decimal(value.total_seconds())
    return Decimal(str(value))


dec = _dec


def local_midnight(day: datetime.date) -> datetime.datetime:
    """The aware start of ``day`` in the current (local) time zone."""
    return timezone.make_aware(datetime.datetime(day.year, day.month, day.day), timezone.get_current_timezone())


def in_days(field: str, first: datetime.date, last: datetime.date, *, aware: bool) -> Q:
    """``field`` within [first, last] (both inclusive days); local-time bounds for a DateTimeField."""
    if aware:
        return Q(
            **{f"{field}__gte": local_midnight(first), f"{field}__lt": local_midnight(last + datetime.timedelta(1))}
        )
    return Q(**{f"{field}__gte": first, f"{field}__lte": last})


def on_or_before(field: str, day: datetime.date, *, aware: bool) -> Q:
    if aware:
        return Q(**{f"{field}__lt": local_midnight(day + datetime.timedelta(1))})
    return Q(**{f"{field}__lte": day})


def after(field: str, day: datetime.date, *, aware: bool) -> Q:
    if aware:
        return Q(**{f"{field}__gte": local_midnight(day + datetime.timedelta(1))})
    return Q(**{f"{field}__gt": day})


def for_units(qs: QuerySet, unit: str, units: Iterable[int] | None) -> QuerySet:
    if units is None:
        return qs
    return qs.filter(**{f"{unit}__in": list(units)})


def month_of(field: str, *, aware: bool):
    """The first day of the (local) month of ``field``, as a date."""
    if aware:
        return TruncMonth(field, output_field=DateField(), tzinfo=timezone.get_current_timezone())
    return TruncMonth(field, output_field=DateField())


def _as_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value.replace(day=1)


def flow(
    queryset: Callable[[], QuerySet],
    *,
    unit: str,
    day: str,
    value: Callable[[], object] | None = None,
    aware: bool = False,
    factor: int = 1,
) -> dict:
    """``compute`` and ``compute_months`` of a flow: ``value`` (an aggregate, default the row count)
    of the rows of ``queryset()`` whose ``day`` falls in the period, per ``unit``. ``factor``: a
    multiplier applied in Python, the result rounded to an integer (yuan → fen: 100)."""
    value = value or (lambda: Count("pk"))

    def dec(v) -> Decimal:
        d = _dec(v)
        return d if factor == 1 else (d * factor).quantize(Decimal(1))

    def compute(units, period: Period) -> dict[int, Decimal]:
        qs = for_units(queryset().filter(in_days(day, period.start, period.end, aware=aware)), unit, units)
        rows = qs.order_by().values(unit).annotate(v=value()).values_list(unit, "v")
        return {u: dec(v) for u, v in rows if u is not None and v}

    def compute_months(units, start: datetime.date, end: datetime.date) -> dict[tuple[int, datetime.date], Decimal]:
        qs = for_units(queryset().filter(in_days(day, start, end, aware=aware)), unit, units)
        rows = (
            qs.order_by()
            .annotate(m=month_of(day, aware=aware))
            .values(unit, "m")
            .annotate(v=value())
            .values_list(unit, "m", "v")
        )
        out: dict[tuple[int, datetime.date], Decimal] = {}
        for u, m, v in rows:
            if u is None or m is None or not v:
                continue
            key = (u, _as_date(m))
            out[key] = out.get(key, ZERO) + dec(v)
        return out

    return {"compute": compute, "compute_months": compute_months}


def stock(
    queryset: Callable[[], QuerySet],
    *,
    unit: str,
    condition: Callable[[datetime.date, datetime.date], Q],
) -> dict:
    """``compute`` and ``compute_dates`` of a stock: the rows of ``queryset()`` matching
    ``condition(as_of, today)`` counted per ``unit`` as of the period's end (or each date)."""

    def compute(units, period: Period) -> dict[int, Decimal]:
        today = timezone.localdate()
        qs = for_units(queryset().filter(condition(period.end, today)), unit, units)
        rows = qs.order_by().values(unit).annotate(v=Count("pk")).values_list(unit, "v")
        return {u: Decimal(v) for u, v in rows if u is not None and v}

    def compute_dates(units, dates: list[datetime.date]) -> dict[tuple[int, datetime.date], Decimal]:
        today = timezone.localdate()
        dates = sorted(set(dates))
        if not dates:
            return {}
        columns = {f"d{i}": Count("pk", filter=condition(d, today)) for i, d in enumerate(dates)}
        qs = for_units(queryset(), unit, units)
        rows = qs.order_by().values(unit).annotate(**columns).values_list(unit, *columns)
        out: dict[tuple[int, datetime.date], Decimal] = {}
        for u, *counts in rows:
            if u is None:
                continue
            for d, n in zip(dates, counts, strict=True):
                if n:
                    out[(u, d)] = Decimal(n)
        return out

    return {"compute": compute, "compute_dates": compute_dates}
