"""``structure.branches`` (orgs/metrics.py)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cloudbranch.core.metrics import DAY, MONTH, Period, get
from cloudbranch.orgs import metrics  # noqa: F401
from cloudbranch.orgs.choices import UnitKind, UnitStatus
from cloudbranch.testing.factories import make_unit

D = datetime.date


@pytest.mark.django_db
def test_branches(world):
    college = make_unit(parent=world.college_b, kind=UnitKind.GENERAL_BRANCH)
    b1 = make_unit(parent=college, founded_on=D(2024, 1, 1))
    b2 = make_unit(parent=college, kind=UnitKind.MOBILE_BRANCH, founded_on=D(2025, 6, 1))
    b3 = make_unit(parent=college, status=UnitStatus.DISSOLVED, founded_on=D(2020, 1, 1), closed_on=D(2025, 3, 1))
    group = make_unit(parent=b1, kind=UnitKind.GROUP)
    ids = [college.pk, b1.pk, b2.pk, b3.pk, group.pk]
    metric = get("structure.branches")
    jan = Period(MONTH, D(2025, 1, 1), D(2025, 1, 31))
    jul = Period(MONTH, D(2025, 7, 1), D(2025, 7, 31))
    today = timezone.localdate()
    assert metric.compute(ids, jan) == {b1.pk: Decimal(1), b3.pk: Decimal(1)}
    assert metric.compute(ids, jul) == {b1.pk: Decimal(1), b2.pk: Decimal(1)}
    assert metric.compute(ids, Period(DAY, today, today)) == {b1.pk: 1, b2.pk: 1}
    assert metric.compute([b2.pk], jul) == {b2.pk: 1}
    assert metric.compute_dates(ids, [jan.end, jul.end]) == {
        (b1.pk, jan.end): 1,
        (b3.pk, jan.end): 1,
        (b1.pk, jul.end): 1,
        (b2.pk, jul.end): 1,
    }
    everyone = metric.compute(None, jul)
    assert everyone[world.branch_a1.pk] == 1 and world.college_a.pk not in everyone
    for _round in range(2):
        with CaptureQueriesContext(connection) as ctx:
            metric.compute(None, jul)
            metric.compute_dates(None, [jan.end, jul.end])
        assert len(ctx) == 2
        make_unit(parent=college)
