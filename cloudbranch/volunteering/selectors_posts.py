"""Reads of the posts area. Members start from ``audience.posts_for(person)``; officers from
``ServicePost.objects.restrict(user, "volunteering.view_servicepost")``. Every list takes a
constant number of queries (counts come from one grouped query per page)."""

from __future__ import annotations

import datetime

from django.db.models import Avg, Case, Count, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import ExtractYear
from django.http import Http404
from django.utils import timezone

from .audience import posts_for
from .choices import SEAT_STATUSES, PostStatus, ShiftStatus, SignupStatus
from .models import ServicePost, Shift, Signup

VIEW = "volunteering.view_servicepost"
UPCOMING_STATUSES = (SignupStatus.SIGNED_UP, SignupStatus.WAITLISTED, SignupStatus.CHECKED_IN)


def visible_post(user, post_id) -> ServicePost:
    """A post the user may see: through their grants (organizers, drafts included) or as a member
    of its audience (published posts only, ``audience.posts_for``). 404 otherwise."""
    from cloudbranch.people.selectors import own_person

    qs = ServicePost.objects.select_related("unit", "organizer")
    post = qs.restrict(user, VIEW).filter(pk=post_id).first()
    if post is None:
        post = qs.filter(pk__in=posts_for(own_person(user)).values("pk")).filter(pk=post_id).first()
    if post is None:
        raise Http404
    return post


def seat_counts(shift_ids) -> dict[int, dict[str, int]]:
    """``{shift_id: {"seats": n, "waitlisted": n}}`` in one grouped query."""
    ids = list(shift_ids)
    if not ids:
        return {}
    rows = (
        Signup.objects.filter(shift_id__in=ids)
        .order_by()
        .values("shift_id")
        .annotate(
            seats=Count("id", filter=Q(status__in=SEAT_STATUSES)),
            waitlisted=Count("id", filter=Q(status=SignupStatus.WAITLISTED)),
        )
    )
    out = {pk: {"seats": 0, "waitlisted": 0} for pk in ids}
    for r in rows:
        out[r["shift_id"]] = {"seats": r["seats"], "waitlisted": r["waitlisted"]}
    return out


def _decorate(shifts, counts) -> None:
    for s in shifts:
        c = counts.get(s.pk, {"seats": 0, "waitlisted": 0})
        s.seats_taken = c["seats"]
        s.waitlisted = c["waitlisted"]
        s.seats_left = max(0, s.headcount - c["seats"])


def member_posts(person, *, area: str = "", content_type: str = "", date: datetime.date | None = None):
    """Open posts for ``person`` (audience rule), newest first, with optional filters."""
    qs = posts_for(person).filter(status=PostStatus.OPEN).select_related("unit")
    if area:
        qs = qs.filter(area=area)
    if content_type:
        qs = qs.filter(content_type=content_type)
    if date:
        qs = qs.filter(
            pk__in=Shift.objects.filter(status=ShiftStatus.SCHEDULED, starts_at__date=date).values("post_id")
        )
    return qs.order_by("-created_at", "-id")


def managed_posts(user, *, status: str = ""):
    """Posts of the officer's units, drafts included."""
    qs = ServicePost.objects.restrict(user, VIEW).select_related("unit")
    if status in PostStatus.values:
        qs = qs.filter(status=status)
    return qs.annotate(shift_count=Count("shifts")).order_by("-created_at", "-id")


def attach_upcoming_shifts(posts, *, now: datetime.datetime | None = None) -> None:
    """Give each post of a page ``upcoming`` (scheduled shifts not yet over, with seats left):
    two queries for the whole page."""
    now = now or timezone.now()
    posts = list(posts)
    by_post: dict[int, list] = {p.pk: [] for p in posts}
    shifts = list(
        Shift.objects.filter(post_id__in=by_post, status=ShiftStatus.SCHEDULED, ends_at__gte=now).order_by(
            "starts_at", "id"
        )
    )
    _decorate(shifts, seat_counts(s.pk for s in shifts))
    for s in shifts:
        by_post[s.post_id].append(s)
    for p in posts:
        p.upcoming = by_post[p.pk]


