"""selectors_metrics: constant query counts whatever the number of units; the API on top."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cloudbranch.cockpit import engine
from cloudbranch.cockpit import selectors_metrics as sel
from cloudbranch.cockpit.models import MetricRun
from cloudbranch.orgs.choices import UnitKind
from cloudbranch.testing.factories import make_unit

from .factories import constant_stock, joined_flow, only_metrics, people_stock, ratio_metric

D = datetime.date
TODAY = D(2026, 5, 15)
pytestmark = pytest.mark.django_db
KEYS = ["test.const", "test.rate", "test.people"]


def _catalogue(values):
    return (
        constant_stock(values),
        people_stock(),
        joined_flow(),
        ratio_metric("test.rate", "test.people", "test.const", scale=1),
    )


@pytest.mark.parametrize("n", [3, 30])
def test_children_figures_in_two_queries(world, n):
    parent = make_unit(parent=world.root, kind=UnitKind.SUB_COMMITTEE)
    kids = [make_unit(parent=parent) for _ in range(n)]
    values = {k.pk: i + 1 for i, k in enumerate(kids)}
    with only_metrics(*_catalogue(values)):
        engine.recompute_all(today=TODAY)
        with CaptureQueriesContext(connection) as ctx:
            out = sel.children_figures(parent, KEYS, "M", D(2026, 5, 1))
        assert len(ctx.captured_queries) == 2
        assert [u.pk for u, _ in out] == [k.pk for k in kids]
        assert out[0][1] == {"test.const": Decimal(1), "test.rate": Decimal("0.0"), "test.people": 0}
        with CaptureQueriesContext(connection) as ctx:
            fig = sel.figures(parent, KEYS, "M", D(2026, 5, 1))
            series = sel.series(parent, KEYS, "M", D(2025, 1, 1), TODAY)
        assert len(ctx.captured_queries) == 2
        assert fig["test.const"] == n * (n + 1) // 2
        assert len(series["test.const"]) == 17 and series["test.const"][-1] == (D(2026, 5, 1), fig["test.const"])


def test_series_fills_missing_periods(world):
    with only_metrics(*_catalogue({})):
        engine.recompute_all(today=TODAY)
        s = sel.series(world.root, ["test.joined", "test.rate"], "Q", D(2025, 1, 1), TODAY)
    assert [v for _, v in s["test.joined"]] == [0, 0, 0, 0, 0, 0]
    assert [v for _, v in s["test.rate"]] == [None] * 6


def test_latest_period_and_runs(world):
    p = sel.latest_period("Q", TODAY)
    assert (p.start, p.end) == (D(2026, 4, 1), TODAY)
    assert sel.last_run() is None
    with only_metrics(people_stock()):
        engine.recompute_all(today=TODAY)
    assert sel.last_run() == MetricRun.objects.get()
    assert sel.last_success("full").error == ""


# -- API ---------------------------------------------------------------------------------------


@pytest.fixture
def computed(world):
    with only_metrics(*_catalogue({world.branch_a1.pk: 4, world.branch_a2.pk: 1})):
        engine.recompute_all(today=TODAY)
        yield world


def test_api_figures_children_series_catalogue(computed, login):
    w = computed
    c = login(w.users["admin"])
    r = c.get(f"/api/cockpit/metrics?unit={w.college_a.pk}&keys=test.const,test.rate&period=M&start=2026-05-01")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["start"] == "2026-05-01"
    assert {f["key"]: f["value"] for f in body["figures"]} == {"test.const": "5.00", "test.rate": "0.6"}
    r = c.get(f"/api/cockpit/metrics/children?unit={w.college_a.pk}&keys=test.const&period=M&start=2026-05-01")
    assert r.status_code == 200
    assert r.json()["count"] == 2
    assert [i["figures"][0]["value"] for i in r.json()["items"]] == ["4.00", "1.00"]
    r = c.get(f"/api/cockpit/metrics/series?unit={w.root.pk}&keys=test.people&period=Y&start=2025-01-01&end=2026-05-15")
    assert r.status_code == 200 and len(r.json()["series"][0]["points"]) == 2
    r = c.get("/api/cockpit/metrics/catalogue")
    assert r.status_code == 200 and {e["key"] for e in r.json()} >= {"test.rate", "test.const"}
    r = c.get(f"/api/cockpit/metrics?unit={w.root.pk}&keys=nope")
    assert r.status_code == 422


def test_api_scope(computed, login):
    w = computed
    c = login(w.users["secretary2"])
    assert c.get(f"/api/cockpit/metrics?unit={w.branch_a2.pk}&keys=test.const").status_code == 200
    assert c.get(f"/api/cockpit/metrics?unit={w.branch_a1.pk}&keys=test.const").status_code == 404
    assert c.get(f"/api/cockpit/metrics/children?unit={w.college_a.pk}&keys=test.const").status_code == 404
    c = login(w.users["member1"])
    assert c.get(f"/api/cockpit/metrics?unit={w.branch_a1.pk}&keys=test.const").status_code == 404
    assert c.get("/api/cockpit/metrics/catalogue").status_code == 403


def test_api_recompute(computed, login, django_capture_on_commit_callbacks):
    w = computed
    c = login(w.users["secretary1"])
    assert c.post("/api/cockpit/metrics/recompute").status_code == 403
    c = login(w.users["admin"])
    before = MetricRun.objects.count()
    with only_metrics(people_stock()), django_capture_on_commit_callbacks(execute=True):
        r = c.post("/api/cockpit/metrics/recompute")
    assert r.status_code == 202
    assert MetricRun.objects.count() == before + 1
    from cloudbranch.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="cockpit.metrics.recompute").exists()
