"""Dirty marks and the incremental recompute: only the changed units and their ancestors, current
periods only."""

import datetime
from unittest import mock

import pytest
from django.utils import timezone

from cloudbranch.cockpit import dirty, engine
from cloudbranch.cockpit.models import DirtyUnit, OrgMetric
from cloudbranch.people.models import Person
from cloudbranch.testing.factories import PersonFactory

from .factories import joined_flow, only_metrics, people_stock

D = datetime.date
TODAY = D(2026, 5, 15)
pytestmark = pytest.mark.django_db


def stamps():
    return {
        (u, k, kind, s): at
        for u, k, kind, s, at in OrgMetric.objects.values_list(
            "unit_id", "key", "period_kind", "period_start", "computed_at"
        )
    }


def figure(unit, key, kind, start):
    row = OrgMetric.objects.filter(unit=unit, key=key, period_kind=kind, period_start=start).first()
    return (row.own, row.total) if row else None


def test_saving_a_source_marks_its_unit_on_commit(world, django_capture_on_commit_callbacks):
    with only_metrics(people_stock()):
        DirtyUnit.objects.all().delete()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            person = PersonFactory(unit=world.branch_a2)
        assert not DirtyUnit.objects.exists()  # nothing before the commit
        for cb in callbacks:
            cb()
        assert set(DirtyUnit.objects.values_list("unit_id", flat=True)) == {world.branch_a2.pk}

        DirtyUnit.objects.all().delete()
        with django_capture_on_commit_callbacks(execute=True):
            person.name = "改名"
            person.save()
            person.save()  # marked twice: one row
        assert list(DirtyUnit.objects.values_list("unit_id", flat=True)) == [world.branch_a2.pk]


def test_a_moved_person_marks_the_old_and_the_new_unit(world, django_capture_on_commit_callbacks):
    with only_metrics(people_stock()):
        person = Person.objects.get(pk=world.people["a2_person"].pk)
        DirtyUnit.objects.all().delete()
        with django_capture_on_commit_callbacks(execute=True):
            person.unit = world.branch_b1
            person.save()
        assert set(DirtyUnit.objects.values_list("unit_id", flat=True)) == {world.branch_a2.pk, world.branch_b1.pk}


def test_deleting_a_source_marks_its_unit(world, django_capture_on_commit_callbacks):
    with only_metrics(people_stock()):
        person = PersonFactory(unit=world.branch_b1)
        DirtyUnit.objects.all().delete()
        with mock.patch("django.db.models.deletion.Collector.collect", autospec=True) as collect:
            collect.side_effect = lambda self, objs, **kw: self.add(objs)  # only the person itself
            with django_capture_on_commit_callbacks(execute=True):
                person.delete()
        assert list(DirtyUnit.objects.values_list("unit_id", flat=True)) == [world.branch_b1.pk]


def test_dotted_paths_are_followed_without_a_query_at_save_time(world, django_capture_on_commit_callbacks):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cloudbranch.people.models import PersonEvent

    ev = PersonEvent.objects.filter(person__unit=world.branch_a1).first() or PersonEvent(person=world.people["member1"])
    with only_metrics(people_stock(), joined_flow(key="test.events")):
        from cloudbranch.core import metrics as cat

        m = cat.get("test.events")
        cat._catalogue["test.events"] = type(m)(**{**m.__dict__, "sources": {"people.PersonEvent": "person.unit_id"}})
        dirty.connect()
        instance = PersonEvent(pk=ev.pk or 1, person_id=world.people["member1"].pk)
        DirtyUnit.objects.all().delete()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            with CaptureQueriesContext(connection) as ctx:
                dirty._saved(PersonEvent, instance, created=False)
            assert len(ctx.captured_queries) == 0
        for cb in callbacks:
            cb()
        assert list(DirtyUnit.objects.values_list("unit_id", flat=True)) == [world.branch_a1.pk]
        dirty.disconnect("people.PersonEvent")


