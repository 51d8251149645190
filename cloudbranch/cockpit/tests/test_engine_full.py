"""The full recompute against the hand-computed ``world`` tree.

root ─ college_a ─ branch_a1 ─ group_a1
     │           └ branch_a2
     └ college_b ─ branch_b1
People (joined_on): a1: 2 (2015), a2: 1 (2015) + 1 (2025-11-20), b1: 1 (2015),
group_a1: 1 (2026-03-10), root: 1 (2026-05-02). Run date 2026-05-15.
"""

import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudbranch.cockpit import engine
from cloudbranch.cockpit import selectors_metrics as sel
from cloudbranch.cockpit.models import MetricRun, OrgMetric
from cloudbranch.people.models import Person
from cloudbranch.testing.factories import PersonFactory

from .factories import constant_stock, joined_flow, only_metrics, people_stock, ratio_metric

D = datetime.date
TODAY = D(2026, 5, 15)
pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(world):
    w = world
    w.people["a2_new"] = PersonFactory(unit=w.branch_a2, joined_on=D(2025, 11, 20), confirmed_on=None)
    w.people["group"] = PersonFactory(unit=w.group_a1, joined_on=D(2026, 3, 10), confirmed_on=None)
    w.people["root"] = PersonFactory(unit=w.root, joined_on=D(2026, 5, 2), confirmed_on=None)
    return w


def rows(key, kind, start):
    return {
        u: (o, t)
        for u, o, t in OrgMetric.objects.filter(key=key, period_kind=kind, period_start=start).values_list(
            "unit_id", "own", "total"
        )
    }


def test_stock_own_and_total_as_of_period_end(tree):
    w = tree
    with only_metrics(people_stock()):
        run = engine.recompute_all(today=TODAY)
    assert run.kind == "full" and run.error == "" and run.finished_at and run.rows > 0
    assert run.units == 7
    today = rows("test.people", "D", TODAY)
    assert today == {
        w.root.pk: (1, 7),
        w.college_a.pk: (0, 5),
        w.college_b.pk: (0, 1),
        w.branch_a1.pk: (2, 3),
        w.branch_a2.pk: (2, 2),
        w.branch_b1.pk: (1, 1),
        w.group_a1.pk: (1, 1),
    }
    # The current month, quarter and year are as of today.
    assert rows("test.people", "M", D(2026, 5, 1)) == today
    assert rows("test.people", "Y", D(2026, 1, 1)) == today
    # February 2026 (as of 28 Feb): the group's and the root's people had not joined yet.
    feb = rows("test.people", "M", D(2026, 2, 1))
    assert w.group_a1.pk not in feb and feb[w.branch_a1.pk] == (2, 2) and feb[w.root.pk] == (0, 4 + 1)
    # October 2025 and the 2025 Q3: a2's second person joined in November.
    assert rows("test.people", "M", D(2025, 10, 1))[w.college_a.pk] == (0, 3)
    assert rows("test.people", "Q", D(2025, 10, 1))[w.college_a.pk] == (0, 4)  # as of 31 Dec
    assert rows("test.people", "Y", D(2025, 1, 1))[w.root.pk] == (0, 5)


@pytest.mark.parametrize("batched", [False, True])
def test_flow_months_and_quarter_year_sums(tree, batched):
    w = tree
    with only_metrics(joined_flow(batched=batched)):
        engine.recompute_all(today=TODAY)
    march = rows("test.joined", "M", D(2026, 3, 1))
    assert march == {w.group_a1.pk: (1, 1), w.branch_a1.pk: (0, 1), w.college_a.pk: (0, 1), w.root.pk: (0, 1)}
    assert rows("test.joined", "M", D(2026, 5, 1)) == {w.root.pk: (1, 1)}
    assert rows("test.joined", "Q", D(2026, 1, 1)) == march
    assert rows("test.joined", "Q", D(2025, 10, 1)) == {
        w.branch_a2.pk: (1, 1),
        w.college_a.pk: (0, 1),
        w.root.pk: (0, 1),
    }
    assert rows("test.joined", "Y", D(2026, 1, 1))[w.root.pk] == (1, 2)
    assert rows("test.joined", "Y", D(2025, 1, 1))[w.root.pk] == (0, 1)
    # Flows have no day rows; months without anything have no rows at all.
    assert not OrgMetric.objects.filter(key="test.joined", period_kind="D").exists()
    assert rows("test.joined", "M", D(2026, 4, 1)) == {}
    # Q and Y are the sums of their months for every unit.
    for unit_id, (_own, total) in rows("test.joined", "Y", D(2026, 1, 1)).items():
        months = sum(rows("test.joined", "M", D(2026, m, 1)).get(unit_id, (0, 0))[1] for m in range(1, 6))
        assert total == months


def test_ratio_read_from_totals_not_average_of_ratios(tree):
    w = tree
    metrics = (people_stock(), joined_flow(), ratio_metric("test.rate", "test.joined", "test.people"))
    with only_metrics(*metrics):
        engine.recompute_all(today=TODAY)
        assert not OrgMetric.objects.filter(key="test.rate").exists()
        year = sel.figures(w.root, ["test.rate", "test.joined", "test.people"], "Y", D(2026, 1, 1))
        # 2 joined in 2026 / 7 people at the end = 28.6 %, not the mean of the branches' rates.
        assert year == {"test.rate": Decimal("28.6"), "test.joined": 2, "test.people": 7}
        assert sel.figures(w.college_b, ["test.rate"], "Y", D(2026, 1, 1)) == {"test.rate": Decimal("0.0")}
        # No denominator: None.
        assert sel.figures(w.college_a, ["test.rate"], "M", D(2024, 1, 1)) == {"test.rate": None}


