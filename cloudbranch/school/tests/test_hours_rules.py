"""Class hours: offline + online + live/replay accumulate without double counting; the learning
completion hook credits inside learning's transaction; catch-up on opening a course; manual
credit audited; the database constraint guards a race."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.learning import hooks
from cloudbranch.school import attendance, hours
from cloudbranch.school.choices import ClassStatus, EnrolmentStatus, HourSource, SessionKind
from cloudbranch.school.models import HourEntry

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


def _now():
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def cls(world):
    tc = make_running_class(world.college_a, pass_hours=Decimal("10"))
    user, person = make_student(world.branch_a1)
    enrolment = make_enrolment(tc, person)
    return tc, user, person, enrolment


def _hours(enrolment):
    enrolment.refresh_from_db()
    return enrolment.hours


def test_rules_are_data_with_a_source():
    assert {r.source for r in hours.HOUR_RULES} == set(HourSource.values)
    assert all(r.basis and r.when and r.content_key for r in hours.HOUR_RULES)


def test_handler_registered_in_ready():
    assert hours.on_resource_completed in hooks.completion_handlers


def test_offline_online_and_replay_accumulate(world, cls):
    tc, user, person, enrolment = cls
    now = _now()
    offline = session_at(tc, now - datetime.timedelta(minutes=10), hours=Decimal("2"))
    online = make_session(tc, kind=SessionKind.ONLINE, title="网络课程", position=2)
    article = library_resource(world.college_a)
    make_item(online, article, hours=Decimal("1.5"))
    replay = library_resource(world.college_a, kind="video")
    live = session_at(tc, now - datetime.timedelta(days=1), kind=SessionKind.LIVE, hours=Decimal("1"), replay=replay)

    attendance.checkin_with_code(actor=user, code=offline.checkin_code, now=now)
    complete_resource(person, article)
    complete_resource(person, replay)
    assert _hours(enrolment) == Decimal("4.5")
    by_key = dict(HourEntry.objects.values_list("content_key", "source"))
    assert by_key == {
        f"session:{offline.pk}": HourSource.OFFLINE,
        f"resource:{article.pk}": HourSource.ONLINE,
        f"session:{live.pk}": HourSource.REPLAY,
    }


def test_live_then_replay_counts_once(world, cls):
    tc, user, person, enrolment = cls
    now = _now()
    replay = library_resource(world.college_a, kind="video")
    live = session_at(tc, now - datetime.timedelta(minutes=5), kind=SessionKind.LIVE, hours=Decimal("2"))
    attendance.checkin_with_code(actor=user, code=live.checkin_code, now=now)
    live.replay = replay
    live.save()
    complete_resource(person, replay)
    assert _hours(enrolment) == Decimal("2")
    assert list(HourEntry.objects.values_list("source", flat=True)) == [HourSource.LIVE]


def test_replay_then_live_counts_once(world, cls):
    tc, user, person, enrolment = cls
    now = _now()
    replay = library_resource(world.college_a, kind="video")
    live = session_at(tc, now - datetime.timedelta(minutes=5), kind=SessionKind.LIVE, hours=Decimal("2"), replay=replay)
    complete_resource(person, replay)
    assert _hours(enrolment) == Decimal("2")
    row = attendance.checkin_with_code(actor=user, code=live.checkin_code, now=now)
    assert row.hour_entry is None  # present, but the content is already counted
    assert _hours(enrolment) == Decimal("2")
    assert list(HourEntry.objects.values_list("source", flat=True)) == [HourSource.REPLAY]


def test_same_resource_in_two_sessions_counts_once(world, cls):
    tc, _user, person, enrolment = cls
    article = library_resource(world.college_a)
    first = make_session(tc, kind=SessionKind.ONLINE, title="一", position=1)
    second = make_session(tc, kind=SessionKind.ONLINE, title="二", position=2)
    make_item(first, article, hours=Decimal("1"))
    make_item(second, article, hours=Decimal("3"))
    complete_resource(person, article)
    assert _hours(enrolment) == Decimal("1")  # once, with the hours of its first place in the syllabus
    entry = HourEntry.objects.get()
    assert entry.session_id == first.pk and entry.content_key == f"resource:{article.pk}"
    # opening the second session does not add it again
    hours.catch_up(enrolment=enrolment, session=second)
    assert _hours(enrolment) == Decimal("1")


def test_hook_credits_inside_learnings_transaction(world, cls, monkeypatch):
    tc, _user, person, enrolment = cls
    article = library_resource(world.college_a)
    make_item(make_session(tc, kind=SessionKind.ONLINE), article, hours=Decimal("2"))
    seen = {}

    def spy(**kw):
        seen["in_atomic"] = transaction.get_connection().in_atomic_block
        seen["entries"] = HourEntry.objects.filter(enrolment=enrolment).count()

    monkeypatch.setattr(hooks, "completion_handlers", [*hooks.completion_handlers, spy])
    complete_resource(person, article)
    assert seen == {"in_atomic": True, "entries": 1}
    assert _hours(enrolment) == Decimal("2")

    # a failure later in learning's transaction rolls the class hours back with the completion
    other = library_resource(world.college_a, title="第二篇")
    make_item(make_session(tc, kind=SessionKind.ONLINE, position=3), other, hours=Decimal("1"))

    def boom(**kw):
        raise RuntimeError("later handler failed")

    monkeypatch.setattr(hooks, "completion_handlers", [*hooks.completion_handlers, boom])
    with pytest.raises(RuntimeError):
        complete_resource(person, other)
    assert _hours(enrolment) == Decimal("2")
    assert not HourEntry.objects.filter(resource=other).exists()


def test_hook_ignores_withdrawn_and_not_running(world):
    article = library_resource(world.college_a)
    user, person = make_student(world.branch_a1)
    running = make_running_class(world.college_a)
    gone = make_enrolment(running, person, status=EnrolmentStatus.WITHDRAWN)
    make_item(make_session(running, kind=SessionKind.ONLINE), article)
    enrolling = make_running_class(world.college_a, status=ClassStatus.ENROLLING, title="报名中")
    waiting = make_enrolment(enrolling, person)
    make_item(make_session(enrolling, kind=SessionKind.ONLINE), article)
    complete_resource(person, article)
    assert not HourEntry.objects.exists()
    assert _hours(gone) == 0 and _hours(waiting) == 0


def test_hook_finds_classes_in_constant_queries(world):
    """Finding what to credit is a fixed number of queries whatever the number of classes; only
    what is actually credited writes (one savepoint insert + audit row per credited class, one
    aggregate UPDATE)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    article = library_resource(world.college_a)
    unused = library_resource(world.college_a, title="未被使用")
    _user, person = make_student(world.branch_a1)

    def measure(n):
        for i in range(n):
            tc = make_running_class(world.college_a, title=f"班{i}")
            make_enrolment(tc, person)
            if i % 2 == 0:  # an online course item here, a lecture's replay there (never both in one class)
                make_item(make_session(tc, kind=SessionKind.ONLINE), article)
            else:
                make_session(tc, kind=SessionKind.LIVE, replay=article, position=2)
        hours.on_resource_completed(person=person, resource=article, now=_now())  # credit everything first
        with CaptureQueriesContext(connection) as used:
            assert hours.on_resource_completed(person=person, resource=article, now=_now()) == []
        with CaptureQueriesContext(connection) as none:
            hours.on_resource_completed(person=person, resource=unused, now=_now())
        return len(used), len(none)

    assert measure(1) == measure(3) == (4, 1)
    assert HourEntry.objects.filter(source=HourSource.ONLINE).count() == 3  # classes 0 and 2 of 3, class 0 of 1
    assert HourEntry.objects.filter(source=HourSource.REPLAY).count() == 1


