"""Pinned query counts: constant as rows grow."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cloudbranch.volunteering import signups
from cloudbranch.volunteering.models import Signup

from .factories import posts_member, posts_open_post

pytestmark = pytest.mark.django_db


def _count(client, url, **kw):
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(url, **kw)
    assert resp.status_code == 200, resp.content[:500]
    return len(ctx.captured_queries)


def _grow_posts(world, n):
    for i in range(n):
        post, shifts = posts_open_post(world.users["secretary1"], world.branch_a1, shifts=2, title=f"岗位{i}")
        u, _ = posts_member(world.branch_a1)
        signups.signup(actor=u, shift_id=shifts[0].pk)


@pytest.mark.parametrize(
    "who,url,expected",
    [
        ("member1", reverse("volunteering:posts"), 9),
        ("secretary1", reverse("volunteering:posts") + "?tab=manage", 8),
        ("member1", "/api/service/posts", 6),
    ],
)
def test_post_lists(world, login, who, url, expected):
    client = login(world.users[who])
    _grow_posts(world, 2)
    small = _count(client, url)
    _grow_posts(world, 5)
    assert _count(client, url) == small == expected
    print(f"QUERIES {url}: {small}")


def _grow_roster(world, shift, n):
    for _ in range(n):
        u, _ = posts_member(world.branch_a1)
        signups.signup(actor=u, shift_id=shift.pk)


@pytest.mark.parametrize("kind,expected", [("page", 8), ("api", 6)])
def test_roster(world, login, kind, expected):
    _post, (shift,) = posts_open_post(world.users["secretary1"], world.branch_a1, headcount=3)
    url = (
        reverse("volunteering:shift_roster", args=[shift.pk])
        if kind == "page"
        else f"/api/service/shifts/{shift.pk}/roster"
    )
    client = login(world.users["secretary1"])
    _grow_roster(world, shift, 2)
    small = _count(client, url)
    _grow_roster(world, shift, 6)  # seats and waitlist
    assert _count(client, url) == small == expected
    print(f"QUERIES roster {kind}: {small}")


@pytest.mark.parametrize("url,expected", [(reverse("volunteering:my_service"), 11), ("/api/service/me/signups", 5)])
def test_my_service(world, login, url, expected):
    import datetime

    client = login(world.users["member1"])
    made = []

    def grow(n):
        for _ in range(n):
            made.append(1)
            _post, (shift,) = posts_open_post(
                world.users["secretary1"],
                world.branch_a1,
                headcount=1,
                starts_in=datetime.timedelta(days=2 + len(made)),
            )
            other, _ = posts_member(world.branch_a1)
            signups.signup(actor=other, shift_id=shift.pk)
            row = signups.signup(actor=world.users["member1"], shift_id=shift.pk)  # waitlisted
            assert row.status == "waitlisted"

    grow(2)
    # and some past, confirmed service
    Signup.objects.filter(person=world.people["member1"]).update(status="confirmed", hours=2)
    grow(1)
    small = _count(client, url)
    grow(4)
    assert _count(client, url) == small == expected
    print(f"QUERIES my service {url}: {small}")
