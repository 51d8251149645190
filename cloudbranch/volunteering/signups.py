"""Sign-up, waiting list, cancellation, hours confirmation and evaluation of service shifts.

Rules (SPEC §7, issue 9 item 1):
- S1 A member signs up from their own Person; the post must be in their audience
  (``audience.in_audience``), open, the shift scheduled and ``now ≤ signup_deadline``.
- S2 Capacity: a seat is taken when fewer than ``headcount`` sign-ups hold a seat
  (``SEAT_STATUSES``), otherwise the sign-up is waitlisted. The shift row is locked
  (``select_for_update``) for the decision, so concurrent sign-ups never exceed the headcount.
- S3 A person never holds two active sign-ups (seat or waiting list) on shifts whose times
  overlap; the refusal names the other shift. (Waitlisted places count too, so a promotion can
  never create an overlap.)
- S4 Signing up again after cancelling reuses the row (one row per shift and person).
- S5 A seat may be cancelled until ``cancel_cutoff`` (inclusive); the freed seat goes to the first
  waitlisted (``signed_up_at``, ``id``), who is told in the same transaction. After the cutoff the
  member is told to contact the organizer. Leaving the waiting list is always allowed.
- H1 Proposed hours = checked-out − checked-in, rounded down to 0.5 h, capped at the shift length.
- H2 The organizer (``volunteering.confirm_signup`` at the post's unit) confirms per sign-up or in
  bulk; a different figure needs a reason; confirming twice is a conflict (409). Confirming awards
  the ``volunteering`` points once per sign-up.
- H3 Seat holders who never checked in may be marked absent once the shift has started.
- E1 The organizer rates the volunteer (1–5 + comment) at or after confirmation.
- E2 The volunteer rates the post (1–5 + comment) after confirmation only, once.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_FLOOR, Decimal

from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.services import audit_record, field_changes, snapshot
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.notifications.choices import Category
from cloudbranch.notifications.services import notify
from cloudbranch.orgs.scoping import access_by_id
from cloudbranch.people.models import Person
from cloudbranch.points.services import point_award

from .audience import in_audience
from .choices import SEAT_STATUSES, PostStatus, ShiftStatus, SignupStatus
from .models import Shift, Signup

CONFIRM = "volunteering.confirm_signup"
VIEW = "volunteering.view_servicepost"
SIGNUP_FIELDS = (
    "status",
    "signed_up_at",
    "cancelled_at",
    "checked_in_at",
    "checked_out_at",
    "hours",
    "confirmed_by",
    "confirmed_at",
    "member_rating",
    "member_comment",
    "organizer_rating",
    "organizer_comment",
)
ACTIVE_STATUSES = (SignupStatus.WAITLISTED, *SEAT_STATUSES)
HALF = Decimal("0.5")
MAX_HOURS = Decimal("24")
COMMENT_MAX = 300


def _own_person(actor) -> Person:
    person = Person.objects.select_related("unit").filter(user=actor).first() if actor.is_authenticated else None
    if person is None:
        raise DomainError("您的账号尚未关联党员档案，不能报名志愿服务，请联系支部书记")
    return person


def time_span(starts_at: datetime.datetime, ends_at: datetime.datetime) -> str:
    """``12-04 14:00–17:00`` in local time; the end carries its date when it falls on another day."""
    start, end = timezone.localtime(starts_at), timezone.localtime(ends_at)
    end_format = "%H:%M" if start.date() == end.date() else "%m-%d %H:%M"
    return f"{start:%m-%d %H:%M}–{end.strftime(end_format)}"


def shift_label(shift: Shift) -> str:
    return f"“{shift.post.title}” {time_span(shift.starts_at, shift.ends_at)}"


def _audit(actor, action: str, signup: Signup, before: dict, **extra) -> None:
    changes = field_changes(before, signup, fields=SIGNUP_FIELDS)
    changes.update(extra)
    audit_record(actor=actor, action=action, target=signup, changes=changes)


# --- sign-up -------------------------------------------------------------------------------


def signup(*, actor, shift_id: int, now: datetime.datetime | None = None) -> Signup:
    """S1–S4: sign ``actor``'s own Person up for a shift; returns the sign-up (seat or waitlisted)."""
    now = now or timezone.now()
    person = _own_person(actor)
    with transaction.atomic():
        shift = Shift.objects.select_for_update(of=("self",)).select_related("post__unit").filter(pk=shift_id).first()
        if shift is None:
            raise Http404
        post = shift.post
        if post.status not in (PostStatus.OPEN, PostStatus.CLOSED) or not in_audience(person, post.unit):
            raise Http404
        if post.status != PostStatus.OPEN:
            raise ConflictError(f"岗位“{post.title}”已{post.get_status_display()}，不再接受报名")
        if shift.status != ShiftStatus.SCHEDULED:
            raise ConflictError(f"该时段{shift.get_status_display()}，不能报名")
        if now > shift.signup_deadline:
            deadline = timezone.localtime(shift.signup_deadline)
            raise DomainError(f"报名已于 {deadline:%Y-%m-%d %H:%M} 截止")
        existing = Signup.objects.select_for_update().filter(shift=shift, person=person).first()
        if existing is not None and existing.status != SignupStatus.CANCELLED:
            raise ConflictError(f"您已报名该时段（{existing.get_status_display()}），无需重复报名")
        clash = (
            Signup.objects.filter(
                person=person,
                status__in=ACTIVE_STATUSES,
                shift__status=ShiftStatus.SCHEDULED,
                shift__starts_at__lt=shift.ends_at,
                shift__ends_at__gt=shift.starts_at,
            )
            .exclude(shift=shift)
            .select_related("shift__post")
            .first()
        )
        if clash is not None:
            raise DomainError(f"时间冲突：您已报名 {shift_label(clash.shift)}，与本时段时间重叠，不能同时报名")
        seats = Signup.objects.filter(shift=shift, status__in=SEAT_STATUSES).count()
        status = SignupStatus.SIGNED_UP if seats < shift.headcount else SignupStatus.WAITLISTED
        if existing is None:
            row = Signup(shift=shift, person=person)
            before: dict = {}
        else:
            row = existing
            before = snapshot(row, SIGNUP_FIELDS)
        row.status = status
        row.signed_up_at = now
        row.cancelled_at = None
        row.checked_in_at = row.checked_out_at = None
        row.save()
        row.shift = shift
        _audit(actor, "volunteering.signup.create" if not before else "volunteering.signup.renew", row, before)
    return row


