"""Attendance services: leave, check-in by QR token and by code, manual marking, counts."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.meetings import attendance, checkin
from cloudbranch.meetings.choices import AttendanceStatus, CheckInMethod, MeetingKind, MeetingStatus
from cloudbranch.meetings.models import CheckInToken, Invitee, Meeting
from cloudbranch.notifications.models import Notification
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant

pytestmark = pytest.mark.django_db

START = datetime.datetime(2025, 5, 20, 14, 0, tzinfo=datetime.UTC)
END = START + datetime.timedelta(hours=2)
DURING = START + datetime.timedelta(minutes=10)


def make_meeting(
    world, *, unit=None, starts_at=START, ends_at=None, status=MeetingStatus.SCHEDULED, people=None, title="主题党日"
):
    """A meeting with Invitee rows created directly (the lifecycle service is another area's)."""
    meeting = Meeting.objects.create(
        unit=unit or world.branch_a1,
        kind=MeetingKind.THEMED_DAY,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at or starts_at + datetime.timedelta(hours=2),
        status=status,
        created_by=world.users["secretary1"],
    )
    if people is None:
        people = [world.people["member1"], world.people["a1_other"]]
    Invitee.objects.bulk_create([Invitee(meeting=meeting, person=p) for p in people])
    return meeting


def invitee_of(meeting, person):
    return Invitee.objects.get(meeting=meeting, person=person)


# --- leave -----------------------------------------------------------------------------------


def test_leave_request_and_approval_notifies_the_requester(world):
    meeting = make_meeting(world)
    member, secretary = world.users["member1"], world.users["secretary1"]
    before = START - datetime.timedelta(days=1)
    inv = attendance.leave_request(actor=member, meeting_id=meeting.pk, reason="出差", now=before)
    assert inv.status == AttendanceStatus.LEAVE_REQUESTED and inv.leave_reason == "出差"
    assert AuditEvent.objects.filter(action="meetings.invitee.leave_request", target_id=str(inv.pk)).exists()
    # the secretary who created the meeting hears of the request
    assert Notification.objects.filter(recipient=secretary, category="meeting").count() == 1

    inv = attendance.leave_decide(actor=secretary, invitee_id=inv.pk, approve=True, now=before)
    assert inv.status == AttendanceStatus.LEAVE_APPROVED and inv.leave_decided_by == secretary
    note = Notification.objects.get(recipient=member)
    assert note.category == "meeting" and "已批准" in note.title
    event = AuditEvent.objects.get(action="meetings.invitee.leave_approve")
    assert event.changes["status"] == {"old": "leave_requested", "new": "leave_approved"}
    assert attendance.attendance_summary(meeting).leave == 1


def test_leave_rejection(world):
    meeting = make_meeting(world)
    before = START - datetime.timedelta(hours=3)
    inv = attendance.leave_request(actor=world.users["member1"], meeting_id=meeting.pk, reason="考试", now=before)
    inv = attendance.leave_decide(actor=world.users["secretary1"], invitee_id=inv.pk, approve=False)
    assert inv.status == AttendanceStatus.LEAVE_REJECTED
    assert "未获批准" in Notification.objects.get(recipient=world.users["member1"]).title
    assert AuditEvent.objects.filter(action="meetings.invitee.leave_reject").count() == 1
    # a rejected request may be made again, with a new reason
    inv = attendance.leave_request(actor=world.users["member1"], meeting_id=meeting.pk, reason="生病", now=before)
    assert inv.status == AttendanceStatus.LEAVE_REQUESTED and inv.leave_decided_by is None


def test_leave_request_rules(world):
    member = world.users["member1"]
    before = START - datetime.timedelta(hours=1)
    meeting = make_meeting(world)
    with pytest.raises(DomainError, match="请假事由"):
        attendance.leave_request(actor=member, meeting_id=meeting.pk, reason="  ", now=before)
    with pytest.raises(DomainError, match="已经开始"):
        attendance.leave_request(actor=member, meeting_id=meeting.pk, reason="出差", now=START)
    for status in (MeetingStatus.DRAFT, MeetingStatus.HELD, MeetingStatus.CANCELLED):
        other = make_meeting(world, status=status)
        with pytest.raises(ConflictError):
            attendance.leave_request(actor=member, meeting_id=other.pk, reason="出差", now=before)
    # secretary1 sees the meeting but is not invited
    with pytest.raises(DomainError, match="参会名单"):
        attendance.leave_request(actor=world.users["secretary1"], meeting_id=meeting.pk, reason="x", now=before)
    # a sibling branch's secretary does not even learn that it exists
    with pytest.raises(Http404):
        attendance.leave_request(actor=world.users["secretary2"], meeting_id=meeting.pk, reason="x", now=before)
    assert not Invitee.objects.exclude(status=AttendanceStatus.INVITED).exists()


def test_leave_decision_permissions(world):
    meeting = make_meeting(world)
    before = START - datetime.timedelta(hours=1)
    inv = attendance.leave_request(actor=world.users["member1"], meeting_id=meeting.pk, reason="出差", now=before)
    with pytest.raises(PermissionDenied):  # the invitee himself may not approve
        attendance.leave_decide(actor=world.users["member1"], invitee_id=inv.pk, approve=True)
    with pytest.raises(Http404):
        attendance.leave_decide(actor=world.users["secretary2"], invitee_id=inv.pk, approve=True)
    attendance.leave_decide(actor=world.users["admin"], invitee_id=inv.pk, approve=True)  # org admin above
    with pytest.raises(ConflictError, match="待审批"):
        attendance.leave_decide(actor=world.users["secretary1"], invitee_id=inv.pk, approve=False)


# --- QR check-in ------------------------------------------------------------------------------


def test_token_check_in_and_replay(world):
    meeting = make_meeting(world)
    member = world.users["member1"]
    token = checkin.make_token(meeting, now=DURING)
    inv = checkin.checkin_with_token(actor=member, token=token, now=DURING + datetime.timedelta(seconds=5))
    assert inv.status == AttendanceStatus.PRESENT and inv.check_in_method == CheckInMethod.QR
    assert CheckInToken.objects.filter(meeting=meeting, person=world.people["member1"]).count() == 1
    assert AuditEvent.objects.filter(action="meetings.invitee.checkin", target_id=str(inv.pk)).exists()
    with pytest.raises(ConflictError, match="已使用过"):
        checkin.checkin_with_token(actor=member, token=token, now=DURING + datetime.timedelta(seconds=6))
    # a fresh token after the check-in: already checked in
    later = DURING + datetime.timedelta(seconds=40)
    with pytest.raises(ConflictError, match="无需重复签到"):
        checkin.checkin_with_token(actor=member, token=checkin.make_token(meeting, now=later), now=later)
    # the same token still serves another invitee once
    other = UserFactory()
    world.people["a1_other"].user = other
    world.people["a1_other"].save()
    assert checkin.checkin_with_token(actor=other, token=token, now=DURING).status == AttendanceStatus.PRESENT


def test_token_expires_after_the_next_slot(world):
    meeting = make_meeting(world)
    token = checkin.make_token(meeting, now=DURING)
    slot_start = datetime.datetime.fromtimestamp(checkin.slot_of(DURING) * 30, tz=datetime.UTC)
    with pytest.raises(DomainError, match="已过期"):
        checkin.checkin_with_token(
            actor=world.users["member1"], token=token, now=slot_start + datetime.timedelta(seconds=60)
        )
    # within the previous slot it is still good (≤ 60 s)
    inv = checkin.checkin_with_token(
        actor=world.users["member1"], token=token, now=slot_start + datetime.timedelta(seconds=59)
    )
    assert inv.status == AttendanceStatus.PRESENT


def test_token_of_another_meeting_or_tampered(world):
    meeting = make_meeting(world)
    other = make_meeting(world, title="支委会", people=[world.people["a1_other"]])
    member = world.users["member1"]
    token_other = checkin.make_token(other, now=DURING)
    # not invited to the other meeting
    with pytest.raises(DomainError, match="参会名单"):
        checkin.checkin_with_token(actor=member, token=token_other, now=DURING)
    # the caller meant this meeting, the token is the other's
    with pytest.raises(DomainError, match="不属于本次会议"):
        checkin.checkin_with_token(actor=member, token=token_other, meeting_id=meeting.pk, now=DURING)
    # the other meeting's signature does not verify under this meeting's id
    forged = f"{meeting.pk}.{token_other.split('.', 1)[1]}"
    with pytest.raises(DomainError, match="无效"):
        checkin.checkin_with_token(actor=member, token=forged, now=DURING)
    with pytest.raises(DomainError, match="无效"):
        checkin.checkin_with_token(actor=member, token="garbage", now=DURING)
    assert invitee_of(meeting, world.people["member1"]).status == AttendanceStatus.INVITED
    assert not CheckInToken.objects.exists()


def test_token_outside_the_window(world):
    meeting = make_meeting(world)
    member = world.users["member1"]
    too_early = START - datetime.timedelta(minutes=31)
    with pytest.raises(DomainError, match="尚未开始"):
        checkin.checkin_with_token(actor=member, token=checkin.make_token(meeting, now=too_early), now=too_early)
    too_late = END + datetime.timedelta(seconds=1)
    with pytest.raises(DomainError, match="已结束"):
        checkin.checkin_with_token(actor=member, token=checkin.make_token(meeting, now=too_late), now=too_late)
    opens = START - datetime.timedelta(minutes=30)
    assert checkin.checkin_with_token(actor=member, token=checkin.make_token(meeting, now=opens), now=opens).status == (
        AttendanceStatus.PRESENT
    )


def test_token_refused_for_cancelled_meeting_and_non_invitee(world):
    cancelled = make_meeting(world, status=MeetingStatus.CANCELLED)
    with pytest.raises(ConflictError, match="不能签到"):
        checkin.checkin_with_token(
            actor=world.users["member1"], token=checkin.make_token(cancelled, now=DURING), now=DURING
        )
    meeting = make_meeting(world)
    with pytest.raises(DomainError, match="参会名单"):
        checkin.checkin_with_token(
            actor=world.users["secretary1"], token=checkin.make_token(meeting, now=DURING), now=DURING
        )


def test_token_is_stable_within_a_slot_and_changes_with_it(world):
    meeting = make_meeting(world)
    slot_start = datetime.datetime.fromtimestamp(checkin.slot_of(DURING) * 30, tz=datetime.UTC)
    a = checkin.make_token(meeting, now=slot_start)
    assert checkin.make_token(meeting, now=slot_start + datetime.timedelta(seconds=29)) == a
    assert checkin.make_token(meeting, now=slot_start + datetime.timedelta(seconds=30)) != a


def test_approved_leave_may_still_check_in(world):
    meeting = make_meeting(world)
    member = world.users["member1"]
    inv = attendance.leave_request(
        actor=member, meeting_id=meeting.pk, reason="出差", now=START - datetime.timedelta(1)
    )
    attendance.leave_decide(actor=world.users["secretary1"], invitee_id=inv.pk, approve=True)
    inv = checkin.checkin_with_token(actor=member, token=checkin.make_token(meeting, now=DURING), now=DURING)
    assert inv.status == AttendanceStatus.PRESENT
    summary = attendance.attendance_summary(meeting)
    assert (summary.present, summary.leave) == (1, 0)


# --- code check-in ----------------------------------------------------------------------------


def test_code_check_in(world):
    meeting = make_meeting(world)
    member = world.users["member1"]
    inv = checkin.checkin_with_code(actor=member, code=f" {meeting.checkin_code} ", now=DURING)
    assert inv.status == AttendanceStatus.PRESENT and inv.check_in_method == CheckInMethod.CODE
    assert inv.meeting == meeting
    with pytest.raises(ConflictError, match="无需重复签到"):
        checkin.checkin_with_code(actor=member, code=meeting.checkin_code, now=DURING)


def test_code_outside_window_and_not_invited(world):
    meeting = make_meeting(world)
    with pytest.raises(DomainError, match="尚未开始"):
        checkin.checkin_with_code(
            actor=world.users["member1"], code=meeting.checkin_code, now=START - datetime.timedelta(hours=1)
        )
    with pytest.raises(DomainError, match="已结束"):
        checkin.checkin_with_code(
            actor=world.users["member1"], code=meeting.checkin_code, now=END + datetime.timedelta(minutes=1)
        )
    # a person not invited gets the same answer as for a wrong code
    with pytest.raises(DomainError, match="签到码不正确"):
        checkin.checkin_with_code(actor=world.users["secretary1"], code=meeting.checkin_code, now=DURING)
    with pytest.raises(DomainError, match="6 位数字"):
        checkin.checkin_with_code(actor=world.users["member1"], code="12ab", now=DURING)


def test_code_guessing_is_rate_limited(world):
    meeting = make_meeting(world)
    member = world.users["member1"]
    wrong = f"{(int(meeting.checkin_code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1, 0):
        with pytest.raises(DomainError, match=f"还可尝试 {left} 次"):
            checkin.checkin_with_code(actor=member, code=wrong, now=DURING)
    with pytest.raises(checkin.TooManyAttempts) as exc:
        checkin.checkin_with_code(actor=member, code=meeting.checkin_code, now=DURING)
    assert exc.value.status == 429
    assert invitee_of(meeting, world.people["member1"]).status == AttendanceStatus.INVITED
    # another user is not affected
    other = UserFactory()
    world.people["a1_other"].user = other
    world.people["a1_other"].save()
    assert checkin.checkin_with_code(actor=other, code=meeting.checkin_code, now=DURING).status == "present"


# --- manual marking and counts ----------------------------------------------------------------


def test_manual_marking_is_audited_with_reason(world):
    meeting = make_meeting(world)
    inv = invitee_of(meeting, world.people["a1_other"])
    secretary = world.users["secretary1"]
    with pytest.raises(DomainError, match="原因"):
        attendance.mark_attendance(actor=secretary, invitee_id=inv.pk, status="present", reason="")
    with pytest.raises(DomainError, match="出席或缺席"):
        attendance.mark_attendance(actor=secretary, invitee_id=inv.pk, status="leave_approved", reason="x")
    with pytest.raises(PermissionDenied):
        attendance.mark_attendance(actor=world.users["member1"], invitee_id=inv.pk, status="present", reason="x")
    with pytest.raises(Http404):
        attendance.mark_attendance(actor=world.users["secretary2"], invitee_id=inv.pk, status="present", reason="x")
    inv = attendance.mark_attendance(
        actor=secretary, invitee_id=inv.pk, status="present", reason="手机没电", now=DURING
    )
    assert inv.status == "present" and inv.check_in_method == "manual" and inv.manual_reason == "手机没电"
    event = AuditEvent.objects.get(action="meetings.invitee.mark")
    assert event.changes["reason"] == "手机没电" and event.changes["status"]["new"] == "present"
    Meeting.objects.filter(pk=meeting.pk).update(status=MeetingStatus.ARCHIVED)
    with pytest.raises(ConflictError):
        attendance.mark_attendance(actor=secretary, invitee_id=inv.pk, status="absent", reason="更正")


def test_counts_and_bulk_counts(world):
    people = [PersonFactory(unit=world.branch_a1) for _ in range(6)]
    meeting = make_meeting(world, people=people)
    rows = {i.person_id: i for i in Invitee.objects.filter(meeting=meeting)}
    Invitee.objects.filter(pk__in=[rows[p.pk].pk for p in people[:3]]).update(status=AttendanceStatus.PRESENT)
    Invitee.objects.filter(pk=rows[people[3].pk].pk).update(status=AttendanceStatus.LEAVE_APPROVED)
    Invitee.objects.filter(pk=rows[people[4].pk].pk).update(status=AttendanceStatus.LEAVE_REQUESTED)
    s = attendance.attendance_summary(meeting)
    # still scheduled: nobody is absent yet
    assert (s.expected, s.present, s.leave, s.absent, s.pending_leave) == (6, 3, 1, 0, 1)
    assert s.rate == 0.5 and s.rate_percent == 50
    meeting.status = MeetingStatus.HELD
    meeting.save(update_fields=["status"])
    s = attendance.attendance_summary(meeting)
    assert s.absent == 2  # the pending request and the one who never came

    empty = make_meeting(world, people=[])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        bulk = attendance.attendance_summaries([meeting, empty])
    assert len(ctx.captured_queries) == 1
    assert bulk[meeting.pk] == s and bulk[empty.pk].expected == 0 and bulk[empty.pk].rate is None


def test_my_history_and_yearly_rate(world):
    member = world.users["member1"]
    now = timezone.now()
    held = [
        make_meeting(world, starts_at=now - datetime.timedelta(days=d), status=MeetingStatus.HELD) for d in (3, 4, 5, 6)
    ]
    Invitee.objects.filter(meeting=held[0], person=world.people["member1"]).update(status="present")
    Invitee.objects.filter(meeting=held[1], person=world.people["member1"]).update(status="leave_approved")
    upcoming = make_meeting(world, starts_at=now + datetime.timedelta(days=2))
    make_meeting(world, starts_at=now + datetime.timedelta(days=2), status=MeetingStatus.DRAFT)
    assert [i.meeting for i in attendance.my_upcoming(member, now=now)] == [upcoming]
    assert [i.meeting for i in attendance.my_history(member, now=now)] == held
    rate = attendance.my_yearly_rate(member, year=held[0].starts_at.year)
    if all(m.starts_at.year == held[0].starts_at.year for m in held):
        assert (rate.expected, rate.present, rate.leave, rate.absent) == (4, 1, 1, 2)


def test_invitee_list_scoping(world):
    meeting = make_meeting(world)
    assert attendance.invitee_list(user=world.users["secretary1"], meeting=meeting).count() == 2
    mine = attendance.invitee_list(user=world.users["member1"], meeting=meeting)
    assert [i.person for i in mine] == [world.people["member1"]]
    # an invitee from another unit (joint meeting) reaches the meeting through his invitation
    outsider = UserFactory()
    grant(outsider, world.branch_b1, "member")
    person = world.people["b1_person"]
    person.user = outsider
    person.save()
    Invitee.objects.create(meeting=meeting, person=person)
    found, own = attendance.access_meeting(outsider, meeting.pk)
    assert found == meeting and own.person == person
