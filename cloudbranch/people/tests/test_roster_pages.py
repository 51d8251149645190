import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.nav import menu_for
from cloudbranch.orgs.roles import Role
from cloudbranch.people.models import CommitteeMembership, Person, PersonEvent
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant, id_number_for

ROLES = ("anonymous", "member1", "secretary1", "secretary2", "admin", "sysadmin", "auditor")


def url_for(world, name):
    a1 = world.people["a1_other"]
    return {
        "list": reverse("people:list"),
        "detail_a1": reverse("people:detail", args=[a1.pk]),
        "edit_a1": reverse("people:edit", args=[a1.pk]),
        "create": reverse("people:create"),
        "own": reverse("people:own"),
        "export": reverse("people:export"),
        "warnings": reverse("people:warnings"),
        "summary_a1": reverse("people:unit_summary", args=[world.branch_a1.pk]),
    }[name]


# Expected status per role, in ROLES order.
MATRIX = {
    "list": (302, 403, 200, 200, 200, 403, 403),
    "detail_a1": (302, 404, 200, 404, 200, 404, 404),
    "edit_a1": (302, 404, 200, 404, 200, 404, 404),
    "create": (302, 403, 200, 200, 200, 403, 403),
    "own": (302, 200, 404, 404, 404, 404, 404),
    "export": (302, 403, 200, 200, 200, 403, 403),
    "warnings": (302, 403, 200, 200, 200, 403, 403),
    "summary_a1": (302, 200, 200, 404, 200, 404, 404),
}
CASES = [
    pytest.param(name, role, row[i], id=f"{name}[{role}]")
    for name, row in MATRIX.items()
    for i, role in enumerate(ROLES)
]


@pytest.mark.parametrize(("name", "role", "expected"), CASES)
def test_page_status_per_role(client, world, name, role, expected):
    if role != "anonymous":
        client.force_login(world.users[role])
    assert client.get(url_for(world, name)).status_code == expected


def test_member_sees_own_record_by_id_but_no_other(login, world):
    client = login(world.users["member1"])
    own = world.people["member1"]
    response = client.get(reverse("people:detail", args=[own.pk]))
    assert response.status_code == 200
    assert own.id_number_masked in response.content.decode()
    assert "显示完整证件号" not in response.content.decode()
    assert client.get(reverse("people:detail", args=[world.people["a1_other"].pk])).status_code == 404


def test_roster_scoped_and_masked(login, world):
    response = login(world.users["secretary1"]).get(reverse("people:list"))
    html = response.content.decode()
    assert "张一" in html and "党员一" in html
    assert "李二" not in html and "王三" not in html
    person = world.people["a1_other"]
    assert person.id_number_masked in html
    assert person.reveal_id_number() not in html
    assert person.phone not in html and person.phone_masked in html


def test_admin_sees_all_with_buttons(login, world):
    html = login(world.users["admin"]).get(reverse("people:list")).content.decode()
    for name in ("张一", "李二", "王三", "党员一"):
        assert name in html
    assert reverse("people:create") in html and reverse("people:export") in html


def test_search_by_exact_id_number_and_filters(login, world):
    client = login(world.users["admin"])
    target = world.people["a2_person"]
    html = client.get(reverse("people:list"), {"q": target.reveal_id_number().lower()}).content.decode()
    assert "李二" in html and "张一" not in html
    html = client.get(reverse("people:list"), {"unit": world.college_b.pk}).content.decode()
    assert "王三" in html and "李二" not in html
    Person.objects.filter(pk=target.pk).update(is_abroad=True)
    html = client.get(reverse("people:list"), {"flag": "abroad"}).content.decode()
    assert "李二" in html and "王三" not in html


def test_secretary_cannot_filter_into_a_sibling_unit(login, world):
    html = login(world.users["secretary1"]).get(reverse("people:list"), {"unit": world.branch_a2.pk}).content.decode()
    assert "李二" not in html and "共 0 人" in html


