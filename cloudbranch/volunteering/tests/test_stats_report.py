"""Service statistics against a hand-computed small tree; roll-up, query counts, scope, export."""

import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cloudbranch.testing.factories import PersonFactory
from cloudbranch.volunteering.stats import hours_by_year, unit_stats

from .factories import local_dt, make_service_post, make_shift, make_signup

pytestmark = pytest.mark.django_db

YEAR = 2025


@pytest.fixture
def data(world):
    """Confirmed service in 2025 (hours, organizer rating):
    member1 (a1): 2.0 (5) in March, 3.5 (4) in July; group person (group_a1): 1.5 in March;
    a2_person: 4.0 (3) on 31 Dec 23:30 local; b1_person: 2.0 in May; root person: 1.0 in July.
    Not counted: a2_person's service on 1 Jan 2026 00:30 local, unconfirmed sign-ups, 2024."""
    p = world.people
    group_person = PersonFactory(unit=world.group_a1, name="小组党员")
    root_person = PersonFactory(unit=world.root, name="党委委员")
    post1 = make_service_post(world.branch_a1, status="closed")
    post2 = make_service_post(world.branch_a2, status="closed", content_type="tutoring")
    post3 = make_service_post(world.root, status="closed", content_type="other")

    def confirmed(post, person, when, hours, rating=None):
        return make_signup(make_shift(post, starts_at=when), person, status="confirmed", hours=hours,
                           organizer_rating=rating)  # fmt: skip

    march = local_dt(YEAR, 3, 8, 9)
    confirmed(post1, p["member1"], march, "2.0", 5)
    shift = make_shift(post1, starts_at=local_dt(YEAR, 7, 5, 9))
    make_signup(shift, p["member1"], status="confirmed", hours="3.5", organizer_rating=4)
    make_signup(make_shift(post1, starts_at=local_dt(YEAR, 3, 9, 9)), group_person,
                status="confirmed", hours="1.5")  # fmt: skip
    confirmed(post2, p["a2_person"], local_dt(YEAR, 12, 31, 23, 30), "4.0", 3)
    confirmed(post2, p["a2_person"], local_dt(YEAR + 1, 1, 1, 0, 30), "9.0", 1)  # next year
    confirmed(post3, p["b1_person"], local_dt(YEAR, 5, 1, 14), "2.0")
    confirmed(post3, root_person, local_dt(YEAR, 7, 20, 14), "1.0")
    confirmed(post3, p["member1"], local_dt(YEAR - 1, 7, 20, 14), "6.0")  # last year
    # not confirmed: no hours counted
    make_signup(shift, p["a1_other"], status="checked_out")
    make_signup(shift, p["a2_person"], status="signed_up")
    return {"group_person": group_person, "root_person": root_person}


def _row(report, label_start):
    return next(r for r in report.rows if r.label.startswith(label_start))


def test_root_report_hand_computed(world, data):
    report = unit_stats(world.root, YEAR)
    t = report.totals
    assert t.hours == Decimal("14.0")
    assert (t.volunteers, t.services, t.posts) == (5, 6, 3)
    assert t.average_rating == Decimal("4.0")
    assert t.members == 6  # member1, a1_other, a2_person, b1_person, group person, root person
    a = _row(report, "计算机学院")
    assert (a.hours, a.volunteers, a.services, a.members) == (Decimal("11.0"), 3, 4, 4)
    assert a.hours_per_member == Decimal("2.8")  # 11 / 4 = 2.75
    b = _row(report, "数学学院")
    assert (b.hours, b.volunteers, b.services, b.members) == (Decimal("2.0"), 1, 1, 1)
    own = _row(report, "某大学党委（本级）")
    assert (own.hours, own.volunteers, own.services, own.members) == (Decimal("1.0"), 1, 1, 1)
    # the roll-up per child equals the totals
    assert sum(r.hours for r in report.rows) == t.hours
    assert sum(r.volunteers for r in report.rows) == t.volunteers
    assert sum(r.services for r in report.rows) == t.services
    assert sum(r.members for r in report.rows) == t.members
    assert [(v.name, v.hours) for v in report.top] == [
        ("党员一", Decimal("5.5")),
        ("李二", Decimal("4.0")),
        ("王三", Decimal("2.0")),
        ("小组党员", Decimal("1.5")),
        ("党委委员", Decimal("1.0")),
    ]
    months = dict(report.months)
    assert months[3] == Decimal("3.5") and months[5] == Decimal("2.0") and months[7] == Decimal("4.5")
    assert months[12] == Decimal("4.0") and months[1] == 0
    assert sum(months.values()) == t.hours
    assert report.chart["months"][0] == "1月" and report.chart["hours"][2] == 3.5