def test_catch_up_on_opening_the_course(world, cls, client):
    tc, user, person, enrolment = cls
    article = library_resource(world.college_a)
    complete_resource(person, article)  # done before the class used it
    online = make_session(tc, kind=SessionKind.ONLINE)
    make_item(online, article, hours=Decimal("1.5"))
    assert _hours(enrolment) == 0
    client.force_login(user)
    response = client.get(reverse("school:session", args=[online.pk]))
    assert response.status_code == 200
    assert "已补计学时" in response.content.decode()
    assert _hours(enrolment) == Decimal("1.5")
    entry = HourEntry.objects.get()
    assert entry.source == HourSource.ONLINE and entry.note.startswith("补计")
    client.get(reverse("school:session", args=[online.pk]))
    assert _hours(enrolment) == Decimal("1.5")  # idempotent


def test_catch_up_replay_and_not_for_inactive(world, cls):
    tc, _user, person, enrolment = cls
    replay = library_resource(world.college_a, kind="video")
    complete_resource(person, replay)
    live = session_at(tc, _now() - datetime.timedelta(days=2), kind=SessionKind.LIVE, replay=replay)
    enrolment.status = EnrolmentStatus.WITHDRAWN
    enrolment.save()
    assert hours.catch_up(enrolment=enrolment, session=live) == []
    enrolment.status = EnrolmentStatus.ENROLLED
    enrolment.save()
    created = hours.catch_up(enrolment=enrolment, session=live)
    assert [e.source for e in created] == [HourSource.REPLAY]


