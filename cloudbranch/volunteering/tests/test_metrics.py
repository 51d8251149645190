"""Volunteer-service metrics (volunteering/metrics.py)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cloudbranch.core.metrics import MONTH, Period, get
from cloudbranch.testing.factories import PersonFactory, make_unit
from cloudbranch.volunteering import metrics  # noqa: F401
from cloudbranch.volunteering.models import Wish
from cloudbranch.volunteering.tests.factories import local_dt, make_service_post, make_shift, make_signup

D = datetime.date
MARCH = Period(MONTH, D(2025, 3, 1), D(2025, 3, 31))


@pytest.fixture
def service(world):
    admin = world.users["admin"]
    u1, u2 = make_unit(parent=world.college_b), make_unit(parent=world.college_b)
    a, b = PersonFactory(unit=u1), PersonFactory(unit=u1)
    post = make_service_post(u2)  # u2's post: members of u1 serve it, hours count for u1
    s1 = make_shift(post, starts_at=local_dt(2025, 3, 5, 9))
    s2 = make_shift(post, starts_at=local_dt(2025, 3, 12, 9))
    s3 = make_shift(post, starts_at=local_dt(2025, 4, 1, 9))
    make_signup(s1, a, status="confirmed", hours=Decimal("2.5"))
    make_signup(s2, a, status="confirmed", hours=Decimal("1.0"))
    make_signup(s1, b, status="checked_out")  # hours not confirmed yet
    make_signup(s3, b, status="confirmed", hours=Decimal("3"))

    def wish(status, confirmed_at):
        Wish.objects.create(unit=u2, title="心愿", category="study", wisher_kind="in_need", wisher_name="小明",
                            status=status, claimed_by=a, confirmed_at=confirmed_at, created_by=admin)  # fmt: skip

    wish("confirmed", local_dt(2025, 3, 30, 10))
    wish("fulfilled", None)
    return u1, u2


def test_figures(service):
    u1, u2 = service
    ids = [u1.pk, u2.pk]
    assert get("service.hours").compute(ids, MARCH) == {u1.pk: Decimal("3.5")}
    assert get("service.services").compute(ids, MARCH) == {u1.pk: 2}
    assert get("service.volunteers").compute(ids, MARCH) == {u1.pk: 1}
    assert get("service.wishes_fulfilled").compute(ids, MARCH) == {u2.pk: 1}
    assert get("service.volunteers").compute_months(ids, D(2025, 1, 1), D(2025, 12, 31)) == {
        (u1.pk, D(2025, 3, 1)): 1,
        (u1.pk, D(2025, 4, 1)): 1,
    }
    assert get("service.hours").compute([u2.pk], MARCH) == {}


def test_one_query(service):
    for key in ("hours", "services", "volunteers", "wishes_fulfilled"):
        metric = get(f"service.{key}")
        with CaptureQueriesContext(connection) as ctx:
            metric.compute(None, MARCH)
            metric.compute_months(None, D(2024, 1, 1), D(2025, 12, 31))
        assert len(ctx) == 2, key
