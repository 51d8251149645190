"""Thought-report pages and API: the reporter's page, the reviewers' list and detail, the policy
page; permission matrix, escaping, pinned query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cloudbranch.development import thought
from cloudbranch.development.models import ReportPolicy, ThoughtReport
from cloudbranch.development.tests.factories import add_contact, make_case
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import UserFactory, grant

D = datetime.date


def reporter_case(world, unit=None, applied_on=D(2025, 3, 1)):
    case = make_case(actor=world.users["secretary1"], unit=unit or world.branch_a1, applied_on=applied_on)
    user = UserFactory()
    case.person.user = user
    case.person.save(update_fields=["user"])
    return case, user


def sponsor_of(case):
    contact = add_contact(case)
    user = UserFactory()
    contact.person.user = user
    contact.person.save(update_fields=["user"])
    return user


@pytest.fixture
def setup(world):
    case, reporter = reporter_case(world)
    sponsor = sponsor_of(case)
    report = thought.report_submit(actor=reporter, title="思想汇报", content="<script>alert(1)</script>\n第二段")
    other_case, other_reporter = reporter_case(world)
    other = thought.report_submit(actor=other_reporter, title="另一份", content="内容")
    return {"case": case, "reporter": reporter, "sponsor": sponsor, "report": report, "other": other}


# --- permission matrix ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("reporter", 200),
        ("sponsor", 200),
        ("secretary1", 200),
        ("admin", 200),
        ("secretary2", 404),
        ("member1", 404),
        ("sysadmin", 404),
        ("other_reporter", 404),
    ],
)
def test_detail_matrix(world, client, setup, who, expected):
    user = world.users.get(who) or setup.get(who)
    if who == "other_reporter":
        user = setup["other"].person.user
    client.force_login(user)
    assert client.get(reverse("development:thought_report_detail", args=[setup["report"].pk])).status_code == expected


@pytest.mark.parametrize(
    ("who", "expected"),
    [("reporter", 403), ("sponsor", 302), ("secretary1", 302), ("secretary2", 404), ("member1", 404)],
)
def test_comment_matrix(world, client, setup, who, expected):
    client.force_login(world.users.get(who) or setup[who])
    response = client.post(reverse("development:thought_report_comment", args=[setup["report"].pk]), {"body": "意见"})
    assert response.status_code == expected
    assert setup["report"].comments.exists() is (expected == 302)


def test_sponsor_cannot_comment_on_others(world, client, setup):
    client.force_login(setup["sponsor"])
    url = reverse("development:thought_report_comment", args=[setup["other"].pk])
    assert client.post(url, {"body": "意见"}).status_code == 404


@pytest.mark.parametrize(
    ("who", "expected"),
    [("sponsor", 200), ("secretary1", 200), ("secretary2", 200), ("member1", 403), ("reporter", 403)],
)
def test_list_matrix(world, client, setup, who, expected):
    client.force_login(world.users.get(who) or setup[who])
    response = client.get(reverse("development:thought_reports"))
    assert response.status_code == expected
    if expected == 200:
        html = response.content.decode()
        mine = reverse("development:thought_report_detail", args=[setup["report"].pk])
        other = reverse("development:thought_report_detail", args=[setup["other"].pk])
        assert (f'href="{mine}"' in html) is (who in ("sponsor", "secretary1"))
        assert (f'href="{other}"' in html) is (who == "secretary1")


def test_policy_page_matrix(world, client):
    cs = UserFactory()
    grant(cs, world.college_a, Role.COMMITTEE_SECRETARY)
    client.force_login(world.users["secretary1"])
    assert client.get(reverse("development:report_policy")).status_code == 403
    client.force_login(cs)
    assert client.get(reverse("development:report_policy")).status_code == 200
    r = client.post(reverse("development:report_policy"), {"unit": world.branch_a1.pk, "months": 6})
    assert r.status_code == 302
    assert ReportPolicy.objects.get(unit=world.branch_a1).months == 6
    r = client.post(reverse("development:report_policy"), {"unit": world.branch_b1.pk, "months": 6})
    assert r.status_code == 422  # not among the units offered
    html = client.get(reverse("development:report_policy")).content.decode()
    assert "6 个月" in html


# --- pages ----------------------------------------------------------------------------------


def test_first_read_by_reviewer_marks_read(world, client, setup):
    report = setup["report"]
    client.force_login(setup["reporter"])
    client.get(reverse("development:thought_report_detail", args=[report.pk]))
    report.refresh_from_db()
    assert report.status == "submitted"
    client.force_login(setup["sponsor"])
    client.get(reverse("development:thought_report_detail", args=[report.pk]))
    report.refresh_from_db()
    assert report.status == "read"


def test_content_is_escaped(world, client, setup):
    client.force_login(world.users["secretary1"])
    html = client.get(reverse("development:thought_report_detail", args=[setup["report"].pk])).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_my_reports_submit_and_history(world, client):
    _case, user = reporter_case(world)
    client.force_login(user)
    page = client.get(reverse("development:my_reports"))
    assert page.status_code == 200 and "请于" in page.content.decode()
    r = client.post(reverse("development:my_reports"), {"title": "本季度汇报", "content": "学习体会"})
    assert r.status_code == 302
    report = ThoughtReport.objects.get(person__user=user)
    assert report.period_start == thought.period_start(timezone.localdate(), 3)
    bad = client.post(reverse("development:my_reports"), {"title": "", "content": ""})
    assert bad.status_code == 422
    thought.report_comment(actor=world.users["secretary1"], report_id=report.pk, body="写得很好")
    html = client.get(reverse("development:my_reports")).content.decode()
    assert "写得很好" in html and "已阅" in html


def test_my_reports_without_case(world, client):
    client.force_login(world.users["member1"])
    assert client.get(reverse("development:my_reports")).status_code == 200
    r = client.post(reverse("development:my_reports"), {"title": "t", "content": "c"})
    assert r.status_code == 422
    assert not ThoughtReport.objects.exists()


def test_missing_tab(world, client, setup):
    reporter_case(world)  # no report at all
    client.force_login(world.users["secretary1"])
    html = client.get(reverse("development:thought_reports"), {"tab": "missing"}).content.decode()
    assert "上期未交" in html
    assert "共 3 人" in html  # nobody reported for the previous quarter


# --- query counts ---------------------------------------------------------------------------


def _count(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx)


def test_list_query_counts_constant(world, client):
    client.force_login(world.users["secretary1"])
    _c, user = reporter_case(world)
    thought.report_submit(actor=user, title="t", content="c")
    url = reverse("development:thought_reports")
    small = _count(client, url)
    small_missing = _count(client, url, {"tab": "missing"})
    for _ in range(5):
        case, user = reporter_case(world)
        report = thought.report_submit(actor=user, title="t", content="c")
        thought.report_comment(actor=world.users["secretary1"], report_id=report.pk, body="b")
        reporter_case(world)
    assert _count(client, url) == small
    assert _count(client, url, {"tab": "missing"}) == small_missing


def test_my_reports_query_count_constant(world, client):
    _c, user = reporter_case(world)
    client.force_login(user)
    thought.report_submit(actor=user, title="t", content="c")
    url = reverse("development:my_reports")
    small = _count(client, url)
    for _ in range(4):
        report = thought.report_submit(actor=user, title="t", content="c")
        thought.report_comment(actor=world.users["secretary1"], report_id=report.pk, body="b")
    assert _count(client, url) == small


# --- API ------------------------------------------------------------------------------------


def test_api_flow(world, client, setup):
    client.force_login(setup["reporter"])
    mine = client.get("/api/development/thought-reports/mine").json()
    assert mine["count"] == 1
    r = client.post(
        "/api/development/thought-reports", {"title": "补充", "content": "x"}, content_type="application/json"
    )
    assert r.status_code == 201
    assert client.get("/api/development/thought-reports").status_code == 403
    client.force_login(setup["sponsor"])
    listing = client.get("/api/development/thought-reports").json()
    assert {i["id"] for i in listing["items"]} == {setup["report"].pk, r.json()["id"]}
    detail = client.get(f"/api/development/thought-reports/{setup['report'].pk}").json()
    assert detail["status"] == "read" and detail["may_comment"] is True
    r = client.post(
        f"/api/development/thought-reports/{setup['report'].pk}/comments",
        {"body": "好"},
        content_type="application/json",
    )
    assert r.status_code == 201
    assert client.get(f"/api/development/thought-reports/{setup['other'].pk}").status_code == 404
    # the sponsored person has no report for the previous quarter (both were submitted today)
    missing = client.get("/api/development/thought-reports/missing").json()
    assert [m["person_id"] for m in missing["items"]] == [setup["case"].person_id]


def test_api_policy(world, client):
    client.force_login(world.users["admin"])
    r = client.put(
        "/api/development/report-policy", {"unit_id": world.college_a.pk, "months": 6}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["months"] == 6
    r = client.put(
        "/api/development/report-policy", {"unit_id": world.college_a.pk, "months": 7}, content_type="application/json"
    )
    assert r.status_code == 422
    items = client.get("/api/development/report-policy", {"page_size": 100}).json()["items"]
    assert {i["unit_id"]: i["effective_months"] for i in items}[world.branch_a1.pk] == 6
    client.force_login(world.users["secretary1"])
    assert client.get("/api/development/report-policy").status_code == 403
    r = client.put(
        "/api/development/report-policy", {"unit_id": world.branch_a1.pk, "months": 6}, content_type="application/json"
    )
    assert r.status_code == 403
