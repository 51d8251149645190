"""Service posts (党员先锋服务云岗位) and their shifts: create, edit, publish, close, cancel a shift.

Rules (SPEC §7, issue 9 item 1):
- P1 An officer holding ``volunteering.add_servicepost`` at a unit creates a post for that unit;
  a new post is a draft. Editing, shifts, publishing and closing need the same permission at the
  post's unit.
- P2 A shift has ``starts_at < ends_at``, headcount ≥ 1, ``signup_deadline ≤ starts_at`` and
  ``cancel_cutoff ≤ starts_at``. Shifts are added to draft or open posts only.
- P3 Publishing (draft → open) needs at least one scheduled shift that starts in the future.
- P4 Closing: open → closed. A closed or cancelled post takes no more sign-ups.
- P5 Cancelling a shift needs a reason; everyone signed up on it (seat or waiting list) is told
  (notifications ``Category.SERVICE``) and their sign-ups end as cancelled.
- P6 Skills wanted are ``choices.Skill`` values.
- P7 A scheduled shift that has not started, of a draft or open post, can be changed (times,
  headcount, deadlines) under P2, a new start lying in the future. The headcount never drops
  below the seats taken; raising it promotes the waiting list (signups S5). When the time moves,
  everyone signed up or waitlisted is told (``Category.SERVICE``); when the cancel cutoff comes
  earlier, everyone holding a seat.
Every write is audited in the same transaction.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.services import audit_record, field_changes, snapshot
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.notifications.choices import Category
from cloudbranch.notifications.services import notify
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import access_by_id, can, granted_prefixes, scope_q

from .choices import SEAT_STATUSES, ContentType, PostStatus, ServiceArea, ShiftStatus, SignupStatus, Skill
from .models import ServicePost, Shift, Signup
from .signups import ACTIVE_STATUSES, time_span, waitlist_promote

ADD = "volunteering.add_servicepost"
VIEW = "volunteering.view_servicepost"
CONFIRM = "volunteering.confirm_signup"

POST_FIELDS = ("title", "area", "content_type", "place", "description", "skills", "contact", "status")
SHIFT_FIELDS = ("starts_at", "ends_at", "headcount", "signup_deadline", "cancel_cutoff", "status")
EDITABLE = ("title", "area", "content_type", "place", "description", "skills", "contact")
SHIFT_EDITABLE = ("starts_at", "ends_at", "headcount", "signup_deadline", "cancel_cutoff")
PROMOTED_AFTER_RAISE = "组织者增加了招募人数，您已从候补转为正式报名，请按时参加。"
REASON_MAX = 200


def units_for_posting(user):
    """Active units where ``user`` may publish posts (for the form's unit choice)."""
    prefixes = granted_prefixes(user, ADD)
    if not prefixes:
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(scope_q("path", prefixes), status="active").order_by("path")


def access_post(user, post_id, *, action: str = "view") -> ServicePost:
    """The post as an organizer sees it: 404 outside the user's scope, 403 without ``action``."""
    qs = ServicePost.objects.select_related("unit", "organizer")
    return access_by_id(user, ServicePost, post_id, action=action, view=VIEW, queryset=qs)


def access_shift(user, shift_id, *, action: str = "view") -> Shift:
    qs = Shift.objects.select_related("post__unit")
    return access_by_id(user, Shift, shift_id, action=action, view=VIEW, queryset=qs)


def _clean_post(data: dict) -> dict:
    errors = []
    title = (data.get("title") or "").strip()
    place = (data.get("place") or "").strip()
    if not title:
        errors.append({"field": "title", "message": "请填写岗位名称"})
    if not place:
        errors.append({"field": "place", "message": "请填写服务地点"})
    if data.get("area") not in ServiceArea.values:
        errors.append({"field": "area", "message": "请选择服务领域"})
    if data.get("content_type") not in ContentType.values:
        errors.append({"field": "content_type", "message": "请选择服务内容"})
    skills = list(dict.fromkeys(data.get("skills") or []))
    bad = [s for s in skills if s not in Skill.values]
    if bad:
        errors.append({"field": "skills", "message": f"未知的特长：{'、'.join(map(str, bad))}"})
    if errors:
        raise DomainError("岗位信息有误：" + "；".join(e["message"] for e in errors), errors=errors)
    return {
        "title": title[:120],
        "area": data["area"],
        "content_type": data["content_type"],
        "place": place[:200],
        "description": (data.get("description") or "").strip(),
        "skills": skills,
        "contact": (data.get("contact") or "").strip()[:100],
    }


def post_create(
    *,
    actor,
    unit_id: int,
    title: str,
    area: str,
    content_type: str,
    place: str,
    description: str = "",
    skills=(),
    contact: str = "",
) -> ServicePost:
    """P1: a draft post of ``unit``, organized by ``actor``."""
    unit = OrgUnit.objects.filter(pk=unit_id, status="active").first()
    if unit is None or not can(actor, ADD, unit):
        raise PermissionDenied
    data = _clean_post(
        {
            "title": title,
            "area": area,
            "content_type": content_type,
            "place": place,
            "description": description,
            "skills": skills,
            "contact": contact,
        }
    )
    with transaction.atomic():
        post = ServicePost.objects.create(unit=unit, organizer=actor, status=PostStatus.DRAFT, **data)
        audit_record(
            actor=actor,
            action="volunteering.servicepost.create",
            target=post,
            changes=field_changes({}, post, fields=POST_FIELDS),
        )
    return post


def post_update(*, actor, post_id: int, **fields) -> ServicePost:
    """P1: edit a draft or open post's texts, area, content type and skills."""
    with transaction.atomic():
        post = access_post(actor, post_id, action=ADD)
        post = ServicePost.objects.select_for_update(of=("self",)).select_related("unit").get(pk=post.pk)
        if post.status not in (PostStatus.DRAFT, PostStatus.OPEN):
            raise ConflictError(f"岗位状态为“{post.get_status_display()}”，不能再修改")
        current = {f: getattr(post, f) for f in EDITABLE}
        current.update({k: v for k, v in fields.items() if k in EDITABLE})
        data = _clean_post(current)
        before = snapshot(post, POST_FIELDS)
        for k, v in data.items():
            setattr(post, k, v)
        post.save()
        audit_record(
            actor=actor,
            action="volunteering.servicepost.update",
            target=post,
            changes=field_changes(before, post, fields=POST_FIELDS),
        )
    return post


def _check_shift(
    starts_at: datetime.datetime | None,
    ends_at: datetime.datetime | None,
    headcount,
    signup_deadline: datetime.datetime | None,
    cancel_cutoff: datetime.datetime | None,
) -> None:
    """P2."""
    errors = []
    if starts_at is None:
        errors.append({"field": "starts_at", "message": "请填写开始时间"})
    if ends_at is None:
        errors.append({"field": "ends_at", "message": "请填写结束时间"})
    if starts_at and ends_at and ends_at <= starts_at:
        errors.append({"field": "ends_at", "message": "结束时间必须晚于开始时间"})
    try:
        headcount_ok = int(headcount) >= 1 and int(headcount) <= 10000
    except (TypeError, ValueError):
        headcount_ok = False
    if not headcount_ok:
        errors.append({"field": "headcount", "message": "招募人数至少为 1 人"})
    if signup_deadline is None:
        errors.append({"field": "signup_deadline", "message": "请填写报名截止时间"})
    elif starts_at and signup_deadline > starts_at:
        errors.append({"field": "signup_deadline", "message": "报名截止时间不能晚于开始时间"})
    if cancel_cutoff is None:
        errors.append({"field": "cancel_cutoff", "message": "请填写取消报名截止时间"})
    elif starts_at and cancel_cutoff > starts_at:
        errors.append({"field": "cancel_cutoff", "message": "取消报名截止时间不能晚于开始时间"})
    if errors:
        raise DomainError("时段信息有误：" + "；".join(e["message"] for e in errors), errors=errors)


def shift_add(
    *,
    actor,
    post_id: int,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    headcount: int,
    signup_deadline: datetime.datetime | None = None,
    cancel_cutoff: datetime.datetime | None = None,
) -> Shift:
    """P2: a new shift; the deadlines default to the start."""
    signup_deadline = signup_deadline or starts_at
    cancel_cutoff = cancel_cutoff or starts_at
    _check_shift(starts_at, ends_at, headcount, signup_deadline, cancel_cutoff)
    with transaction.atomic():
        post = access_post(actor, post_id, action=ADD)
        post = ServicePost.objects.select_for_update().get(pk=post.pk)
        if post.status not in (PostStatus.DRAFT, PostStatus.OPEN):
            raise ConflictError(f"岗位状态为“{post.get_status_display()}”，不能再添加时段")
        shift = Shift.objects.create(
            post=post,
            starts_at=starts_at,
            ends_at=ends_at,
            headcount=int(headcount),
            signup_deadline=signup_deadline,
            cancel_cutoff=cancel_cutoff,
        )
        audit_record(
            actor=actor,
            action="volunteering.shift.create",
            target=shift,
            changes=field_changes({}, shift, fields=SHIFT_FIELDS),
        )
    return shift


def shift_update(*, actor, shift_id: int, now: datetime.datetime | None = None, **fields) -> Shift:
    """P7: change a scheduled, not yet started shift of a draft or open post. ``fields`` is any
    subset of ``SHIFT_EDITABLE``; a deadline given as None falls back to the start, as in
    ``shift_add``. Nothing changed: nothing written, nobody told."""
    unknown = set(fields) - set(SHIFT_EDITABLE)
    if unknown:
        raise TypeError(f"shift_update() got unexpected fields: {', '.join(sorted(unknown))}")
    now = now or timezone.now()
    with transaction.atomic():
        shift = access_shift(actor, shift_id, action=ADD)
        # The lock serializes against signups.signup, which decides seat or waiting list under it.
        shift = Shift.objects.select_for_update(of=("self",)).select_related("post").get(pk=shift.pk)
        if shift.post.status not in (PostStatus.DRAFT, PostStatus.OPEN):
            raise ConflictError(f"岗位状态为“{shift.post.get_status_display()}”，不能修改时段")
        if shift.status != ShiftStatus.SCHEDULED:
            raise ConflictError(f"时段状态为“{shift.get_status_display()}”，不能修改")
        if shift.starts_at <= now:
            raise ConflictError("时段已经开始，不能修改")
        data = {f: getattr(shift, f) for f in SHIFT_EDITABLE}
        for f, value in fields.items():
            # A naive time (an API client without an offset) is read in the project's time zone.
            naive = isinstance(value, datetime.datetime) and timezone.is_naive(value)
            data[f] = timezone.make_aware(value) if naive else value
        data["signup_deadline"] = data["signup_deadline"] or data["starts_at"]
        data["cancel_cutoff"] = data["cancel_cutoff"] or data["starts_at"]
        _check_shift(**data)
        if data["starts_at"] <= now:
            raise DomainError(
                "开始时间必须晚于现在", errors=[{"field": "starts_at", "message": "开始时间必须晚于现在"}]
            )
        data["headcount"] = int(data["headcount"])
        changed = [f for f in SHIFT_EDITABLE if data[f] != getattr(shift, f)]
        if not changed:
            return shift
        taken = Signup.objects.filter(shift=shift, status__in=SEAT_STATUSES).count()
        if data["headcount"] < taken:
            message = f"已有 {taken} 人报名，招募人数不能少于 {taken} 人"
            raise DomainError(message, errors=[{"field": "headcount", "message": message}])
        before = snapshot(shift, SHIFT_FIELDS)
        for f in changed:
            setattr(shift, f, data[f])
        shift.save(update_fields=changed)
        raised = data["headcount"] > before["headcount"]
        promoted = waitlist_promote(actor, shift, body=PROMOTED_AFTER_RAISE) if raised else []
        changes = field_changes(before, shift, fields=SHIFT_FIELDS)
        changes["promoted"] = len(promoted)
        audit_record(actor=actor, action="volunteering.shift.update", target=shift, changes=changes)
        _tell_the_signed_up(actor, shift, before, changed)
    return shift


def _tell_the_signed_up(actor, shift: Shift, before: dict, changed: list[str]) -> None:
    """P7: a moved time goes to everyone signed up or waiting; a cancel cutoff brought forward to
    those holding a seat (the waiting list may always leave), so nobody finds out too late."""
    moved = bool({"starts_at", "ends_at"} & set(changed))
    cutoff_earlier = "cancel_cutoff" in changed and shift.cancel_cutoff < before["cancel_cutoff"]
    if not (moved or cutoff_earlier):
        return
    statuses = ACTIVE_STATUSES if moved else SEAT_STATUSES
    user_ids = Signup.objects.filter(shift=shift, status__in=statuses, person__user__isnull=False).values_list(
        "person__user_id", flat=True
    )
    lines = []
    if moved:
        old, new = time_span(before["starts_at"], before["ends_at"]), time_span(shift.starts_at, shift.ends_at)
        lines.append(f"原时间 {old} → 新时间 {new}，请按新的时间参加。")
    if cutoff_earlier:
        lines.append(
            f"取消报名截止时间提前至 {timezone.localtime(shift.cancel_cutoff):%m-%d %H:%M}，此后不能再取消报名。"
        )
    notify(
        recipients=list(user_ids),
        category=Category.SERVICE,
        title=f"服务时段{'时间变更' if moved else '取消报名截止时间提前'}：{shift.post.title}",
        body="".join(lines),
        url=reverse("volunteering:post", args=[shift.post_id]),
        actor=actor,
    )


def post_publish(*, actor, post_id: int, now: datetime.datetime | None = None) -> ServicePost:
    """P3: draft → open, with at least one scheduled future shift."""
    now = now or timezone.now()
    with transaction.atomic():
        post = access_post(actor, post_id, action=ADD)
        post = ServicePost.objects.select_for_update().get(pk=post.pk)
        if post.status != PostStatus.DRAFT:
            raise ConflictError(f"岗位状态为“{post.get_status_display()}”，不能发布")
        if not post.shifts.filter(status=ShiftStatus.SCHEDULED, starts_at__gt=now).exists():
            raise DomainError(
                "发布前请至少添加一个尚未开始的服务时段", errors=[{"field": "shifts", "message": "没有未来的时段"}]
            )
        before = snapshot(post, POST_FIELDS)
        post.status = PostStatus.OPEN
        post.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="volunteering.servicepost.publish",
            target=post,
            changes=field_changes(before, post, fields=POST_FIELDS),
        )
    return post


