"""Sign-up, waiting list, overlap, cancellation and promotion: S1–S5 of signups.py."""

import datetime

import pytest
from django.http import Http404

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.notifications.models import Notification
from cloudbranch.volunteering import posts, signups
from cloudbranch.volunteering.choices import SignupStatus
from cloudbranch.volunteering.models import Signup

from .factories import posts_member, posts_open_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(world):
    post, (shift,) = posts_open_post(world.users["secretary1"], world.branch_a1, headcount=2)
    return world, post, shift


def test_seat_then_waitlist_in_order(setup):
    world, _post, shift = setup
    users = [posts_member(world.branch_a1, f"志愿者{i}")[0] for i in range(4)]
    t0 = shift.signup_deadline - datetime.timedelta(hours=5)
    rows = [
        signups.signup(actor=u, shift_id=shift.pk, now=t0 + datetime.timedelta(seconds=i)) for i, u in enumerate(users)
    ]
    assert [r.status for r in rows] == ["signed_up", "signed_up", "waitlisted", "waitlisted"]
    assert [signups.waitlist_position(r) for r in rows] == [None, None, 1, 2]
    assert AuditEvent.objects.filter(action="volunteering.signup.create").count() == 4


def test_deadline_exact_second(setup):
    world, _post, shift = setup
    signups.signup(actor=world.users["member1"], shift_id=shift.pk, now=shift.signup_deadline)
    u, _ = posts_member(world.branch_a1)
    with pytest.raises(DomainError, match="报名已于"):
        signups.signup(actor=u, shift_id=shift.pk, now=shift.signup_deadline + datetime.timedelta(seconds=1))


def test_audience_rule(setup):
    world, _post, shift = setup
    # a member of the group under a1 is in the audience; a2 and college B are not.
    u_group, _ = posts_member(world.group_a1)
    assert signups.signup(actor=u_group, shift_id=shift.pk).status == SignupStatus.SIGNED_UP
    for unit in (world.branch_a2, world.branch_b1, world.college_a):
        u, _ = posts_member(unit)
        with pytest.raises(Http404):
            signups.signup(actor=u, shift_id=shift.pk)


def test_needs_person(setup):
    world, _post, shift = setup
    with pytest.raises(DomainError, match="党员档案"):
        signups.signup(actor=world.users["secretary1"], shift_id=shift.pk)


def test_closed_post_and_draft(setup):
    world, post, shift = setup
    posts.post_close(actor=world.users["secretary1"], post_id=post.pk)
    with pytest.raises(ConflictError):
        signups.signup(actor=world.users["member1"], shift_id=shift.pk)
    draft = posts.post_create(
        actor=world.users["secretary1"],
        unit_id=world.branch_a1.pk,
        title="草稿",
        area="campus",
        content_type="other",
        place="x",
    )
    s = posts.shift_add(actor=world.users["secretary1"], post_id=draft.pk, starts_at=shift.starts_at,
                        ends_at=shift.ends_at, headcount=1)  # fmt: skip
    with pytest.raises(Http404):
        signups.signup(actor=world.users["member1"], shift_id=s.pk)


def test_twice_is_conflict(setup):
    world, _post, shift = setup
    signups.signup(actor=world.users["member1"], shift_id=shift.pk)
    with pytest.raises(ConflictError):
        signups.signup(actor=world.users["member1"], shift_id=shift.pk)


def test_overlap_refused_with_other_shift_named(world):
    a, (sa,) = posts_open_post(world.users["secretary1"], world.branch_a1, title="图书馆值守")
    b, (sb,) = posts_open_post(
        world.users["admin"], world.root, title="运动会服务", starts_in=datetime.timedelta(days=3, hours=1)
    )
    c, (sc,) = posts_open_post(
        world.users["admin"], world.root, title="晚间", starts_in=datetime.timedelta(days=3, hours=2)
    )
    signups.signup(actor=world.users["member1"], shift_id=sa.pk)
    with pytest.raises(DomainError, match="图书馆值守"):
        signups.signup(actor=world.users["member1"], shift_id=sb.pk)
    # touching (ends exactly when the other starts) is not an overlap
    assert signups.signup(actor=world.users["member1"], shift_id=sc.pk).status == SignupStatus.SIGNED_UP


def test_cancel_before_cutoff_promotes_first_waitlisted(setup):
    world, _post, shift = setup
    users = [posts_member(world.branch_a1, f"志愿者{i}")[0] for i in range(4)]
    t0 = shift.signup_deadline - datetime.timedelta(days=2)
    rows = [
        signups.signup(actor=u, shift_id=shift.pk, now=t0 + datetime.timedelta(seconds=i)) for i, u in enumerate(users)
    ]
    signups.signup_cancel(actor=users[0], signup_id=rows[0].pk, now=shift.cancel_cutoff)  # exact cutoff allowed
    statuses = dict(Signup.objects.filter(shift=shift).values_list("pk", "status"))
    assert statuses[rows[0].pk] == "cancelled"
    assert statuses[rows[2].pk] == "signed_up"  # first in line
    assert statuses[rows[3].pk] == "waitlisted"
    note = Notification.objects.get(recipient=users[2])
    assert note.category == "service" and "候补成功" in note.title
    assert signups.waitlist_position(Signup.objects.get(pk=rows[3].pk)) == 1


def test_cancel_after_cutoff_told_to_contact(setup):
    world, post, shift = setup
    row = signups.signup(actor=world.users["member1"], shift_id=shift.pk)
    with pytest.raises(DomainError, match="联系组织者"):
        signups.signup_cancel(
            actor=world.users["member1"], signup_id=row.pk, now=shift.cancel_cutoff + datetime.timedelta(seconds=1)
        )
    assert Signup.objects.get(pk=row.pk).status == SignupStatus.SIGNED_UP


def test_leaving_waitlist_always_allowed(world):
    _post, (shift,) = posts_open_post(world.users["secretary1"], world.branch_a1, headcount=1)
    u, _ = posts_member(world.branch_a1)
    signups.signup(actor=u, shift_id=shift.pk)
    row = signups.signup(actor=world.users["member1"], shift_id=shift.pk)
    assert row.status == SignupStatus.WAITLISTED
    row = signups.signup_cancel(actor=world.users["member1"], signup_id=row.pk, now=shift.ends_at)
    assert row.status == SignupStatus.CANCELLED


def test_resign_reuses_row(setup):
    world, _post, shift = setup
    row = signups.signup(actor=world.users["member1"], shift_id=shift.pk)
    signups.signup_cancel(actor=world.users["member1"], signup_id=row.pk)
    again = signups.signup(actor=world.users["member1"], shift_id=shift.pk)
    assert again.pk == row.pk and again.status == SignupStatus.SIGNED_UP and again.cancelled_at is None
    assert Signup.objects.filter(shift=shift).count() == 1


def test_cancel_someone_elses_signup_is_404(setup):
    world, _post, shift = setup
    row = signups.signup(actor=world.users["member1"], shift_id=shift.pk)
    u, _ = posts_member(world.branch_a1)
    with pytest.raises(Http404):
        signups.signup_cancel(actor=u, signup_id=row.pk)
