"""Check-in at offline sessions and live lectures: windows at their exact boundaries, QR tokens
(replay refused), the 6-digit code with its lockout, who may check in, manual records."""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.orgs.roles import Role
from cloudbranch.school import attendance
from cloudbranch.school.choices import CheckInMethod, ClassStatus, EnrolmentStatus, HourSource, SessionKind
from cloudbranch.school.models import Attendance, CheckInNonce, HourEntry
from cloudbranch.testing.factories import UserFactory, grant

from .factories import make_enrolment, make_running_class, make_student, session_at

pytestmark = pytest.mark.django_db

START = timezone.make_aware(datetime.datetime(2030, 5, 6, 14, 0))


def at(minutes=0, seconds=0):
    return START + datetime.timedelta(minutes=minutes, seconds=seconds)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def setup(world):
    tc = make_running_class(world.college_a)
    user, person = make_student(world.branch_a1)
    enrolment = make_enrolment(tc, person)
    offline = session_at(tc, START, hours=Decimal("2"))
    live = session_at(tc, START, kind=SessionKind.LIVE, hours=Decimal("1.5"), position=2)
    return tc, user, enrolment, offline, live


def test_offline_window_opens_30_minutes_before(setup):
    tc, user, enrolment, offline, _live = setup
    token = attendance.make_token(offline, now=at(-30, -1))
    with pytest.raises(DomainError, match="签到尚未开始"):  # 30:01 before the start
        attendance.checkin_with_token(actor=user, token=token, now=at(-30, -1))
    assert not Attendance.objects.exists()
    token = attendance.make_token(offline, now=at(-29, -59))
    row = attendance.checkin_with_token(actor=user, token=token, now=at(-29, -59))  # 29:59 before
    assert row.method == CheckInMethod.QR
    assert row.hour_entry.hours == Decimal("2") and row.hour_entry.source == HourSource.OFFLINE
    enrolment.refresh_from_db()
    assert enrolment.hours == Decimal("2")


def test_offline_window_exact_edges(setup):
    _tc, user, _e, offline, _live = setup
    assert attendance.window_open(offline, at(-30))
    assert attendance.window_open(offline, offline.ends_at)
    assert not attendance.window_open(offline, offline.ends_at + datetime.timedelta(seconds=1))
    with pytest.raises(DomainError, match="已结束"):
        attendance.checkin_with_code(actor=user, code=offline.checkin_code, now=at(90, 1))


def test_live_only_while_live(setup):
    _tc, user, _e, _offline, live = setup
    with pytest.raises(DomainError, match="直播进行中才能签到"):
        attendance.checkin_with_token(actor=user, token=attendance.make_token(live, now=at(-1)), now=at(-1))
    with pytest.raises(DomainError, match="直播进行中才能签到"):
        attendance.checkin_with_code(actor=user, code=live.checkin_code, now=at(0, -1))
    row = attendance.checkin_with_code(actor=user, code=live.checkin_code, now=at(0))
    assert row.session == live and row.hour_entry.source == HourSource.LIVE
    assert not attendance.window_open(live, live.ends_at + datetime.timedelta(seconds=1))


def test_token_replay_refused_and_second_checkin_conflicts(setup):
    _tc, user, _e, offline, _live = setup
    token = attendance.make_token(offline, now=at(0))
    attendance.checkin_with_token(actor=user, token=token, now=at(0))
    with pytest.raises(ConflictError, match="已使用过"):
        attendance.checkin_with_token(actor=user, token=token, now=at(0, 5))
    fresh = attendance.make_token(offline, now=at(2))
    with pytest.raises(ConflictError, match="无需重复签到"):
        attendance.checkin_with_token(actor=user, token=fresh, now=at(2))
    assert Attendance.objects.count() == 1
    assert HourEntry.objects.count() == 1
    # the failed transaction left no nonce behind
    assert CheckInNonce.objects.count() == 1


def test_expired_forged_and_foreign_tokens(setup, world):
    tc, user, _e, offline, live = setup
    old = attendance.make_token(offline, now=at(0))
    with pytest.raises(DomainError, match="已过期"):
        attendance.checkin_with_token(actor=user, token=old, now=at(2))
    with pytest.raises(DomainError, match="无效"):
        attendance.checkin_with_token(actor=user, token=old[:-3] + "abc", now=at(0))
    with pytest.raises(DomainError, match="不属于本次课程"):
        attendance.checkin_with_token(actor=user, token=attendance.make_token(offline, now=at(0)),
                                      session_id=live.pk, now=at(0))  # fmt: skip
    other_user, _p = make_student(world.branch_a1)
    with pytest.raises(DomainError, match="不是"):
        attendance.checkin_with_token(actor=other_user, token=attendance.make_token(offline, now=at(0)), now=at(0))


def test_code_lockout_after_five_failures(setup):
    _tc, user, _e, offline, _live = setup
    for left in (4, 3, 2, 1, 0):
        with pytest.raises(DomainError, match=f"还可尝试 {left} 次"):
            attendance.checkin_with_code(actor=user, code="000000" if offline.checkin_code != "000000" else "111111",
                                         now=at(0))  # fmt: skip
    with pytest.raises(attendance.TooManyAttempts) as exc:
        attendance.checkin_with_code(actor=user, code=offline.checkin_code, now=at(0))
    assert exc.value.status == 429
    assert not Attendance.objects.exists()
    cache.clear()  # ten minutes later
    assert attendance.checkin_with_code(actor=user, code=offline.checkin_code, now=at(0)).method == CheckInMethod.CODE


