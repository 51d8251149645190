"""Statistics against hand-computed data, pinned query counts, access (sibling college 404), export."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal as D

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.learning.models import Resource
from cloudbranch.orgs.roles import Role
from cloudbranch.school import stats
from cloudbranch.school.choices import ClassKind, ClassStatus, SessionKind
from cloudbranch.school.choices import EnrolmentStatus as S
from cloudbranch.school.tests.factories import (
    make_attendance,
    make_certificate,
    make_class,
    make_enrolment,
    make_evaluation,
    make_hour_entry,
    make_item,
    make_session,
    make_student,
)
from cloudbranch.testing.factories import UserFactory, grant

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year


def make_resource(unit, user, title):
    return Resource.objects.create(
        kind="article", title=title, column="policy", unit=unit, audience="subtree", status="published",
        published_at=timezone.now(), created_by=user,
    )  # fmt: skip


def past(tc, kind, title, position):
    start = timezone.now() - datetime.timedelta(days=3 - position)
    if kind == SessionKind.ONLINE:
        return make_session(tc, kind=kind, title=title, position=position)
    return make_session(
        tc, kind=kind, title=title, position=position, starts_at=start, ends_at=start + datetime.timedelta(hours=1)
    )


def student(tc, unit, name, status, hours, score=None):
    _, person = make_student(unit, name=name)
    return make_enrolment(tc, person, status=status, hours=D(hours), exam_score=None if score is None else D(score))


@pytest.fixture
def data(world):
    """Two classes of the year (one run by the root, one by college A), one of last year.

    class1 (root, pass 10 h, exam 60): s1 a1 PASSED 12 h 90 · s2 a2 FAILED 4 h 50 · s3 b1 PASSED 10 h 70 ·
    s4 b1 WAITLISTED · s5 a1 WITHDRAWN 2 h · s6 a1 ENROLLED 6 h.
    class2 (college A, pass 24 h): t1 a1 ENROLLED 20 h · t2 a2 PASSED 24 h 80.
    """
    head = UserFactory(display_name="班主任甲")
    c1 = make_class(world.root, head_teacher=head, title="第 1 期积极分子班", pass_hours=D("10"),
                    exam_pass_score=D("60"), status=ClassStatus.FINISHED, term="春季")  # fmt: skip
    s1 = student(c1, world.branch_a1, "学员一", S.PASSED, "12", "90")
    s2 = student(c1, world.branch_a2, "学员二", S.FAILED, "4", "50")
    s3 = student(c1, world.branch_b1, "学员三", S.PASSED, "10", "70")
    student(c1, world.branch_b1, "学员四", S.WAITLISTED, "0")
    s5 = student(c1, world.branch_a1, "学员五", S.WITHDRAWN, "2")
    student(c1, world.branch_a1, "学员六", S.ENROLLED, "6")
    off = past(c1, SessionKind.OFFLINE, "面授一", 1)
    live = past(c1, SessionKind.LIVE, "直播一", 2)
    online = past(c1, SessionKind.ONLINE, "网络课程一", 3)
    r1, r2 = make_resource(world.root, head, "资源一"), make_resource(world.root, head, "资源二")
    make_item(online, r1, position=1)
    make_item(online, r2, position=2)
    for e in (s1, s2, s3, s5):
        make_attendance(off, e)
    make_attendance(live, s1)
    for e, r in ((s1, r1), (s1, r2), (s2, r1), (s5, r1)):
        make_hour_entry(e, resource=r, hours=D("0"))
    make_hour_entry(s3, session=live, source="replay", hours=D("0"))
    make_evaluation(off, s1, content=5, lecturer=4, comment="讲得很好")
    make_evaluation(off, s2, content=3, lecturer=2)
    make_evaluation(live, s1, content=4, lecturer=5, comment="希望多些案例")
    make_certificate(s1, serial="JJ-0001")

    c2 = make_class(world.college_a, title="第 1 期发展对象班", kind=ClassKind.CANDIDATE, pass_hours=D("24"),
                    status=ClassStatus.RUNNING)  # fmt: skip
    t1 = student(c2, world.branch_a1, "学员七", S.ENROLLED, "20")
    student(c2, world.branch_a2, "学员八", S.PASSED, "24", "80")
    c2s = past(c2, SessionKind.OFFLINE, "面授二", 1)
    make_evaluation(c2s, t1, content=2, lecturer=3)

    old = make_class(world.root, title="去年的班", year=YEAR - 1)
    student(old, world.branch_a1, "学员九", S.PASSED, "30", "99")
    return {"c1": c1, "c2": c2, "old": old, "head": head, "off": off, "live": live, "online": online}


def committee_secretary(unit):
    user = UserFactory()
    grant(user, unit, Role.COMMITTEE_SECRETARY)
    return user


# --- class statistics ----------------------------------------------------------------------------


def test_class_stats_hand_computed(data):
    c1 = stats.class_for_report(data["head"], data["c1"].pk)
    r = stats.class_stats(c1)
    assert (r.enrolled, r.waitlisted, r.withdrawn, r.passed, r.failed) == (4, 1, 1, 2, 1)
    assert r.pass_rate == D("66.7")
    assert r.average_hours == D("8.0")  # (12+4+10+6)/4
    assert r.hours_buckets == [("不足 50%", 1), ("50%–99%", 1), ("达到 100%", 2)]
    assert (r.exam_attempted, r.exam_passed, r.average_score, r.exam_pass_rate) == (3, 2, D("70.0"), D("66.7"))
    off, live, online = r.sessions
    assert (off.attended, off.attendance_rate) == (3, D("75.0"))  # the withdrawn s5 is not counted
    assert (off.ratings, off.content_rating, off.lecturer_rating, off.comments) == (2, D("4.0"), D("3.0"), 1)
    assert (live.attended, live.attendance_rate, live.replays) == (1, D("25.0"), 1)
    assert (live.ratings, live.content_rating, live.lecturer_rating, live.comments) == (1, D("4.0"), D("5.0"), 1)
    assert (online.items, online.completions, online.completion_rate) == (2, 3, D("37.5"))  # 3 / (2 × 4)
    assert online.attendance_rate is None and online.ratings == 0
    colleges = {c.label: c for c in r.colleges}
    a, b = colleges["计算机学院党委"], colleges["数学学院党委"]
    assert (a.enrolled, a.passed, a.failed, a.pass_rate) == (3, 1, 1, D("50.0"))
    assert (a.average_hours, a.average_score) == (D("7.3"), D("70.0"))  # 22/3, (90+50)/2
    assert (b.enrolled, b.passed, b.pass_rate, b.average_hours, b.average_score) == (
        1,
        1,
        D("100.0"),
        D("10.0"),
        D("70.0"),
    )
    assert r.chart["attended"] == [3, 1]


def test_class_stats_page(data, login):
    r = login(data["head"]).get(reverse("school:class_stats", args=[data["c1"].pk]))
    assert r.status_code == 200
    html = r.content.decode()
    assert "vendor/echarts/echarts.min.js" in html and "attendance-chart-data" in html
    assert "75.0%" in html and "66.7%" in html and "计算机学院党委" in html
    assert "讲得很好" in html and "希望多些案例" in html
    for name in ("学员一", "学员二", "学员三"):
        assert name not in html


def test_class_stats_access(world, data, login):
    url = reverse("school:class_stats", args=[data["c2"].pk])
    assert login(committee_secretary(world.college_a)).get(url).status_code == 200
    assert login(world.users["admin"]).get(url).status_code == 200
    # The sibling college's committee secretary does not see college A's class.
    sibling = committee_secretary(world.college_b)
    assert login(sibling).get(url).status_code == 404
    assert login(sibling).get(f"/api/school/classes/{data['c2'].pk}/stats").status_code == 404
    assert login(sibling).get(reverse("school:class_comments", args=[data["c2"].pk])).status_code == 404
    # A branch secretary following a student sees the class but not its statistics.
    assert login(world.users["secretary1"]).get(url).status_code == 403
    # The root's class has a student of college B: its secretary follows them, sees the class → 403.
    assert login(sibling).get(reverse("school:class_stats", args=[data["c1"].pk])).status_code == 403


def _grow_class(world, tc, students: int, sessions: int):
    head = tc.head_teacher
    rows = [past(tc, SessionKind.OFFLINE if i % 2 else SessionKind.LIVE, f"课{i}", i) for i in range(sessions)]
    online = past(tc, SessionKind.ONLINE, "网课", 99)
    res = make_resource(world.root, head, f"资源{tc.pk}")
    make_item(online, res)
    units = [world.branch_a1, world.branch_a2, world.branch_b1]
    for i in range(students):
        e = student(tc, units[i % 3], f"生{i}", S.ENROLLED, str(i))
        for s in rows:
            make_attendance(s, e)
            make_evaluation(s, e, content=1 + i % 5, lecturer=5, comment=f"意见{i}")
        make_hour_entry(e, resource=res, hours=D("0"))


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    assert r.status_code == 200
    return len(ctx.captured_queries)


def test_class_stats_query_count_is_constant(world, login):
    head = UserFactory()
    small = make_class(world.root, head_teacher=head, status=ClassStatus.RUNNING)
    big = make_class(world.root, head_teacher=head, status=ClassStatus.RUNNING)
    _grow_class(world, small, students=3, sessions=2)
    _grow_class(world, big, students=15, sessions=6)
    client = login(head)
    counts = [_count_queries(client, reverse("school:class_stats", args=[c.pk])) for c in (small, big, small)]
    assert counts[1] == counts[2]
    assert counts[1] == 12, counts  # session, user, grants, class, 5 of class_stats, comments count + page, menu
    direct = []
    for c in (small, big):
        tc = stats.class_for_report(head, c.pk)
        with CaptureQueriesContext(connection) as ctx:
            stats.class_stats(tc)
        direct.append(len(ctx.captured_queries))
    assert direct == [5, 5]
    api = [_count_queries(client, f"/api/school/classes/{c.pk}/stats") for c in (small, big)]
    assert api[0] == api[1]


# --- school statistics ---------------------------------------------------------------------------


def test_school_stats_hand_computed(world, data):
    admin = world.users["admin"]
    filters = stats.SchoolFilters(year=YEAR)
    rows = {c.title: stats.decorate(c) for c in stats.class_rows(admin, filters)}
    assert set(rows) == {"第 1 期积极分子班", "第 1 期发展对象班"}
    c1, c2 = rows["第 1 期积极分子班"], rows["第 1 期发展对象班"]
    assert (c1.enrolled, c1.passed, c1.failed, c1.pass_rate, c1.avg_hours, c1.avg_score) == (
        4, 2, 1, D("66.7"), D("8.0"), D("70.0"))  # fmt: skip
    assert (c1.avg_content, c1.avg_lecturer, c1.n_ratings) == (D("4.0"), D("3.7"), 3)
    assert (c2.enrolled, c2.passed, c2.pass_rate, c2.avg_hours, c2.avg_score) == (
        2,
        1,
        D("100.0"),
        D("22.0"),
        D("80.0"),
    )
    assert (c2.avg_content, c2.avg_lecturer) == (D("2.0"), D("3.0"))
    colleges, total = stats.college_totals(admin, filters)
    by = {c.label: c for c in colleges}
    a, b = by["计算机学院党委"], by["数学学院党委"]
    assert (a.classes, a.enrolled, a.passed, a.failed, a.pass_rate) == (2, 5, 2, 1, D("66.7"))
    assert (a.average_hours, a.average_score) == (D("13.2"), D("73.3"))  # 66/5, 220/3
    assert (b.classes, b.enrolled, b.passed, b.pass_rate, b.average_hours) == (1, 1, 1, D("100.0"), D("10.0"))
    assert (total.enrolled, total.passed, total.failed, total.pass_rate) == (6, 3, 1, D("75.0"))
    assert (total.average_hours, total.average_score) == (D("12.7"), D("72.5"))
    # Filters: kind, unit, year.
    only = stats.SchoolFilters(year=YEAR, kind=ClassKind.CANDIDATE)
    assert [c.title for c in stats.class_rows(admin, only)] == ["第 1 期发展对象班"]
    under_a = stats.SchoolFilters(year=YEAR, unit=world.college_a)
    assert [c.title for c in stats.class_rows(admin, under_a)] == ["第 1 期发展对象班"]
    assert [c.title for c in stats.class_rows(admin, stats.SchoolFilters(year=YEAR - 1))] == ["去年的班"]
    # A college's committee secretary reports on the classes run in the college only.
    sec_a = committee_secretary(world.college_a)
    assert [c.title for c in stats.class_rows(sec_a, filters)] == ["第 1 期发展对象班"]


def test_school_stats_page_and_access(world, data, login):
    url = reverse("school:stats")
    r = login(world.users["admin"]).get(url)
    assert r.status_code == 200
    html = r.content.decode()
    assert "第 1 期积极分子班" in html and "66.7%" in html and "计算机学院党委" in html and "13.2" in html
    r = login(world.users["admin"]).get(url, {"kind": ClassKind.CANDIDATE})
    assert "第 1 期积极分子班" not in r.content.decode()
    # No school.view_report anywhere → 403; a unit outside the scope → 404.
    assert login(world.users["secretary1"]).get(url).status_code == 403
    assert login(data["head"]).get(url).status_code == 403
    sibling = committee_secretary(world.college_b)
    assert login(sibling).get(url, {"unit": world.college_a.pk}).status_code == 404
    assert login(sibling).get(reverse("school:stats_export"), {"unit": world.college_a.pk}).status_code == 404
    assert login(sibling).get("/api/school/stats", {"unit": world.college_a.pk}).status_code == 404
    r = login(sibling).get(url)
    assert r.status_code == 200 and "第 1 期发展对象班" not in r.content.decode()


def test_school_stats_query_count_is_constant(world, login):
    admin = world.users["admin"]
    head = UserFactory()

    def add_classes(n, students):
        for i in range(n):
            tc = make_class(world.college_a if i % 2 else world.root, head_teacher=head, title=f"班{i}")
            s = past(tc, SessionKind.OFFLINE, "课", 1)
            for j in range(students):
                e = student(tc, [world.branch_a1, world.branch_b1][j % 2], f"生{i}-{j}", S.PASSED, "5", "70")
                make_evaluation(s, e, content=4, lecturer=4)

    add_classes(2, 3)
    client = login(admin)
    url = reverse("school:stats")
    small = _count_queries(client, url)
    add_classes(10, 6)
    big = _count_queries(client, url)
    assert small == big == 9, (small, big)  # session, user, grants, count, page, colleges + labels, units, menu
    api_small = _count_queries(client, "/api/school/stats")
    assert _count_queries(client, "/api/school/stats?page=1") == api_small


def test_api_stats(world, data, login):
    client = login(world.users["admin"])
    r = client.get("/api/school/stats", {"year": YEAR})
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 2
    row = next(i for i in body["items"] if i["title"] == "第 1 期积极分子班")
    assert row["enrolled"] == 4 and D(row["pass_rate"]) == D("66.7") and row["ratings"] == 3
    r = client.get("/api/school/stats/colleges", {"year": YEAR})
    assert {i["label"] for i in r.json()["items"]} == {"计算机学院党委", "数学学院党委"}
    r = client.get(f"/api/school/classes/{data['c1'].pk}/stats")
    assert r.status_code == 200
    body = r.json()
    assert body["enrolled"] == 4 and [s["attended"] for s in body["sessions"]] == [3, 1, None]
    assert login(world.users["secretary1"]).get("/api/school/stats").status_code == 403


def test_export(world, data, login):
    r = login(world.users["admin"]).get(reverse("school:stats_export"), {"year": YEAR})
    assert r.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["培训班", "学院", "学员"]
    classes = [row for row in wb["培训班"].iter_rows(min_row=3, values_only=True)]
    assert {row[0] for row in classes} == {"第 1 期积极分子班", "第 1 期发展对象班"}
    c1 = next(row for row in classes if row[0] == "第 1 期积极分子班")
    assert c1[5:9] == (4, 2, 1, 66.7)
    colleges = [row for row in wb["学院"].iter_rows(min_row=2, values_only=True)]
    assert colleges[-1][0] == "合计" and colleges[-1][2] == 6
    students = list(wb["学员"].iter_rows(min_row=2, values_only=True))
    assert len(students) == 8  # 6 + 2, last year's class not included
    s1 = next(row for row in students if row[1] == "学员一")
    assert s1[3:] == ("已结业", 12.0, 90.0, "JJ-0001")
    event = AuditEvent.objects.get(action="school.stats.export")
    assert event.changes["rows"] == 2 and event.changes["year"] == YEAR
