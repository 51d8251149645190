"""The warnings page and API: scoped to the user's subtree, open by default with the 已解除 tab,
filters, counts per area, constant queries as rows grow; refresh by the organization department."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cloudbranch.cockpit.menu import WARNINGS_ENTRY
from cloudbranch.cockpit.models import Warning
from cloudbranch.core.alerts import DANGER, WARNING
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import UserFactory, grant

pytestmark = pytest.mark.django_db
URL = "/cockpit/warnings/"
API = "/api/cockpit/warnings"


def make_warning(unit, subject, *, rule="structure.branch_size", severity=WARNING, cleared=False, message=None):
    return Warning.objects.create(
        rule=rule,
        unit=unit,
        subject=subject,
        severity=severity,
        message=message or f"{unit.name}：{subject}",
        url=f"/orgs/{unit.pk}/",
        cleared_at=timezone.now() if cleared else None,
    )


@pytest.fixture
def warnings_world(world):
    make_warning(world.branch_a1, "a1:open", severity=DANGER, message="一支部的预警")
    make_warning(world.branch_a1, "a1:cleared", cleared=True, message="一支部已解除")
    make_warning(world.branch_a2, "a2:open", rule="life.meetings_behind", message="二支部的预警")
    make_warning(world.branch_b1, "b1:open", rule="dues.arrears", message="数学支部的预警")
    return world


def test_secretary_sees_own_branch_only(client, login, warnings_world):
    w = warnings_world
    login(w.users["secretary1"])
    body = client.get(URL).content.decode()
    assert "一支部的预警" in body and "二支部的预警" not in body and "数学支部的预警" not in body
    assert "一支部已解除" not in body  # open ones by default
    assert "去处理" in body and "支部书记" in body  # link to fix and owner hint
    body = client.get(URL + "?state=cleared").content.decode()
    assert "一支部已解除" in body and "一支部的预警" not in body

    login(w.users["secretary2"])
    body = client.get(URL).content.decode()
    assert "二支部的预警" in body and "一支部的预警" not in body
    # a foreign unit filter gives nothing, never a1's warnings
    body = client.get(URL + f"?unit={w.branch_a1.pk}").content.decode()
    assert "一支部的预警" not in body and "不在您的预警查看范围内" in body


def test_admin_filters_and_area_counts(client, login, warnings_world):
    w = warnings_world
    login(w.users["admin"])
    response = client.get(URL)
    body = response.content.decode()
    assert all(t in body for t in ("一支部的预警", "二支部的预警", "数学支部的预警"))
    counts = {c["area"]: c["count"] for c in response.context["counts"]}
    assert counts == {"structure": 1, "life": 1, "dues": 1}
    body = client.get(URL + "?area=dues").content.decode()
    assert "数学支部的预警" in body and "一支部的预警" not in body
    body = client.get(URL + "?severity=danger").content.decode()
    assert "一支部的预警" in body and "二支部的预警" not in body
    body = client.get(URL + "?rule=life.meetings_behind").content.decode()
    assert "二支部的预警" in body and "一支部的预警" not in body
    body = client.get(URL + f"?unit={w.college_a.pk}").content.decode()
    assert "一支部的预警" in body and "二支部的预警" in body and "数学支部的预警" not in body


def test_college_secretary_sees_college(client, login, warnings_world):
    w = warnings_world
    sec = UserFactory()
    grant(sec, w.college_a, Role.COMMITTEE_SECRETARY)
    login(sec)
    body = client.get(URL).content.decode()
    assert "一支部的预警" in body and "二支部的预警" in body and "数学支部的预警" not in body


def test_member_and_duties_refused(client, login, warnings_world):
    for name in ("member1", "sysadmin"):
        login(warnings_world.users[name])
        assert client.get(URL).status_code == 403
    assert not WARNINGS_ENTRY.visible(warnings_world.users["member1"])
    assert WARNINGS_ENTRY.visible(warnings_world.users["secretary1"])


def _page_queries(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_page_queries_constant(client, login, warnings_world):
    w = warnings_world
    login(w.users["admin"])
    client.get(URL)
    first = _page_queries(client)
    for i in range(30):
        make_warning([w.branch_a1, w.branch_a2, w.branch_b1][i % 3], f"more:{i}", rule="tasks.targets_overdue")
    assert _page_queries(client) == first
    # session, user, grants, counts per area, page count, page rows, the menu's own-person flags
    assert first == 7


def test_htmx_page_renders_rows_only(client, login, warnings_world):
    w = warnings_world
    for i in range(25):
        make_warning(w.branch_a1, f"p:{i}")
    login(w.users["admin"])
    response = client.get(URL + "?page=2", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body and "第 2 / 2 页" in body


def test_refresh_page_only_for_org_admin(client, login, world):
    login(world.users["secretary1"])
    assert client.post("/cockpit/warnings/refresh/").status_code == 403
    login(world.users["admin"])
    response = client.post("/cockpit/warnings/refresh/")
    assert response.status_code == 302 and response.url == URL
    assert Warning.objects.filter(subject=f"unit:{world.branch_a1.pk}:too_few", cleared_at__isnull=True).exists()
    from cloudbranch.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="cockpit.warnings.refresh").count() == 1


# --- API ---------------------------------------------------------------------------------------


def test_api_list_scoped_and_filtered(client, login, warnings_world):
    w = warnings_world
    login(w.users["secretary2"])
    data = client.get(API).json()
    assert data["count"] == 1
    item = data["items"][0]
    assert item["subject"] == "a2:open" and item["area"] == "life" and item["owner_perm"] == "meetings.add_meeting"
    assert item["unit_name"] == w.branch_a2.name and item["severity_label"] == "警告" and item["cleared_at"] is None
    login(w.users["admin"])
    assert client.get(API).json()["count"] == 3
    assert client.get(API + "?state=cleared").json()["count"] == 1
    assert client.get(API + "?state=all").json()["count"] == 4
    assert client.get(API + "?area=dues").json()["count"] == 1
    assert client.get(API + "?severity=danger").json()["count"] == 1
    assert client.get(API + f"?unit={w.college_a.pk}").json()["count"] == 2
    assert client.get(API + "?state=bogus").status_code == 422
    login(w.users["member1"])
    assert client.get(API).status_code == 403


def test_api_list_queries_constant(client, login, warnings_world):
    w = warnings_world
    login(w.users["admin"])
    client.get(API)
    with CaptureQueriesContext(connection) as small:
        client.get(API)
    for i in range(30):
        make_warning(w.branch_b1, f"api:{i}")
    with CaptureQueriesContext(connection) as large:
        data = client.get(API).json()
    assert data["count"] == 33 and len(data["items"]) == 20
    assert len(small.captured_queries) == len(large.captured_queries) == 5


def test_api_refresh(client, login, world):
    login(world.users["secretary1"])
    assert client.post(API + "/refresh", content_type="application/json").status_code == 403
    login(world.users["admin"])
    response = client.post(API + "/refresh", content_type="application/json")
    assert response.status_code == 200
    data = response.json()
    assert data["opened"] >= 1 and not data["errors"]
    assert {r["key"] for r in data["rules"]} >= {"structure.branch_size", "tasks.targets_overdue"}
    assert datetime.date.fromisoformat(data["today"]) == timezone.localdate()
