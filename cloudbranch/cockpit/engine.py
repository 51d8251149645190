"""The metrics engine: computes every registered metric for every unit and period, rolls the
figures up the tree and stores them in ``OrgMetric`` (SPEC §9).

* ``recompute_all`` (nightly, ``manage.py metrics_recompute --full``): every metric with a
  ``compute``, every stored period (``periods.stored_periods``), every unit.
* ``recompute_dirty`` (background task, between nightly runs): only the units marked in
  ``DirtyUnit`` (see ``dirty.py``) and their ancestors, for the CURRENT periods only.

Storage: only rows where ``own`` or ``total`` is non-zero are kept (a missing row reads as 0 in
``selectors_metrics``); rows are upserted and the rows of a recomputed (key, period) that the run
did not write again are deleted, so a figure that drops to zero disappears. Non-additive metrics
(``additive=False``) keep ``total = own``; those without ``compute`` (``assessment.score``) are
written by their owner and never touched here. Ratio metrics are never stored.

Roll-up: total(unit) = own(unit) + Σ total(child), computed in Python from the materialized
paths (every unit adds its own figure to itself and each ancestor on its path).
"""

from __future__ import annotations

import datetime
import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from cloudbranch.core import metrics as catalogue_mod
from cloudbranch.core.metrics import DAY, FLOW, MONTH, QUARTER, YEAR, Metric, Period
from cloudbranch.orgs.models import OrgUnit

from . import periods
from .models import DirtyUnit, MetricRun, OrgMetric, RunKind

log = logging.getLogger(__name__)

ZERO = Decimal(0)
BATCH = 2000

# {(period_kind, period_start): {unit_id: Decimal}}
Figures = dict[tuple[str, datetime.date], dict[int, Decimal]]


def computed_metrics() -> list[Metric]:
    """The metrics the engine computes: not ratios, with a compute function."""
    return [m for m in catalogue_mod.catalogue().values() if not m.is_ratio and m.compute is not None]


def _dec(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))


# -- the tree ---------------------------------------------------------------------------------


class Tree:
    """Every unit (active or not) with its ancestors, from the materialized paths. One query."""

    def __init__(self, rows: Iterable[tuple[int, str, int | None]]):
        self.parent: dict[int, int | None] = {}
        self.ancestors: dict[int, tuple[int, ...]] = {}
        for unit_id, path, parent_id in rows:
            ids = tuple(int(p) for p in path.strip("/").split("/") if p)
            self.parent[unit_id] = parent_id
            self.ancestors[unit_id] = ids[:-1] if ids and ids[-1] == unit_id else ids

    @classmethod
    def load(cls) -> Tree:
        return cls(OrgUnit.objects.order_by().values_list("id", "path", "parent_id"))

    def roll_up(self, own: dict[int, Decimal]) -> dict[int, Decimal]:
        """{unit_id: total}: every unit's own figure added to itself and to each ancestor."""
        total: dict[int, Decimal] = defaultdict(Decimal)
        for unit_id, value in own.items():
            if not value or unit_id not in self.ancestors:
                continue
            total[unit_id] += value
            for a in self.ancestors[unit_id]:
                total[a] += value
        return total


# -- computing own figures --------------------------------------------------------------------


def _months(stored: list[Period]) -> list[Period]:
    return [p for p in stored if p.kind == MONTH]


def _flow_figures(metric: Metric, stored: list[Period], units) -> Figures:
    """Own figures of a flow: each month (batched when the metric offers ``compute_months``),
    quarters and years as sums of their months."""
    months = _months(stored)
    out: Figures = {}
    if metric.compute_months is not None and months:
        raw = metric.compute_months(units, months[0].start, months[-1].end)
        for m in months:
            out[(MONTH, m.start)] = {}
        for (unit_id, start), value in raw.items():
            key = (MONTH, periods.month_start(start))
            if key in out and value:
                out[key][unit_id] = out[key].get(unit_id, ZERO) + _dec(value)
    else:
        for m in months:
            out[(MONTH, m.start)] = {u: _dec(v) for u, v in metric.compute(units, m).items() if v}
    for p in stored:
        if p.kind in (QUARTER, YEAR):
            acc: dict[int, Decimal] = defaultdict(Decimal)
            for m in months:
                if p.start <= m.start <= p.end:
                    for u, v in out[(MONTH, m.start)].items():
                        acc[u] += v
            out[(p.kind, p.start)] = dict(acc)
    return out


