import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cloudbranch.audit.models import AuditEvent
from cloudbranch.people.models import Person, PersonEvent
from cloudbranch.testing.factories import PersonFactory, id_number_for

ROLES = ("anonymous", "member1", "secretary1", "secretary2", "admin", "auditor")
MATRIX = {
    "list": (401, 403, 200, 200, 200, 403),
    "detail_a1": (401, 404, 200, 404, 200, 404),
    "events_a1": (401, 404, 200, 404, 200, 404),
    "me": (401, 200, 404, 404, 404, 404),
}
CASES = [
    pytest.param(name, role, row[i], id=f"{name}[{role}]")
    for name, row in MATRIX.items()
    for i, role in enumerate(ROLES)
]


def api_url(world, name):
    pk = world.people["a1_other"].pk
    return {
        "list": "/api/people",
        "detail_a1": f"/api/people/{pk}",
        "events_a1": f"/api/people/{pk}/events",
        "me": "/api/people/me",
    }[name]


@pytest.mark.parametrize(("name", "role", "expected"), CASES)
def test_api_status_per_role(client, world, name, role, expected):
    if role != "anonymous":
        client.force_login(world.users[role])
    response = client.get(api_url(world, name))
    assert response.status_code == expected
    if expected >= 400:
        assert set(response.json()) == {"detail", "errors"}


def test_list_is_scoped_paginated_and_masked(login, world):
    body = login(world.users["secretary1"]).get("/api/people").json()
    assert body["count"] == 2
    names = {item["name"] for item in body["items"]}
    assert names == {"张一", "党员一"}
    item = next(i for i in body["items"] if i["name"] == "张一")
    person = world.people["a1_other"]
    assert item["id_number_masked"] == person.id_number_masked
    assert item["phone_masked"] == person.phone_masked
    assert person.reveal_id_number() not in json.dumps(body) and person.phone not in json.dumps(body)
    assert item["political_status_label"] == "中共党员"


def test_list_filters(login, world):
    client = login(world.users["admin"])
    assert client.get("/api/people", {"unit": world.college_b.pk}).json()["count"] == 1
    target = world.people["a2_person"]
    body = client.get("/api/people", {"q": target.reveal_id_number()}).json()
    assert [i["name"] for i in body["items"]] == ["李二"]


def test_member_gets_own_record(login, world):
    client = login(world.users["member1"])
    body = client.get("/api/people/me").json()
    assert body["name"] == "党员一" and body["id_number"] is None
    assert client.get(f"/api/people/{world.people['member1'].pk}").status_code == 200
    assert client.get(f"/api/people/{world.people['member1'].pk}?reveal=1").status_code == 404


def test_reveal_audited_for_admin_and_refused_for_secretary(login, world):
    person = world.people["a1_other"]
    body = login(world.users["admin"]).get(f"/api/people/{person.pk}", {"reveal": 1}).json()
    assert body["id_number"] == person.reveal_id_number()
    assert AuditEvent.objects.filter(action="people.person.view_sensitive").count() == 1
    response = login(world.users["secretary1"]).get(f"/api/people/{person.pk}", {"reveal": 1})
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="people.person.view_sensitive").count() == 1
    plain = login(world.users["secretary1"]).get(f"/api/people/{person.pk}").json()
    assert plain["id_number"] is None and plain["id_number_masked"] == person.id_number_masked


def payload(world, **overrides):
    birth = datetime.date(1999, 9, 9)
    data = {
        "name": "孙八",
        "gender": "male",
        "id_number": id_number_for(21, birth=birth),
        "unit_code": world.branch_a1.code,
        "category": "student",
        "political_status": "applicant",
        "applied_on": "2019-10-01",
    }
    data.update(overrides)
    return data


def test_create_and_patch(login, world):
    client = login(world.users["secretary1"])
    response = client.post("/api/people", payload(world), content_type="application/json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert response.json()["birth_date"] == "1999-09-09"
    response = client.patch(
        f"/api/people/{pk}",
        {"political_status": "activist", "activist_on": "2020-03-01", "effective_on": "2020-03-01"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["political_status"] == "activist"
    events = client.get(f"/api/people/{pk}/events").json()
    assert {e["kind"] for e in events["items"]} == {"created", "status", "updated"}
    status = next(e for e in events["items"] if e["kind"] == "status")
    assert status["kind_label"] == "政治面貌变更" and status["effective_on"] == "2020-03-01"
    assert (status["old_value"], status["new_value"], status["actor"]) == ("入党申请人", "入党积极分子", "secretary1")


def test_create_invalid_is_422_with_field_errors_and_writes_nothing(login, world):
    counts = (Person.objects.count(), PersonEvent.objects.count(), AuditEvent.objects.count())
    response = login(world.users["secretary1"]).post(
        "/api/people",
        payload(world, applied_on="2030-01-01", id_number="110101199909090001"),
        content_type="application/json",
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert "id_number" in fields
    assert (Person.objects.count(), PersonEvent.objects.count(), AuditEvent.objects.count()) == counts


def test_create_in_sibling_unit_is_refused(login, world):
    client = login(world.users["secretary1"])
    response = client.post("/api/people", payload(world, unit_code="CA02"), content_type="application/json")
    assert response.status_code == 422
    response = client.post(
        "/api/people",
        {**payload(world), "unit_code": None, "unit_id": world.branch_a2.pk},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_patch_by_sibling_secretary_is_404_and_member_403_free(login, world):
    pk = world.people["a1_other"].pk
    response = login(world.users["secretary2"]).patch(
        f"/api/people/{pk}", {"name": "改名"}, content_type="application/json"
    )
    assert response.status_code == 404
    response = login(world.users["member1"]).patch(
        f"/api/people/{world.people['member1'].pk}", {"name": "改名"}, content_type="application/json"
    )
    assert response.status_code == 404  # own record is readable, not editable through the roster
    assert not Person.objects.filter(name="改名").exists()


def test_api_list_query_count_is_constant(login, world):
    client = login(world.users["admin"])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/people").status_code == 200
        return len(ctx.captured_queries)

    count()
    before = count()
    for i in range(40):
        PersonFactory(unit=[world.branch_a1, world.branch_a2, world.group_a1, world.branch_b1][i % 4])
    assert count() == before