def test_incremental_touches_only_the_dirty_unit_and_its_ancestors(world):
    w = world
    asked: list = []

    def spy(metric):
        """The metric, with its compute recording which units it is asked for."""
        inner = metric.compute

        def compute(units, period):
            asked.append((metric.key, None if units is None else sorted(units)))
            return inner(units, period)

        return type(metric)(**{**metric.__dict__, "compute": compute})

    with only_metrics(spy(people_stock()), spy(joined_flow())):
        engine.recompute_all(today=TODAY)
        DirtyUnit.objects.all().delete()
        before = stamps()
        assert figure(w.college_a, "test.people", "D", TODAY) == (0, 3)
        # A new person in branch_a2 who joined this month; marked by hand (as the signal does).
        Person.objects.filter(pk=w.people["a2_person"].pk).update(joined_on=D(2026, 5, 3))
        DirtyUnit.objects.create(unit_id=w.branch_a2.pk)
        asked.clear()
        run = engine.recompute_dirty(today=TODAY)
    assert run.kind == "incremental" and run.error == "" and run.units == 1
    # the raw data is read for the dirty unit only (never all units, never its ancestors)
    assert asked and all(units == [w.branch_a2.pk] for _key, units in asked)
    assert {key for key, _ in asked} == {"test.people", "test.joined"}
    assert not DirtyUnit.objects.exists()
    after = stamps()
    changed = {k for k in after if before.get(k) != after[k]}
    changed_units = {k[0] for k in changed}
    assert changed_units == {w.branch_a2.pk, w.college_a.pk, w.root.pk}
    # current periods only
    assert {(k[2], k[3]) for k in changed} <= {
        ("D", TODAY),
        ("M", D(2026, 5, 1)),
        ("Q", D(2026, 4, 1)),
        ("Y", D(2026, 1, 1)),
    }
    # siblings untouched: branch_a1, group_a1, college_b, branch_b1
    for unit in (w.branch_a1, w.group_a1, w.college_b, w.branch_b1):
        assert all(before[k] == after[k] for k in after if k[0] == unit.pk)
    # values: the flow of this month now counts the person; the stock is unchanged
    assert figure(w.branch_a2, "test.joined", "M", D(2026, 5, 1)) == (1, 1)
    assert figure(w.root, "test.joined", "Y", D(2026, 1, 1)) == (0, 1)
    assert figure(w.college_a, "test.people", "D", TODAY) == (0, 3)


def test_incremental_equals_full_after_a_move(world):
    w = world
    with only_metrics(people_stock()):
        engine.recompute_all(today=TODAY)
        Person.objects.filter(pk=w.people["a2_person"].pk).update(unit=w.branch_b1)
        DirtyUnit.objects.bulk_create([DirtyUnit(unit_id=w.branch_a2.pk), DirtyUnit(unit_id=w.branch_b1.pk)])
        engine.recompute_dirty(today=TODAY)
        incremental = {
            k: v
            for k, v in (
                ((u, kind, s), (o, t))
                for u, kind, s, o, t in OrgMetric.objects.filter(period_kind="D").values_list(
                    "unit_id", "period_kind", "period_start", "own", "total"
                )
            )
        }
        engine.recompute_all(today=TODAY)
        full = {
            (u, kind, s): (o, t)
            for u, kind, s, o, t in OrgMetric.objects.filter(period_kind="D").values_list(
                "unit_id", "period_kind", "period_start", "own", "total"
            )
        }
    assert incremental == full
    # a2 dropped to zero: its row is gone; college_a lost one
    assert (w.branch_a2.pk, "D", TODAY) not in full
    assert full[(w.college_a.pk, "D", TODAY)] == (0, 2)
    assert full[(w.college_b.pk, "D", TODAY)] == (0, 2)


def test_incremental_failure_keeps_the_marks(world):
    with only_metrics(people_stock()):
        DirtyUnit.objects.create(unit_id=world.branch_a1.pk)
        with mock.patch.object(engine, "_upsert", side_effect=RuntimeError("db down")):
            run = engine.recompute_dirty(today=TODAY)
    assert "db down" in run.error
    assert DirtyUnit.objects.filter(unit_id=world.branch_a1.pk).exists()


def test_incremental_with_nothing_dirty_is_a_no_op(world):
    with only_metrics(people_stock()):
        DirtyUnit.objects.all().delete()
        run = engine.recompute_dirty(today=TODAY)
    assert (run.units, run.rows, run.error) == (0, 0, "")
    assert run.finished_at <= timezone.now()


def test_tasks_run_the_engine(world):
    from cloudbranch.cockpit.tasks import recompute_all_task, recompute_dirty_task

    with only_metrics(people_stock()):
        full = recompute_all_task.enqueue(TODAY.isoformat())
        DirtyUnit.objects.create(unit_id=world.branch_a1.pk)
        inc = recompute_dirty_task.enqueue(TODAY.isoformat())
    assert full.return_value["kind"] == "full" and full.return_value["units"] == 7
    assert inc.return_value["units"] == 1
