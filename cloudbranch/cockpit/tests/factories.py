"""Shared test helpers of the cockpit (APPEND only).

``only_metrics(*metrics)`` replaces the metric catalogue by test metrics for the duration of a
block (and connects their dirty-marking sources); the metric builders count ``Person`` rows so
that figures can be computed by hand on the ``world`` tree."""

from __future__ import annotations

import contextlib
import datetime
from decimal import Decimal

from django.db.models import Count
from django.db.models.functions import TruncMonth

from cloudbranch.core import metrics as catalogue_mod
from cloudbranch.core.metrics import FLOW, STOCK, Metric
from cloudbranch.people.models import Person


@contextlib.contextmanager
def only_metrics(*metrics: Metric):
    """The catalogue holds exactly ``metrics`` inside the block."""
    from cloudbranch.cockpit import dirty

    saved = catalogue_mod._catalogue.copy()
    catalogue_mod._catalogue.clear()
    try:
        for m in metrics:
            catalogue_mod.register(m)
        dirty.connect()
        yield
    finally:
        catalogue_mod._catalogue.clear()
        catalogue_mod._catalogue.update(saved)


def _people(units):
    qs = Person.objects.all()
    return qs if units is None else qs.filter(unit_id__in=list(units))


def people_stock(key: str = "test.people", **kw) -> Metric:
    """Stock: people on the roster who joined on or before the period end, per unit."""

    def compute(units, period):
        rows = _people(units).filter(joined_on__lte=period.as_of).values("unit_id").annotate(n=Count("id"))
        return {r["unit_id"]: Decimal(r["n"]) for r in rows}

    return Metric(key=key, label="测试人数", area="structure", kind=STOCK, compute=compute, unit="人",
                  sources={"people.Person": "unit_id"}, **kw)  # fmt: skip


def joined_flow(key: str = "test.joined", *, batched: bool = False, **kw) -> Metric:
    """Flow: people whose ``joined_on`` falls in the period, per unit (``batched``: also the
    ``compute_months`` protocol)."""

    def compute(units, period):
        rows = (
            _people(units)
            .filter(joined_on__gte=period.start, joined_on__lte=period.end)
            .values("unit_id")
            .annotate(n=Count("id"))
        )
        return {r["unit_id"]: Decimal(r["n"]) for r in rows}

    def compute_months(units, start, end):
        rows = (
            _people(units)
            .filter(joined_on__gte=start, joined_on__lte=end)
            .annotate(m=TruncMonth("joined_on"))
            .values("unit_id", "m")
            .annotate(n=Count("id"))
        )
        return {(r["unit_id"], r["m"]): Decimal(r["n"]) for r in rows}

    return Metric(key=key, label="测试入党", area="development", kind=FLOW, compute=compute, unit="人",
                  compute_months=compute_months if batched else None, sources={"people.Person": "unit_id"}, **kw)  # fmt: skip


def constant_stock(values: dict[int, int | Decimal], key: str = "test.const", **kw) -> Metric:
    """Stock with fixed own figures {unit_id: value} (no database)."""

    def compute(units, period):
        wanted = None if units is None else set(units)
        return {u: Decimal(v) for u, v in values.items() if wanted is None or u in wanted}

    return Metric(key=key, label="测试常量", area="structure", kind=STOCK, compute=compute, **kw)


def ratio_metric(key: str, numerator: str, denominator: str, scale: int = 100) -> Metric:
    return Metric(key=key, label="测试比率", area="structure", kind=STOCK, numerator=numerator,
                  denominator=denominator, scale=scale, unit="%")  # fmt: skip


def day(y: int, m: int, d: int) -> datetime.date:
    return datetime.date(y, m, d)


# --- dashboard area (appended) -------------------------------------------------------------------


def put_figures(unit, values: dict, kind: str, start: datetime.date, *, own: bool = False):
    """Store OrgMetric rows {key: total} of ``unit`` for one period (``own`` = total when ``own``)."""
    from cloudbranch.cockpit.models import OrgMetric

    rows = [
        OrgMetric(
            unit_id=unit if isinstance(unit, int) else unit.pk,
            key=key,
            period_kind=kind,
            period_start=start,
            total=Decimal(str(value)),
            own=Decimal(str(value)) if own else Decimal(0),
        )
        for key, value in values.items()
    ]
    return OrgMetric.objects.bulk_create(rows)


def finished_run(**kw):
    """A finished full recompute (what ``last_run()`` returns)."""
    from django.utils import timezone

    from cloudbranch.cockpit.models import MetricRun

    now = timezone.now()
    return MetricRun.objects.create(kind="full", started_at=now, finished_at=now, **kw)
