"""Reading the precomputed figures: the ONLY way pages, the API and assessment read metrics.

Everything here reads ``OrgMetric`` (never the raw tables of the areas) in a constant number of
queries, whatever the number of units. A unit's figure is its subtree ``total``. Rules:

* an additive metric with no stored row is 0 (the engine stores only non-zero rows);
* a ratio metric (``numerator``/``denominator``) is divided at read time from the two TOTALS
  (``core.metrics.ratio`` with the metric's scale) — never an average of the children's ratios;
  None when the denominator is 0;
* a non-additive metric (``assessment.score``) or a key not in the catalogue is its stored total,
  None when there is no row.

Callers check access (``cockpit.view_cockpit`` over the unit) before calling.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from cloudbranch.core import metrics as catalogue_mod
from cloudbranch.core.metrics import Period
from cloudbranch.orgs.choices import UnitStatus
from cloudbranch.orgs.models import OrgUnit

from . import periods
from .models import MetricRun, OrgMetric

ZERO = Decimal(0)


def _stored_keys(keys) -> list[str]:
    """The keys whose rows are read: ratios are replaced by their numerator and denominator."""
    cat = catalogue_mod.catalogue()
    out: list[str] = []
    for key in keys:
        m = cat.get(key)
        parts = (m.numerator, m.denominator) if m is not None and m.is_ratio else (key,)
        for part in parts:
            if part not in out:
                out.append(part)
    return out


def _resolve(keys, stored: dict[str, Decimal]) -> dict[str, Decimal | None]:
    """Figures of ``keys`` from the stored totals of one unit and period ({key: total})."""
    cat = catalogue_mod.catalogue()
    out: dict[str, Decimal | None] = {}
    for key in keys:
        m = cat.get(key)
        if m is None or not m.additive:
            out[key] = stored.get(key)
        elif m.is_ratio:
            out[key] = catalogue_mod.ratio(
                stored.get(m.numerator, ZERO) if _additive(m.numerator) else stored.get(m.numerator),
                stored.get(m.denominator, ZERO) if _additive(m.denominator) else stored.get(m.denominator),
                m.scale,
            )
        else:
            out[key] = stored.get(key, ZERO)
    return out


def _additive(key: str) -> bool:
    m = catalogue_mod.catalogue().get(key)
    return m is not None and m.additive


def _unit_id(unit) -> int:
    return unit if isinstance(unit, int) else unit.pk


def figures(unit, keys, period_kind: str, period_start: datetime.date) -> dict[str, Decimal | None]:
    """{key: figure} of ``unit``'s subtree for one period. One query."""
    keys = list(keys)
    rows = OrgMetric.objects.filter(
        unit_id=_unit_id(unit), period_kind=period_kind, period_start=period_start, key__in=_stored_keys(keys)
    ).values_list("key", "total")
    return _resolve(keys, dict(rows))


def own_figures(unit, keys, period_kind: str, period_start: datetime.date) -> dict[str, Decimal | None]:
    """Like ``figures`` but of the unit's OWN figures (what is attached to the unit itself). One query."""
    keys = list(keys)
    rows = OrgMetric.objects.filter(
        unit_id=_unit_id(unit), period_kind=period_kind, period_start=period_start, key__in=_stored_keys(keys)
    ).values_list("key", "own")
    return _resolve(keys, dict(rows))


def series(
    unit, keys, period_kind: str, start: datetime.date, end: datetime.date
) -> dict[str, list[tuple[datetime.date, Decimal | None]]]:
    """{key: [(period_start, figure), ...]} for every period of ``period_kind`` overlapping
    [start, end], in order (missing periods are 0 for additive metrics, None otherwise). One query."""
    keys = list(keys)
    starts = periods.starts_between(period_kind, start, end)
    by_start: dict[datetime.date, dict[str, Decimal]] = defaultdict(dict)
    if starts:
        rows = OrgMetric.objects.filter(
            unit_id=_unit_id(unit),
            period_kind=period_kind,
            period_start__gte=starts[0],
            period_start__lte=starts[-1],
            key__in=_stored_keys(keys),
        ).values_list("period_start", "key", "total")
        for s, key, total in rows:
            by_start[s][key] = total
    out: dict[str, list[tuple[datetime.date, Decimal | None]]] = {key: [] for key in keys}
    for s in starts:
        resolved = _resolve(keys, by_start.get(s, {}))
        for key in keys:
            out[key].append((s, resolved[key]))
    return out


def children_figures(
    unit, keys, period_kind: str, period_start: datetime.date
) -> list[tuple[OrgUnit, dict[str, Decimal | None]]]:
    """[(child unit, {key: figure})] for the direct ACTIVE children of ``unit`` (ordered as in
    the tree). Two queries whatever the number of children."""
    keys = list(keys)
    children = list(
        OrgUnit.objects.filter(parent_id=_unit_id(unit), status=UnitStatus.ACTIVE).order_by("sort_order", "id")
    )
    return units_figures(children, keys, period_kind, period_start)


def units_figures(
    units, keys, period_kind: str, period_start: datetime.date
) -> list[tuple[OrgUnit, dict[str, Decimal | None]]]:
    """[(unit, {key: figure})] for the given units (e.g. a page of children or of same-kind units).
    One query."""
    keys = list(keys)
    units = list(units)
    stored: dict[int, dict[str, Decimal]] = defaultdict(dict)
    if units:
        rows = OrgMetric.objects.filter(
            unit_id__in=[u.pk for u in units],
            period_kind=period_kind,
            period_start=period_start,
            key__in=_stored_keys(keys),
        ).values_list("unit_id", "key", "total")
        for unit_id, key, total in rows:
            stored[unit_id][key] = total
    return [(u, _resolve(keys, stored.get(u.pk, {}))) for u in units]


def latest_period(period_kind: str, today: datetime.date | None = None) -> Period:
    """The current period of ``period_kind`` (the one containing ``today``, cut at today). No query."""
    from django.utils import timezone

    today = today or timezone.localdate()
    return periods.period(period_kind, today, today=today)


def last_run(kind: str | None = None) -> MetricRun | None:
    """The latest recompute (of ``kind`` "full"/"incremental" if given), finished or not. One query."""
    qs = MetricRun.objects.all()
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-started_at", "-id").first()


def last_success(kind: str | None = None) -> MetricRun | None:
    """The latest finished recompute without error: "figures as of ..." on the pages. One query."""
    qs = MetricRun.objects.filter(finished_at__isnull=False, error="")
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-finished_at", "-id").first()


def catalogue_entries() -> list[dict]:
    """The metric catalogue for pages and the API (no query)."""
    out = []
    for m in sorted(catalogue_mod.catalogue().values(), key=lambda m: m.key):
        out.append(
            {
                "key": m.key,
                "label": m.label,
                "area": m.area,
                "area_label": catalogue_mod.AREAS.get(m.area, m.area),
                "kind": "ratio" if m.is_ratio else m.kind,
                "unit": m.unit,
                "numerator": m.numerator,
                "denominator": m.denominator,
                "scale": m.scale,
                "additive": m.additive,
                "description": m.description,
            }
        )
    return out