def test_non_additive_metric_keeps_total_equal_to_own(world):
    w = world
    with only_metrics(constant_stock({w.root.pk: 90, w.branch_a1.pk: 80}, additive=False)):
        engine.recompute_all(today=TODAY)
        assert rows("test.const", "D", TODAY) == {w.root.pk: (90, 90), w.branch_a1.pk: (80, 80)}
        assert sel.figures(w.college_a, ["test.const"], "D", TODAY) == {"test.const": None}


def test_metrics_without_compute_are_left_to_their_owner(world):
    from cloudbranch.core.metrics import Metric

    score = Metric(key="test.score", label="分", area="assessment", kind="stock", additive=False)
    OrgMetric.objects.create(
        unit=world.root, key="test.score", period_kind="Y", period_start=D(2026, 1, 1), own=88, total=88
    )
    with only_metrics(score):
        engine.recompute_all(today=TODAY)
        assert sel.figures(world.root, ["test.score"], "Y", D(2026, 1, 1)) == {"test.score": Decimal(88)}


def test_a_figure_dropping_to_zero_is_removed_and_totals_follow(tree):
    w = tree
    with only_metrics(people_stock()):
        engine.recompute_all(today=TODAY)
        assert rows("test.people", "D", TODAY)[w.group_a1.pk] == (1, 1)
        # (a queryset update: the nightly full run is what picks up bulk changes)
        Person.objects.filter(pk=w.people["group"].pk).update(joined_on=D(2027, 1, 1))
        engine.recompute_all(today=TODAY)
        today = rows("test.people", "D", TODAY)
        assert w.group_a1.pk not in today
        assert today[w.branch_a1.pk] == (2, 2) and today[w.root.pk] == (1, 6)
        assert sel.figures(w.group_a1, ["test.people"], "D", TODAY) == {"test.people": 0}


def test_yesterdays_day_rows_are_dropped(tree):
    with only_metrics(people_stock()):
        engine.recompute_all(today=TODAY - datetime.timedelta(days=1))
        engine.recompute_all(today=TODAY)
    assert set(OrgMetric.objects.filter(period_kind="D").values_list("period_start", flat=True)) == {TODAY}


def test_a_failing_metric_is_recorded_and_the_others_still_run(tree):
    from cloudbranch.core.metrics import Metric

    def broken(units, period):
        raise RuntimeError("boom")

    bad = Metric(key="test.broken", label="坏", area="structure", kind="stock", compute=broken)
    with only_metrics(bad, people_stock()):
        run = engine.recompute_all(today=TODAY)
    assert "test.broken" in run.error and run.finished_at
    assert OrgMetric.objects.filter(key="test.people").exists()
    assert MetricRun.objects.count() == 1


def test_management_command(tree, capsys):
    from django.core.management import call_command

    with only_metrics(people_stock()):
        call_command("metrics_recompute", "--full", "--date", "2026-05-15")
    out = capsys.readouterr().out
    assert "全量" in out and "组织 7 个" in out
    assert rows("test.people", "D", TODAY)


# -- roll-up property over random trees (pure, no database) ------------------------------------


@st.composite
def random_trees(draw):
    n = draw(st.integers(min_value=1, max_value=40))
    parents = [None] + [draw(st.integers(min_value=1, max_value=i)) for i in range(1, n)]  # ids 1..n
    paths: dict[int, str] = {}
    for i, parent in enumerate(parents, start=1):
        paths[i] = f"{paths[parent] if parent else '/'}{i}/"
    own = {i: Decimal(draw(st.integers(min_value=0, max_value=50))) for i in range(1, n + 1)}
    return [(i, paths[i], parents[i - 1]) for i in range(1, n + 1)], own


@settings(max_examples=60, deadline=None)
@given(random_trees())
def test_roll_up_is_own_plus_childrens_totals(data):
    units, own = data
    tree = engine.Tree(units)
    total = tree.roll_up(own)
    children: dict[int, list[int]] = {}
    for u, _path, parent in units:
        children.setdefault(parent, []).append(u)
    for u, _path, _parent in units:
        assert total.get(u, 0) == own[u] + sum(total.get(c, 0) for c in children.get(u, []))
    roots = children[None]
    assert sum(total.get(r, 0) for r in roots) == sum(own.values())


def test_a_stock_without_history_is_computed_for_the_current_periods_and_keeps_past_snapshots(tree):
    """Metric.history False (a breakdown by today's attributes): the full run writes today, this
    month, quarter and year, and leaves the rows earlier runs recorded for past months alone."""
    w = tree
    snapshot = OrgMetric.objects.create(
        unit=w.branch_a1, key="test.const", period_kind="M", period_start=D(2026, 2, 1), own=9, total=9
    )
    with only_metrics(constant_stock({w.branch_a1.pk: 4}, history=False)):
        engine.recompute_all(today=TODAY)
    written = set(
        OrgMetric.objects.filter(key="test.const", unit=w.branch_a1).values_list("period_kind", "period_start")
    )
    assert written == {
        ("D", TODAY),
        ("M", D(2026, 5, 1)),
        ("Q", D(2026, 4, 1)),
        ("Y", D(2026, 1, 1)),
        ("M", D(2026, 2, 1)),
    }
    snapshot.refresh_from_db()
    assert snapshot.own == 9  # the February snapshot is kept, not recomputed from today's figures
    assert rows("test.const", "M", D(2026, 5, 1))[w.branch_a1.pk] == (4, 4)
    assert rows("test.const", "Y", D(2026, 1, 1))[w.root.pk] == (0, 4)
