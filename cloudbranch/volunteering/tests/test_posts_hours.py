"""Hours, absence and evaluation: H1–H3, E1–E2 of signups.py."""

import datetime
from decimal import Decimal

import pytest
from django.http import Http404

from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.orgs.roles import Role
from cloudbranch.points.models import PointEvent
from cloudbranch.testing.factories import UserFactory, grant
from cloudbranch.volunteering import selectors_posts, signups
from cloudbranch.volunteering.choices import SignupStatus
from cloudbranch.volunteering.models import Signup

from .factories import posts_member, posts_open_post

pytestmark = pytest.mark.django_db
M = datetime.timedelta(minutes=1)


def _checked(shift, person_row, minutes_in=0, minutes_out=None):
    Signup.objects.filter(pk=person_row.pk).update(
        status=SignupStatus.CHECKED_OUT if minutes_out is not None else SignupStatus.CHECKED_IN,
        checked_in_at=shift.starts_at + minutes_in * M,
        checked_out_at=None if minutes_out is None else shift.starts_at + minutes_out * M,
    )
    return Signup.objects.select_related("shift").get(pk=person_row.pk)


@pytest.fixture
def seat(world):
    _post, (shift,) = posts_open_post(world.users["secretary1"], world.branch_a1, headcount=3, hours=2)
    row = signups.signup(actor=world.users["member1"], shift_id=shift.pk)
    return world, shift, row


@pytest.mark.parametrize(
    "minutes_in,minutes_out,expected",
    [(0, 119, "1.5"), (0, 120, "2.0"), (-25, 150, "2.0"), (10, 39, "0.0"), (10, 40, "0.5"), (0, 89, "1.0")],
)
def test_proposed_hours_rounding_and_cap(seat, minutes_in, minutes_out, expected):
    _world, shift, row = seat
    assert signups.proposed_hours(_checked(shift, row, minutes_in, minutes_out)) == Decimal(expected)


def test_confirm_awards_points_once_and_twice_is_409(seat):
    world, shift, row = seat
    _checked(shift, row, 0, 100)
    row = signups.hours_confirm(actor=world.users["secretary1"], signup_id=row.pk)
    assert (row.status, row.hours, row.confirmed_by) == (
        SignupStatus.CONFIRMED,
        Decimal("1.5"),
        world.users["secretary1"],
    )
    with pytest.raises(ConflictError) as exc:
        signups.hours_confirm(actor=world.users["secretary1"], signup_id=row.pk)
    assert exc.value.status == 409
    events = PointEvent.objects.filter(person=world.people["member1"], action="volunteering")
    assert events.count() == 1 and events.get().source_id == str(row.pk)


def test_adjust_needs_reason(seat):
    world, shift, row = seat
    _checked(shift, row, 0, 100)
    with pytest.raises(DomainError, match="调整理由"):
        signups.hours_confirm(actor=world.users["secretary1"], signup_id=row.pk, hours="3")
    with pytest.raises(DomainError):
        signups.hours_confirm(actor=world.users["secretary1"], signup_id=row.pk, hours="1.3", reason="x")
    row = signups.hours_confirm(actor=world.users["secretary1"], signup_id=row.pk, hours="3", reason="提前到场布置")
    assert row.hours == Decimal("3.0")


def test_confirm_permission_and_sibling_404(seat):
    world, shift, row = seat
    _checked(shift, row, 0, 100)
    with pytest.raises(Http404):
        signups.hours_confirm(actor=world.users["secretary2"], signup_id=row.pk)
    with pytest.raises(Http404):
        signups.hours_confirm(actor=world.users["member1"], signup_id=row.pk)
    # the college's committee secretary sees and confirms branch posts
    cs = UserFactory()
    grant(cs, world.college_a, Role.COMMITTEE_SECRETARY)
    assert signups.hours_confirm(actor=cs, signup_id=row.pk).status == SignupStatus.CONFIRMED


def test_confirm_without_checkin_refused_and_absent(seat):
    world, shift, row = seat
    with pytest.raises(DomainError, match="未签到"):
        signups.hours_confirm(actor=world.users["secretary1"], signup_id=row.pk)
    with pytest.raises(DomainError, match="尚未开始"):
        signups.mark_absent(actor=world.users["secretary1"], signup_id=row.pk, now=shift.starts_at - M)
    row = signups.mark_absent(actor=world.users["secretary1"], signup_id=row.pk, now=shift.ends_at)
    assert row.status == SignupStatus.ABSENT
    with pytest.raises(ConflictError):
        signups.mark_absent(actor=world.users["secretary1"], signup_id=row.pk, now=shift.ends_at)


def test_bulk_confirm_only_checked_out(seat):
    world, shift, row = seat
    u2, _ = posts_member(world.branch_a1)
    row2 = signups.signup(actor=u2, shift_id=shift.pk)
    _checked(shift, row, 0, 120)
    _checked(shift, row2, 0, None)  # checked in only
    done = signups.hours_confirm_bulk(actor=world.users["secretary1"], shift_id=shift.pk)
    assert [r.pk for r in done] == [row.pk]
    assert Signup.objects.get(pk=row2.pk).status == SignupStatus.CHECKED_IN


def test_ratings(seat):
    world, shift, row = seat
    with pytest.raises(ConflictError):
        signups.member_rate(actor=world.users["member1"], signup_id=row.pk, rating=5)
    with pytest.raises(ConflictError):
        signups.organizer_rate(actor=world.users["secretary1"], signup_id=row.pk, rating=5)
    _checked(shift, row, 0, 120)
    signups.hours_confirm(actor=world.users["secretary1"], signup_id=row.pk, rating=4, comment="认真")
    row = signups.organizer_rate(actor=world.users["secretary1"], signup_id=row.pk, rating=5, comment="很好")
    assert (row.organizer_rating, row.organizer_comment) == (5, "很好")
    with pytest.raises(DomainError):
        signups.member_rate(actor=world.users["member1"], signup_id=row.pk, rating=6)
    signups.member_rate(actor=world.users["member1"], signup_id=row.pk, rating=4, comment="收获很大")
    with pytest.raises(ConflictError, match="评价过"):
        signups.member_rate(actor=world.users["member1"], signup_id=row.pk, rating=3)
    with pytest.raises(Http404):
        signups.member_rate(actor=world.users["secretary1"], signup_id=row.pk, rating=3)
    assert selectors_posts.post_rating(shift.post) == {"average": 4.0, "count": 1}


def test_hours_per_year(world):
    from .factories import local_dt, make_service_post, make_shift, make_signup

    post = make_service_post(world.branch_a1)
    person = world.people["member1"]
    for when, hours in [
        (local_dt(2024, 5, 1, 9), "2.0"),
        (local_dt(2024, 9, 1, 9), "1.5"),
        (local_dt(2025, 3, 1, 9), "3.0"),
    ]:
        make_signup(make_shift(post, starts_at=when), person, status="confirmed", hours=Decimal(hours))
    make_signup(make_shift(post, starts_at=local_dt(2025, 4, 1, 9)), person, status="checked_out")
    years = selectors_posts.my_hours_by_year(person)
    assert [(y["year"], y["hours"], y["times"]) for y in years] == [
        (2025, Decimal("3.0"), 1),
        (2024, Decimal("3.5"), 2),
    ]