def post_shifts(post: ServicePost, person=None) -> list[Shift]:
    """All shifts of a post with seat counts and, for ``person``, their own sign-up (``mine``)."""
    shifts = list(Shift.objects.filter(post=post).order_by("starts_at", "id"))
    _decorate(shifts, seat_counts(s.pk for s in shifts))
    mine = {}
    if person is not None:
        mine = {s.shift_id: s for s in with_waitlist_position(Signup.objects.filter(shift__post=post, person=person))}
    for s in shifts:
        s.post = post
        s.mine = mine.get(s.pk)
    return shifts


def post_rating(post: ServicePost) -> dict:
    return Signup.objects.filter(shift__post=post, member_rating__isnull=False).aggregate(
        average=Avg("member_rating"), count=Count("id")
    )


def with_waitlist_position(qs):
    """Annotate ``waitlist_position`` (1-based, None unless waitlisted) in the same query."""
    ahead = (
        Signup.objects.filter(shift=OuterRef("shift"), status=SignupStatus.WAITLISTED)
        .filter(
            Q(signed_up_at__lt=OuterRef("signed_up_at"))
            | Q(signed_up_at=OuterRef("signed_up_at"), pk__lte=OuterRef("pk"))
        )
        .order_by()
        .values("shift")
        .annotate(n=Count("id"))
        .values("n")
    )
    return qs.annotate(
        waitlist_position=Case(
            When(status=SignupStatus.WAITLISTED, then=Subquery(ahead, output_field=IntegerField())),
            default=Value(None),
            output_field=IntegerField(),
        )
    )


def roster(shift: Shift):
    """The shift's sign-ups for its organizer: seats first, then the waiting list, then the rest,
    each in sign-up order."""
    order = Case(
        When(status__in=SEAT_STATUSES, then=Value(0)),
        When(status=SignupStatus.ABSENT, then=Value(1)),
        When(status=SignupStatus.WAITLISTED, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    return (
        Signup.objects.filter(shift=shift)
        .select_related("person", "person__unit", "confirmed_by")
        .annotate(group=order)
        .order_by("group", "signed_up_at", "id")
    )


def my_upcoming(person, *, now: datetime.datetime | None = None):
    now = now or timezone.now()
    qs = Signup.objects.filter(
        person=person, status__in=UPCOMING_STATUSES, shift__status=ShiftStatus.SCHEDULED, shift__ends_at__gte=now
    ).select_related("shift__post__unit")
    return with_waitlist_position(qs).order_by("shift__starts_at", "id")


def my_past(person, *, now: datetime.datetime | None = None):
    now = now or timezone.now()
    return (
        Signup.objects.filter(person=person)
        .filter(
            Q(status__in=[SignupStatus.CHECKED_OUT, SignupStatus.CONFIRMED, SignupStatus.ABSENT])
            | Q(status__in=[SignupStatus.SIGNED_UP, SignupStatus.CHECKED_IN], shift__ends_at__lt=now)
        )
        .select_related("shift__post__unit")
        .order_by("-shift__starts_at", "-id")
    )


def my_hours_by_year(person) -> list[dict]:
    """``[{"year": 2025, "hours": Decimal, "times": n}, ...]`` newest first, in one query."""
    return list(
        Signup.objects.filter(person=person, status=SignupStatus.CONFIRMED)
        .annotate(year=ExtractYear("shift__starts_at"))
        .order_by()
        .values("year")
        .annotate(hours=Sum("hours"), times=Count("id"))
        .order_by("-year")
    )


def my_pending_evaluations(person):
    return (
        Signup.objects.filter(person=person, status=SignupStatus.CONFIRMED, member_rating__isnull=True)
        .select_related("shift__post")
        .order_by("-shift__starts_at", "-id")
    )
