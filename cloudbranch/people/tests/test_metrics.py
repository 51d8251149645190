"""Structure metrics (people/metrics.py): hand-computed figures per unit and date, the ``units=``
filter, and one query per compute whatever the number of rows."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cloudbranch.core.metrics import DAY, MONTH, Period, get
from cloudbranch.people import metrics  # noqa: F401  (registers the metrics)
from cloudbranch.testing.factories import PersonFactory, make_unit

D = datetime.date
APRIL = Period(MONTH, D(2025, 4, 1), D(2025, 4, 30))
DECEMBER = Period(MONTH, D(2025, 12, 1), D(2025, 12, 31))


def today_period():
    today = timezone.localdate()
    return Period(DAY, today, today)


@pytest.fixture
def units(world):
    u1 = make_unit(parent=world.college_a)
    u2 = make_unit(parent=world.college_a)
    PersonFactory(  # full since 2025-03-10 (probationary from 2024-03-10)
        unit=u1,
        gender="female",
        category="faculty",
        education="博士研究生",
        birth_date=D(1990, 5, 1),
        joined_on=D(2024, 3, 10),
        confirmed_on=D(2025, 3, 10),
    )
    PersonFactory(  # probationary from 2025-06-01; its earlier stages have no dates (unknown)
        unit=u1,
        political_status="probationary",
        education="本科在读",
        birth_date=D(2003, 1, 1),
        joined_on=D(2025, 6, 1),
        confirmed_on=None,
        is_mobile=True,
    )
    PersonFactory(  # applicant from 2025-01-05, activist from 2025-09-01
        unit=u1,
        political_status="activist",
        applied_on=D(2025, 1, 5),
        activist_on=D(2025, 9, 1),
        joined_on=None,
        confirmed_on=None,
    )
    PersonFactory(unit=u1, roster_status="transferred_out")  # off the roster: never counted
    PersonFactory(  # full member without a probation date, retired, lost contact
        unit=u2,
        category="retiree",
        education="中专",
        birth_date=D(1950, 1, 1),
        joined_on=None,
        confirmed_on=D(2016, 6, 1),
        is_lost_contact=True,
    )
    return u1, u2


def fig(key, units, period):
    return get(key).compute([u.pk for u in units], period)


@pytest.mark.parametrize(
    ("key", "april", "december"),
    [
        ("structure.full_members", {0: 1, 1: 1}, {0: 1, 1: 1}),
        ("structure.probationary_members", {}, {0: 1}),
        ("structure.candidates", {}, {}),
        ("structure.activists", {}, {0: 1}),
        ("structure.applicants", {0: 1}, {}),
        ("structure.party_members", {0: 1, 1: 1}, {0: 2, 1: 1}),
        ("structure.members_male", {1: 1}, {0: 1, 1: 1}),
        ("structure.members_female", {0: 1}, {0: 1}),
        ("structure.members_faculty", {0: 1}, {0: 1}),
        ("structure.members_student", {}, {0: 1}),
        ("structure.members_retiree", {1: 1}, {1: 1}),
        ("structure.members_staff", {}, {}),
        ("structure.age_under_30", {}, {0: 1}),
        ("structure.age_30_45", {0: 1}, {0: 1}),
        ("structure.age_46_60", {}, {}),
        ("structure.age_over_60", {1: 1}, {1: 1}),
        ("structure.edu_postgraduate", {0: 1}, {0: 1}),
        ("structure.edu_bachelor", {}, {0: 1}),
        ("structure.edu_other", {1: 1}, {1: 1}),
        ("structure.mobile_members", {}, {0: 1}),
        ("structure.lost_contact", {1: 1}, {1: 1}),
    ],
)
def test_stocks_as_of_past_dates(units, key, april, december):
    for period, expected in ((APRIL, april), (DECEMBER, december)):
        want = {units[i].pk: Decimal(n) for i, n in expected.items()}
        assert fig(key, units, period) == want, (key, period)
        # compute_dates gives the same figures as compute, all dates in one go.
        batched = get(key).compute_dates([u.pk for u in units], [period.end])
        assert batched == {(u, period.end): v for u, v in want.items()}


def test_today_uses_current_status(units):
    u1, u2 = units
    p = today_period()
    assert fig("structure.full_members", units, p) == {u1.pk: 1, u2.pk: 1}
    assert fig("structure.probationary_members", units, p) == {u1.pk: 1}
    assert fig("structure.activists", units, p) == {u1.pk: 1}
    assert fig("structure.applicants", units, p) == {}
    assert fig("structure.party_members", units, p) == {u1.pk: 2, u2.pk: 1}


def test_units_filter(units):
    u1, u2 = units
    assert get("structure.party_members").compute([u2.pk], DECEMBER) == {u2.pk: 1}
    everyone = get("structure.party_members").compute(None, DECEMBER)
    assert everyone[u1.pk] == 2 and everyone[u2.pk] == 1


@pytest.mark.parametrize("key", ["structure.party_members", "structure.activists", "structure.age_30_45"])
def test_one_query_whatever_the_rows(units, key):
    u1, _u2 = units
    metric = get(key)
    dates = [D(2025, m, 28) for m in range(1, 13)]
    for _round in range(2):
        with CaptureQueriesContext(connection) as ctx:
            metric.compute(None, DECEMBER)
        assert len(ctx) == 1
        with CaptureQueriesContext(connection) as ctx:
            metric.compute_dates(None, dates)
        assert len(ctx) == 1
        PersonFactory.create_batch(5, unit=u1)
