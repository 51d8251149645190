"""The metric catalogue: every area declares the figures it contributes to the cockpit.

An app declares its metrics in its own ``metrics.py`` (``register(Metric(...))``); the cockpit
app discovers those modules, computes every metric for every unit and period, stores the values
(``cockpit.OrgMetric``) and rolls them up the tree. An area added later plugs in by adding a
``metrics.py``: nothing in the cockpit changes.

A metric's ``compute`` returns the unit's OWN figure (people, meetings, payments attached to
that unit itself, not to its subtree) for the units asked; the engine sums own figures up the
tree, so a roll-up always equals the sum of its children plus the unit's own. Ratios are never
summed: a ratio metric names a numerator and a denominator metric and is divided at read time.

``sources`` names the models whose changes make a unit's figures stale: ``{"people.Person":
"unit_id"}`` means "when a Person is saved or deleted, the unit in its ``unit_id`` is dirty";
the cockpit listens to those models and recomputes only dirty units between nightly full runs.
The path is either an attribute of the saved instance (``"unit_id"``) or a dotted walk along
foreign keys (``"person.unit_id"``; ``"person__unit_id"`` is accepted as a synonym). A person who
moves from one unit to another marks BOTH units for a one-attribute path (the old value is kept
when the instance is loaded, no extra query); for a dotted path only the current unit is marked.
Bulk operations (``QuerySet.update``, ``bulk_create``, raw SQL) send no signals: the nightly
full recompute (``manage.py metrics_recompute --full``) covers them.

Optional batched protocol (for speed; ``compute`` stays mandatory and is the reference):

* ``compute_months(units, start, end) -> {(unit_id, month_start): Decimal}`` — FLOWS: the own
  figure of every month between ``start`` (the first day of the first month) and ``end`` (the
  last day included, today for the current month) in one grouped query. The engine derives
  quarters and years by summing the months.
* ``compute_dates(units, dates) -> {(unit_id, date): Decimal}`` — STOCKS: the own figure as of
  each of the given days (month ends and today) in one pass.

Missing keys mean zero. ``units`` is a list of unit ids or None (all units) as for ``compute``.
A non-additive metric (``additive=False``, e.g. ``assessment.score``) may have no ``compute``:
its rows are written by its owner with ``own = total``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal

# Period kinds of stored figures.
DAY, MONTH, QUARTER, YEAR = "D", "M", "Q", "Y"
PERIOD_KINDS = (DAY, MONTH, QUARTER, YEAR)

# A metric is either a stock (a count on a day: members by status) or a flow (a sum over a
# period: meetings held in a month). Stocks are stored per day (today) and at the end of each
# month/quarter/year; flows for each month/quarter/year.
STOCK, FLOW = "stock", "flow"


@dataclass(frozen=True)
class Period:
    kind: str
    start: datetime.date
    end: datetime.date  # inclusive

    @property
    def as_of(self) -> datetime.date:
        return self.end


# compute(units: list of unit ids or None for all units, period: Period) -> {unit_id: Decimal}
Compute = Callable[[Iterable[int] | None, Period], dict[int, Decimal]]
# Optional batched forms (see the module docstring).
ComputeMonths = Callable[[Iterable[int] | None, datetime.date, datetime.date], dict[tuple[int, datetime.date], Decimal]]
ComputeDates = Callable[[Iterable[int] | None, list[datetime.date]], dict[tuple[int, datetime.date], Decimal]]


@dataclass(frozen=True)
class Metric:
    key: str  # "<area>.<name>", e.g. "structure.full_members"
    label: str  # Chinese label shown in the cockpit
    area: str  # one of AREAS
    kind: str  # STOCK or FLOW
    compute: Compute | None = None  # None for ratio metrics
    unit: str = ""  # "人", "次", "元", "小时", "%"
    numerator: str = ""  # ratio metrics: keys of two summed metrics
    denominator: str = ""
    scale: int = 100  # ratios: 100 for a percentage, 1 for an average
    additive: bool = True  # False: the total is not the sum of the children (e.g. a score)
    sources: dict[str, str] = field(default_factory=dict)
    description: str = ""
    compute_months: ComputeMonths | None = None  # optional, flows
    compute_dates: ComputeDates | None = None  # optional, stocks
    # Stocks only: False when the figure cannot (or need not) be rebuilt as of past dates — a
    # breakdown by today's gender, category or education. The full run then computes it for the
    # current periods only and keeps what earlier runs recorded for past periods (its history is a
    # series of nightly snapshots). It also keeps the nightly run short at the scale of a province.
    history: bool = True

    @property
    def is_ratio(self) -> bool:
        return bool(self.numerator)


AREAS = {
    "structure": "组织与队伍",
    "development": "发展党员",
    "life": "组织生活",
    "learning": "学习教育",
    "dues": "党费",
    "service": "志愿服务",
    "tasks": "任务落实",
    "communication": "宣传与留言",
    "assessment": "量化考核",
}

_catalogue: dict[str, Metric] = {}


def register(metric: Metric) -> Metric:
    if metric.area not in AREAS:
        raise ValueError(f"unknown metric area {metric.area!r}")
    if metric.is_ratio and metric.compute is not None:
        raise ValueError(f"{metric.key}: a metric has either compute or numerator/denominator")
    if not metric.is_ratio and metric.compute is None and metric.additive:
        raise ValueError(f"{metric.key}: an additive metric needs compute (or numerator/denominator)")
    _catalogue[metric.key] = metric
    return metric


def unregister(key: str) -> None:
    """Remove a metric (tests register their own metrics and remove them afterwards)."""
    _catalogue.pop(key, None)


def catalogue() -> dict[str, Metric]:
    return dict(_catalogue)


def get(key: str) -> Metric:
    return _catalogue[key]


def ratio(numerator: Decimal | None, denominator: Decimal | None, scale: int = 100) -> Decimal | None:
    """numerator / denominator × scale (a percentage by default) with one decimal; None when the
    denominator is zero or missing."""
    if not denominator:
        return None
    return (Decimal(numerator or 0) * scale / Decimal(denominator)).quantize(Decimal("0.1"))


# -- one recompute run ----------------------------------------------------------------------------

_run_memo: ContextVar[dict | None] = ContextVar("metric_run_memo", default=None)


@contextmanager
def run_scope():
    """The engine runs each recompute inside this: ``memo`` then computes what several metrics
    share (attendance expected and present, compliance required and met) once per run."""
    token = _run_memo.set({})
    try:
        yield
    finally:
        _run_memo.reset(token)


def memo(key: tuple, compute: Callable[[], object]):
    """``compute()`` once per ``key`` within a run (``run_scope``); outside a run, every time. The
    key must name everything the result depends on (units, dates); callers must not mutate it."""
    store = _run_memo.get()
    if store is None:
        return compute()
    if key not in store:
        store[key] = compute()
    return store[key]
