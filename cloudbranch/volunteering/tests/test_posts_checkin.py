"""Check-in / check-out by rotating QR: C1–C3 of checkin.py."""

import datetime

import pytest

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.volunteering import checkin, signups
from cloudbranch.volunteering.choices import SignupStatus
from cloudbranch.volunteering.models import ShiftCheckInToken

from .factories import posts_member, posts_open_post

pytestmark = pytest.mark.django_db
M = datetime.timedelta(minutes=1)


@pytest.fixture
def seat(world):
    _post, (shift,) = posts_open_post(world.users["secretary1"], world.branch_a1, headcount=1)
    row = signups.signup(actor=world.users["member1"], shift_id=shift.pk)
    return world, shift, row


def test_first_scan_checks_in_second_checks_out(seat):
    world, shift, row = seat
    t_in = shift.starts_at - 30 * M
    row, kind = checkin.scan(actor=world.users["member1"], token=checkin.make_token(shift, now=t_in), now=t_in)
    assert (kind, row.status, row.checked_in_at) == ("in", SignupStatus.CHECKED_IN, t_in)
    t_out = shift.ends_at + 120 * M
    row, kind = checkin.scan(actor=world.users["member1"], token=checkin.make_token(shift, now=t_out), now=t_out)
    assert (kind, row.status, row.checked_out_at) == ("out", SignupStatus.CHECKED_OUT, t_out)
    assert ShiftCheckInToken.objects.filter(shift=shift).count() == 2
    assert AuditEvent.objects.filter(action="volunteering.signup.checkin").exists()
    with pytest.raises(ConflictError):
        checkin.scan(actor=world.users["member1"], token=checkin.make_token(shift, now=t_out), now=t_out)


def test_window_boundaries(seat):
    world, shift, _row = seat
    early = shift.starts_at - 31 * M
    with pytest.raises(DomainError, match="尚未开始"):
        checkin.scan(actor=world.users["member1"], token=checkin.make_token(shift, now=early), now=early)
    late = shift.ends_at + datetime.timedelta(seconds=1)
    with pytest.raises(DomainError, match="已结束"):
        checkin.scan(actor=world.users["member1"], token=checkin.make_token(shift, now=late), now=late)


def test_checkout_closes_two_hours_after_end(seat):
    world, shift, _row = seat
    t = shift.starts_at
    checkin.scan(actor=world.users["member1"], token=checkin.make_token(shift, now=t), now=t)
    late = shift.ends_at + 121 * M
    with pytest.raises(DomainError, match="签退时间已过"):
        checkin.scan(actor=world.users["member1"], token=checkin.make_token(shift, now=late), now=late)


def test_replay_of_same_nonce_refused(seat):
    world, shift, _row = seat
    t = shift.starts_at
    token = checkin.make_token(shift, now=t)
    checkin.scan(actor=world.users["member1"], token=token, now=t)
    with pytest.raises(ConflictError, match="已扫过"):
        checkin.scan(actor=world.users["member1"], token=token, now=t + 5 * datetime.timedelta(seconds=1))


def test_only_seat_holders(seat):
    world, shift, _row = seat
    u, _ = posts_member(world.branch_a1)
    signups.signup(actor=u, shift_id=shift.pk)  # waitlisted (headcount 1)
    t = shift.starts_at
    with pytest.raises(DomainError, match="候补"):
        checkin.scan(actor=u, token=checkin.make_token(shift, now=t), now=t)
    stranger, _ = posts_member(world.branch_a1)
    with pytest.raises(DomainError, match="未报名"):
        checkin.scan(actor=stranger, token=checkin.make_token(shift, now=t), now=t)


def test_bad_and_expired_tokens(seat):
    world, shift, _row = seat
    t = shift.starts_at
    with pytest.raises(DomainError, match="无效"):
        checkin.scan(actor=world.users["member1"], token=f"{shift.pk}.forged", now=t)
    old = checkin.make_token(shift, now=t - 2 * M)
    with pytest.raises(DomainError, match="过期"):
        checkin.scan(actor=world.users["member1"], token=old, now=t)


def test_manual_record_needs_reason_and_grant(seat):
    world, shift, row = seat
    now = shift.ends_at + M
    with pytest.raises(DomainError):
        checkin.manual_record(actor=world.users["secretary1"], signup_id=row.pk, kind="in", reason="", now=now)
    from django.http import Http404

    with pytest.raises(Http404):
        checkin.manual_record(actor=world.users["secretary2"], signup_id=row.pk, kind="in", reason="x", now=now)
    checkin.manual_record(
        actor=world.users["secretary1"], signup_id=row.pk, kind="in", reason="忘带手机", at=shift.starts_at, now=now
    )
    row = checkin.manual_record(
        actor=world.users["secretary1"], signup_id=row.pk, kind="out", reason="忘带手机", at=shift.ends_at, now=now
    )
    assert row.status == SignupStatus.CHECKED_OUT
    ev = AuditEvent.objects.filter(action="volunteering.signup.checkout").get()
    assert ev.changes["method"] == "manual" and ev.changes["reason"] == "忘带手机"