def waitlist_position(signup_obj: Signup) -> int | None:
    if signup_obj.status != SignupStatus.WAITLISTED:
        return None
    ahead = Signup.objects.filter(shift_id=signup_obj.shift_id, status=SignupStatus.WAITLISTED).filter(
        Q(signed_up_at__lt=signup_obj.signed_up_at) | Q(signed_up_at=signup_obj.signed_up_at, pk__lt=signup_obj.pk)
    )
    return ahead.count() + 1


PROMOTED_AFTER_CANCEL = "有志愿者取消了报名，您已从候补转为正式报名，请按时参加。"


def waitlist_promote(actor, shift: Shift, *, body: str = PROMOTED_AFTER_CANCEL) -> list[Signup]:
    """S5: give free seats to the waiting list in sign-up order; tell each promoted volunteer.
    The caller holds the shift row lock. Used when a seat is freed (``signup_cancel``) and when
    the headcount is raised (``posts.shift_update``); ``body`` says why."""
    seats = Signup.objects.filter(shift=shift, status__in=SEAT_STATUSES).count()
    free = shift.headcount - seats
    if free <= 0:
        return []
    promoted = list(
        Signup.objects.select_for_update(of=("self",))
        .filter(shift=shift, status=SignupStatus.WAITLISTED)
        .select_related("person")
        .order_by("signed_up_at", "id")[:free]
    )
    for row in promoted:
        before = snapshot(row, SIGNUP_FIELDS)
        row.status = SignupStatus.SIGNED_UP
        row.save(update_fields=["status"])
        _audit(actor, "volunteering.signup.promote", row, before)
    recipients = [r.person.user_id for r in promoted if r.person.user_id]
    if recipients:
        notify(
            recipients=recipients,
            category=Category.SERVICE,
            title=f"候补成功：您已获得 {shift_label(shift)} 的服务名额",
            body=body,
            url=reverse("volunteering:my_service"),
        )
    return promoted


