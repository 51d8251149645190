"""``learning.points`` (points/metrics.py)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cloudbranch.core.metrics import MONTH, Period, get
from cloudbranch.points import metrics  # noqa: F401
from cloudbranch.points.models import PointEvent
from cloudbranch.testing.factories import PersonFactory, make_unit

D = datetime.date
MARCH = Period(MONTH, D(2025, 3, 1), D(2025, 3, 31))


def event(person, points, day, source):
    return PointEvent.objects.create(
        person=person, action="read", points=points, source_type="t", source_id=source, day=day
    )


@pytest.mark.django_db
def test_points(world):
    u1, u2 = make_unit(parent=world.college_b), make_unit(parent=world.college_b)
    a, b = PersonFactory(unit=u1), PersonFactory(unit=u2)
    event(a, 5, D(2025, 3, 1), "1")
    event(a, -2, D(2025, 3, 31), "2")  # a correction
    event(b, 7, D(2025, 4, 1), "3")
    metric = get("learning.points")
    assert metric.compute([u1.pk, u2.pk], MARCH) == {u1.pk: 3}
    assert metric.compute([u2.pk], Period(MONTH, D(2025, 4, 1), D(2025, 4, 30))) == {u2.pk: 7}
    assert metric.compute_months([u1.pk, u2.pk], D(2025, 1, 1), D(2025, 12, 31)) == {
        (u1.pk, D(2025, 3, 1)): 3,
        (u2.pk, D(2025, 4, 1)): 7,
    }
    for n in range(2):
        with CaptureQueriesContext(connection) as ctx:
            metric.compute(None, MARCH)
            metric.compute_months(None, D(2025, 1, 1), D(2025, 12, 31))
        assert len(ctx) == 2
        event(PersonFactory(unit=u1), 1, D(2025, 3, 2), f"x{n}")
