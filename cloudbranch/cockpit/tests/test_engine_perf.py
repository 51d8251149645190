"""Benchmark of the engine: ~2,000 units × a few metrics (``pytest -m slow -s``).

The compute functions are synthetic except one grouped query over ``OrgUnit``, so the figure is
the engine's own cost (roll-up, upsert, stale deletion) per metric; the real metrics add their
query time. Extrapolate: rows scale with units × periods (35 periods at the end of a year)."""

import datetime
import random
import time
from decimal import Decimal

import pytest
from django.db.models import Count

from cloudbranch.cockpit import engine
from cloudbranch.cockpit.models import DirtyUnit, OrgMetric
from cloudbranch.core.metrics import FLOW, STOCK, Metric
from cloudbranch.orgs.models import OrgUnit

D = datetime.date
TODAY = D(2026, 12, 20)  # 24 months, 8 quarters, 2 years + today: the most periods of a year


def _build_tree(n_units: int) -> list[int]:
    rng = random.Random(7)
    root = OrgUnit.objects.create(code="P0", name="省委", kind="committee", path="/tmp/", depth=0)
    root.path = f"/{root.pk}/"
    root.save(update_fields=["path"])
    levels = [[root]]
    made = 1
    # 1 → 20 → 200 → the rest: committee, sub-committees, general branches, branches
    for depth, (kind, count) in enumerate([("sub_committee", 20), ("general_branch", 200)], start=1):
        parents = levels[-1]
        objs = [
            OrgUnit(code=f"P{made + i}", name=f"组织{made + i}", kind=kind, parent=rng.choice(parents), path=f"/x{made + i}/", depth=depth)
            for i in range(count)
        ]  # fmt: skip
        OrgUnit.objects.bulk_create(objs)
        made += count
        levels.append(objs)
    branches = [
        OrgUnit(code=f"P{made + i}", name=f"支部{made + i}", kind="branch", parent=rng.choice(levels[-1]), path=f"/y{made + i}/", depth=3)
        for i in range(n_units - made)
    ]  # fmt: skip
    OrgUnit.objects.bulk_create(branches)
    units = list(OrgUnit.objects.order_by("depth", "id"))
    paths = {}
    for u in units:
        u.path = f"{paths[u.parent_id] if u.parent_id else '/'}{u.pk}/"
        paths[u.pk] = u.path
    OrgUnit.objects.bulk_update(units, ["path"], batch_size=1000)
    return [u.pk for u in units if u.kind == "branch"]


def _metrics(branch_ids):
    rng = random.Random(3)
    members = {u: Decimal(rng.randint(5, 60)) for u in branch_ids}

    def people(units, period):
        return members

    def branches(units, period):
        rows = OrgUnit.objects.filter(kind="branch").values("parent_id").annotate(n=Count("id"))
        return {r["parent_id"]: Decimal(r["n"]) for r in rows}

    def flow_months(units, start, end):
        out = {}
        m = start
        while m <= end:
            for u in branch_ids[::3]:
                out[(u, m)] = Decimal((u + m.month) % 7)
            m = (m + datetime.timedelta(days=32)).replace(day=1)
        return out

    def flow(units, period):
        return {u: v for (u, m), v in flow_months(units, period.start, period.end).items()}

    return [
        Metric(key="bench.people", label="人", area="structure", kind=STOCK, compute=people),
        Metric(key="bench.women", label="人", area="structure", kind=STOCK, compute=people),
        Metric(key="bench.branches", label="支部", area="structure", kind=STOCK, compute=branches),
        Metric(key="bench.meetings", label="会", area="life", kind=FLOW, compute=flow, compute_months=flow_months),
        Metric(key="bench.hours", label="时", area="service", kind=FLOW, compute=flow, compute_months=flow_months),
    ]


@pytest.mark.slow
@pytest.mark.django_db
def test_full_recompute_2000_units(capsys):
    from .factories import only_metrics

    n_units = 2000
    branch_ids = _build_tree(n_units)
    metrics = _metrics(branch_ids)
    with only_metrics(*metrics):
        t0 = time.perf_counter()
        run = engine.recompute_all(today=TODAY)
        first = time.perf_counter() - t0
        import cProfile
        import os
        import pstats

        prof = cProfile.Profile() if os.environ.get("COCKPIT_PROFILE") else None
        if prof:
            prof.enable()
        t0 = time.perf_counter()
        run2 = engine.recompute_all(today=TODAY)
        second = time.perf_counter() - t0
        if prof:
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
        DirtyUnit.objects.bulk_create([DirtyUnit(unit_id=u) for u in branch_ids[:50]])
        t0 = time.perf_counter()
        inc = engine.recompute_dirty(today=TODAY)
        incremental = time.perf_counter() - t0
    assert run.error == "" and run2.error == "" and inc.error == ""
    rows = OrgMetric.objects.count()
    with capsys.disabled():
        print(
            f"\n[cockpit bench] units={n_units} metrics={len(metrics)} rows={rows} "
            f"full(first)={first:.2f}s full(again)={second:.2f}s "
            f"per metric≈{second / len(metrics):.2f}s incremental(50 dirty)={incremental:.2f}s rows={inc.rows}"
        )