def _stock_figures(metric: Metric, stored: list[Period], units) -> Figures:
    """Own figures of a stock: as of each period's end. The distinct ends are the month ends (the
    current month's is today), which also end the quarters and years; D is today."""
    dates = sorted({p.end for p in stored})
    by_date: dict[datetime.date, dict[int, Decimal]] = {d: {} for d in dates}
    if metric.compute_dates is not None:
        for (unit_id, d), value in metric.compute_dates(units, dates).items():
            if d in by_date and value:
                by_date[d][unit_id] = _dec(value)
    else:
        month_of_end = {p.end: p for p in stored if p.kind == MONTH}
        for d in dates:
            p = month_of_end.get(d) or Period(DAY, d, d)
            by_date[d] = {u: _dec(v) for u, v in metric.compute(units, p).items() if v}
    return {(p.kind, p.start): by_date[p.end] for p in stored}


def _own_figures(metric: Metric, stored: list[Period], units) -> Figures:
    if metric.kind == FLOW:
        return _flow_figures(metric, [p for p in stored if p.kind != DAY], units)
    return _stock_figures(metric, stored, units)


# -- storing ----------------------------------------------------------------------------------


Row = tuple[int, str, str, datetime.date, Decimal, Decimal, datetime.datetime]  # unit, key, kind, start, own, total, at


def _upsert(objs: list[Row]) -> None:
    """INSERT … ON CONFLICT (unit, key, period) DO UPDATE (SQLite ≥ 3.24 and PostgreSQL), through
    the cursor: the ORM's bulk_create spends ~10× the database's time preparing the values."""
    if not objs:
        return
    ops = connection.ops
    table = OrgMetric._meta.db_table
    sql = (
        f"INSERT INTO {table} (unit_id, key, period_kind, period_start, own, total, computed_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (unit_id, key, period_kind, period_start) DO UPDATE SET "
        "own = excluded.own, total = excluded.total, computed_at = excluded.computed_at"
    )
    dates: dict = {}
    stamps: dict = {}

    def _date(d):
        if d not in dates:
            dates[d] = ops.adapt_datefield_value(d)
        return dates[d]

    def _stamp(t):
        if t not in stamps:
            stamps[t] = ops.adapt_datetimefield_value(t)
        return stamps[t]

    params = [
        (
            unit_id,
            key,
            kind,
            _date(start),
            ops.adapt_decimalfield_value(own, 16, 2),
            ops.adapt_decimalfield_value(total, 16, 2),
            _stamp(at),
        )
        for unit_id, key, kind, start, own, total, at in objs
    ]
    with connection.cursor() as cur:
        for i in range(0, len(params), BATCH):
            cur.executemany(sql, params[i : i + BATCH])


def _store_full(metric: Metric, figures: Figures, tree: Tree, stamp, today: datetime.date) -> int:
    """Upsert the non-zero rows of ``metric`` for every period computed and delete the rows of
    those periods that this run did not write (figures that dropped to zero) and past days' D rows.
    Periods not computed (past periods of a metric without history) keep their rows."""
    objs = []
    for (kind, start), own in figures.items():
        total = tree.roll_up(own) if metric.additive else dict(own)
        for unit_id in set(own) | set(total):
            o, t = own.get(unit_id, ZERO), total.get(unit_id, ZERO)
            if o or t:
                objs.append((unit_id, metric.key, kind, start, o, t, stamp))
    with transaction.atomic():
        _upsert(objs)
        stale = Q(period_kind=DAY)
        for kind, start in figures:
            if kind != DAY:
                stale |= Q(period_kind=kind, period_start=start)
        OrgMetric.objects.filter(key=metric.key, computed_at__lt=stamp).filter(stale).delete()
    return len(objs)


# -- runs -------------------------------------------------------------------------------------


def _finish(run: MetricRun, started: float, *, units: int, rows: int, error: str = "") -> MetricRun:
    run.finished_at = timezone.now()
    run.seconds = Decimal(str(round(time.monotonic() - started, 2)))
    run.units, run.rows, run.error = units, rows, error
    run.save(update_fields=["finished_at", "seconds", "units", "rows", "error"])
    return run


def recompute_all(*, today: datetime.date | None = None) -> MetricRun:
    """Recompute every metric for every unit and stored period (the nightly run). One transaction
    per metric, so a failing metric leaves the others' figures in place; the run records the
    first error and goes on."""
    today = today or timezone.localdate()
    run = MetricRun.objects.create(kind=RunKind.FULL)
    started = time.monotonic()
    tree = Tree.load()
    stored = periods.stored_periods(today)
    current = periods.current_periods(today)
    with catalogue_mod.run_scope():
        return _recompute_all(run, started, tree, stored, current, today)


def _recompute_all(run, started, tree, stored, current, today) -> MetricRun:
    rows, errors = 0, []
    for metric in computed_metrics():
        try:
            t0 = time.monotonic()
            figures = _own_figures(metric, stored if metric.history else current, None)
            stamp = timezone.now()
            rows += _store_full(metric, figures, tree, stamp, today)
            log.info("metric %s recomputed in %.2fs", metric.key, time.monotonic() - t0)
        except Exception as exc:  # one broken metric must not stop the nightly run
            log.exception("metric %s failed", metric.key)
            errors.append(f"{metric.key}: {exc!r}")
    return _finish(run, started, units=len(tree.parent), rows=rows, error="\n".join(errors))