def test_college_report_rolls_up_branches(world, data):
    report = unit_stats(world.college_a, YEAR)
    a1 = _row(report, "计算机本科第一")
    a2 = _row(report, "计算机本科第二")
    assert (a1.hours, a1.volunteers, a1.services, a1.members) == (Decimal("7.0"), 2, 3, 3)  # group included
    assert (a2.hours, a2.volunteers, a2.services, a2.members) == (Decimal("4.0"), 1, 1, 1)
    assert report.totals.hours == a1.hours + a2.hours == Decimal("11.0")
    assert report.totals.posts == 2


def test_next_year_boundary(world, data):
    report = unit_stats(world.root, YEAR + 1)
    assert report.totals.hours == Decimal("9.0") and dict(report.months)[1] == Decimal("9.0")


def test_hours_by_year(world, data):
    assert hours_by_year(world.people["member1"]) == [
        {"year": YEAR, "hours": Decimal("5.5"), "services": 2},
        {"year": YEAR - 1, "hours": Decimal("6.0"), "services": 1},
    ]


def test_query_count_constant(world, data):
    def grow(n):
        post = make_service_post(world.branch_b1, status="closed")
        for i in range(n):
            unit = [world.branch_a1, world.branch_a2, world.branch_b1, world.group_a1][i % 4]
            person = PersonFactory(unit=unit)
            make_signup(make_shift(post, starts_at=local_dt(YEAR, 1 + i % 12, 3, 9)), person, status="confirmed",
                        hours="1.0", organizer_rating=5)  # fmt: skip

    with CaptureQueriesContext(connection) as small:
        unit_stats(world.root, YEAR)
    grow(30)
    with CaptureQueriesContext(connection) as large:
        report = unit_stats(world.root, YEAR)
    assert report.totals.services == 36
    assert len(small) == len(large) == 6  # children, totals, per child, members per child, top 10, months
    assert len(report.top) == 10


# --- pages, export, API, scope -----------------------------------------------------------------


def test_stats_page(world, data, login, client):
    login(world.users["admin"])
    response = client.get(f"/service/stats/?year={YEAR}")
    body = response.content.decode()
    assert response.status_code == 200
    assert "计算机学院党委" in body and "14.0" in body and "echarts.min.js" in body and "stats-chart-data" in body
    login(world.users["secretary1"])
    response = client.get(f"/service/stats/?year={YEAR}")
    assert response.status_code == 200 and response.context["unit"] == world.branch_a1
    assert response.context["report"].totals.hours == Decimal("7.0")


def test_stats_page_query_count_constant(world, data, login, client):
    login(world.users["admin"])
    with CaptureQueriesContext(connection) as small:
        assert client.get(f"/service/stats/?year={YEAR}").status_code == 200
    post = make_service_post(world.branch_b1, status="closed")
    for i in range(20):
        make_signup(make_shift(post, starts_at=local_dt(YEAR, 4, 1 + i, 9)), PersonFactory(unit=world.branch_a2),
                    status="confirmed", hours="2.0")  # fmt: skip
    with CaptureQueriesContext(connection) as large:
        assert client.get(f"/service/stats/?year={YEAR}").status_code == 200
    assert len(small) == len(large) == 12  # session, user, grants, base page, then the area's reads


def test_stats_scope(world, data, login, client):
    login(world.users["secretary2"])
    assert client.get(f"/service/stats/?unit={world.branch_a1.pk}").status_code == 404
    assert client.get(f"/service/stats/?unit={world.college_a.pk}").status_code == 404
    assert client.get(f"/service/stats/export.xlsx?unit={world.branch_a1.pk}").status_code == 404
    assert client.get(f"/api/service/stats?unit={world.branch_a1.pk}").status_code == 404
    assert client.get(f"/service/stats/?unit={world.branch_a2.pk}&year={YEAR}").status_code == 200
    login(world.users["member1"])
    assert client.get("/service/stats/").status_code == 403
    assert client.get("/api/service/stats").status_code == 403
    login(world.users["admin"])
    assert client.get("/service/stats/?year=abc").status_code == 404
    assert client.get("/service/stats/?year=1900").status_code == 404


def test_stats_export(world, data, login, client):
    import openpyxl

    login(world.users["admin"])
    response = client.get(f"/service/stats/export.xlsx?unit={world.college_a.pk}&year={YEAR}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["汇总", "下级组织", "志愿者前十", "月度时长"]
    assert wb["汇总"]["B2"].value == 11.0
    rows = list(wb["下级组织"].iter_rows(values_only=True))
    assert rows[-1][:2] == ("合计", 11.0)
    assert wb["志愿者前十"]["B2"].value == "党员一"


def test_stats_api(world, data, login, client):
    login(world.users["admin"])
    data = client.get(f"/api/service/stats?unit={world.college_a.pk}&year={YEAR}").json()
    assert data["unit_id"] == world.college_a.pk and data["year"] == YEAR
    assert Decimal(data["totals"]["hours"]) == Decimal("11.0")
    assert sum(Decimal(r["hours"]) for r in data["rows"]) == Decimal("11.0")
    assert len(data["months"]) == 12 and data["top"][0]["name"] == "党员一"
