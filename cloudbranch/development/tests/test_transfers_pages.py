"""Transfer pages and API: rendering, status codes, pinned query counts of the list."""

import datetime
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cloudbranch.development import transfers as svc
from cloudbranch.development.models import Transfer
from cloudbranch.development.tests.factories import transfer_roles
from cloudbranch.testing.factories import PersonFactory


@pytest.fixture
def roles(world):
    return transfer_roles(world)


def make(world, n, to="CB01"):
    out = []
    for _ in range(n):
        p = PersonFactory(unit=world.branch_a1)
        out.append(
            svc.transfer_create_internal(actor=world.users["secretary1"], person_id=p.pk, to_unit=to, reason="调动")
        )
    return out


# session, user, grants, count, page; "mine" also reads the kinds of the granted units; an
# empty result (a1's secretary has nothing incoming or overdue) skips the page query.
@pytest.mark.parametrize("tab,expected", [("all", 6), ("mine", 7), ("out", 6), ("in", 5), ("overdue", 5)])
def test_list_query_count_is_constant(world, roles, login, tab, expected):
    client = login(world.users["secretary1"])
    make(world, 2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"/development/transfers/?tab={tab}").status_code == 200
    make(world, 6)
    with CaptureQueriesContext(connection) as many:
        assert client.get(f"/development/transfers/?tab={tab}").status_code == 200
    assert len(few) == len(many)
    assert len(many) == expected


def test_api_list_query_count_is_constant(world, roles, login):
    client = login(roles["sec_b1"])
    make(world, 2)
    with CaptureQueriesContext(connection) as few:
        r = client.get("/api/development/transfers?tab=in")
    assert r.status_code == 200 and r.json()["count"] == 2
    make(world, 5)
    with CaptureQueriesContext(connection) as many:
        r = client.get("/api/development/transfers?tab=in")
    assert r.json()["count"] == 7
    assert len(few) == len(many)


def test_pages_render(world, roles, login):
    t = make(world, 1)[0]
    client = login(world.users["secretary1"])
    for url in (
        "/development/transfers/",
        "/development/transfers/?tab=mine&q=人员",
        "/development/transfers/new/?kind=internal",
        "/development/transfers/new/?kind=outgoing",
        "/development/transfers/new/?kind=incoming",
        "/development/transfers/people/?q=人员",
        "/development/transfers/units/?q=数学",
        f"/development/transfers/{t.pk}/",
        "/development/transfers/batch/",
        f"/development/transfers/batch/people/?unit={world.branch_a1.pk}",
    ):
        r = client.get(url)
        assert r.status_code == 200, url
    assert "数学本科第一党支部" in client.get("/development/transfers/units/?q=数学").content.decode()
    r = client.get("/development/transfers/batch/template.xlsx")
    assert r.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(r.content)).active["A1"].value == "学号或身份证号"
    assert "审批" in client.get(f"/development/transfers/{t.pk}/").content.decode()
    # Sibling: 404; receiving side: 200; someone without any grant: 403 on the list.
    assert login(world.users["secretary2"]).get(f"/development/transfers/{t.pk}/").status_code == 404
    assert login(roles["sec_b1"]).get(f"/development/transfers/{t.pk}/").status_code == 200
    assert login(world.users["member1"]).get("/development/transfers/").status_code == 403


def test_create_and_decide_through_pages(world, roles, login):
    client = login(world.users["secretary1"])
    person = world.people["a1_other"]
    r = client.post(
        "/development/transfers/new/",
        {"kind": "internal", "person": person.pk, "to_unit": "CA01", "reason": "调动"},
    )
    assert r.status_code == 422 and "相同" in r.content.decode()
    assert not Transfer.objects.exists()
    r = client.post(
        "/development/transfers/new/",
        {"kind": "internal", "person": person.pk, "to_unit": "CA02", "reason": "调动"},
    )
    t = Transfer.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/development/transfers/{t.pk}/"
    r = client.post(f"/development/transfers/{t.pk}/decide/", {"decision": "rejected"})
    assert r.status_code == 422
    r = client.post(f"/development/transfers/{t.pk}/decide/", {"decision": "approved"})
    assert r.status_code == 302
    r = client.post(f"/development/transfers/{t.pk}/decide/", {"decision": "approved"})
    assert r.status_code == 403  # the receiving side's turn
    r = client.post(f"/development/transfers/{t.pk}/cancel/")
    assert r.status_code == 302
    r = client.post(f"/development/transfers/{t.pk}/cancel/")
    assert r.status_code == 409


