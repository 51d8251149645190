"""Posts and shifts: P1–P6 of posts.py."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.notifications.models import Notification
from cloudbranch.volunteering import posts, signups
from cloudbranch.volunteering.choices import PostStatus, ShiftStatus, SignupStatus
from cloudbranch.volunteering.models import ServicePost

from .factories import posts_member, posts_open_post

pytestmark = pytest.mark.django_db

DATA = {"title": "社区助老", "area": "community", "content_type": "elderly", "place": "幸福社区"}


def _draft(world, **extra):
    return posts.post_create(actor=world.users["secretary1"], unit_id=world.branch_a1.pk, **{**DATA, **extra})


def _shift_times(days=3, hours=2):
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=days)
    return {"starts_at": start, "ends_at": start + datetime.timedelta(hours=hours)}


def test_create_is_draft_and_audited(world):
    post = _draft(world, skills=["speaking", "medical"])
    assert post.status == PostStatus.DRAFT
    assert post.organizer == world.users["secretary1"]
    assert AuditEvent.objects.filter(action="volunteering.servicepost.create", target_id=str(post.pk)).exists()


def test_create_needs_grant_at_unit(world):
    with pytest.raises(PermissionDenied):
        posts.post_create(actor=world.users["secretary2"], unit_id=world.branch_a1.pk, **DATA)
    with pytest.raises(PermissionDenied):
        posts.post_create(actor=world.users["member1"], unit_id=world.branch_a1.pk, **DATA)
    assert not ServicePost.objects.exists()


def test_unknown_skill_refused(world):
    with pytest.raises(DomainError) as exc:
        _draft(world, skills=["juggling"])
    assert exc.value.errors[0]["field"] == "skills"


@pytest.mark.parametrize(
    "change,field",
    [
        ({"headcount": 0}, "headcount"),
        ({"ends_at_delta": -3}, "ends_at"),
        ({"deadline_delta": 1}, "signup_deadline"),
        ({"cutoff_delta": 1}, "cancel_cutoff"),
    ],
)
def test_shift_rules(world, change, field):
    post = _draft(world)
    t = _shift_times()
    kwargs = {
        **t,
        "headcount": change.get("headcount", 3),
        "signup_deadline": t["starts_at"] + datetime.timedelta(seconds=change.get("deadline_delta", 0)),
        "cancel_cutoff": t["starts_at"] + datetime.timedelta(seconds=change.get("cutoff_delta", 0)),
    }
    if "ends_at_delta" in change:
        kwargs["ends_at"] = t["starts_at"] + datetime.timedelta(hours=change["ends_at_delta"])
    with pytest.raises(DomainError) as exc:
        posts.shift_add(actor=world.users["secretary1"], post_id=post.pk, **kwargs)
    assert field in [e["field"] for e in exc.value.errors]
    assert not post.shifts.exists()


def test_deadline_equal_to_start_allowed(world):
    post = _draft(world)
    t = _shift_times()
    shift = posts.shift_add(
        actor=world.users["secretary1"], post_id=post.pk, headcount=1,
        signup_deadline=t["starts_at"], cancel_cutoff=t["starts_at"], **t,
    )  # fmt: skip
    assert shift.signup_deadline == shift.starts_at


def test_publish_needs_future_shift(world):
    post = _draft(world)
    with pytest.raises(DomainError):
        posts.post_publish(actor=world.users["secretary1"], post_id=post.pk)
    past = _shift_times(days=-2)
    posts.shift_add(actor=world.users["secretary1"], post_id=post.pk, headcount=2, **past)
    with pytest.raises(DomainError):
        posts.post_publish(actor=world.users["secretary1"], post_id=post.pk)
    posts.shift_add(actor=world.users["secretary1"], post_id=post.pk, headcount=2, **_shift_times())
    assert posts.post_publish(actor=world.users["secretary1"], post_id=post.pk).status == PostStatus.OPEN
    with pytest.raises(ConflictError):
        posts.post_publish(actor=world.users["secretary1"], post_id=post.pk)


def test_edit_and_close(world):
    post, _ = posts_open_post(world.users["secretary1"], world.branch_a1)
    post = posts.post_update(actor=world.users["secretary1"], post_id=post.pk, title="新名称", skills=["it"])
    assert (post.title, post.skills) == ("新名称", ["it"])
    assert posts.post_close(actor=world.users["secretary1"], post_id=post.pk).status == PostStatus.CLOSED
    with pytest.raises(ConflictError):
        posts.post_update(actor=world.users["secretary1"], post_id=post.pk, title="x")
    assert AuditEvent.objects.filter(action="volunteering.servicepost.close").count() == 1


def test_sibling_secretary_gets_404(world):
    post, (shift,) = posts_open_post(world.users["secretary1"], world.branch_a1)
    with pytest.raises(Http404):
        posts.post_update(actor=world.users["secretary2"], post_id=post.pk, title="x")
    with pytest.raises(Http404):
        posts.shift_cancel(actor=world.users["secretary2"], shift_id=shift.pk, reason="x")


def test_shift_cancel_notifies_signed_up(world):
    post, (shift,) = posts_open_post(world.users["secretary1"], world.branch_a1, headcount=1)
    u1, _p1 = posts_member(world.branch_a1, "甲")
    u2, _p2 = posts_member(world.branch_a1, "乙")
    signups.signup(actor=u1, shift_id=shift.pk)
    signups.signup(actor=u2, shift_id=shift.pk)
    with pytest.raises(DomainError):
        posts.shift_cancel(actor=world.users["secretary1"], shift_id=shift.pk, reason=" ")
    posts.shift_cancel(actor=world.users["secretary1"], shift_id=shift.pk, reason="天气原因")
    shift.refresh_from_db()
    assert shift.status == ShiftStatus.CANCELLED
    assert set(shift.signups.values_list("status", flat=True)) == {SignupStatus.CANCELLED}
    notes = Notification.objects.filter(category="service", recipient__in=[u1, u2])
    assert notes.count() == 2 and "天气原因" in notes.first().body
    assert AuditEvent.objects.get(action="volunteering.shift.cancel").changes["reason"] == "天气原因"
