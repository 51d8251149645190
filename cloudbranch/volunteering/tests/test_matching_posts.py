"""Posts recommended to a member: scoring, reasons, exclusions, audience, query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cloudbranch.testing.factories import PersonFactory
from cloudbranch.volunteering import matching
from cloudbranch.volunteering.matching import Signals, recommend_posts, score, time_slot_of

from .factories import local_dt, make_profile, make_service_post, make_shift, make_signup

pytestmark = pytest.mark.django_db

NOW = local_dt(2030, 5, 30, 8)  # Thursday morning
SAT = local_dt(2030, 6, 1, 9)  # Saturday 09:00


def _person(world):
    person = world.people["member1"]
    person.unit  # noqa: B018 - loaded, as callers do (own_person selects it)
    return person


# --- pure helpers ------------------------------------------------------------------------------


def test_slot_boundaries_are_local_time():
    assert time_slot_of(local_dt(2030, 6, 1, 11, 59)) == "sat_am"
    assert time_slot_of(local_dt(2030, 6, 1, 12, 0)) == "sat_pm"
    assert time_slot_of(local_dt(2030, 6, 1, 17, 59)) == "sat_pm"
    assert time_slot_of(local_dt(2030, 6, 1, 18, 0)) == "sat_ev"
    assert time_slot_of(local_dt(2030, 6, 3, 0, 0)) == "mon_am"
    # 2030-06-01 03:59 UTC is 11:59 in Shanghai: still the morning
    utc = datetime.datetime(2030, 6, 1, 3, 59, tzinfo=datetime.UTC)
    assert time_slot_of(utc) == "sat_am"


def test_score_reasons_in_chinese(world):
    post = make_service_post(world.branch_a1, skills=["medical", "driving"], content_type="elderly", area="community")
    shift = make_shift(post, starts_at=SAT)
    signals = Signals(
        skills=frozenset({"medical"}),
        slots=frozenset({"sat_am"}),
        past_content={"elderly": 3},
        past_area={"community": 1},
        has_profile=True,
    )
    points, reasons = score(post, [shift], signals)
    assert reasons == [
        "你的特长“医疗护理”符合岗位要求",
        "周六上午你有空",
        "你参加过 3 次同类服务（助老助残）",
        "你参加过 1 次社区服务领域的服务",
    ]
    assert points == matching.SKILL_POINTS + matching.TIME_POINTS + 3 * matching.PAST_CONTENT_POINTS + 5
    # for the organizer, the same reasons without "你"
    _, reasons = score(post, [shift], signals, you=False)
    assert reasons[0] == "特长“医疗护理”符合岗位要求" and reasons[1] == "周六上午有空"


def test_past_service_is_capped():
    post = type("P", (), {"skills": [], "content_type": "elderly", "area": "community"})()
    points, reasons = score(post, [], Signals(past_content={"elderly": 10}))
    assert points == matching.PAST_CAP * matching.PAST_CONTENT_POINTS
    assert reasons == ["你参加过 10 次同类服务（助老助残）"]


# --- recommend_posts ---------------------------------------------------------------------------


def test_slot_boundary_decides_the_time_reason(world):
    person = _person(world)
    make_profile(person, free_slots=["sat_am"])
    morning = make_service_post(world.branch_a1, title="上午岗")
    make_shift(morning, starts_at=local_dt(2030, 6, 1, 11, 59))
    noon = make_service_post(world.branch_a1, title="中午岗")
    make_shift(noon, starts_at=local_dt(2030, 6, 1, 12, 0))
    recs = recommend_posts(person, now=NOW)
    by_title = {m.post.title: m for m in recs}
    assert "周六上午你有空" in by_title["上午岗"].reasons
    assert not any("有空" in r for r in by_title["中午岗"].reasons)
    assert recs[0].post.title == "上午岗"


def test_ranking_skills_time_and_past_service(world):
    person = _person(world)
    make_profile(person, skills=["medical"], free_slots=["sat_am"])
    plain = make_service_post(world.branch_a1, title="普通岗", content_type="other", area="campus")
    make_shift(plain, starts_at=local_dt(2030, 6, 3, 19))
    skilled = make_service_post(world.branch_a1, title="医疗岗", skills=["medical"], content_type="health")
    make_shift(skilled, starts_at=local_dt(2030, 6, 3, 19))
    timely = make_service_post(world.branch_a1, title="周六岗", content_type="other", area="campus")
    make_shift(timely, starts_at=SAT)
    # past service: 3 confirmed elderly services
    old = make_service_post(world.branch_a1, title="往期助老", status="closed", content_type="elderly")
    for i in range(3):
        make_signup(make_shift(old, starts_at=local_dt(2030, 1, 5 + i, 9)), person, status="confirmed", hours=2)
    again = make_service_post(world.branch_a1, title="助老岗", content_type="elderly", area="rural")
    make_shift(again, starts_at=local_dt(2030, 6, 3, 19))

    recs = recommend_posts(person, now=NOW)
    titles = [m.post.title for m in recs]
    assert titles == ["医疗岗", "助老岗", "周六岗", "普通岗"]
    assert recs.has_profile and recs.note == matching.PROFILE_NOTE
    assert recs[0].reasons[0] == "你的特长“医疗护理”符合岗位要求"
    assert "你参加过 3 次同类服务（助老助残）" in recs[1].reasons
    assert recs[2].reasons[0] == "周六上午你有空"
    assert recs[3].reasons == ["岗位正在招募", "还有 5 个名额"]
    assert all(m.reasons[-1].startswith("还有 ") for m in recs)


def test_suggested_shift_is_the_free_one(world):
    person = _person(world)
    make_profile(person, free_slots=["sat_pm"])
    post = make_service_post(world.branch_a1)
    make_shift(post, starts_at=SAT)
    afternoon = make_shift(post, starts_at=local_dt(2030, 6, 1, 14))
    [m] = recommend_posts(person, now=NOW)
    assert m.shift == afternoon and len(m.shifts) == 2 and m.seats_left == 10
    assert m.reasons[0] == "周六下午你有空"


def test_without_profile_past_service_then_newest(world):
    person = _person(world)
    older = make_service_post(world.branch_a1, title="较早", created_at=NOW - datetime.timedelta(days=5))
    make_shift(older, starts_at=SAT)
    newer = make_service_post(world.branch_a1, title="较新", content_type="other", created_at=NOW)
    make_shift(newer, starts_at=SAT)
    recs = recommend_posts(person, now=NOW)
    assert [m.post.title for m in recs] == ["较新", "较早"]
    assert not recs.has_profile and "还没有填写特长和空闲时间" in recs.note
    assert recs[0].reasons[0] == "最新发布的岗位"
    # one confirmed elderly service puts the older (elderly) post first
    past = make_service_post(world.branch_a1, status="closed")
    make_signup(make_shift(past, starts_at=local_dt(2030, 2, 1, 9)), person, status="confirmed", hours=3)
    recs = recommend_posts(person, now=NOW)
    assert [m.post.title for m in recs] == ["较早", "较新"]
    assert "你参加过 1 次同类服务（助老助残）" in recs[0].reasons


def test_excludes_full_closed_draft_past_deadline_cancelled_and_signed(world):
    person = _person(world)
    other = PersonFactory(unit=world.branch_a1)
    ok = make_service_post(world.branch_a1, title="可报名")
    make_shift(ok, starts_at=SAT)
    full = make_service_post(world.branch_a1, title="已满")
    make_signup(make_shift(full, starts_at=SAT, headcount=1), other)
    closed = make_service_post(world.branch_a1, title="已结束", status="closed")
    make_shift(closed, starts_at=SAT)
    draft = make_service_post(world.branch_a1, title="草稿", status="draft")
    make_shift(draft, starts_at=SAT)
    past = make_service_post(world.branch_a1, title="已过去")
    make_shift(past, starts_at=NOW - datetime.timedelta(days=1))
    deadline = make_service_post(world.branch_a1, title="报名截止")
    make_shift(deadline, starts_at=SAT, deadline=NOW - datetime.timedelta(minutes=1))
    cancelled = make_service_post(world.branch_a1, title="时段取消")
    make_shift(cancelled, starts_at=SAT, status="cancelled")
    signed = make_service_post(world.branch_a1, title="已报名")
    make_signup(make_shift(signed, starts_at=SAT), person)
    waiting = make_service_post(world.branch_a1, title="候补中")
    make_signup(make_shift(waiting, starts_at=SAT), person, status="waitlisted")
    withdrawn = make_service_post(world.branch_a1, title="取消后可再报")
    make_signup(make_shift(withdrawn, starts_at=SAT), person, status="cancelled")
    # a full shift next to a free one: still recommended, with the free one
    mixed = make_service_post(world.branch_a1, title="部分满员")
    make_signup(make_shift(mixed, starts_at=SAT, headcount=1), other)
    free = make_shift(mixed, starts_at=local_dt(2030, 6, 2, 9))
    recs = recommend_posts(person, now=NOW)
    titles = sorted(m.post.title for m in recs)
    assert titles == sorted(["可报名", "取消后可再报", "部分满员"])
    assert next(m for m in recs if m.post.title == "部分满员").shifts == [free]


def test_waitlisted_and_cancelled_others_do_not_take_seats(world):
    person = _person(world)
    post = make_service_post(world.branch_a1)
    shift = make_shift(post, starts_at=SAT, headcount=1)
    make_signup(shift, PersonFactory(unit=world.branch_a1), status="cancelled")
    make_signup(shift, PersonFactory(unit=world.branch_a1), status="waitlisted")
    [m] = recommend_posts(person, now=NOW)
    assert m.seats_left == 1


def test_audience_only_units_on_my_path(world):
    person = _person(world)
    for unit, title in [
        (world.root, "学校"),
        (world.college_a, "学院"),
        (world.branch_a1, "本支部"),
        (world.group_a1, "下级党小组"),
        (world.branch_a2, "兄弟支部"),
        (world.college_b, "其他学院"),
        (world.branch_b1, "其他学院支部"),
    ]:
        make_shift(make_service_post(unit, title=title), starts_at=SAT)
    titles = {m.post.title for m in recommend_posts(person, now=NOW)}
    assert titles == {"学校", "学院", "本支部"}
    assert recommend_posts(None, now=NOW) == []


def test_limit(world):
    person = _person(world)
    for i in range(5):
        make_shift(make_service_post(world.branch_a1, title=f"岗{i}"), starts_at=SAT)
    assert len(recommend_posts(person, now=NOW, limit=3)) == 3


def _grow(world, n):
    person = _person(world)
    for i in range(n):
        post = make_service_post(world.branch_a1, title=f"岗位{i}", skills=["medical"])
        s1 = make_shift(post, starts_at=SAT + datetime.timedelta(hours=i % 10))
        make_shift(post, starts_at=SAT + datetime.timedelta(days=1))
        make_signup(s1, PersonFactory(unit=world.branch_a1))
        old = make_service_post(world.branch_a1, status="closed", content_type="health")
        make_signup(make_shift(old, starts_at=local_dt(2030, 1, 1 + i, 9)), person, status="confirmed", hours=2)


def test_query_count_constant(world, django_assert_num_queries):
    person = _person(world)
    make_profile(person, skills=["medical"], free_slots=["sat_am"])
    _grow(world, 2)
    with CaptureQueriesContext(connection) as small:
        assert len(recommend_posts(person, now=NOW)) == 2
    _grow(world, 8)
    with CaptureQueriesContext(connection) as large:
        assert len(recommend_posts(person, now=NOW)) == 10
    assert len(small) == len(large) == 4  # profile, past service, posts, shifts


def test_recommend_page_and_api(world, login, client):
    person = _person(world)
    make_profile(person, skills=["medical"], free_slots=["sat_am"])
    post = make_service_post(world.branch_a1, title="医疗岗", skills=["medical"])
    make_shift(post, starts_at=local_dt(2031, 6, 7, 9))  # a Saturday, in the future for real "now"
    make_shift(make_service_post(world.branch_a2, title="兄弟支部岗"), starts_at=local_dt(2031, 6, 7, 9))
    login(world.users["member1"])
    response = client.get("/service/me/recommended/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "医疗岗" in body and "兄弟支部岗" not in body
    assert "你的特长“医疗护理”符合岗位要求" in body and "周六上午你有空" in body
    data = client.get("/api/service/me/recommended").json()
    assert data["count"] == 1
    item = data["items"][0]
    assert item["post_id"] == post.pk and item["reasons"][0] == "你的特长“医疗护理”符合岗位要求"
    assert item["shift"]["seats_left"] == 5


def test_recommend_page_query_count(world, login, client):
    person = _person(world)
    make_profile(person, skills=["medical"])
    login(world.users["member1"])
    for i in range(2):
        make_shift(make_service_post(world.branch_a1, title=f"a{i}"), starts_at=local_dt(2031, 6, 7, 9))
    with CaptureQueriesContext(connection) as small:
        assert client.get("/service/me/recommended/").status_code == 200
    for i in range(15):
        make_shift(make_service_post(world.branch_a1, title=f"b{i}"), starts_at=local_dt(2031, 6, 7, 9))
    with CaptureQueriesContext(connection) as large:
        assert client.get("/service/me/recommended/").status_code == 200
    assert len(small) == len(large) == 9  # session, user, grants, base page, then the area's reads


def test_recommend_page_without_person(world, login, client):
    login(world.users["secretary1"])
    response = client.get("/service/me/recommended/")
    assert response.status_code == 200
    assert "没有关联人员档案" in response.content.decode()
    assert client.get("/api/service/me/recommended").status_code == 422