def post_close(*, actor, post_id: int) -> ServicePost:
    """P4: open → closed."""
    with transaction.atomic():
        post = access_post(actor, post_id, action=ADD)
        post = ServicePost.objects.select_for_update().get(pk=post.pk)
        if post.status != PostStatus.OPEN:
            raise ConflictError(f"岗位状态为“{post.get_status_display()}”，不能结束招募")
        before = snapshot(post, POST_FIELDS)
        post.status = PostStatus.CLOSED
        post.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="volunteering.servicepost.close",
            target=post,
            changes=field_changes(before, post, fields=POST_FIELDS),
        )
    return post


def shift_cancel(*, actor, shift_id: int, reason: str, now: datetime.datetime | None = None) -> Shift:
    """P5: cancel a scheduled shift with a reason; the signed-up are told and their sign-ups end."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写取消原因", errors=[{"field": "reason", "message": "请填写取消原因"}])
    with transaction.atomic():
        shift = access_shift(actor, shift_id, action=ADD)
        shift = Shift.objects.select_for_update(of=("self",)).select_related("post").get(pk=shift.pk)
        if shift.status != ShiftStatus.SCHEDULED:
            raise ConflictError(f"时段状态为“{shift.get_status_display()}”，不能取消")
        before = snapshot(shift, SHIFT_FIELDS)
        shift.status = ShiftStatus.CANCELLED
        shift.save(update_fields=["status"])
        active = Signup.objects.filter(shift=shift, status__in=[SignupStatus.SIGNED_UP, SignupStatus.WAITLISTED])
        user_ids = list(active.filter(person__user__isnull=False).values_list("person__user_id", flat=True))
        affected = active.update(status=SignupStatus.CANCELLED, cancelled_at=now)
        changes = field_changes(before, shift, fields=SHIFT_FIELDS)
        changes["reason"] = reason[:REASON_MAX]
        changes["signups_cancelled"] = affected
        audit_record(actor=actor, action="volunteering.shift.cancel", target=shift, changes=changes)
        local = timezone.localtime(shift.starts_at)
        notify(
            recipients=user_ids,
            category=Category.SERVICE,
            title=f"服务时段已取消：{shift.post.title} {local:%m-%d %H:%M}",
            body=f"取消原因：{reason[:REASON_MAX]}",
            url=reverse("volunteering:post", args=[shift.post_id]),
            actor=actor,
        )
    return shift
