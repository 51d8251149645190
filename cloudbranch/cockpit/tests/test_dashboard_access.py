"""Who may open which cockpit: scope (404 outside), the grant (403 when held nowhere), the default
unit, the drill-up link, the menu entry; the API follows the same rules."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from cloudbranch.cockpit import menu
from cloudbranch.core.nav import menu_for
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import UserFactory, grant

URL = reverse("cockpit:dashboard")
EXPORT = reverse("cockpit:dashboard_export")
API = "/api/cockpit/dashboard"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def test_sibling_branch_is_404_everywhere(world, login):
    client = login(world.users["secretary2"])
    a1 = world.branch_a1.pk
    assert client.get(URL, {"unit": a1}).status_code == 404
    assert client.get(EXPORT, {"unit": a1}).status_code == 404
    assert client.get(API, {"unit": a1}).status_code == 404
    assert client.get(URL, {"unit": "nonsense"}).status_code == 404
    assert client.get(URL, {"unit": world.branch_a2.pk}).status_code == 200


def test_no_cockpit_grant_is_403(world, login):
    client = login(world.users["member1"])
    assert client.get(URL).status_code == 403
    assert client.get(URL, {"unit": world.branch_a1.pk}).status_code == 403
    assert client.get(EXPORT).status_code == 403
    assert client.get(API).status_code == 403
    for duty in ("sysadmin", "auditor"):
        assert login(world.users[duty]).get(URL).status_code == 403


def test_anonymous_is_sent_to_login(world, client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_default_unit_is_the_users_top_unit(world, login):
    client = login(world.users["secretary1"])
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["unit"] == world.branch_a1
    assert response.context["parent_id"] is None  # the college is outside secretary1's cockpit
    admin = login(world.users["admin"])
    assert admin.get(URL).context["unit"] == world.root
    response = admin.get(URL, {"unit": world.branch_a1.pk})
    assert response.context["parent_id"] == world.college_a.pk


def test_committee_secretary_sees_the_college_and_below(world, login):
    user = UserFactory()
    grant(user, world.college_a, Role.COMMITTEE_SECRETARY)
    client = login(user)
    assert client.get(URL).context["unit"] == world.college_a
    assert client.get(URL, {"unit": world.branch_a1.pk}).status_code == 200
    assert client.get(URL, {"unit": world.root.pk}).status_code == 404
    assert client.get(URL, {"unit": world.branch_b1.pk}).status_code == 404


def test_menu_entry_for_cockpit_holders_only(world):
    menu.register_dashboard_menu()
    keys = {i["key"] for i in menu_for(world.users["admin"])}
    assert "cockpit_dashboard" in keys
    assert "cockpit_dashboard" not in {i["key"] for i in menu_for(world.users["member1"])}
