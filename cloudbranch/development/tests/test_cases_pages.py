"""Case pages and API with the Django test client: scoping, 422 refusals, query counts."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cloudbranch.development import cases
from cloudbranch.development.models import CaseContact, StepRecord
from cloudbranch.development.tests.factories import applicant, make_case, walk
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant

D = datetime.date
APPLIED = D(2022, 3, 1)


@pytest.fixture
def sec(world):
    return world.users["secretary1"]


@pytest.fixture
def case(world, sec):
    p = applicant(world.branch_a1, name="申请人乙", birth_date=D(2000, 1, 1))
    return cases.case_open(actor=sec, person_id=p.pk, applied_on=APPLIED)


@pytest.fixture
def committee(world):
    return grant(UserFactory(), world.college_a, Role.COMMITTEE_SECRETARY).user


# --- list -------------------------------------------------------------------------------------


def test_case_list_scoped_and_filtered(world, login, sec, case):
    other = make_case(actor=world.users["secretary2"], unit=world.branch_a2)
    client = login(sec)
    response = client.get(reverse("development:cases"))
    assert response.status_code == 200
    assert "申请人乙" in response.content.decode() and other.person.name not in response.content.decode()
    response = client.get(reverse("development:cases"), {"stage": 3})
    assert "申请人乙" not in response.content.decode()
    response = client.get(reverse("development:cases"), {"due": "overdue"})
    assert "申请人乙" in response.content.decode()  # the talk was due in 2022
    response = client.get(reverse("development:cases"), {"q": "乙"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="case-rows")
    assert response.status_code == 200 and "<html" not in response.content.decode()


def test_member_cannot_open_the_list(world, login):
    assert login(world.users["member1"]).get(reverse("development:cases")).status_code == 403


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("development:cases")).status_code == 200
    return len(ctx.captured_queries)


def test_case_list_query_count_is_constant(world, login, sec):
    client = login(sec)
    make_case(actor=sec, unit=world.branch_a1)
    first = _list_queries(client)
    for _ in range(5):
        make_case(actor=sec, unit=world.branch_a1, upto="candidate")
    make_case(actor=sec, unit=world.group_a1)
    assert _list_queries(client) == first == 7


# --- detail -----------------------------------------------------------------------------------


def test_detail_shows_the_steps_and_the_next_step(login, sec, case):
    response = login(sec).get(reverse("development:case_detail", args=[case.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "下一步：党组织派人谈话" in html and "期限 2022-04-01" in html
    assert html.count('id="step-') == 25
    assert reverse("development:step_form", args=[case.pk, "talk"]) in html


def test_detail_404_for_sibling_secretary_and_member(world, login, case):
    url = reverse("development:case_detail", args=[case.pk])
    assert login(world.users["secretary2"]).get(url).status_code == 404
    assert login(world.users["member1"]).get(url).status_code == 404


def test_sponsor_reads_the_case(world, login, sec, case):
    CaseContact.objects.create(case=case, person=world.people["member1"], role="sponsor", started_on=APPLIED)
    client = login(world.users["member1"])
    response = client.get(reverse("development:case_detail", args=[case.pk]))
    assert response.status_code == 200
    assert reverse("development:step_form", args=[case.pk, "talk"]) not in response.content.decode()
    assert client.get(reverse("development:step_form", args=[case.pk, "talk"])).status_code == 404


def _detail_queries(client, case) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("development:case_detail", args=[case.pk])).status_code == 200
    return len(ctx.captured_queries)


def test_case_detail_query_count_is_constant(world, login, sec):
    client = login(sec)
    short = make_case(actor=sec, unit=world.branch_a1, upto="talk")
    long = make_case(actor=sec, unit=world.branch_a1, upto="archive")
    assert _detail_queries(client, short) == _detail_queries(client, long) == 8


# --- step forms -------------------------------------------------------------------------------


def test_step_form_fragment_has_the_step_fields(world, login, sec, committee):
    case = make_case(actor=sec, unit=world.branch_a1, upto="pre_review")
    PersonFactory(unit=world.branch_a1, name="正式党员丙")
    client = login(sec)
    html = client.get(reverse("development:step_form", args=[case.pk, "admission_form"]), HTTP_HX_REQUEST="true")
    assert html.status_code == 200 and "<html" not in html.content.decode()
    vote = make_case(actor=sec, unit=world.branch_a1, upto="admission_form")
    content = client.get(reverse("development:step_form", args=[vote.pk, "admission_vote"])).content.decode()
    for name in ("entitled", "present", "written", "in_favour", "against", "abstain", "late_reason"):
        assert f'name="{name}"' in content
    activist = make_case(actor=sec, unit=world.branch_a1, upto="activist")
    content = client.get(reverse("development:step_form", args=[activist.pk, "sponsors"])).content.decode()
    assert 'name="sponsors"' in content and "正式党员丙" in content and 'name="entitled"' not in content


def test_step_form_404_for_sibling_and_403_for_committee_step(world, login, sec, case):
    url = reverse("development:step_form", args=[case.pk, "talk"])
    assert login(world.users["secretary2"]).get(url).status_code == 404
    client = login(sec)
    assert client.get(reverse("development:step_form", args=[case.pk, "approval"])).status_code == 403
    assert client.get(reverse("development:step_form", args=[case.pk, "nonsense"])).status_code == 404


def test_step_too_early_shows_the_rule_with_422_and_writes_nothing(world, login, sec):
    case = make_case(actor=sec, unit=world.branch_a1, upto="activist_assessment")
    make_case_steps = StepRecord.objects.filter(case=case).count()
    activist_on = APPLIED + datetime.timedelta(days=60)
    # Second assessment, then candidate too early.
    client = login(sec)
    url = reverse("development:step_form", args=[case.pk, "activist_assessment"])
    response = client.post(url, {"occurred_on": "2023-04-25", "result": "合格"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == reverse("development:case_detail", args=[case.pk])
    assert StepRecord.objects.filter(case=case).count() == make_case_steps + 1
    url = reverse("development:step_form", args=[case.pk, "candidate"])
    too_early = activist_on.replace(year=activist_on.year + 1) - datetime.timedelta(days=1)
    response = client.post(url, {"occurred_on": too_early.isoformat()}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    html = response.content.decode()
    assert "最早可在 2023-04-30" in html and "第十三条" in html
    assert StepRecord.objects.filter(case=case).count() == make_case_steps + 1


def test_late_step_form_asks_for_a_reason(login, sec, case):
    client = login(sec)
    url = reverse("development:step_form", args=[case.pk, "talk"])
    assert 'name="late_reason"' in client.get(url).content.decode()  # already late
    response = client.post(url, {"occurred_on": "2022-04-05"})
    assert response.status_code == 422 and "逾期说明" in response.content.decode()
    response = client.post(url, {"occurred_on": "2022-04-05", "late_reason": "申请人请假"})
    assert response.status_code == 302
    assert StepRecord.objects.get(case=case, step__code="talk").late_reason == "申请人请假"


def test_committee_records_approval_page(world, login, sec, committee):
    case = make_case(actor=sec, unit=world.branch_a1, upto="committee_talk")
    url = reverse("development:step_form", args=[case.pk, "approval"])
    client = login(committee)
    response = client.post(url, {"occurred_on": "2023-10-01", "decision": "approved"})
    assert response.status_code == 302
    case.person.refresh_from_db()
    assert case.person.political_status == "probationary"


def test_void_page(world, login, sec, case):
    client = login(sec)
    client.post(reverse("development:step_form", args=[case.pk, "talk"]), {"occurred_on": "2022-03-20"})
    rec = StepRecord.objects.get(case=case, step__code="talk")
    assert (
        login(world.users["secretary2"])
        .post(reverse("development:record_void", args=[rec.pk]), {"reason": "x"})
        .status_code
        == 404
    )
    client = login(sec)
    response = client.post(reverse("development:record_void", args=[rec.pk]), {"reason": "录错"})
    assert response.status_code == 302
    rec.refresh_from_db()
    assert rec.status == "voided"


def test_terminate_and_extend_pages(world, login, sec, committee, case):
    client = login(sec)
    url = reverse("development:case_terminate", args=[case.pk])
    assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200
    assert login(world.users["secretary2"]).get(url).status_code == 404
    assert login(sec).get(reverse("development:case_extend", args=[case.pk])).status_code == 403
    response = login(sec).post(url, {"reason": "other", "terminated_on": "2022-05-01", "note": ""})
    assert response.status_code == 422 and "其他" in response.content.decode()
    response = login(sec).post(url, {"reason": "withdrawn", "terminated_on": "2022-05-01"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "terminated"


def test_contacts_panel_and_replace(world, login, sec):
    case = make_case(actor=sec, unit=world.branch_a1, upto="sponsors")
    from cloudbranch.development.tests.factories import add_contact

    contact = add_contact(case)
    new = PersonFactory(unit=world.branch_a1, name="新联系人")
    url = reverse("development:case_contacts", args=[case.pk])
    assert login(world.users["secretary2"]).get(url).status_code == 404
    client = login(sec)
    assert "新联系人" in client.get(url).content.decode()
    response = client.post(url, {"role": "sponsor", "old_contact": contact.pk, "new_person": new.pk, "reason": "调整"})
    assert response.status_code == 200
    assert CaseContact.objects.filter(case=case, person=new, ended_on__isnull=True).exists()


# --- open -------------------------------------------------------------------------------------


def test_case_create_page(world, login, sec):
    p = applicant(world.branch_a1, name="新申请人", birth_date=D(2008, 3, 1))
    client = login(sec)
    url = reverse("development:case_create") + f"?person={p.pk}"
    assert client.get(url).status_code == 200
    response = client.post(url, {"applied_on": "2026-02-28"})
    assert response.status_code == 422 and "第五条" in response.content.decode()
    response = client.post(url, {"applied_on": "2026-03-01"})
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.political_status == "applicant"
    assert login(world.users["secretary2"]).get(url).status_code == 404


# --- my case ----------------------------------------------------------------------------------


def test_my_case_shows_own_progress_only(world, login, sec):
    user = UserFactory()
    grant(user, world.branch_a1, Role.APPLICANT)
    p = applicant(world.branch_a1, name="我自己", birth_date=D(2000, 1, 1), user=user)
    case = cases.case_open(actor=sec, person_id=p.pk, applied_on=D(2026, 11, 1))
    client = login(user)
    response = client.get(reverse("development:my_case"))
    html = response.content.decode()
    assert response.status_code == 200 and "下一步：党组织派人谈话" in html and "2026-12-01" in html
    assert "记录人" not in html
    assert client.get(reverse("development:case_detail", args=[case.pk])).status_code == 404
    assert client.get(reverse("development:cases")).status_code == 403
    empty = login(world.users["member1"]).get(reverse("development:my_case"))
    assert empty.status_code == 200 and "没有发展党员的记录" in empty.content.decode()


# --- API --------------------------------------------------------------------------------------


def test_api_list_detail_and_scope(world, login, sec, case):
    client = login(sec)
    response = client.get("/api/development/cases")
    assert response.status_code == 200 and response.json()["count"] == 1
    detail = client.get(f"/api/development/cases/{case.pk}").json()
    assert len(detail["steps"]) == 25 and detail["next_step"] == "talk"
    assert detail["steps"][0]["records"][0]["step"] == "application"
    assert "_previous" not in detail["steps"][0]["records"][0]["data"]
    other = login(world.users["secretary2"])
    assert other.get(f"/api/development/cases/{case.pk}").status_code == 404
    assert other.get("/api/development/cases").json()["count"] == 0
    assert other.get(f"/api/development/cases/{case.pk}/contacts").status_code == 404
    rec = StepRecord.objects.get(case=case)
    assert (
        other.post(
            f"/api/development/records/{rec.pk}/void", {"reason": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert login(world.users["member1"]).get("/api/development/cases").status_code == 403


def test_api_open_record_refuse_void(world, login, sec):
    p = applicant(world.branch_a1, birth_date=D(2000, 1, 1))
    client = login(sec)
    response = client.post(
        "/api/development/cases", {"person_id": p.pk, "applied_on": "2022-03-01"}, content_type="application/json"
    )
    assert response.status_code == 201
    case_id = response.json()["id"]
    url = f"/api/development/cases/{case_id}/steps"
    response = client.post(url, {"code": "activist", "occurred_on": "2022-03-05"}, content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert "党组织派人谈话" in body["detail"] and body["errors"][0]["field"] == "step"
    response = client.post(url, {"code": "talk", "occurred_on": "2022-03-10"}, content_type="application/json")
    assert response.status_code == 201
    record_id = response.json()["id"]
    response = client.post(
        url,
        {"code": "activist", "occurred_on": "2022-03-05", "data": {"recommendation": "党员推荐"}},
        content_type="application/json",
    )
    assert response.status_code == 422 and "最早可在 2022-03-10" in response.json()["errors"][0]["message"]
    response = client.post(
        f"/api/development/records/{record_id}/void", {"reason": "录错"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["status"] == "voided"
    response = client.post(
        "/api/development/cases", {"person_id": p.pk, "applied_on": "2022-03-01"}, content_type="application/json"
    )
    assert response.status_code == 409


def test_api_committee_step_403_terminate_extend_contacts(world, login, sec, committee):
    case = make_case(actor=sec, unit=world.branch_a1, upto="committee_talk")
    client = login(sec)
    url = f"/api/development/cases/{case.pk}/steps"
    payload = {"code": "approval", "occurred_on": "2023-10-01", "data": {"decision": "approved"}}
    assert client.post(url, payload, content_type="application/json").status_code == 403
    committee_client = login(committee)
    assert committee_client.post(url, payload, content_type="application/json").status_code == 201
    response = committee_client.post(
        f"/api/development/cases/{case.pk}/extend",
        {"months": 3, "decided_on": "2024-01-01", "reason": "x"},
        content_type="application/json",
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "months"
    response = committee_client.post(
        f"/api/development/cases/{case.pk}/extend",
        {"months": 6, "decided_on": "2024-01-01", "reason": "继续考察"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["extension_months"] == 6
    contacts = committee_client.get(f"/api/development/cases/{case.pk}/contacts")
    assert contacts.status_code == 200
    response = committee_client.post(
        f"/api/development/cases/{case.pk}/terminate",
        {"reason": "disqualified_probationary", "terminated_on": "2024-02-01"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["status"] == "terminated"


def test_api_contacts_replace(world, login, sec):
    case = make_case(actor=sec, unit=world.branch_a1, upto="sponsors")
    from cloudbranch.development.tests.factories import add_contact

    contact = add_contact(case)
    new = PersonFactory(unit=world.branch_a1)
    response = login(sec).post(
        f"/api/development/cases/{case.pk}/contacts",
        {"role": "sponsor", "old_contact_id": contact.pk, "new_person_id": new.pk, "reason": "调整"},
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["person_id"] == new.pk


def test_walk_helper_reaches_the_end(world, sec, committee):
    p = applicant(world.branch_a1, birth_date=D(2000, 1, 1))
    case = cases.case_open(actor=sec, person_id=p.pk, applied_on=APPLIED)
    case = walk(case, actor=sec, committee=committee)
    assert case.status == "completed"
