"""The student's phone pages, the head teacher's QR screen and attendance list, the hours page,
the API; sibling-college 404s and pinned query counts."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cloudbranch.orgs.roles import Role
from cloudbranch.school import attendance, hours
from cloudbranch.school.choices import EnrolmentStatus, HourSource, SessionKind
from cloudbranch.school.models import Attendance, HourEntry
from cloudbranch.testing.factories import UserFactory, grant

from .factories import (
    complete_resource,
    library_resource,
    make_enrolment,
    make_item,
    make_running_class,
    make_session,
    make_student,
    session_at,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def _now():
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def today(world):
    """A running class of college_a with a student of branch_a1, an offline session under way,
    a live lecture under way, an online course and a past live lecture with its replay."""
    tc = make_running_class(world.college_a, pass_hours=Decimal("8"))
    user, person = make_student(world.branch_a1, name="赵学员")
    enrolment = make_enrolment(tc, person)
    now = _now()
    offline = session_at(tc, now - datetime.timedelta(minutes=5), title="面授课", hours=Decimal("2"))
    live = session_at(tc, now - datetime.timedelta(minutes=5), kind=SessionKind.LIVE, title="直播课", position=2,
                      stream_url="https://live.example.edu/room/9")  # fmt: skip
    online = make_session(tc, kind=SessionKind.ONLINE, title="网络课程", position=3)
    article = library_resource(world.college_a, title="学习党章")
    make_item(online, article, hours=Decimal("1"))
    video = library_resource(world.college_a, kind="video", title="回放视频")
    past = session_at(tc, now - datetime.timedelta(days=2), kind=SessionKind.LIVE, title="往期直播", position=4,
                      replay=video)  # fmt: skip
    return {"tc": tc, "user": user, "person": person, "enrolment": enrolment, "offline": offline, "live": live,
            "online": online, "article": article, "past": past, "video": video}  # fmt: skip


def _college_b_secretary(world):
    user = UserFactory()
    grant(user, world.college_b, Role.COMMITTEE_SECRETARY)
    return user


# --- student pages -------------------------------------------------------------------------


def test_my_page(client, today):
    client.force_login(today["user"])
    r = client.get(reverse("school:my"))
    html = r.content.decode()
    assert r.status_code == 200
    assert "面授课" in html and "直播课" in html and "去签到" in html
    assert "https://live.example.edu/room/9" in html
    assert reverse("learning:resource", args=[today["article"].pk]) in html  # continue the course
    assert "0.0 / 8.0" in html or "0 / 8" in html


def _grow_my_page(world, user, person, n):
    now = _now()
    for i in range(n):
        tc = make_running_class(world.college_a, title=f"班{i}")
        make_enrolment(tc, person)
        session_at(tc, now - datetime.timedelta(minutes=1), title=f"今日{i}")
        session_at(tc, now + datetime.timedelta(days=2), title=f"将来{i}", position=2)
        make_item(make_session(tc, kind=SessionKind.ONLINE, position=3), library_resource(world.college_a))


def test_my_page_query_count_is_constant(client, world):
    user, person = make_student(world.branch_a1)
    client.force_login(user)
    _grow_my_page(world, user, person, 1)
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("school:my")).status_code == 200
    _grow_my_page(world, user, person, 4)
    with CaptureQueriesContext(connection) as big:
        assert client.get(reverse("school:my")).status_code == 200
    # session, user, count + page of enrolments, today, next, continue, menu grants, menu person
    assert len(small) == len(big) == 9


def test_session_page_offline_shows_code_form(client, today):
    client.force_login(today["user"])
    html = client.get(reverse("school:session", args=[today["offline"].pk])).content.decode()
    assert "扫码签到" in html and 'name="code"' in html


def test_session_page_live_link_only_while_live(client, today, world):
    client.force_login(today["user"])
    html = client.get(reverse("school:session", args=[today["live"].pk])).content.decode()
    assert 'id="stream-link"' in html
    later = session_at(today["tc"], _now() + datetime.timedelta(hours=3), kind=SessionKind.LIVE, title="晚间直播",
                       stream_url="https://live.example.edu/secret-later")  # fmt: skip
    html = client.get(reverse("school:session", args=[later.pk])).content.decode()
    assert "secret-later" not in html and "直播进行中才能签到" in html


def test_session_page_online_items_progress_and_replay(client, today):
    client.force_login(today["user"])
    html = client.get(reverse("school:session", args=[today["online"].pk])).content.decode()
    assert "学习党章" in html and "开始学习" in html
    assert reverse("learning:resource", args=[today["article"].pk]) in html
    complete_resource(today["person"], today["article"])
    html = client.get(reverse("school:session", args=[today["online"].pk])).content.decode()
    assert "已完成" in html
    html = client.get(reverse("school:session", args=[today["past"].pk])).content.decode()
    assert 'id="replay-link"' in html and reverse("learning:resource", args=[today["video"].pk]) in html


def test_session_page_sibling_college_404(client, today, world):
    client.force_login(_college_b_secretary(world))
    assert client.get(reverse("school:session", args=[today["offline"].pk])).status_code == 404


# --- check-in pages ------------------------------------------------------------------------


def test_scan_landing_checks_in_on_post_only(client, today):
    client.force_login(today["user"])
    token = attendance.make_token(today["offline"])
    r = client.get(reverse("school:checkin") + "?t=" + token)
    assert r.status_code == 200 and 'id="qr-checkin-form"' in r.content.decode()
    assert not Attendance.objects.exists()
    r = client.post(reverse("school:checkin"), {"token": token})
    html = r.content.decode()
    assert r.status_code == 200 and "签到成功" in html and "获得 <strong>2.0</strong> 学时" in html
    r = client.post(reverse("school:checkin"), {"token": token})
    assert r.status_code == 409 and "已使用过" in r.content.decode()


def test_code_form_errors_and_lockout(client, today):
    client.force_login(today["user"])
    wrong = "000000" if today["offline"].checkin_code != "000000" else "111111"
    for _ in range(5):
        assert client.post(reverse("school:checkin"), {"code": wrong}).status_code == 422
    r = client.post(reverse("school:checkin"), {"code": today["offline"].checkin_code})
    assert r.status_code == 429 and "错误次数过多" in r.content.decode()


def test_checkin_screen_for_head_teacher_only(client, today, world):
    s = today["offline"]
    client.force_login(today["tc"].head_teacher)
    r = client.get(reverse("school:checkin_screen", args=[s.pk]))
    html = r.content.decode()
    assert r.status_code == 200 and s.checkin_code in html and "<svg" in html and 'hx-trigger="every 10s"' in html
    frag = client.get(reverse("school:checkin_qr", args=[s.pk]), HTTP_HX_REQUEST="true")
    assert (
        frag.status_code == 200
        and "<html" not in frag.content.decode()
        and 'data-count="present">0<' in (frag.content.decode())
    )
    client.force_login(today["user"])
    assert client.get(reverse("school:checkin_screen", args=[s.pk])).status_code == 403
    client.force_login(_college_b_secretary(world))
    assert client.get(reverse("school:checkin_screen", args=[s.pk])).status_code == 404
    assert client.get(reverse("school:checkin_qr", args=[s.pk])).status_code == 404


# --- the head teacher's attendance list ------------------------------------------------------


def test_attendance_page_and_manual_record(client, today, world):
    s = today["offline"]
    client.force_login(today["tc"].head_teacher)
    r = client.get(reverse("school:attendance", args=[s.pk]))
    assert r.status_code == 200 and "赵学员" in r.content.decode() and "未签到" in r.content.decode()
    url = reverse("school:attendance", args=[s.pk])
    r = client.post(url, {"enrolment": today["enrolment"].pk, "reason": ""}, HTTP_HX_REQUEST="true")
    assert r.status_code == 422 and "请填写补记原因" in r.content.decode()
    assert not Attendance.objects.exists()
    r = client.post(url, {"enrolment": today["enrolment"].pk, "reason": "手机没电"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "班主任补记" in r.content.decode() and "手机没电" in r.content.decode()
    assert HourEntry.objects.get().source == HourSource.OFFLINE


def test_attendance_sibling_college_404_and_student_403(client, today, world):
    s = today["offline"]
    client.force_login(_college_b_secretary(world))
    assert client.get(reverse("school:attendance", args=[s.pk])).status_code == 404
    assert (
        client.post(reverse("school:attendance", args=[s.pk]), {"enrolment": today["enrolment"].pk, "reason": "x"})
    ).status_code == 404
    assert client.get(f"/api/school/sessions/{s.pk}/attendance").status_code == 404
    client.force_login(today["user"])
    assert client.get(reverse("school:attendance", args=[s.pk])).status_code == 403


def _add_checked_in(tc, session, n):
    for _ in range(n):
        e = make_enrolment(tc)
        Attendance.objects.create(session=session, enrolment=e, checked_in_at=_now(), method="code")
        make_enrolment(tc)  # and one who has not checked in


def test_attendance_list_query_count_is_constant(client, today):
    s = today["offline"]
    client.force_login(today["tc"].head_teacher)
    _add_checked_in(today["tc"], s, 2)
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("school:attendance", args=[s.pk])).status_code == 200
    _add_checked_in(today["tc"], s, 12)
    with CaptureQueriesContext(connection) as big:
        assert client.get(reverse("school:attendance", args=[s.pk])).status_code == 200
    # session, user, grants, the session, count + page of rows, summary, menu person
    assert len(small) == len(big) == 8
    with CaptureQueriesContext(connection) as api:
        body = client.get(f"/api/school/sessions/{s.pk}/attendance").json()
    assert body["count"] == 29 and len(body["items"]) == 20
    assert len(api) == 6


# --- hours page ----------------------------------------------------------------------------


def test_hours_page_visibility(client, today, world):
    e = today["enrolment"]
    url = reverse("school:hours", args=[e.pk])
    follower = world.users["secretary1"]  # branch secretary of the student's branch (a1)
    officer = UserFactory()
    grant(officer, world.college_a, Role.COMMITTEE_SECRETARY)
    for user, status in [
        (today["user"], 200),
        (today["tc"].head_teacher, 200),
        (officer, 200),
        (follower, 200),
        (world.users["secretary2"], 404),  # a sibling branch
        (_college_b_secretary(world), 404),  # a sibling college
        (world.users["member1"], 404),
    ]:
        client.force_login(user)
        assert client.get(url).status_code == status, user
        assert client.get(f"/api/school/enrolments/{e.pk}/hours").status_code == status, user


def test_hours_page_manual_credit(client, today):
    e = today["enrolment"]
    client.force_login(today["tc"].head_teacher)
    r = client.post(reverse("school:hours_credit", args=[e.pk]), {"hours": "1.5", "reason": ""})
    assert r.status_code == 422 and "请填写补记原因" in r.content.decode()
    r = client.post(reverse("school:hours_credit", args=[e.pk]), {"hours": "1.5", "reason": "补课"})
    assert r.status_code == 302
    html = client.get(reverse("school:hours", args=[e.pk])).content.decode()
    assert "补课" in html and "+1.5" in html
    client.force_login(today["user"])
    assert client.post(reverse("school:hours_credit", args=[e.pk]), {"hours": "1", "reason": "x"}).status_code == 403


def _add_entries(enrolment, n):
    for _ in range(n):
        hours.credit(actor=None, enrolment=enrolment, content_key=f"manual:{HourEntry.objects.count()}-{_}",
                     source=HourSource.MANUAL, hours=Decimal("0.5"), note="补记")  # fmt: skip


def test_hours_list_query_count_is_constant(client, today, world):
    e = today["enrolment"]
    client.force_login(world.users["secretary1"])
    _add_entries(e, 2)
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("school:hours", args=[e.pk])).status_code == 200
    _add_entries(e, 25)
    with CaptureQueriesContext(connection) as big:
        assert client.get(reverse("school:hours", args=[e.pk])).status_code == 200
    # session, user, enrolment, grants, count + page of entries, per source, menu person
    assert len(small) == len(big) == 8
    with CaptureQueriesContext(connection) as api:
        body = client.get(f"/api/school/enrolments/{e.pk}/hours").json()
    assert body["count"] == 27 and len(body["items"]) == 20
    assert len(api) == 6  # session, user, enrolment, grants, count, page


# --- API -----------------------------------------------------------------------------------


def test_api_checkin_and_me(client, today):
    client.force_login(today["user"])
    r = client.post("/api/school/checkin", {"code": today["offline"].checkin_code}, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["hours_credited"] == "2.0" and r.json()["method"] == "code"
    r = client.post("/api/school/checkin", {"code": today["offline"].checkin_code}, content_type="application/json")
    assert r.status_code == 409
    token = attendance.make_token(today["live"])
    r = client.post("/api/school/checkin", {"token": token}, content_type="application/json")
    assert r.status_code == 200 and r.json()["session_id"] == today["live"].pk
    r = client.post("/api/school/checkin", {}, content_type="application/json")
    assert r.status_code == 422
    classes = client.get("/api/school/me/classes").json()
    assert classes["count"] == 1 and classes["items"][0]["hours"] == "4.0"  # 2 offline + 2 live
    sessions = client.get("/api/school/me/sessions/today").json()
    titles = {s["title"]: s for s in sessions["items"]}
    assert set(titles) == {"面授课", "直播课"}
    assert titles["面授课"]["checked_in"] is True and titles["直播课"]["stream_url"].endswith("/room/9")


def test_api_manual_attendance_and_hours(client, today, world):
    s = today["offline"]
    e = today["enrolment"]
    client.force_login(today["tc"].head_teacher)
    url = f"/api/school/sessions/{s.pk}/attendance"
    r = client.post(url, {"enrolment_id": e.pk, "reason": ""}, content_type="application/json")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    r = client.post(url, {"enrolment_id": e.pk, "reason": "现场核实"}, content_type="application/json")
    assert r.status_code == 201 and r.json()["method"] == "manual"
    rows = client.get(url).json()["items"]
    assert rows[0]["method"] == "manual" and rows[0]["person_name"] == "赵学员"
    r = client.post(f"/api/school/enrolments/{e.pk}/hours", {"hours": "1", "reason": "补课"},
                    content_type="application/json")  # fmt: skip
    assert r.status_code == 201 and r.json()["source"] == "manual"
    items = client.get(f"/api/school/enrolments/{e.pk}/hours").json()["items"]
    assert {i["source"] for i in items} == {"offline", "manual"}
    client.force_login(_college_b_secretary(world))
    r = client.post(url, {"enrolment_id": e.pk, "reason": "x"}, content_type="application/json")
    assert r.status_code == 404


def test_withdrawn_student_page_has_no_checkin(client, today):
    e = today["enrolment"]
    e.status = EnrolmentStatus.WITHDRAWN
    e.save()
    client.force_login(today["user"])
    html = client.get(reverse("school:session", args=[today["offline"].pk])).content.decode()
    assert 'name="code"' not in html and "已退学" in html
    r = client.post(reverse("school:checkin"), {"code": today["offline"].checkin_code})
    assert r.status_code == 422 and re.search("不能签到", r.content.decode())


# --- the student's way to the exam, the sessions and their rating ----------------------------


def test_final_exam_is_taken_from_my_page_and_the_class_page(client, today, world):
    """The student starts the final exam from 我的党校 and from the class page (a POST to
    learning's exam start), continues a running attempt from there, and is never sent to the
    paper's manager page (a 404 for members)."""
    from cloudbranch.learning.tests.test_exams_support import make_paper, make_question

    question = make_question(world.college_a, world.users["admin"], kind="judge", options=["正确", "错误"], answer=[0])
    paper = make_paper(world.college_a, world.users["admin"], questions=[question], title="结业考试卷")
    tc = today["tc"]
    tc.exam_paper = paper
    tc.save(update_fields=["exam_paper"])
    client.force_login(today["user"])
    start = reverse("learning:exam_start", args=[paper.pk])
    for url in (reverse("school:my"), reverse("school:class", args=[tc.pk])):
        html = client.get(url).content.decode()
        assert f'action="{start}"' in html and "参加结业考试" in html, url
        assert f'href="{reverse("learning:paper", args=[paper.pk])}"' not in html
    response = client.post(start)
    assert response.status_code == 302 and "/learning/attempts/" in response["Location"]
    for url in (reverse("school:my"), reverse("school:class", args=[tc.pk])):
        html = client.get(url).content.decode()
        assert f'href="{response["Location"]}"' in html and "继续答题" in html and start not in html, url
    assert client.get(reverse("learning:paper", args=[paper.pk])).status_code == 404  # why the old link was wrong


def test_final_exam_state_when_it_cannot_be_started(client, today, world):
    from cloudbranch.learning.tests.test_exams_support import make_paper

    tc = today["tc"]
    later = make_paper(world.college_a, world.users["admin"], opens_at=_now() + datetime.timedelta(days=3))
    tc.exam_paper = later
    tc.save(update_fields=["exam_paper"])
    client.force_login(today["user"])
    html = client.get(reverse("school:my")).content.decode()
    assert "开考" in html and reverse("learning:exam_start", args=[later.pk]) not in html
    later.status = "draft"
    later.save(update_fields=["status"])
    assert "结业考试尚未发布" in client.get(reverse("school:my")).content.decode()


def test_class_page_links_each_session_and_the_managers_pages(client, today, world):
    tc = today["tc"]
    client.force_login(today["user"])
    html = client.get(reverse("school:class", args=[tc.pk])).content.decode()
    for key in ("offline", "live", "online", "past"):
        assert reverse("school:session", args=[today[key].pk]) in html
    assert reverse("school:results", args=[tc.pk]) not in html  # the manager's bar is not the student's
    client.force_login(tc.head_teacher)
    html = client.get(reverse("school:class", args=[tc.pk])).content.decode()
    for url in (
        reverse("school:assignments", args=[tc.pk]),
        reverse("school:results", args=[tc.pk]),
        reverse("school:class_stats", args=[tc.pk]),
        reverse("school:session", args=[today["offline"].pk]),
    ):
        assert url in html, url
    assert client.get(reverse("school:class_stats", args=[tc.pk])).status_code == 200


def test_session_page_links_the_rating_once_the_session_began(client, today):
    client.force_login(today["user"])
    rate = reverse("school:evaluate", args=[today["offline"].pk])
    assert rate in client.get(reverse("school:session", args=[today["offline"].pk])).content.decode()
    later = session_at(today["tc"], _now() + datetime.timedelta(days=2), title="下周课")
    html = client.get(reverse("school:session", args=[later.pk])).content.decode()
    assert reverse("school:evaluate", args=[later.pk]) not in html


def test_my_page_query_count_with_final_exams_is_constant(client, world):
    """Final exams on 我的党校 cost one query (learning's "my exams" rows), whatever their number."""
    from cloudbranch.learning.tests.test_exams_support import make_paper
    from cloudbranch.school.models import TrainingClass

    user, person = make_student(world.branch_a1)
    client.force_login(user)

    def grow(n):
        _grow_my_page(world, user, person, n)
        for tc in TrainingClass.objects.filter(exam_paper__isnull=True):
            tc.exam_paper = make_paper(world.college_a, world.users["admin"], title=f"{tc.title}考试")
            tc.save(update_fields=["exam_paper"])

    grow(1)
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("school:my")).status_code == 200
    grow(4)
    with CaptureQueriesContext(connection) as big:
        html = client.get(reverse("school:my")).content.decode()
    assert html.count("参加结业考试") == 5
    assert len(small) == len(big) == 10  # test_my_page_query_count_is_constant's 9 + the exams
