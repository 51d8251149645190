import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cloudbranch.notifications import services as notifications
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import PersonFactory, grant, make_unit

SECTIONS = ("home-tools", "home-units", "home-warnings", "home-notifications", "home-own", "home-links")
EXPECTED = {
    "admin": {"home-units", "home-warnings", "home-notifications", "home-links"},
    "secretary1": {"home-units", "home-warnings", "home-notifications", "home-links"},
    "secretary2": {"home-units", "home-warnings", "home-notifications", "home-links"},
    "member1": {"home-notifications", "home-own", "home-links"},
    "sysadmin": {"home-tools", "home-notifications"},
    "secadmin": {"home-tools", "home-notifications"},
    "auditor": {"home-tools", "home-notifications"},
}


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_home_sections_per_user(world, login, username):
    resp = login(world.users[username]).get(reverse("core:home"))
    assert resp.status_code == 200
    body = resp.content.decode()
    shown = {s for s in SECTIONS if f'id="{s}"' in body}
    assert shown == EXPECTED[username]


def test_secretary_sees_own_branch_with_warning_and_counts(world, login):
    body = login(world.users["secretary1"]).get(reverse("core:home")).content.decode()
    assert world.branch_a1.name in body
    assert world.branch_a2.name not in body  # a sibling branch is not theirs
    assert "不足 3 名" in body  # two full members in a1: too few
    assert "正式党员 2" in body
    assert reverse("cockpit:warnings") in body and reverse("people:list") in body


def test_member_sees_own_record_and_no_roster(world, login):
    body = login(world.users["member1"]).get(reverse("core:home")).content.decode()
    assert reverse("people:own") in body and "党员一" in body
    assert f'href="{reverse("people:list")}"' not in body
    assert f'href="{reverse("people_import:start")}"' not in body
    assert f'href="{reverse("orgs:tree")}"' in body  # a member sees their branch's public information


@pytest.mark.parametrize(
    ("username", "tool"), [("sysadmin", "accounts:users"), ("secadmin", "orgs:roles"), ("auditor", "audit:list")]
)
def test_duties_see_their_tools_and_no_party_data(world, login, username, tool):
    body = login(world.users[username]).get(reverse("core:home")).content.decode()
    assert reverse(tool) in body
    for party in (world.branch_a1.name, world.root.name, "党员一", reverse("cockpit:warnings")):
        assert party not in body


def test_unread_notifications_latest_five(world, login):
    user = world.users["secretary1"]
    for i in range(7):
        notifications.notify(recipients=[user], category="system", title=f"通知{i}")
    body = login(user).get(reverse("core:home")).content.decode()
    assert body.count("/open/") == 5
    assert "通知6" in body and "通知2" in body and "通知1" not in body
    assert reverse("notifications:inbox") in body


def _grow(world, n):
    """n more branches managed by secretary1, each with people and a warning (term expired)."""
    user = world.users["secretary1"]
    for i in range(n):
        unit = make_unit(parent=world.college_a, term_started_on=datetime.date(2015, 1, 1))
        grant(user, unit, Role.BRANCH_SECRETARY)
        for _ in range(2):
            PersonFactory(unit=unit)
        notifications.notify(recipients=[user], category="reminder", title=f"换届提醒 {i}")


def _count(client, *, cached: bool = False):
    """Queries of one home page view; with ``cached=False`` the minute-long summary cache is
    emptied first, so the count is that of the cold path."""
    client.get(reverse("core:home"))
    if not cached:
        cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("core:home")).status_code == 200
    return len(ctx.captured_queries)


def test_home_query_count_constant(world, login):
    client = login(world.users["secretary1"])
    _grow(world, 1)
    small = _count(client)
    _grow(world, 12)
    body = client.get(reverse("core:home")).content.decode()
    assert body.count("届满，应按期换届") == 13
    assert _count(client) == small
    assert small == 15, small  # incl. the development due/overdue count and the open warnings
    # warm: the warning count and the headcounts come from the cache
    assert _count(client, cached=True) == 12
