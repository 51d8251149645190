"""/api/orgs: scoped lists, detail, writes through the services, error shapes."""

import pytest

from cloudbranch.orgs.choices import UnitKind, UnitStatus
from cloudbranch.orgs.models import OrgUnit, RoleAssignment
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import UserFactory


@pytest.fixture
def api(client):
    def _as(user):
        client.force_login(user)
        return client

    return _as


def codes(resp):
    return [u["code"] for u in resp.json()["items"]]


def test_units_list_is_scoped_and_filtered(api, world):
    resp = api(world.users["admin"]).get("/api/orgs/units")
    assert resp.status_code == 200
    assert resp.json()["count"] == 7
    assert api(world.users["secretary1"]).get("/api/orgs/units").json()["count"] == 2
    client = api(world.users["admin"])
    assert codes(client.get("/api/orgs/units", {"q": "ca0"})) == ["CA01", "CA01G1", "CA02"]
    assert codes(client.get("/api/orgs/units", {"parent": world.college_a.pk})) == ["CA01", "CA02"]
    assert set(codes(client.get("/api/orgs/units", {"kind": "sub_committee"}))) == {"CA", "CB"}
    assert codes(client.get("/api/orgs/units", {"status": "dissolved"})) == []
    item = client.get("/api/orgs/units", {"q": "CA01G1"}).json()["items"][0]
    assert item["kind_label"] == "党小组" and item["child_count"] == 0 and item["depth"] == 3
    assert client.get("/api/orgs/units", {"kind": "pope"}).status_code == 422


def test_unit_detail_and_children(api, world):
    client = api(world.users["member1"])
    body = client.get(f"/api/orgs/units/{world.branch_a1.pk}").json()
    assert body["code"] == "CA01" and body["child_count"] == 1 and body["parent_id"] == world.college_a.pk
    assert client.get(f"/api/orgs/units/{world.branch_a2.pk}").status_code == 404
    assert codes(client.get(f"/api/orgs/units/{world.branch_a1.pk}/children")) == ["CA01G1"]
    resp = client.get(f"/api/orgs/units/{world.college_a.pk}/children")
    assert resp.status_code == 404 and resp.json() == {"detail": "未找到。", "errors": []}


def test_create_update_move_merge_dissolve(api, world):
    client = api(world.users["admin"])
    resp = client.post(
        "/api/orgs/units",
        {"parent_id": world.college_b.pk, "code": "CB02", "name": "数学第二支部", "kind": "branch"},
        content_type="application/json",
    )
    assert resp.status_code == 201, resp.content
    new = resp.json()
    assert new["path"] == f"{world.college_b.path}{new['id']}/"
    resp = client.patch(f"/api/orgs/units/{new['id']}", {"name": "改名"}, content_type="application/json")
    assert resp.status_code == 200 and resp.json()["name"] == "改名"
    resp = client.post(
        f"/api/orgs/units/{new['id']}/move", {"parent_id": world.college_a.pk}, content_type="application/json"
    )
    assert resp.status_code == 200 and resp.json()["parent_id"] == world.college_a.pk
    resp = client.post(
        f"/api/orgs/units/{new['id']}/merge", {"into_id": world.branch_a2.pk}, content_type="application/json"
    )
    assert resp.status_code == 200 and resp.json()["status"] == "merged"
    resp = client.post(
        f"/api/orgs/units/{world.branch_b1.pk}/dissolve", {"reason": "x"}, content_type="application/json"
    )
    assert resp.status_code == 409 and "在册人员" in resp.json()["detail"]
    resp = client.post(
        f"/api/orgs/units/{world.group_a1.pk}/dissolve", {"reason": "x"}, content_type="application/json"
    )
    assert resp.status_code == 200 and resp.json()["status"] == UnitStatus.DISSOLVED


def test_validation_error_is_422_and_writes_nothing(api, world):
    client = api(world.users["admin"])
    before = OrgUnit.objects.count()
    resp = client.post(
        "/api/orgs/units",
        {"parent_id": world.branch_a1.pk, "code": "X", "name": "支部下的支部", "kind": UnitKind.BRANCH},
        content_type="application/json",
    )
    assert resp.status_code == 422
    body = resp.json()
    assert "不能设立" in body["detail"] and body["errors"][0]["field"] == "kind"
    resp = client.post("/api/orgs/units", {"parent_id": world.root.pk}, content_type="application/json")
    assert resp.status_code == 422 and {"code", "name", "kind"} <= {e["field"] for e in resp.json()["errors"]}
    resp = client.patch(f"/api/orgs/units/{world.branch_a1.pk}", {"code": "CA02"}, content_type="application/json")
    assert resp.status_code == 422
    resp = client.patch(f"/api/orgs/units/{world.branch_a1.pk}", {"name": None}, content_type="application/json")
    assert resp.status_code == 422
    assert OrgUnit.objects.count() == before
    assert OrgUnit.objects.get(pk=world.branch_a1.pk).code == "CA01"


def test_api_permissions(api, world):
    url = f"/api/orgs/units/{world.branch_a1.pk}"
    assert api(world.users["member1"]).patch(url, {"name": "x"}, content_type="application/json").status_code == 403
    assert api(world.users["secretary2"]).patch(url, {"name": "x"}, content_type="application/json").status_code == 404
    resp = api(world.users["secretary1"]).post(
        f"{url}/move", {"parent_id": world.college_b.pk}, content_type="application/json"
    )
    assert resp.status_code == 403
    assert api(world.users["secadmin"]).get("/api/orgs/units").json()["count"] == 0


def test_anonymous_is_401(client, world):
    assert client.get("/api/orgs/units").status_code == 401


def test_roles_api(api, world):
    client = api(world.users["secadmin"])
    resp = client.get("/api/orgs/roles", {"unit_code": "CA01"})
    assert resp.status_code == 200
    assert {r["username"] for r in resp.json()["items"]} == {"secretary1", "member1"}
    user = UserFactory(username="apiuser")
    resp = client.post(
        "/api/orgs/roles",
        {"username": "apiuser", "unit_code": "CB01", "role": "fee_collector"},
        content_type="application/json",
    )
    assert resp.status_code == 201 and resp.json()["role_label"] == "党费收缴员"
    resp = client.post(
        "/api/orgs/roles",
        {"user_id": user.pk, "unit_id": world.branch_b1.pk, "role": "fee_collector"},
        content_type="application/json",
    )
    assert resp.status_code == 409
    aid = RoleAssignment.objects.active().get(user=user).pk
    resp = client.post(f"/api/orgs/roles/{aid}/revoke")
    assert resp.status_code == 200 and resp.json()["revoked_at"]
    assert client.post(f"/api/orgs/roles/{aid}/revoke").status_code == 422
    for who in ("admin", "auditor"):
        other = api(world.users[who])
        assert other.get("/api/orgs/roles").status_code == 403
        assert (
            other.post(
                "/api/orgs/roles",
                {"username": "apiuser", "unit_code": "CB01", "role": Role.MEMBER},
                content_type="application/json",
            ).status_code
            == 403
        )


def test_openapi_lists_the_endpoints(client, world):
    client.force_login(world.users["admin"])
    spec = client.get("/api/openapi.json").json()
    for p in ("/api/orgs/units", "/api/orgs/units/{unit_id}", "/api/orgs/units/{unit_id}/children", "/api/orgs/roles"):
        assert p in spec["paths"]
    assert "ErrorOut" in spec["components"]["schemas"]
