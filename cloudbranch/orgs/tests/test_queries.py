"""Pinned query counts: the tree fragment, the search and the API list do not grow with rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cloudbranch.orgs.choices import UnitKind
from cloudbranch.testing.factories import make_unit


def count_queries(client, url, data=None, **headers) -> int:
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(url, data or {}, **headers)
    assert resp.status_code == 200, resp.content[:500]
    return len(ctx.captured_queries)


def grow(world, n=30):
    """n more branches under college A (each with a group, so every row has a child count)."""
    for i in range(n):
        branch = make_unit(parent=world.college_a, name=f"增长支部{i}", code=f"GROW{i:03d}")
        make_unit(parent=branch, kind=UnitKind.GROUP, name=f"增长小组{i}", code=f"GROWG{i:03d}")


# session, user, grants, the unit (access check), one page of children with their counts
TREE_CHILDREN = 5
# session, user, grants, count, page, visible ancestors of the page
SEARCH = 6
# session, user, grants, count, page
API_UNITS = 5


@pytest.mark.parametrize(
    ("url_name", "data", "headers", "expected"),
    [
        pytest.param("tree_children", {}, {"HTTP_HX_REQUEST": "true"}, TREE_CHILDREN, id="tree_children"),
        pytest.param("tree", {"q": "支部"}, {"HTTP_HX_REQUEST": "true"}, SEARCH, id="search"),
    ],
)
def test_tree_fragments_are_flat(client, world, url_name, data, headers, expected):
    client.force_login(world.users["admin"])
    url = (
        reverse(f"orgs:{url_name}", args=[world.college_a.pk]) if url_name == "tree_children" else reverse("orgs:tree")
    )
    count_queries(client, url, data, **headers)  # warm caches
    few = count_queries(client, url, data, **headers)
    grow(world)
    many = count_queries(client, url, data, **headers)
    assert few == many == expected


def test_api_units_is_flat(client, world):
    client.force_login(world.users["admin"])
    count_queries(client, "/api/orgs/units")
    few = count_queries(client, "/api/orgs/units")
    grow(world)
    assert count_queries(client, "/api/orgs/units") == few == API_UNITS
    assert count_queries(client, f"/api/orgs/units/{world.college_a.pk}/children") == API_UNITS + 1


@pytest.mark.parametrize("page", ["tree", "unit_detail", "roles"])
def test_full_pages_are_flat(client, world, page):
    """Full pages include the menu of every app, so only flatness is pinned here."""
    user = world.users["secadmin" if page == "roles" else "admin"]
    client.force_login(user)
    url = reverse(f"orgs:{page}", args=[world.college_a.pk]) if page == "unit_detail" else reverse(f"orgs:{page}")
    count_queries(client, url)
    few = count_queries(client, url)
    grow(world)
    if page == "roles":
        from cloudbranch.orgs.models import OrgUnit, RoleAssignment
        from cloudbranch.orgs.roles import Role
        from cloudbranch.testing.factories import UserFactory

        for unit in OrgUnit.objects.filter(code__startswith="GROW")[:30]:
            RoleAssignment.objects.create(user=UserFactory(), unit=unit, role=Role.MEMBER)
    assert count_queries(client, url) == few
