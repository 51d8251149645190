"""Development metrics (development/metrics.py): funnel flows from the stage dates on Person and
the on-time share of recorded steps."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cloudbranch.core.metrics import MONTH, Period, get
from cloudbranch.development import metrics  # noqa: F401
from cloudbranch.development.models import StepRecord
from cloudbranch.development.tests.factories import make_case
from cloudbranch.testing.factories import PersonFactory, make_unit

D = datetime.date
MARCH = Period(MONTH, D(2025, 3, 1), D(2025, 3, 31))


@pytest.mark.django_db
def test_funnel_flows(world):
    u1, u2 = make_unit(parent=world.college_b), make_unit(parent=world.college_b)
    PersonFactory(unit=u1, political_status="applicant", applied_on=D(2025, 3, 3), joined_on=None, confirmed_on=None)
    PersonFactory(
        unit=u1, political_status="activist", applied_on=D(2024, 9, 1), activist_on=D(2025, 3, 31),
        joined_on=None, confirmed_on=None, roster_status="left",  # left since: the event still happened
    )  # fmt: skip
    PersonFactory(unit=u2, political_status="probationary", joined_on=D(2025, 3, 15), confirmed_on=None)
    PersonFactory(unit=u2, joined_on=D(2024, 3, 1), confirmed_on=D(2025, 3, 1))
    ids = [u1.pk, u2.pk]
    assert get("development.applications").compute(ids, MARCH) == {u1.pk: 1}
    assert get("development.activists_new").compute(ids, MARCH) == {u1.pk: 1}
    assert get("development.candidates_new").compute(ids, MARCH) == {}
    assert get("development.admitted").compute(ids, MARCH) == {u2.pk: 1}
    assert get("development.confirmed").compute(ids, MARCH) == {u2.pk: 1}
    assert get("development.admitted").compute([u1.pk], MARCH) == {}
    assert get("development.admitted").compute_months(ids, D(2024, 1, 1), D(2025, 12, 31)) == {
        (u2.pk, D(2024, 3, 1)): 1,
        (u2.pk, D(2025, 3, 1)): 1,
    }
    for key in ("applications", "activists_new", "candidates_new", "admitted", "confirmed"):
        with CaptureQueriesContext(connection) as ctx:
            get(f"development.{key}").compute(None, MARCH)
            get(f"development.{key}").compute_months(None, D(2024, 1, 1), D(2025, 12, 31))
        assert len(ctx) == 2


@pytest.mark.django_db
def test_steps_recorded_and_on_time(world):
    unit = make_unit(parent=world.college_b)
    case = make_case(actor=world.users["admin"], unit=unit, applied_on=D(2022, 3, 1), upto="activist_assessment")
    records = list(StepRecord.objects.filter(case=case).order_by("occurred_on", "id"))
    assert len(records) >= 3
    StepRecord.objects.filter(pk=records[1].pk).update(late_reason="材料延误")  # recorded after its due date
    StepRecord.objects.filter(pk=records[2].pk).update(status="voided")  # voided: not counted
    by_month: dict = {}
    for r in records:
        if r.pk != records[2].pk:
            key = (unit.pk, r.occurred_on.replace(day=1))
            by_month[key] = by_month.get(key, 0) + 1
    first, last = records[0].occurred_on.replace(day=1), records[-1].occurred_on
    recorded = get("development.steps_recorded").compute_months([unit.pk], first, last)
    on_time = get("development.steps_on_time").compute_months([unit.pk], first, last)
    assert recorded == by_month
    assert sum(recorded.values()) - sum(on_time.values()) == 1
    whole = Period(MONTH, first, last)
    assert get("development.steps_recorded").compute([unit.pk], whole) == {unit.pk: len(records) - 1}
    assert get("development.steps_on_time").compute([unit.pk], whole) == {unit.pk: len(records) - 2}
    for key in ("steps_recorded", "steps_on_time"):
        with CaptureQueriesContext(connection) as ctx:
            get(f"development.{key}").compute(None, whole)
        assert len(ctx) == 1
