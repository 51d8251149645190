"""Evaluations: who may rate what and when, once, ratings in range, audited, anonymous."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.learning.models import Resource
from cloudbranch.orgs.roles import Role
from cloudbranch.school.choices import ClassStatus, EnrolmentStatus, SessionKind
from cloudbranch.school.evaluations import evaluation_submit
from cloudbranch.school.models import Evaluation
from cloudbranch.school.tests.factories import (
    make_attendance,
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


def make_resource(unit, user, title="学习党章"):
    return Resource.objects.create(
        kind="article",
        title=title,
        column="policy",
        unit=unit,
        audience="subtree",
        status="published",
        published_at=timezone.now(),
        created_by=user,
    )


def past_session(tc, kind=SessionKind.OFFLINE, **fields):
    start = timezone.now() - datetime.timedelta(hours=2)
    return make_session(tc, kind=kind, starts_at=start, ends_at=start + datetime.timedelta(minutes=90), **fields)


@pytest.fixture
def setup(world):
    head = UserFactory(display_name="班主任")
    tc = make_class(world.college_a, head_teacher=head, status=ClassStatus.RUNNING)
    user, person = make_student(world.branch_a1, name="赵学员")
    enrolment = make_enrolment(tc, person)
    session = past_session(tc, title="党的历史", lecturer="王教授")
    return world, tc, head, user, enrolment, session


def submit(user, session, c=5, lr=4, comment=""):
    return evaluation_submit(actor=user, session_id=session.pk, content_rating=c, lecturer_rating=lr, comment=comment)


def test_not_attended_is_refused(setup):
    _, _, _, user, _, session = setup
    with pytest.raises(DomainError) as exc:
        submit(user, session)
    assert "签到" in exc.value.message
    assert not Evaluation.objects.exists()


def test_attended_rates_once_then_409(setup):
    _, _, _, user, enrolment, session = setup
    make_attendance(session, enrolment)
    ev = submit(user, session, 5, 4, "  讲得好  ")
    assert (ev.content_rating, ev.lecturer_rating, ev.comment) == (5, 4, "讲得好")
    event = AuditEvent.objects.get(action="school.evaluation.create")
    assert event.changes["content_rating"] == {"new": 5}
    assert "讲得好" not in str(event.changes)
    with pytest.raises(ConflictError):
        submit(user, session, 1, 1)
    assert Evaluation.objects.count() == 1
    assert Evaluation.objects.get().content_rating == 5


@pytest.mark.parametrize(("c", "lr", "field"), [(0, 3, "content_rating"), (6, 3, "content_rating"),
                                                (3, 0, "lecturer_rating"), (3, "x", "lecturer_rating")])  # fmt: skip
def test_rating_range(setup, c, lr, field):
    _, _, _, user, enrolment, session = setup
    make_attendance(session, enrolment)
    with pytest.raises(DomainError) as exc:
        submit(user, session, c, lr)
    assert [e["field"] for e in exc.value.errors] == [field]
    assert not Evaluation.objects.exists()


def test_comment_too_long(setup):
    _, _, _, user, enrolment, session = setup
    make_attendance(session, enrolment)
    with pytest.raises(DomainError) as exc:
        submit(user, session, comment="好" * 301)
    assert exc.value.errors[0]["field"] == "comment"
    submit(user, session, comment="好" * 300)


def test_not_started_session_is_refused(setup):
    _, tc, _, user, enrolment, _ = setup
    future = make_session(tc, title="未来课程")
    make_attendance(future, enrolment)
    with pytest.raises(DomainError) as exc:
        submit(user, future)
    assert "尚未开始" in exc.value.message


def test_class_not_running_is_refused(setup):
    _, tc, _, user, enrolment, session = setup
    make_attendance(session, enrolment)
    tc.status = ClassStatus.ENROLLING
    tc.save()
    with pytest.raises(DomainError):
        submit(user, session)
    tc.status = ClassStatus.FINISHED
    tc.save()
    submit(user, session)


@pytest.mark.parametrize("status", [EnrolmentStatus.WITHDRAWN, EnrolmentStatus.WAITLISTED])
def test_withdrawn_or_waitlisted_cannot_rate(setup, status):
    _, _, _, user, enrolment, session = setup
    make_attendance(session, enrolment)
    enrolment.status = status
    enrolment.save()
    with pytest.raises(DomainError):
        submit(user, session)


@pytest.mark.parametrize("status", [EnrolmentStatus.PASSED, EnrolmentStatus.FAILED])
def test_passed_or_failed_may_rate(setup, status):
    _, _, _, user, enrolment, session = setup
    make_attendance(session, enrolment)
    enrolment.status = status
    enrolment.save()
    assert submit(user, session).pk


def test_online_needs_hours_from_its_items(setup):
    world, tc, head, user, enrolment, _ = setup
    online = make_session(tc, kind=SessionKind.ONLINE, title="网络课程")
    r1, r2 = make_resource(world.college_a, head, "资源一"), make_resource(world.college_a, head, "资源二")
    make_item(online, r1, position=1)
    other = make_resource(world.college_a, head, "别的资源")
    make_hour_entry(enrolment, resource=other)  # not an item of this session
    with pytest.raises(DomainError):
        submit(user, online)
    make_hour_entry(enrolment, resource=r1)
    assert submit(user, online).pk
    assert r2  # an item not yet studied does not matter: one is enough


def test_live_replay_only_is_not_attendance(setup):
    _, tc, _, user, enrolment, _ = setup
    live = past_session(tc, kind=SessionKind.LIVE, title="直播")
    make_hour_entry(enrolment, session=live, source="replay")
    with pytest.raises(DomainError):
        submit(user, live)
    make_attendance(live, enrolment)
    assert submit(user, live).pk


def test_head_teacher_403_outsider_404(setup):
    world, _, head, _, _, session = setup
    with pytest.raises(PermissionDenied):
        submit(head, session)
    with pytest.raises(Http404):
        submit(world.users["secretary2"], session)
    sibling = UserFactory()
    grant(sibling, world.college_b, Role.COMMITTEE_SECRETARY)
    with pytest.raises(Http404):
        submit(sibling, session)


# --- page --------------------------------------------------------------------------------------


def test_page_flow(setup, login):
    _, _, _, user, enrolment, session = setup
    client = login(user)
    url = reverse("school:evaluate", args=[session.pk])
    r = client.get(url)
    assert r.status_code == 200
    assert "没有本次课程的签到记录" in r.content.decode()
    make_attendance(session, enrolment)
    r = client.get(url)
    assert 'name="content_rating"' in r.content.decode()
    r = client.post(url, {"content_rating": "9", "lecturer_rating": "4"})
    assert r.status_code == 422
    assert "请为课程内容打 1–5 星" in r.content.decode()
    r = client.post(url, {"content_rating": "4", "lecturer_rating": "5", "comment": "很受启发"})
    assert r.status_code == 302
    r = client.get(url)
    assert "你已评价本次课程" in r.content.decode()
    r = client.post(url, {"content_rating": "1", "lecturer_rating": "1"})
    assert r.status_code == 409
    assert Evaluation.objects.get().content_rating == 4


def test_page_outsider_404(setup, login):
    world, _, _, _, _, session = setup
    r = login(world.users["secretary2"]).get(reverse("school:evaluate", args=[session.pk]))
    assert r.status_code == 404


# --- API ---------------------------------------------------------------------------------------


def test_api(setup, login):
    world, _, _, user, enrolment, session = setup
    client = login(user)
    url = f"/api/school/sessions/{session.pk}/evaluation"
    body = {"content_rating": 5, "lecturer_rating": 3, "comment": "好"}
    r = client.post(url, body, content_type="application/json")
    assert r.status_code == 422
    make_attendance(session, enrolment)
    r = client.post(url, {**body, "content_rating": 7}, content_type="application/json")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "content_rating"
    r = client.post(url, body, content_type="application/json")
    assert r.status_code == 201
    assert r.json()["content_rating"] == 5
    r = client.post(url, body, content_type="application/json")
    assert r.status_code == 409
    r = login(world.users["secretary2"]).post(url, body, content_type="application/json")
    assert r.status_code == 404


# --- anonymity ---------------------------------------------------------------------------------


def test_ratings_are_anonymous(setup, login):
    world, tc, head, user, enrolment, session = setup
    _, other = make_student(world.branch_a2, name="钱同学")
    other_e = make_enrolment(tc, other)
    make_evaluation(session, enrolment, content=5, lecturer=4, comment="案例生动，收获很大")
    make_evaluation(session, other_e, content=3, lecturer=2, comment="希望增加互动环节")
    officer = UserFactory()
    grant(officer, world.college_a, Role.COMMITTEE_SECRETARY)
    for viewer in (head, officer):
        client = login(viewer)
        for url in (
            reverse("school:class_stats", args=[tc.pk]),
            reverse("school:class_comments", args=[tc.pk]),
            f"/api/school/classes/{tc.pk}/stats",
        ):
            r = client.get(url)
            assert r.status_code == 200, url
            text = r.content.decode()
            assert "赵学员" not in text and "钱同学" not in text, url
            assert user.username not in text
        page = client.get(reverse("school:class_stats", args=[tc.pk])).content.decode()
        assert "案例生动，收获很大" in page and "希望增加互动环节" in page
        assert "4.0" in page and "3.0" in page  # averages (5+3)/2 and (4+2)/2