@pytest.mark.parametrize("status", [EnrolmentStatus.WITHDRAWN, EnrolmentStatus.WAITLISTED])
def test_withdrawn_and_waitlisted_refused(world, status):
    tc = make_running_class(world.college_a)
    user, person = make_student(world.branch_a1)
    make_enrolment(tc, person, status=status)
    s = session_at(tc, START)
    with pytest.raises(DomainError, match="不能签到"):
        attendance.checkin_with_code(actor=user, code=s.checkin_code, now=at(0))
    with pytest.raises(DomainError, match="不能签到"):
        attendance.checkin_with_token(actor=user, token=attendance.make_token(s, now=at(0)), now=at(0))
    assert not Attendance.objects.exists()


def test_withdrawal_requested_may_still_check_in(world):
    tc = make_running_class(world.college_a)
    user, person = make_student(world.branch_a1)
    make_enrolment(tc, person, status=EnrolmentStatus.WITHDRAWAL_REQUESTED)
    s = session_at(tc, START)
    assert attendance.checkin_with_code(actor=user, code=s.checkin_code, now=at(0))


@pytest.mark.parametrize("status", [ClassStatus.ENROLLING, ClassStatus.FINISHED, ClassStatus.CANCELLED])
def test_only_running_classes(world, status):
    tc = make_running_class(world.college_a, status=status)
    user, person = make_student(world.branch_a1)
    make_enrolment(tc, person)
    s = session_at(tc, START)
    with pytest.raises(ConflictError, match="只有培训中的班次可以签到"):
        attendance.checkin_with_code(actor=user, code=s.checkin_code, now=at(0))
    with pytest.raises(ConflictError, match="只有培训中的班次可以签到"):
        attendance.checkin_with_token(actor=user, token=attendance.make_token(s, now=at(0)), now=at(0))


def test_manual_record_needs_reason_and_manager(setup, world):
    tc, user, enrolment, offline, _live = setup
    teacher = tc.head_teacher
    with pytest.raises(DomainError) as exc:
        attendance.attendance_record(actor=teacher, session_id=offline.pk, enrolment_id=enrolment.pk, reason=" ",
                                     now=at(10))  # fmt: skip
    assert exc.value.errors[0]["field"] == "reason"
    with pytest.raises(DomainError, match="尚未开始"):
        attendance.attendance_record(actor=teacher, session_id=offline.pk, enrolment_id=enrolment.pk, reason="手机没电",
                                     now=at(-31))  # fmt: skip
    row = attendance.attendance_record(
        actor=teacher, session_id=offline.pk, enrolment_id=enrolment.pk, reason="手机没电", now=at(10)
    )
    assert row.method == CheckInMethod.MANUAL and row.note == "手机没电"
    event = AuditEvent.objects.get(action="school.attendance.manual")
    assert event.changes["reason"]["new"] == "手机没电" and event.actor == teacher
    with pytest.raises(ConflictError):
        attendance.attendance_record(actor=teacher, session_id=offline.pk, enrolment_id=enrolment.pk, reason="再次",
                                     now=at(11))  # fmt: skip
    # the student themself cannot record: they see the class (403), a stranger does not (404)
    with pytest.raises(PermissionDenied):
        attendance.attendance_record(actor=user, session_id=offline.pk, enrolment_id=enrolment.pk, reason="x")
    with pytest.raises(Http404):
        attendance.attendance_record(actor=world.users["secretary2"], session_id=offline.pk,
                                     enrolment_id=enrolment.pk, reason="x")  # fmt: skip


def test_officer_of_the_unit_may_record_sibling_college_may_not(setup, world):
    tc, _user, enrolment, offline, _live = setup
    officer = UserFactory()
    grant(officer, world.college_a, Role.COMMITTEE_SECRETARY)
    assert attendance.attendance_record(actor=officer, session_id=offline.pk, enrolment_id=enrolment.pk,
                                        reason="现场核实", now=at(5))  # fmt: skip
    other = UserFactory()
    grant(other, world.college_b, Role.COMMITTEE_SECRETARY)
    with pytest.raises(Http404):
        attendance.session_for_manager(other, offline.pk)


def test_manual_record_refuses_withdrawn_and_other_class(setup, world):
    tc, _user, _enrolment, offline, _live = setup
    _u, p = make_student(world.branch_a1)
    gone = make_enrolment(tc, p, status=EnrolmentStatus.WITHDRAWN)
    with pytest.raises(DomainError, match="不能补记签到"):
        attendance.attendance_record(actor=tc.head_teacher, session_id=offline.pk, enrolment_id=gone.pk,
                                     reason="x", now=at(5))  # fmt: skip
    other_class = make_running_class(world.college_a)
    stranger = make_enrolment(other_class)
    with pytest.raises(DomainError, match="请选择本班学员"):
        attendance.attendance_record(actor=tc.head_teacher, session_id=offline.pk, enrolment_id=stranger.pk,
                                     reason="x", now=at(5))  # fmt: skip
