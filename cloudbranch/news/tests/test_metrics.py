"""Communication metrics (news/metrics.py), in the object's unit."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cloudbranch.core.metrics import MONTH, Period, get
from cloudbranch.news import metrics  # noqa: F401
from cloudbranch.news.models import Article, Message
from cloudbranch.testing.factories import make_unit

D = datetime.date
MARCH = Period(MONTH, D(2025, 3, 1), D(2025, 3, 31))


def at(y, m, d, h=9):
    return timezone.make_aware(datetime.datetime(y, m, d, h), timezone.get_current_timezone())


@pytest.fixture
def board(world):
    admin = world.users["admin"]
    u1, u2 = make_unit(parent=world.college_b), make_unit(parent=world.college_b)

    def article(unit, status, published_at):
        Article.objects.create(unit=unit, category="news", title="t", body="b", status=status,
                               published_at=published_at, author=admin)  # fmt: skip

    article(u1, "published", at(2025, 3, 2))
    article(u1, "withdrawn", at(2025, 3, 3))
    article(u1, "draft", None)
    article(u2, "published", at(2025, 4, 1, 0))

    def message(unit, created, answered=None):
        Message.objects.create(unit=unit, category="advice", title="t", body="b", created_at=created,
                               answered_at=answered)  # fmt: skip

    message(u1, at(2025, 3, 1), at(2025, 3, 1, 15))  # 6 hours
    message(u1, at(2025, 3, 30), at(2025, 4, 1, 9))  # 48 hours, counted in March (created then)
    message(u1, at(2025, 3, 31))  # not answered
    message(u2, at(2025, 4, 2), at(2025, 4, 2, 10))
    return u1, u2


def test_figures(board):
    u1, u2 = board
    ids = [u1.pk, u2.pk]
    assert get("communication.articles_published").compute(ids, MARCH) == {u1.pk: 2}
    assert get("communication.messages").compute(ids, MARCH) == {u1.pk: 3}
    assert get("communication.messages_answered").compute(ids, MARCH) == {u1.pk: 2}
    assert get("communication.response_hours_sum").compute(ids, MARCH) == {u1.pk: Decimal("54.00")}
    assert get("communication.response_hours_sum").compute_months(ids, D(2025, 1, 1), D(2025, 12, 31)) == {
        (u1.pk, D(2025, 3, 1)): Decimal("54.00"),
        (u2.pk, D(2025, 4, 1)): Decimal("1.00"),
    }
    assert get("communication.messages").compute([u2.pk], Period(MONTH, D(2025, 4, 1), D(2025, 4, 30))) == {u2.pk: 1}


def test_one_query(board):
    for key in ("articles_published", "messages", "messages_answered", "response_hours_sum"):
        metric = get(f"communication.{key}")
        with CaptureQueriesContext(connection) as ctx:
            metric.compute(None, MARCH)
            metric.compute_months(None, D(2024, 1, 1), D(2025, 12, 31))
        assert len(ctx) == 2, key
