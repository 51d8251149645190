"""Pinned query counts of the board pages and the API list: constant as messages and replies grow."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cloudbranch.news.models import MessageReply
from cloudbranch.news.tests.factories import make_message
from cloudbranch.testing.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


def _grow(world, n, *, author):
    for i in range(n):
        m = make_message(world.branch_a1, author=author, title=f"留言{i}", anonymous=i % 3 == 0, pinned=i % 7 == 0)
        MessageReply.objects.create(message=m, author=world.users["secretary1"], body=f"回复{i}")
        MessageReply.objects.create(message=m, author=world.users["secretary1"], body=f"内部{i}", public=False)


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "who,url,expected",
    [
        # session, user, unit, tree roots, grants, count, rows, public replies, menu's person
        ("member1", "/news/board/?unit={a1}", 9),
        ("secretary1", "/news/board/?unit={a1}", 9),
        ("secretary1", "/news/board/manage/?status=all", 7),
        ("member1", "/api/news/board/messages?unit={a1}", 8),
        ("secretary1", "/api/news/board/messages?unit={a1}", 7),
        ("secretary1", "/api/news/board/messages", 5),
    ],
)
def test_board_query_counts_are_constant(world, client, who, url, expected):
    url = url.format(a1=world.branch_a1.pk)
    author = UserFactory()
    PersonFactory(unit=world.branch_a1, user=author)
    client.force_login(world.users[who])
    _grow(world, 2, author=author)
    few = _count(client, url)
    _grow(world, 30, author=author)
    many = _count(client, url)
    assert (few, many) == (expected, expected)


def test_visitor_board_query_count(world, client):
    from cloudbranch.news.tests.factories import open_public_board

    open_public_board(world.root, world.users["admin"])
    author = UserFactory()
    PersonFactory(unit=world.root, user=author)
    url = f"/news/board/?unit={world.root.pk}"
    for i in range(2):
        make_message(world.root, author=author, title=f"留言{i}")
    few = _count(client, url)
    for i in range(30):
        m = make_message(world.root, title=f"访客{i}", visitor_name="校友")
        MessageReply.objects.create(message=m, author=world.users["admin"], body="答复")
    assert _count(client, url) == few