def signup_cancel(*, actor, signup_id: int, now: datetime.datetime | None = None) -> Signup:
    """S5: the volunteer cancels their own sign-up (seat before the cutoff, waiting list always)."""
    now = now or timezone.now()
    with transaction.atomic():
        own = Signup.objects.filter(pk=signup_id, person__user=actor).values_list("shift_id", flat=True).first()
        if own is None or not actor.is_authenticated:
            raise Http404
        shift = Shift.objects.select_for_update(of=("self",)).select_related("post").get(pk=own)
        row = Signup.objects.select_for_update().get(pk=signup_id)
        if row.status == SignupStatus.CANCELLED:
            raise ConflictError("该报名已取消")
        if row.status not in (SignupStatus.SIGNED_UP, SignupStatus.WAITLISTED):
            raise ConflictError(f"报名状态为“{row.get_status_display()}”，不能取消")
        seat = row.status == SignupStatus.SIGNED_UP
        if seat and now > shift.cancel_cutoff:
            cutoff = timezone.localtime(shift.cancel_cutoff)
            contact = f"（{shift.post.contact}）" if shift.post.contact else ""
            raise DomainError(f"已过取消报名截止时间（{cutoff:%Y-%m-%d %H:%M}），如确实无法参加，请联系组织者{contact}")
        before = snapshot(row, SIGNUP_FIELDS)
        row.status = SignupStatus.CANCELLED
        row.cancelled_at = now
        row.save(update_fields=["status", "cancelled_at"])
        row.shift = shift
        _audit(actor, "volunteering.signup.cancel", row, before)
        if seat and shift.status == ShiftStatus.SCHEDULED:
            waitlist_promote(actor, shift)
    return row


# --- hours ---------------------------------------------------------------------------------


def _floor_half(hours: Decimal) -> Decimal:
    return ((hours / HALF).to_integral_value(rounding=ROUND_FLOOR) * HALF).quantize(Decimal("0.1"))


def _hours_between(start: datetime.datetime, end: datetime.datetime) -> Decimal:
    return Decimal(int((end - start).total_seconds())) / Decimal(3600)


def proposed_hours(signup_obj: Signup, shift: Shift | None = None) -> Decimal | None:
    """H1: None until the volunteer has checked in and out."""
    shift = shift or signup_obj.shift
    if signup_obj.checked_in_at is None or signup_obj.checked_out_at is None:
        return None
    worked = max(Decimal(0), _hours_between(signup_obj.checked_in_at, signup_obj.checked_out_at))
    length = _hours_between(shift.starts_at, shift.ends_at)
    return _floor_half(min(worked, length))


def access_signup(user, signup_id, *, action: str = CONFIRM) -> Signup:
    """A sign-up as the organizer sees it (404 outside scope, 403 without ``action``)."""
    qs = Signup.objects.select_related("shift__post__unit", "person")
    return access_by_id(user, Signup, signup_id, action=action, view=VIEW, queryset=qs)


def _clean_rating(rating, comment: str, field: str = "rating") -> tuple[int, str]:
    try:
        value = int(rating)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5:
        raise DomainError("评分须为 1–5 星", errors=[{"field": field, "message": "评分须为 1–5 星"}])
    return value, (comment or "").strip()[:COMMENT_MAX]


def _confirm_one(
    actor, row: Signup, *, hours, reason: str, now: datetime.datetime, rating=None, comment: str = ""
) -> Signup:
    if row.status == SignupStatus.CONFIRMED:
        raise ConflictError(f"{row.person.name} 的服务时长已确认（{row.hours} 小时），不能重复确认")
    if row.status not in (SignupStatus.CHECKED_IN, SignupStatus.CHECKED_OUT):
        if row.status == SignupStatus.SIGNED_UP:
            raise DomainError(f"{row.person.name} 未签到，请先补录签到或标记缺席")
        raise ConflictError(f"报名状态为“{row.get_status_display()}”，不能确认时长")
    proposed = proposed_hours(row)
    reason = (reason or "").strip()
    if hours in (None, ""):
        if proposed is None:
            raise DomainError(
                f"{row.person.name} 尚未签退，请填写核定时长及理由",
                errors=[{"field": "hours", "message": "请填写核定时长"}],
            )
        value = proposed
    else:
        try:
            value = Decimal(str(hours))
        except ArithmeticError:
            value = Decimal(-1)
        if value < 0 or value > MAX_HOURS or value % HALF != 0:
            raise DomainError(
                "时长须为 0–24 之间、以 0.5 小时为单位的数", errors=[{"field": "hours", "message": "时长不正确"}]
            )
        value = value.quantize(Decimal("0.1"))
        if value != proposed and not reason:
            raise DomainError(
                f"核定时长与签到记录（{proposed if proposed is not None else '无签退'}）不同，请填写调整理由",
                errors=[{"field": "reason", "message": "请填写调整理由"}],
            )
    before = snapshot(row, SIGNUP_FIELDS)
    row.status = SignupStatus.CONFIRMED
    row.hours = value
    row.confirmed_by = actor
    row.confirmed_at = now
    fields = ["status", "hours", "confirmed_by", "confirmed_at"]
    if rating not in (None, ""):
        row.organizer_rating, row.organizer_comment = _clean_rating(rating, comment)
        fields += ["organizer_rating", "organizer_comment"]
    row.save(update_fields=fields)
    extra = {"proposed": str(proposed) if proposed is not None else None}
    if value != proposed:
        extra["reason"] = reason[:200]
    _audit(actor, "volunteering.signup.confirm", row, before, **extra)
    point_award(
        person=row.person,
        action="volunteering",
        source_type="volunteering.signup",
        source_id=str(row.pk),
        occurred_at=now,
    )
    return row