def test_manual_credit_audited(world, cls):
    tc, user, _person, enrolment = cls
    with pytest.raises(DomainError) as exc:
        hours.manual_credit(actor=tc.head_teacher, enrolment_id=enrolment.pk, hours="0", reason="")
    assert {e["field"] for e in exc.value.errors} == {"hours", "reason"}
    entry = hours.manual_credit(actor=tc.head_teacher, enrolment_id=enrolment.pk, hours="2.5", reason="因公缺席已补课")
    again = hours.manual_credit(actor=tc.head_teacher, enrolment_id=enrolment.pk, hours="1", reason="第二次补记")
    assert entry.source == HourSource.MANUAL and entry.content_key.startswith("manual:")
    assert entry.content_key != again.content_key
    assert _hours(enrolment) == Decimal("3.5")
    events = AuditEvent.objects.filter(action="school.hours.credit", actor=tc.head_teacher)
    assert events.count() == 2
    assert events.first().changes["note"]["new"] in ("因公缺席已补课", "第二次补记")
    with pytest.raises(PermissionDenied):  # the student sees their hours, but may not credit
        hours.manual_credit(actor=user, enrolment_id=enrolment.pk, hours="1", reason="x")
    with pytest.raises(Http404):
        hours.manual_credit(actor=world.users["secretary2"], enrolment_id=enrolment.pk, hours="1", reason="x")
    tc.status = ClassStatus.FINISHED
    tc.save()
    with pytest.raises(ConflictError):
        hours.manual_credit(actor=tc.head_teacher, enrolment_id=enrolment.pk, hours="1", reason="x")


def test_constraint_guards_a_race(cls):
    """Two requests that both passed the "not counted yet" read: the second insert hits the
    unique constraint inside its savepoint and counts nothing."""
    tc, _user, _person, enrolment = cls
    session = make_session(tc, hours=Decimal("2"))
    with transaction.atomic():
        first = hours.credit(actor=None, enrolment=enrolment, content_key=f"session:{session.pk}",
                             source=HourSource.OFFLINE, hours=Decimal("2"), session=session)  # fmt: skip
        second = hours.credit(actor=None, enrolment=enrolment, content_key=f"session:{session.pk}",
                              source=HourSource.REPLAY, hours=Decimal("2"), session=session)  # fmt: skip
        # the _apply path (hook) skips it too, even when its pre-read is bypassed
        created = hours._apply(
            [
                {
                    "enrolment": enrolment,
                    "content_key": f"session:{session.pk}",
                    "source": HourSource.REPLAY,
                    "hours": Decimal("2"),
                    "session": session,
                    "resource": None,
                }
            ],  # fmt: skip
            actor=None,
            now=_now(),
        )
    assert first is not None and second is None and created == []
    assert _hours(enrolment) == Decimal("2")


def test_replay_that_is_also_an_online_item_counts_once(world, cls):
    """Data that the syllabus services now refuse (see test_classes_services): should it exist
    anyway, the lecture's replay earns the lecture's hours and not an online item's as well; and
    one replay under two lectures counts for the first lecture only."""
    tc, user, person, enrolment = cls
    now = _now()
    video = library_resource(world.college_a, kind="video")
    first = session_at(tc, now - datetime.timedelta(days=2), kind=SessionKind.LIVE, hours=Decimal("2"), replay=video)
    second = session_at(tc, now - datetime.timedelta(days=1), kind=SessionKind.LIVE, hours=Decimal("2"),
                        replay=video, position=2)  # fmt: skip
    online = make_session(tc, kind=SessionKind.ONLINE, title="网络课程", position=3)
    make_item(online, video, hours=Decimal("1"))
    complete_resource(person, video)
    assert _hours(enrolment) == Decimal("2")
    assert list(HourEntry.objects.values_list("content_key", "source")) == [(f"session:{first.pk}", HourSource.REPLAY)]
    for session in (online, second, first):  # opening any of them adds nothing
        hours.catch_up(enrolment=enrolment, session=session)
    assert _hours(enrolment) == Decimal("2")
