import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cloudbranch.audit.services import audit_bulk, audit_event, audit_record


@pytest.mark.parametrize("username", ["admin", "secretary1", "member1", "sysadmin", "secadmin"])
def test_others_forbidden(world, client, username):
    client.force_login(world.users[username])
    resp = client.get("/api/audit/events")
    assert resp.status_code == 403
    assert resp.json()["detail"]


def test_anonymous_401(db, client):
    assert client.get("/api/audit/events").status_code == 401


def test_auditor_lists_with_filters(world, client):
    audit_record(actor=world.users["admin"], action="orgs.unit.update", target=world.root)
    audit_record(actor=world.users["secretary1"], action="people.person.update", target=world.people["a1_other"])
    client.force_login(world.users["auditor"])
    body = client.get("/api/audit/events", {"action": "people."}).json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["action"] == "people.person.update" and item["actor_name"] == "secretary1"
    body = client.get("/api/audit/events", {"actor": "admin"}).json()
    assert [i["action"] for i in body["items"]] == ["orgs.unit.update"]


@pytest.mark.parametrize("n", [3, 90])
def test_query_count_constant(world, client, n):
    audit_bulk([audit_event(world.users["admin"], action="orgs.unit.update", target=world.root) for _ in range(n)])
    client.force_login(world.users["auditor"])
    client.get("/api/audit/events")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/api/audit/events").status_code == 200
    # session, user, the audit row of the read (head lock, insert, head update), count, page
    assert len(ctx.captured_queries) == 7