def test_incoming_page_keeps_id_out_of_the_page(world, roles, login):
    from cloudbranch.testing.factories import id_number_for

    number = id_number_for(9, birth=datetime.date(1997, 1, 2))
    client = login(world.users["secretary1"])
    r = client.post(
        "/development/transfers/new/",
        {
            "kind": "incoming",
            "to_unit_id": world.branch_a1.pk,
            "name": "钱转入",
            "id_number": number,
            "category": "student",
            "political_status": "probationary",
            "joined_on": "2024-06-01",
            "external_org": "中共某中学支部",
            "reason": "入学",
        },
    )
    assert r.status_code == 302
    t = Transfer.objects.get()
    body = client.get(f"/development/transfers/{t.pk}/").content.decode()
    assert number not in body and t.incoming_data["id_number_masked"] in body


def test_api_flow(world, roles, login):
    client = login(world.users["secretary1"])
    person = world.people["a1_other"]
    r = client.post(
        "/api/development/transfers/outgoing",
        {"person_id": person.pk, "external_org": "某地党委", "reason": "毕业"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    data = r.json()
    tid = data["id"]
    assert data["letter_number"].startswith("CB-") and [lv["unit"]["code"] for lv in data["levels"]] == ["CA01", "CA"]
    r = client.post(f"/api/development/transfers/{tid}/receipt", {}, content_type="application/json")
    assert r.status_code == 409 and r.json()["detail"]
    r = client.post(
        f"/api/development/transfers/{tid}/decide", {"decision": "approved"}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["status"] == "pending_out"
    r = client.post(
        f"/api/development/transfers/{tid}/decide", {"decision": "approved"}, content_type="application/json"
    )
    assert r.status_code == 403
    r = login(roles["cs_a"]).post(
        f"/api/development/transfers/{tid}/decide", {"decision": "approved"}, content_type="application/json"
    )
    assert r.json()["status"] == "letter_issued"
    client = login(world.users["secretary1"])
    r = client.post(f"/api/development/transfers/{tid}/receipt", {}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "completed"
    assert client.get(f"/api/development/transfers/{tid}").status_code == 200
    assert login(world.users["secretary2"]).get(f"/api/development/transfers/{tid}").status_code == 404
    r = login(world.users["secretary1"]).get("/api/development/transfers/units?q=CB")
    assert {u["code"] for u in r.json()} >= {"CB01"}


def test_api_batch_upload(world, roles, login):
    g = PersonFactory(unit=world.branch_a1, staff_number="S1", name="毕业甲")
    wb = openpyxl.Workbook()
    wb.active.append(["学号或身份证号", "姓名", "转接类型", "去向党组织", "接收组织编码", "原因", "党费交至"])
    wb.active.append(["S1", "毕业甲", "outgoing", "某地", "", "", ""])
    buf = io.BytesIO()
    wb.save(buf)
    client = login(world.users["secretary1"])

    def post(dry):
        buf.seek(0)
        return client.post(
            "/api/development/transfers/batches",
            {"file": io.BytesIO(buf.getvalue()), "unit_id": world.branch_a1.pk, "dry_run": dry},
        )

    r = post("true")
    assert r.status_code == 200 and r.json()["status"] == "validated"
    r = post("false")
    assert r.status_code == 201 and r.json()["created"] == 1
    bid = r.json()["id"]
    r = post("false")  # the person now has an open transfer: 422, nothing created
    assert r.status_code == 422 and r.json()["errors"][0]["row"] == 2
    assert Transfer.objects.filter(person=g).count() == 1
    r = client.post(f"/api/development/transfers/batches/{bid}/approve", {}, content_type="application/json")
    assert r.status_code == 200 and r.json()["approved"] == 1
    r = client.get("/api/development/transfers/batches")
    assert r.status_code == 200 and r.json()["count"] == 3
