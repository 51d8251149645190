"""Dues standards as data: which bracket applies to a base, and the monthly dues it gives.

The rule set in force on a date is the one with the latest ``valid_from`` on or before it
(rule set "2008": 中组发〔2008〕3号, loaded by migration 0002). A band covers (lower, upper]:
the lower bound is exclusive, the upper inclusive — a salary of exactly 3000.00 pays 0.5 %,
3000.01 pays 1 %. Flat kinds (student, no income) pay their fixed amount whatever the base.
The result is rounded once, half up to the fen (``fees.money.to_fen``, ADR 0005).

The brackets are read once per process and kept for ``CACHE_SECONDS`` (they change by a data
migration or an administrator, rarely); ``clear_cache()`` forgets them (tests, after an edit).
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass
from decimal import Decimal

from .choices import BaseKind
from .money import to_fen

CACHE_SECONDS = 60
FLAT_KINDS = frozenset({BaseKind.STUDENT, BaseKind.NO_INCOME})


class NoStandard(LookupError):
    """No rule set is in force on the date, or it has no band for the base."""


@dataclass(frozen=True)
class Band:
    rule_set: str
    valid_from: datetime.date
    base_kind: str
    lower: Decimal | None
    upper: Decimal | None
    rate: Decimal | None
    fixed_amount: Decimal | None
    source: str

    def covers(self, amount: Decimal) -> bool:
        return (self.lower is None or amount > self.lower) and (self.upper is None or amount <= self.upper)

    def dues(self, amount: Decimal) -> Decimal:
        if self.fixed_amount is not None:
            return to_fen(self.fixed_amount)
        return to_fen(self.rate * amount)


_cache: dict = {"at": 0.0, "bands": None}


def clear_cache() -> None:
    _cache["at"], _cache["bands"] = 0.0, None


def _all_bands() -> list[Band]:
    now = time.monotonic()
    if _cache["bands"] is None or now - _cache["at"] > CACHE_SECONDS:
        from .models import DuesBracket

        fields = ("rule_set", "valid_from", "base_kind", "lower", "upper", "rate", "fixed_amount", "source")
        _cache["bands"] = [Band(*row) for row in DuesBracket.objects.order_by("valid_from", "id").values_list(*fields)]
        _cache["at"] = now
    return _cache["bands"]


def bands_on(on: datetime.date) -> list[Band]:
    """The bands of the rule set in force on ``on`` (latest ``valid_from`` ≤ ``on``)."""
    if isinstance(on, datetime.datetime):
        on = on.date()
    bands = [b for b in _all_bands() if b.valid_from <= on]
    if not bands:
        raise NoStandard(f"{on} 没有生效的党费标准")
    latest = max(b.valid_from for b in bands)
    rule_set = next(b.rule_set for b in reversed(bands) if b.valid_from == latest)
    return [b for b in bands if b.valid_from == latest and b.rule_set == rule_set]


def band_for(base_kind: str, amount, *, on: datetime.date) -> Band:
    amount = _amount(amount)
    for band in bands_on(on):
        if band.base_kind == base_kind and (band.fixed_amount is not None or band.covers(amount)):
            return band
    raise NoStandard(
        f"党费标准中没有适用于“{BaseKind(base_kind).label if base_kind in BaseKind.values else base_kind}”{amount} 元的档次"
    )


def monthly_dues(base_kind: str, amount, *, on: datetime.date) -> Decimal:
    """The monthly dues for a base of ``amount`` yuan of ``base_kind`` under the standard in force on ``on``."""
    amount = _amount(amount)
    return band_for(base_kind, amount, on=on).dues(amount)


def _amount(amount) -> Decimal:
    if isinstance(amount, float):
        raise TypeError("money must not be a float")
    value = Decimal(amount)
    if not value.is_finite() or value < 0:
        raise ValueError("缴费基数必须是不小于 0 的金额")
    return value
