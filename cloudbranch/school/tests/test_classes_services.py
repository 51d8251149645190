"""Classes and syllabus: hours defaults, class rules, transitions, and the access rules."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.learning.tests.test_resources_support import make_resource
from cloudbranch.orgs.roles import Role
from cloudbranch.school import access, classes
from cloudbranch.school.choices import ClassKind, ClassStatus
from cloudbranch.testing.factories import UserFactory, grant

from .factories import make_class, make_enrolment, make_student

pytestmark = pytest.mark.django_db


def _officer(world, unit=None):
    user = UserFactory()
    grant(user, unit or world.college_a, Role.COMMITTEE_SECRETARY)
    return user


@pytest.mark.parametrize(("minutes", "hours"), [(45, "1.0"), (90, "2.0"), (100, "2.0"), (30, "0.5"), (20, "0.0")])
def test_session_hours_round_down_to_half(minutes, hours):
    assert classes.hours_for_minutes(minutes, 45) == Decimal(hours)


def test_resource_hours_nearest_half_minimum_half(world):
    user = world.users["admin"]
    video = make_resource(world.college_a, user, kind="video", duration_seconds=60 * 60)  # 60/45 = 1.33 → 1.5
    short = make_resource(world.college_a, user, kind="audio", duration_seconds=300)  # 0.11 → 0.5 minimum
    text = make_resource(world.college_a, user, min_seconds=45 * 60 * 2)  # exactly 2 periods
    assert classes.hours_for_resource(video, 45) == Decimal("1.5")
    assert classes.hours_for_resource(short, 45) == Decimal("0.5")
    assert classes.hours_for_resource(text, 45) == Decimal("2.0")


def _create(actor, world, **over):
    today = datetime.date(2025, 3, 1)
    data = {
        "unit_id": world.college_a.pk,
        "kind": ClassKind.CANDIDATE,
        "title": "发展对象培训班",
        "year": 2025,
        "starts_on": today,
        "ends_on": today + datetime.timedelta(days=5),
        "capacity": 40,
        "head_teacher_id": world.users["secretary1"].pk,
    } | over
    return classes.class_create(actor=actor, **data)


def test_class_create_defaults_and_rules(world):
    officer = _officer(world)
    tc = _create(officer, world)
    assert tc.pass_hours == Decimal("24") and tc.period_minutes == 45 and tc.status == ClassStatus.DRAFT
    with pytest.raises(DomainError) as exc:
        _create(officer, world, ends_on=datetime.date(2025, 2, 1), capacity=0)
    fields = {e["field"] for e in exc.value.errors}
    assert {"ends_on", "capacity"} <= fields
    with pytest.raises(DomainError):  # head teacher from the sibling college
        _create(officer, world, head_teacher_id=_officer(world, world.college_b).pk)
    with pytest.raises(PermissionDenied):
        _create(world.users["secretary1"], world)


def test_advance_needs_a_session_and_follows_order(world):
    officer = _officer(world)
    tc = _create(officer, world)
    with pytest.raises(ConflictError, match="至少一门课程"):
        classes.class_advance(actor=officer, class_id=tc.pk, to=ClassStatus.ENROLLING)
    start = timezone.now() + datetime.timedelta(days=1)
    s = classes.session_create(
        actor=officer,
        class_id=tc.pk,
        kind="offline",
        title="党章",
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=100),
        place="报告厅",
    )
    assert s.hours == Decimal("2.0")
    with pytest.raises(ConflictError):
        classes.class_advance(actor=officer, class_id=tc.pk, to=ClassStatus.RUNNING)
    classes.class_advance(actor=officer, class_id=tc.pk, to=ClassStatus.ENROLLING)
    with pytest.raises(ConflictError):
        classes.session_delete(actor=officer, session_id=s.pk)
    classes.class_advance(actor=officer, class_id=tc.pk, to=ClassStatus.RUNNING)
    with pytest.raises(ConflictError):
        classes.class_advance(actor=officer, class_id=tc.pk, to=ClassStatus.FINISHED)
    classes.class_cancel(actor=officer, class_id=tc.pk, reason="疫情")
    tc.refresh_from_db()
    assert tc.status == ClassStatus.CANCELLED and tc.cancel_reason == "疫情"


def test_online_items_sum_and_planned_hours_warning(world):
    from cloudbranch.school.selectors_classes import hours_plan

    officer = _officer(world)
    tc = make_class(world.college_a, status=ClassStatus.DRAFT, pass_hours=Decimal("24"))
    online = classes.session_create(actor=officer, class_id=tc.pk, kind="online", title="网络课程")
    video = make_resource(world.college_a, officer, kind="video", duration_seconds=90 * 60, title="视频")
    draft = make_resource(world.college_a, officer, status="draft", title="草稿")
    sibling = make_resource(world.college_b, officer, title="他院")
    item = classes.item_add(actor=officer, session_id=online.pk, resource_id=video.pk)
    assert item.hours == Decimal("2.0")
    for bad in (draft, sibling):
        with pytest.raises(DomainError):
            classes.item_add(actor=officer, session_id=online.pk, resource_id=bad.pk)
    classes.item_update(actor=officer, item_id=item.pk, hours=Decimal("3"))
    online.refresh_from_db()
    assert online.hours == Decimal("3.0")
    plan = hours_plan(tc)
    assert plan.planned == Decimal("3.0") and plan.short and "低于结业所需 24" in plan.warning


def test_live_replay_must_be_class_media(world):
    officer = _officer(world)
    tc = make_class(world.college_a)
    start = timezone.now()
    live = classes.session_create(
        actor=officer,
        class_id=tc.pk,
        kind="live",
        title="直播",
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=45),
        stream_url="https://x.example/1",
    )
    assert live.hours == Decimal("1.0")
    article = make_resource(world.college_a, officer)
    video = make_resource(world.college_a, officer, kind="video", duration_seconds=2700)
    with pytest.raises(DomainError):
        classes.session_update(actor=officer, session_id=live.pk, replay_id=article.pk)
    classes.session_update(actor=officer, session_id=live.pk, replay_id=video.pk)


def test_access_rules(world):
    head = UserFactory()
    grant(head, world.branch_a2, Role.MEMBER)
    tc = make_class(world.college_a, head_teacher=head)
    _, follower_student = make_student(world.branch_a1)
    make_enrolment(tc, follower_student)
    # head teacher without any school grant manages the class
    assert access.may_manage(head, tc)
    assert access.class_for_manager(head, tc.pk) == tc
    # committee secretary of the college manages
    assert access.class_for_manager(_officer(world), tc.pk) == tc
    # branch secretary of a1 sees the class (their person is a student) but cannot manage it
    secretary1 = world.users["secretary1"]
    assert access.class_for_viewer(secretary1, tc.pk) == tc
    with pytest.raises(PermissionDenied):
        access.class_for_manager(secretary1, tc.pk)
    # secretary2 follows nobody in it: 404; committee secretary of the sibling college: 404
    for outsider in (world.users["secretary2"], _officer(world, world.college_b), world.users["sysadmin"]):
        with pytest.raises(Http404):
            access.class_for_viewer(outsider, tc.pk)
        with pytest.raises(Http404):
            access.class_for_manager(outsider, tc.pk)
    # a student sees their class, not its management
    student_user, student = make_student(world.branch_a2)
    mine = make_enrolment(tc, student)
    assert access.enrolment_of(student_user, tc) == mine
    with pytest.raises(PermissionDenied):
        access.class_for_manager(student_user, tc.pk)


def test_a_replay_is_never_also_an_online_item_or_another_lectures_replay(world):
    """The same content must not earn class hours twice: the syllabus refuses a replay that is an
    online course item of the class, an online item that is a lecture's replay, and one replay
    under two lectures (other classes are free to use the same resource)."""
    officer = _officer(world)
    tc = make_class(world.college_a)
    start = timezone.now()
    live_kwargs = {"kind": "live", "starts_at": start, "ends_at": start + datetime.timedelta(minutes=45),
                   "stream_url": "https://x.example/1"}  # fmt: skip
    first = classes.session_create(actor=officer, class_id=tc.pk, title="直播一", **live_kwargs)
    second = classes.session_create(actor=officer, class_id=tc.pk, title="直播二", **live_kwargs)
    online = classes.session_create(actor=officer, class_id=tc.pk, kind="online", title="网络课程")
    video = make_resource(world.college_a, officer, kind="video", duration_seconds=2700)
    other = make_resource(world.college_a, officer, kind="video", duration_seconds=2700, title="另一视频")

    classes.session_update(actor=officer, session_id=first.pk, replay_id=video.pk)
    classes.session_update(actor=officer, session_id=first.pk, title="直播一（改）")  # its own replay is fine
    with pytest.raises(DomainError) as exc:
        classes.session_update(actor=officer, session_id=second.pk, replay_id=video.pk)
    assert exc.value.errors == [{"field": "replay", "message": "该资源已是本班另一场直播讲座的回放"}]
    with pytest.raises(ConflictError, match="回放"):
        classes.item_add(actor=officer, session_id=online.pk, resource_id=video.pk)

    classes.item_add(actor=officer, session_id=online.pk, resource_id=other.pk)
    with pytest.raises(DomainError) as exc:
        classes.session_update(actor=officer, session_id=second.pk, replay_id=other.pk)
    assert "网络课程" in exc.value.errors[0]["message"]
    with pytest.raises(DomainError):
        classes.session_create(actor=officer, class_id=tc.pk, title="直播三", replay_id=other.pk, **live_kwargs)

    elsewhere = make_class(world.college_a, title="另一期")
    third = classes.session_create(actor=officer, class_id=elsewhere.pk, title="直播", **live_kwargs)
    classes.session_update(actor=officer, session_id=third.pk, replay_id=video.pk)


def test_final_exam_must_reach_every_student_of_the_class(world):
    """A class's exam paper is the unit's (or its subtree's) and its audience covers the whole
    subtree: a branch-only paper would leave the other branches' students unable to pass."""
    from cloudbranch.learning.choices import Audience
    from cloudbranch.learning.tests.test_exams_support import make_paper

    officer = _officer(world)
    tc = make_class(world.college_a, head_teacher=officer)
    branch_only = make_paper(world.branch_a1, officer, audience=Audience.SUBTREE)
    branch_school_wide = make_paper(world.branch_a1, officer, audience=Audience.SCHOOL)
    college = make_paper(world.college_a, officer)
    sibling = make_paper(world.college_b, officer, audience=Audience.SCHOOL)
    for bad in (branch_only, sibling):
        with pytest.raises(DomainError) as exc:
            classes.class_update(actor=officer, class_id=tc.pk, exam_paper_id=bad.pk)
        assert exc.value.errors[0]["field"] == "exam_paper"
    for good in (branch_school_wide, college):
        assert classes.class_update(actor=officer, class_id=tc.pk, exam_paper_id=good.pk).exam_paper_id == good.pk