def hours_confirm(
    *,
    actor,
    signup_id: int,
    hours=None,
    reason: str = "",
    rating=None,
    comment: str = "",
    now: datetime.datetime | None = None,
) -> Signup:
    """H2: confirm one volunteer's hours (the proposed figure, or ``hours`` with a reason)."""
    now = now or timezone.now()
    with transaction.atomic():
        access_signup(actor, signup_id)
        row = Signup.objects.select_for_update(of=("self",)).select_related("shift__post", "person").get(pk=signup_id)
        return _confirm_one(actor, row, hours=hours, reason=reason, now=now, rating=rating, comment=comment)


def hours_confirm_bulk(*, actor, shift_id: int, now: datetime.datetime | None = None) -> list[Signup]:
    """H2: confirm the proposed hours of every volunteer of the shift who checked in and out.
    Those without a proposal (not checked out, already confirmed) are left for one-by-one handling."""
    from .posts import access_shift

    now = now or timezone.now()
    with transaction.atomic():
        shift = access_shift(actor, shift_id, action=CONFIRM)
        rows = list(
            Signup.objects.select_for_update()
            .filter(shift=shift, status=SignupStatus.CHECKED_OUT)
            .select_related("shift__post", "person")
            .order_by("signed_up_at", "id")
        )
        done = [_confirm_one(actor, r, hours=None, reason="", now=now) for r in rows]
    return done


def mark_absent(*, actor, signup_id: int, now: datetime.datetime | None = None) -> Signup:
    """H3: a seat holder who never checked in did not come."""
    now = now or timezone.now()
    with transaction.atomic():
        access_signup(actor, signup_id)
        row = Signup.objects.select_for_update(of=("self",)).select_related("shift__post", "person").get(pk=signup_id)
        if row.status != SignupStatus.SIGNED_UP:
            raise ConflictError(f"报名状态为“{row.get_status_display()}”，只能将已报名但未签到的志愿者标记为缺席")
        if now < row.shift.starts_at:
            raise DomainError("时段尚未开始，不能标记缺席")
        before = snapshot(row, SIGNUP_FIELDS)
        row.status = SignupStatus.ABSENT
        row.save(update_fields=["status"])
        _audit(actor, "volunteering.signup.absent", row, before)
    return row


# --- evaluation ----------------------------------------------------------------------------


def organizer_rate(*, actor, signup_id: int, rating, comment: str = "") -> Signup:
    """E1: the organizer rates a volunteer whose hours are confirmed."""
    value, comment = _clean_rating(rating, comment)
    with transaction.atomic():
        access_signup(actor, signup_id)
        row = Signup.objects.select_for_update(of=("self",)).select_related("person").get(pk=signup_id)
        if row.status != SignupStatus.CONFIRMED:
            raise ConflictError("请先确认服务时长，再评价志愿者")
        before = snapshot(row, SIGNUP_FIELDS)
        row.organizer_rating, row.organizer_comment = value, comment
        row.save(update_fields=["organizer_rating", "organizer_comment"])
        _audit(actor, "volunteering.signup.rate_volunteer", row, before)
    return row


def member_rate(*, actor, signup_id: int, rating, comment: str = "") -> Signup:
    """E2: the volunteer rates the post of their own confirmed sign-up, once."""
    value, comment = _clean_rating(rating, comment)
    with transaction.atomic():
        row = (
            Signup.objects.select_for_update(of=("self",))
            .select_related("shift__post")
            .filter(pk=signup_id, person__user=actor)
            .first()
        )
        if row is None or not actor.is_authenticated:
            raise Http404
        if row.status != SignupStatus.CONFIRMED:
            raise ConflictError("服务时长确认后才能评价岗位")
        if row.member_rating is not None:
            raise ConflictError("您已评价过该岗位，每次服务只能评价一次")
        before = snapshot(row, SIGNUP_FIELDS)
        row.member_rating, row.member_comment = value, comment
        row.save(update_fields=["member_rating", "member_comment"])
        _audit(actor, "volunteering.signup.rate_post", row, before)
    return row