def test_htmx_request_renders_only_rows(login, world):
    response = login(world.users["admin"]).get(
        reverse("people:list"), {"status": "full"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="roster-rows"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "roster-filters" not in html and "共 4 人" in html


def _roster_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_roster_query_count_is_constant(login, world):
    client = login(world.users["admin"])
    url = reverse("people:list")
    _roster_queries(client, url)  # warm caches (session, content types)
    before = _roster_queries(client, url)
    for i in range(40):
        PersonFactory(unit=[world.branch_a1, world.branch_a2, world.group_a1, world.branch_b1][i % 4])
    after = _roster_queries(client, url)
    assert before == after
    assert after <= 10


def test_warnings_page_query_count_is_constant(login, world):
    client = login(world.users["admin"])
    url = reverse("people:warnings")
    _roster_queries(client, url)
    before = _roster_queries(client, url)
    from cloudbranch.testing.factories import make_unit

    for i in range(30):
        unit = make_unit(parent=world.college_a, name=f"新支部{i}")
        PersonFactory(unit=unit)
    after = _roster_queries(client, url)
    assert before == after


def test_warnings_lists_small_branches_most_severe_first(login, world):
    world.branch_b1.term_started_on = datetime.date(2000, 1, 1)
    world.branch_b1.save()
    html = login(world.users["admin"]).get(reverse("people:warnings")).content.decode()
    assert "正式党员仅" in html
    assert html.index("数学本科第一党支部") < html.index("计算机本科第二党支部")  # two dangers before one
    html = login(world.users["secretary2"]).get(reverse("people:warnings")).content.decode()
    assert "计算机本科第二党支部" in html and "数学本科第一党支部" not in html


def test_reveal_is_audited_for_admin(login, world):
    person = world.people["a1_other"]
    response = login(world.users["admin"]).post(reverse("people:reveal_id", args=[person.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert person.reveal_id_number() in response.content.decode()
    assert AuditEvent.objects.filter(action="people.person.view_sensitive", target_id=str(person.pk)).count() == 1


def test_reveal_refused_without_view_sensitive(login, world):
    person = world.people["a1_other"]
    client = login(world.users["secretary1"])
    assert "显示完整证件号" not in client.get(reverse("people:detail", args=[person.pk])).content.decode()
    response = client.post(reverse("people:reveal_id", args=[person.pk]))
    assert response.status_code == 403
    assert person.reveal_id_number() not in response.content.decode()
    assert login(world.users["secretary2"]).post(reverse("people:reveal_id", args=[person.pk])).status_code == 404
    assert not AuditEvent.objects.filter(action="people.person.view_sensitive").exists()


def test_detail_shows_history_and_committee(login, world):
    person = world.people["a1_other"]
    PersonEvent.objects.create(person=person, kind="status", old_value="预备党员", new_value="中共党员")
    CommitteeMembership.objects.create(
        unit=world.branch_a1, person=person, position="secretary", started_on=datetime.date(2024, 1, 1)
    )
    html = login(world.users["secretary1"]).get(reverse("people:detail", args=[person.pk])).content.decode()
    assert "政治面貌变更" in html and "书记" in html and reverse("people:edit", args=[person.pk]) in html


def form_data(world, **overrides):
    birth = datetime.date(1998, 2, 3)
    data = {
        "name": "钱七",
        "gender": "female",
        "id_number": id_number_for(11, gender="female", birth=birth),
        "birth_date": "",
        "category": "student",
        "unit_code": world.branch_a1.code.lower(),
        "political_status": "applicant",
        "applied_on": "2019-05-01",
        "phone": "13800001111",
    }
    data.update(overrides)
    return data


def test_create_page_creates_person(login, world):
    response = login(world.users["secretary1"]).post(reverse("people:create"), form_data(world))
    assert response.status_code == 302
    person = Person.objects.get(name="钱七")
    assert person.unit_id == world.branch_a1.pk and person.birth_date == datetime.date(1998, 2, 3)
    assert response["Location"] == reverse("people:detail", args=[person.pk])


def test_create_page_invalid_is_422_with_field_errors_and_writes_nothing(login, world):
    counts = (Person.objects.count(), PersonEvent.objects.count(), AuditEvent.objects.count())
    response = login(world.users["secretary1"]).post(
        reverse("people:create"), form_data(world, applied_on="2010-01-01", gender="male")
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "申请入党时须年满 18 周岁" in html
    assert "性别与身份证号不一致" in html
    assert (Person.objects.count(), PersonEvent.objects.count(), AuditEvent.objects.count()) == counts


def test_create_page_refuses_unit_outside_scope(login, world):
    response = login(world.users["secretary1"]).post(reverse("people:create"), form_data(world, unit_code="CA02"))
    assert response.status_code == 422
    assert "无权在该组织录入人员" in response.content.decode()
    assert not Person.objects.filter(name="钱七").exists()


def test_edit_page_updates_and_records_event(login, world):
    person = world.people["a1_other"]
    client = login(world.users["secretary1"])
    data = {
        "name": "张一",
        "gender": person.gender,
        "id_number": "",
        "birth_date": person.birth_date.isoformat(),
        "category": person.category,
        "unit_code": "CA01G1",
        "political_status": "full",
        "joined_on": "2015-06-01",
        "confirmed_on": "2016-06-01",
        "phone": person.phone,
        "effective_on": "2024-09-01",
    }
    response = client.post(reverse("people:edit", args=[person.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    event = PersonEvent.objects.get(person=person, kind="unit")
    assert event.effective_on == datetime.date(2024, 9, 1)
    data["confirmed_on"] = "2014-01-01"
    response = client.post(reverse("people:edit", args=[person.pk]), data)
    assert response.status_code == 422
    assert "转正日期不能早于入党日期" in response.content.decode()


def test_unit_summary_fragment(login, world):
    CommitteeMembership.objects.create(
        unit=world.branch_a1,
        person=world.people["a1_other"],
        position="secretary",
        started_on=datetime.date(2024, 1, 1),
    )
    html = login(world.users["member1"]).get(reverse("people:unit_summary", args=[world.branch_a1.pk])).content.decode()
    assert "<html" not in html
    assert "中共党员" in html and "张一" in html and "正式党员仅 2 名" in html


def _export(client, **params):
    response = client.get(reverse("people:export"), params)
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_export_masked_for_secretary_and_audited(login, world):
    rows = _export(login(world.users["secretary1"]), status="full")
    header, body = rows[0], rows[1:]
    assert header[0] == "姓名" and "身份证号" in header
    names = {r[0] for r in body}
    assert names == {"张一", "党员一"}
    id_col, phone_col = header.index("身份证号"), header.index("手机号")
    person = world.people["a1_other"]
    row = next(r for r in body if r[0] == "张一")
    assert row[id_col] == person.id_number_masked and row[phone_col] == person.phone_masked
    audit = AuditEvent.objects.get(action="people.person.export")
    assert audit.changes["rows"] == 2 and audit.changes["filters"] == {"status": "full"}
    assert audit.changes["unmasked_rows"] == 0


def test_export_clear_for_admin(login, world):
    rows = _export(login(world.users["admin"]))
    header = rows[0]
    id_col = header.index("身份证号")
    values = {r[0]: r[id_col] for r in rows[1:]}
    assert values["李二"] == world.people["a2_person"].reveal_id_number()
    assert AuditEvent.objects.get(action="people.person.export").changes["unmasked_rows"] == 4


def test_export_view_only_role_is_refused(login, world):
    officer = UserFactory(username="publicity")
    grant(officer, world.branch_a1, Role.PUBLICITY_OFFICER)
    client = login(officer)
    assert client.get(reverse("people:list")).status_code == 200
    assert client.get(reverse("people:export")).status_code == 403


def test_export_cap(login, world, monkeypatch):
    from cloudbranch.people import exports

    monkeypatch.setattr(exports, "MAX_EXPORT_ROWS", 2)
    monkeypatch.setattr(exports.roster_export, "__kwdefaults__", {"max_rows": 2})
    response = login(world.users["admin"]).get(reverse("people:export"), follow=True)
    assert "超过单次导出上限" in response.content.decode()
    assert not AuditEvent.objects.filter(action="people.person.export").exists()


def test_menu_entries_per_role(world):
    def keys(role):
        return {e["key"] for e in menu_for(world.users[role])}

    assert {"people", "cockpit_warnings"} <= keys("secretary1")
    assert "people_own" not in keys("secretary1")
    assert "people_own" in keys("member1") and "people" not in keys("member1")
    assert "cockpit_warnings" not in keys("member1")
    assert not {"people", "people_own", "cockpit_warnings"} & keys("auditor")