def recompute_dirty(*, today: datetime.date | None = None) -> MetricRun:
    """Recompute the OWN figures of the dirty units for the current periods (D, M, Q, Y containing
    today) and the totals of those units and all their ancestors; nothing else is touched.

    The dirty marks are read and deleted in the same transaction as the new figures are written: on
    failure everything rolls back and the marks stay for the next run."""
    today = today or timezone.localdate()
    run = MetricRun.objects.create(kind=RunKind.INCREMENTAL)
    started = time.monotonic()
    try:
        with transaction.atomic(), catalogue_mod.run_scope():
            units, rows = _recompute_dirty(today)
    except Exception as exc:
        log.exception("incremental metric recompute failed")
        return _finish(run, started, units=0, rows=0, error=repr(exc))
    return _finish(run, started, units=units, rows=rows)


def _recompute_dirty(today: datetime.date) -> tuple[int, int]:
    marked = list(DirtyUnit.objects.values_list("unit_id", flat=True))
    if not marked:
        return 0, 0
    DirtyUnit.objects.filter(unit_id__in=marked).delete()
    units = {
        u: (path, parent)
        for u, path, parent in OrgUnit.objects.filter(pk__in=marked).values_list("id", "path", "parent_id")
    }
    dirty = sorted(units)
    if not dirty:
        return 0, 0
    # The dirty units and all their ancestors, deepest first.
    depth: dict[int, int] = {}
    for path, _parent in units.values():
        ids = [int(p) for p in path.strip("/").split("/") if p]
        for i, a in enumerate(ids):
            depth[a] = i
    affected = sorted(depth, key=lambda u: -depth[u])
    children: dict[int, list[int]] = defaultdict(list)
    child_rows = OrgUnit.objects.filter(parent_id__in=affected).values_list("id", "parent_id")
    for child, parent in child_rows:
        children[parent].append(child)
    current = periods.current_periods(today)
    metrics = computed_metrics()
    keys = [m.key for m in metrics]
    readable = set(affected) | {c for cs in children.values() for c in cs}
    # Stored figures of the affected units and their children for the current periods.
    stored: dict[tuple[str, str, datetime.date], dict[int, tuple[Decimal, Decimal]]] = defaultdict(dict)
    period_q = Q()
    for p in current:
        period_q |= Q(period_kind=p.kind, period_start=p.start)
    for unit_id, key, kind, start, own, total in OrgMetric.objects.filter(
        period_q, unit_id__in=readable, key__in=keys
    ).values_list("unit_id", "key", "period_kind", "period_start", "own", "total"):
        stored[(key, kind, start)][unit_id] = (own, total)

    stamp = timezone.now()
    upserts: list[Row] = []
    zeroed: dict[tuple[str, str, datetime.date], list[int]] = defaultdict(list)
    for metric in metrics:
        if metric.kind == FLOW:
            own_by_period = {
                p: {u: _dec(v) for u, v in metric.compute(dirty, p).items() if v} for p in current if p.kind != DAY
            }
        else:
            as_of = {u: _dec(v) for u, v in metric.compute(dirty, current[0]).items() if v}
            own_by_period = {p: as_of for p in current}
        for p, fresh_own in own_by_period.items():
            old = stored.get((metric.key, p.kind, p.start), {})
            new_total: dict[int, Decimal] = {}
            for u in affected:
                own = fresh_own.get(u, ZERO) if u in units else old.get(u, (ZERO, ZERO))[0]
                if metric.additive:
                    total = own + sum(
                        (new_total[c] if c in new_total else old.get(c, (ZERO, ZERO))[1] for c in children.get(u, ())),
                        ZERO,
                    )
                else:
                    total = own
                new_total[u] = total
                if own or total:
                    upserts.append((u, metric.key, p.kind, p.start, own, total, stamp))
                elif u in old:
                    zeroed[(metric.key, p.kind, p.start)].append(u)
    _upsert(upserts)
    for (key, kind, start), unit_ids in zeroed.items():
        OrgMetric.objects.filter(key=key, period_kind=kind, period_start=start, unit_id__in=unit_ids).delete()
    return len(dirty), len(upserts)


def request_full_recompute(*, actor) -> None:
    """Queue the full recompute now (org admin: ``cockpit.recompute``); audited."""
    from django.core.exceptions import PermissionDenied

    from cloudbranch.audit.services import audit_record
    from cloudbranch.orgs.scoping import holds

    from .tasks import recompute_all_task

    if not holds(actor, "cockpit.recompute"):
        raise PermissionDenied
    with transaction.atomic():
        audit_record(actor=actor, action="cockpit.metrics.recompute", target=("cockpit.metricrun", "", "全量重算"))
        transaction.on_commit(lambda: recompute_all_task.enqueue(), robust=True)
