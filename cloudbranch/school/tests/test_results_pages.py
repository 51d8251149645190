"""Pages and API of the results area: assignment list/create/detail, grading (HTMX row), the
results page and finalize; query counts pinned (constant as students grow); sibling 404s."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cloudbranch.orgs.roles import Role
from cloudbranch.school.choices import ClassStatus, EnrolmentStatus, SubmissionStatus
from cloudbranch.school.models import Submission
from cloudbranch.testing.factories import UserFactory, grant

from .factories import finishing_class, make_assignment, make_class, make_enrolment, make_student, make_submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(world):
    teacher = UserFactory(display_name="班主任")
    tc = make_class(world.college_a, head_teacher=teacher, status=ClassStatus.RUNNING)
    user, person = make_student(world.branch_a1, name="陈学员")
    e = make_enrolment(tc, person)
    return teacher, tc, user, e


def test_create_assignment_page(world, running, login):
    teacher, tc, _user, _e = running
    client = login(teacher)
    url = reverse("school:assignment_create", args=[tc.pk])
    assert client.get(url).status_code == 200
    due = (timezone.localtime() + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    bad = {"title": "心得", "prompt": "写", "due_at": due, "required": "on", "min_chars": 0}
    response = client.post(url, bad | {"max_score": 50, "pass_score": 60})
    assert response.status_code == 422 and "不能高于满分" in response.content.decode()
    response = client.post(url, bad | {"max_score": 100, "pass_score": 60})
    assert response.status_code == 302
    assert login(world.users["secretary2"]).get(url).status_code == 404


def test_student_submits_on_the_phone_page(world, running, login):
    teacher, tc, user, e = running
    a = make_assignment(tc, min_chars=5)
    client = login(user)
    page = client.get(reverse("school:assignments", args=[tc.pk]))
    assert page.status_code == 200 and a.title in page.content.decode()
    url = reverse("school:assignment", args=[a.pk])
    response = client.post(url, {"text": "太短"})
    assert response.status_code == 422 and "不少于 5 字" in response.content.decode()
    response = client.post(url, {"text": "<script>alert(1)</script> 我的学习体会"})
    assert response.status_code == 302
    body = client.get(url).content.decode()
    assert "待批阅" in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert(1)" not in body


def test_grade_and_return_through_htmx_rows(world, running, login):
    teacher, tc, user, e = running
    a = make_assignment(tc, max_score=100)
    sub = make_submission(a, e, status="submitted")
    client = login(teacher)
    url = reverse("school:submission_grade", args=[sub.pk])
    response = client.post(url, {"action": "grade", "score": 120}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422 and "0 到 100" in response.content.decode()
    response = client.post(url, {"action": "return", "comment": "请补充"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "退回修改" in response.content.decode()
    response = client.post(url, {"action": "grade", "score": 90}, HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    sub.refresh_from_db()
    assert sub.status == SubmissionStatus.RETURNED
    assert login(user).post(url, {"action": "grade", "score": 100}).status_code == 403
    assert login(world.users["secretary2"]).post(url, {"action": "grade", "score": 100}).status_code == 404


def _grow(tc, a, n, unit):
    for i in range(n):
        _u, person = make_student(unit, name=f"学员{i}", with_user=False)
        e = make_enrolment(tc, person, hours=Decimal("20"))
        make_submission(a, e, score=70)


def _count(client, url, **extra):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **extra)
    assert response.status_code == 200, response.content[:500]
    return len(ctx.captured_queries)


def test_submissions_list_query_count_is_constant(world, running, login):
    teacher, tc, _user, _e = running
    a = make_assignment(tc)
    client = login(teacher)
    url = reverse("school:assignment", args=[a.pk])
    _grow(tc, a, 2, world.branch_a1)
    small = _count(client, url)
    _grow(tc, a, 15, world.branch_a2)
    assert _count(client, url) == small
    api = f"/api/school/assignments/{a.pk}/submissions"
    api_small = _count(client, api)
    _grow(tc, a, 5, world.branch_a1)
    assert _count(client, api) == api_small
    assert Submission.objects.filter(assignment=a).count() == 22
    print("submissions page", small, "api", api_small)
    assert (small, api_small) == (PINNED["submissions_page"], PINNED["submissions_api"])


def test_results_page_query_count_and_content(world, running, login):
    teacher, tc, user, e = running
    a = make_assignment(tc, title="心得")
    make_submission(a, e, score=90)
    e.hours = Decimal("18.5")
    e.save()
    client = login(teacher)
    url = reverse("school:results", args=[tc.pk])
    body = client.get(url).content.decode()
    assert "学时 18.5/24" in body and "作业《心得》 90/60" in body
    _grow(tc, a, 2, world.branch_a1)
    small = _count(client, url)
    _grow(tc, a, 20, world.branch_a2)
    assert _count(client, url) == small
    api = f"/api/school/classes/{tc.pk}/results"
    api_small = _count(client, api)
    _grow(tc, a, 3, world.branch_a1)
    assert _count(client, api) == api_small
    rows = client.get(api).json()
    assert rows["count"] == 26
    mine = next(r for r in rows["items"] if r["enrolment_id"] == e.pk)
    assert mine["unmet"] == ["学时 18.5/24"] and mine["passes"] is False
    print("results page", small, "api", api_small)
    assert (small, api_small) == (PINNED["results_page"], PINNED["results_api"])
    # the student sees only their own row; a sibling branch's secretary nothing
    own = login(user).get(url)
    assert own.status_code == 200 and "学员0" not in own.content.decode() and "陈学员" in own.content.decode()
    # a sibling branch's secretary sees only the students of their branch (who attend this class)
    theirs = login(world.users["secretary2"]).get(url)
    assert theirs.status_code == 200 and "陈学员" not in theirs.content.decode() and "学员3" in theirs.content.decode()
    cs_b = UserFactory()
    grant(cs_b, world.college_b, Role.COMMITTEE_SECRETARY)
    assert login(cs_b).get(url).status_code == 404
    assert login(cs_b).get(api).status_code == 404


def test_finalize_button_and_post(world, login):
    teacher = UserFactory()
    tc = finishing_class(world.college_a, head_teacher=teacher, pass_hours=Decimal("10"))
    e = make_enrolment(tc, hours=Decimal("12"))
    client = login(teacher)
    assert "办理结业" in client.get(reverse("school:results", args=[tc.pk])).content.decode()
    response = client.post(reverse("school:class_finalize", args=[tc.pk]), follow=True)
    assert "结业 1 人" in response.content.decode()
    e.refresh_from_db()
    assert e.status == EnrolmentStatus.PASSED
    assert e.certificate.serial in client.get(reverse("school:results", args=[tc.pk])).content.decode()
    response = client.post(reverse("school:class_finalize", args=[tc.pk]), follow=True)
    assert "只有培训中的班次" in response.content.decode()


def test_api_assignment_flow(world, running, login):
    teacher, tc, user, e = running
    due = (timezone.now() + datetime.timedelta(days=1)).isoformat()
    response = login(teacher).post(
        f"/api/school/classes/{tc.pk}/assignments",
        {"title": "心得", "prompt": "写", "due_at": due, "max_score": 10, "pass_score": 6},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    aid = response.json()["id"]
    assert login(user).get(f"/api/school/classes/{tc.pk}/assignments").json()["count"] == 1
    response = login(user).post(f"/api/school/assignments/{aid}/submissions", {"text": "我的作业"})
    assert response.status_code == 201, response.content
    sid = response.json()["id"]
    assert response.json()["late"] is False
    bad = login(teacher).post(f"/api/school/submissions/{sid}/grade", {"score": 11}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "score"
    ok = login(teacher).post(f"/api/school/submissions/{sid}/grade", {"score": 8}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["score"] == 8
    listed = login(teacher).get(f"/api/school/classes/{tc.pk}/submissions").json()
    assert listed["count"] == 1
    assert login(world.users["secretary2"]).get(f"/api/school/classes/{tc.pk}/submissions").status_code == 404


PINNED = {"submissions_page": 8, "submissions_api": 6, "results_page": 10, "results_api": 8}
