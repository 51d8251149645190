"""Pages and API of the classes area: status codes, scoping, pinned query counts."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook

from cloudbranch.orgs.roles import Role
from cloudbranch.school.models import Enrolment
from cloudbranch.testing.factories import UserFactory, grant

from .factories import make_class, make_enrolment, make_session, make_student

pytestmark = pytest.mark.django_db


def _officer(world, unit=None):
    user = UserFactory()
    grant(user, unit or world.college_a, Role.COMMITTEE_SECRETARY)
    return user


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries)


def test_pages_render_for_manager_and_scope(world, login):
    officer = _officer(world)
    tc = make_class(world.college_a)
    make_session(tc)
    make_enrolment(tc)
    client = login(officer)
    for name in (
        "school:class",
        "school:roster",
        "school:class_edit",
        "school:session_create",
        "school:enrol_rule",
        "school:enrol_list",
    ):
        assert client.get(reverse(name, args=[tc.pk])).status_code == 200, name
    assert client.get(reverse("school:classes")).status_code == 200
    assert client.get(reverse("school:class_create")).status_code == 200
    assert client.get(reverse("school:enrol_template")).status_code == 200
    client = login(_officer(world, world.college_b))
    assert client.get(reverse("school:class", args=[tc.pk])).status_code == 404
    assert client.get(reverse("school:roster", args=[tc.pk])).status_code == 404
    client = login(world.users["secretary1"])
    assert client.get(reverse("school:class_edit", args=[tc.pk])).status_code == 404  # follows nobody in it yet


def test_branch_secretary_sees_own_people_only(world, login):
    tc = make_class(world.college_a)
    _, mine = make_student(world.branch_a1, name="本支部学员")
    _, other = make_student(world.branch_a2, name="外支部学员")
    make_enrolment(tc, mine)
    make_enrolment(tc, other)
    client = login(world.users["secretary1"])
    page = client.get(reverse("school:roster", args=[tc.pk])).content.decode()
    assert "本支部学员" in page and "外支部学员" not in page
    assert client.get(reverse("school:class_edit", args=[tc.pk])).status_code == 403
    assert client.post(reverse("school:enrol_add", args=[tc.pk]), {"person": mine.pk}).status_code == 403
    api = client.get(f"/api/school/classes/{tc.pk}/enrolments").json()
    assert [r["name"] for r in api["items"]] == ["本支部学员"]


def test_list_upload_page_preview_then_confirm(world, login):
    officer = _officer(world)
    tc = make_class(world.college_a, capacity=1)
    make_student(world.branch_a1, staff_number="N1")
    make_student(world.branch_a1, staff_number="N2")
    wb = Workbook()
    ws = wb.active
    for row in (["学号工号"], ["N1"], ["N2"]):
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "名单.xlsx"
    client = login(officer)
    r = client.post(reverse("school:enrol_list", args=[tc.pk]), {"file": buf})
    assert r.status_code == 200
    plan = r.context["plan"]
    r = client.post(
        reverse("school:enrol_list", args=[tc.pk]),
        {"confirm": "1", "fingerprint": plan.fingerprint, "numbers": "N1,N2"},
    )
    assert r.status_code == 302
    assert sorted(Enrolment.objects.filter(training_class=tc).values_list("status", flat=True)) == [
        "enrolled",
        "waitlisted",
    ]


def test_rule_confirm_page_conflict_409(world, login):
    officer = _officer(world)
    tc = make_class(world.college_a)
    make_student(world.branch_a1)
    client = login(officer)
    r = client.post(reverse("school:enrol_rule", args=[tc.pk]), {"fingerprint": "stale"})
    assert r.status_code == 409
    assert "名单已变化，请重新预览" in r.content.decode()
    assert not Enrolment.objects.filter(training_class=tc).exists()


def test_api_create_advance_and_preview_confirm(world, login):
    officer = _officer(world)
    client = login(officer)
    r = client.post(
        "/api/school/classes",
        {
            "unit_id": world.college_a.pk,
            "kind": "activist",
            "title": "积极分子班",
            "year": 2025,
            "starts_on": "2025-03-01",
            "ends_on": "2025-03-10",
            "capacity": 10,
            "head_teacher_id": world.users["secretary1"].pk,
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    class_id = r.json()["id"]
    r = client.post(f"/api/school/classes/{class_id}/advance", {"to": "enrolling"}, content_type="application/json")
    assert r.status_code == 409
    r = client.post(
        f"/api/school/classes/{class_id}/sessions", {"kind": "online", "title": "网课"}, content_type="application/json"
    )
    assert r.status_code == 201
    make_student(world.branch_a1)
    r = client.post(f"/api/school/classes/{class_id}/enrolments/rule/preview", {}, content_type="application/json")
    assert r.status_code == 200 and r.json()["counts"]["enrolled"] == 1
    fp = r.json()["fingerprint"]
    r = client.post(
        f"/api/school/classes/{class_id}/enrolments/rule/confirm", {"fingerprint": "x"}, content_type="application/json"
    )
    assert r.status_code == 409 and r.json()["detail"] == "名单已变化，请重新预览"
    r = client.post(
        f"/api/school/classes/{class_id}/enrolments/rule/confirm", {"fingerprint": fp}, content_type="application/json"
    )
    assert r.status_code == 201
    other = login(_officer(world, world.college_b))
    assert other.get(f"/api/school/classes/{class_id}").status_code == 404


def _fill(world, n):
    for _ in range(n):
        tc = make_class(world.college_a)
        make_session(tc)
        for _ in range(2):
            make_enrolment(tc)


def _roster_fill(tc, n):
    for _ in range(n):
        make_enrolment(tc)


def test_query_counts_are_constant(world, login):
    officer = _officer(world)
    client = login(officer)
    tc = make_class(world.college_a)
    _fill(world, 2)
    _roster_fill(tc, 2)
    urls = [
        reverse("school:classes"),
        reverse("school:roster", args=[tc.pk]),
        "/api/school/classes",
        f"/api/school/classes/{tc.pk}/enrolments",
        "/api/school/enrolments/mine",
    ]
    before = [_count(client, u) for u in urls]
    _fill(world, 8)
    _roster_fill(tc, 12)
    after = [_count(client, u) for u in urls]
    assert before == after
    print("query counts", dict(zip(urls, after, strict=True)))
    assert after == [6, 8, 5, 6, 4]
