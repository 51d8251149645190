"""Response-time statistics per child unit (answered rate, average and median hours, open over
7 days, top categories), in a constant number of queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cloudbranch.news import board
from cloudbranch.news.tests.factories import make_message

pytestmark = pytest.mark.django_db

H = datetime.timedelta(hours=1)


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def messages(world, now):
    t0 = now - datetime.timedelta(days=20)
    m = make_message
    for hours, category in ((2, "suggestion"), (4, "suggestion"), (12, "suggestion")):
        m(world.branch_a1, category=category, created_at=t0, answered_at=t0 + hours * H, status="answered")
    m(world.branch_a1, category="complaint", created_at=now - datetime.timedelta(days=8))  # open > 7 days
    m(world.branch_a1, category="suggestion", created_at=now - datetime.timedelta(days=1))  # open, recent
    for hours in (1, 3):
        m(world.branch_a2, category="consultation", created_at=t0, answered_at=t0 + hours * H, status="closed")
    m(world.branch_b1, category="complaint", created_at=t0, answered_at=t0 + 10 * H, status="answered")
    m(world.root, category="other", created_at=now - H)


def _by_label(rows):
    return {r.label: r for r in rows}


def test_stats_per_college(world, messages, now):
    rows, total = board.board_stats(user=world.users["admin"], unit=world.root, now=now)
    by = _by_label(rows)
    a = by["计算机学院党委"]
    assert (a.messages, a.answered, a.answered_rate, a.stale_open) == (7, 5, 71.4, 1)
    assert a.avg_hours == 4.4  # (2 + 4 + 12 + 1 + 3) / 5
    assert a.median_hours == 3.0
    assert a.categories == [("意见建议", 4), ("咨询", 2), ("反映问题", 1)]
    b = by["数学学院党委"]
    assert (b.messages, b.answered, b.answered_rate, b.avg_hours, b.median_hours) == (1, 1, 100.0, 10.0, 10.0)
    own = by["某大学党委（本级）"]
    assert (own.messages, own.answered, own.answered_rate, own.avg_hours, own.median_hours) == (1, 0, 0.0, None, None)
    assert (total.messages, total.answered, total.stale_open) == (9, 6, 1)
    assert total.avg_hours == 5.3  # 32 / 6
    assert total.median_hours == 3.5  # 1 2 3 | 4 10 12
    assert total.categories[0] == ("意见建议", 4)


def test_stats_per_branch_with_an_even_median(world, messages, now):
    rows, total = board.board_stats(user=world.users["admin"], unit=world.college_a, now=now)
    by = _by_label(rows)
    a1, a2 = by["计算机本科第一党支部"], by["计算机本科第二党支部"]
    assert (a1.messages, a1.answered, a1.avg_hours, a1.median_hours, a1.stale_open) == (5, 3, 6.0, 4.0, 1)
    assert (a2.messages, a2.answered, a2.avg_hours, a2.median_hours) == (2, 2, 2.0, 2.0)
    assert total.median_hours == 3.0


def test_stats_query_count_is_constant(world, now):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            board.board_stats(user=world.users["admin"], unit=world.root, now=now)
        return len(ctx.captured_queries)

    board.board_stats(user=world.users["admin"], unit=world.root, now=now)  # grants cached on the user
    empty = count()
    for unit in (world.branch_a1, world.branch_a2, world.branch_b1, world.group_a1):
        for i in range(6):
            make_message(unit, created_at=now - i * H, answered_at=now if i % 2 else None)
    assert count() == empty == 5


def test_stats_page_and_api(world, messages, client):
    client.force_login(world.users["admin"])
    response = client.get(f"/news/board/stats/?unit={world.root.pk}")
    assert response.status_code == 200
    text = response.content.decode()
    assert "计算机学院党委" in text and "71.4%" in text and "4.4" in text
    data = client.get(f"/api/news/board/stats?unit={world.college_a.pk}").json()
    rows = {r["label"]: r for r in data["rows"]}
    assert rows["计算机本科第一党支部"]["median_hours"] == 4.0
    assert rows["计算机本科第二党支部"]["answered_rate"] == 100.0
    assert data["total"]["messages"] == 7


def test_branch_secretary_sees_only_their_branch(world, messages, client):
    client.force_login(world.users["secretary1"])
    assert client.get(f"/news/board/stats/?unit={world.root.pk}").status_code == 404
    response = client.get("/news/board/stats/")
    assert response.status_code == 200 and "计算机本科第一党支部" in response.content.decode()
