"""个性化服务匹配: posts for a member, members for an organizer's post — pure, explainable scoring.

Signals (the same for both directions; the weights are the constants below):

- **skill overlap** — ``SKILL_POINTS`` for each skill the post asks for (``post.skills``) that the
  person declared (``VolunteerProfile.skills``): "你的特长“医疗护理”符合岗位要求";
- **free-time fit** — ``TIME_POINTS`` once when the start of one of the post's open shifts falls in
  one of the person's declared ``TimeSlot`` values: weekday of the local start time, and 上午 when
  it starts before 12:00, 下午 before 18:00, 晚上 otherwise (11:59 is 上午, 12:00 is 下午):
  "周六上午你有空";
- **past service** — ``PAST_CONTENT_POINTS`` per confirmed service (Signup ``confirmed``) in a post
  of the same content type and ``PAST_AREA_POINTS`` per one in the same area, each counted at most
  ``PAST_CAP`` times: "你参加过 3 次同类服务（助老助残）";
- **seats left** (posts for a member, with a profile only) — up to ``SEATS_POINTS`` in proportion
  to the share of the open shifts' seats still free ("还有 4 个名额").

Ties are broken by the newest post (or, for members, by name). A member WITHOUT a profile still
gets recommendations: ranked by past service, then newest, and told why (no guess from seats).

Eligible posts for a member: open posts of their audience (:func:`.audience.posts_for`) with at
least one scheduled future shift still accepting sign-ups (``signup_deadline`` > now) and a seat
free, where the member holds no live sign-up (anything but ``cancelled``) on an upcoming shift.

Eligible people for a post: the post's audience — people on the roster of the publishing unit's
subtree with an active login — minus those with a live sign-up on its upcoming shifts; party
members (正式/预备) first, then by score.

Both run a constant number of queries whatever the number of posts, shifts, people or sign-ups
(prefetch, grouped counts): 4 for :func:`recommend_posts` (profile, past service, posts, shifts),
4 for :func:`recommend_members` (shifts, people with profiles, past service, today's invitations),
given a person / post whose ``unit`` is loaded.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from cloudbranch.audit.services import audit_record
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.notifications.choices import Category
from cloudbranch.notifications.services import notify
from cloudbranch.orgs.scoping import access_by_id
from cloudbranch.people.choices import PARTY_MEMBER_STATUSES
from cloudbranch.people.models import Person

from .audience import in_audience, posts_for
from .choices import SEAT_STATUSES, ContentType, PostStatus, ServiceArea, ShiftStatus, SignupStatus, Skill, TimeSlot
from .models import Invitation, ServicePost, Shift, Signup, VolunteerProfile

SKILL_POINTS = 30
TIME_POINTS = 25
PAST_CONTENT_POINTS = 10
PAST_AREA_POINTS = 5
PAST_CAP = 3
SEATS_POINTS = 10

VIEW_PERM = "volunteering.view_servicepost"
INVITE_PERM = "volunteering.add_servicepost"
INVITE_ACTION = "volunteering.post.invite"

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SKILLS = dict(Skill.choices)
_SLOTS = dict(TimeSlot.choices)
_CONTENT = dict(ContentType.choices)
_AREAS = dict(ServiceArea.choices)


# --- pure helpers ------------------------------------------------------------------------------


def time_slot_of(moment: datetime.datetime) -> str:
    """The ``TimeSlot`` value of a moment, in local time: 上午 before 12:00, 下午 before 18:00, else 晚上."""
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    part = "am" if local.hour < 12 else "pm" if local.hour < 18 else "ev"
    return f"{_WEEKDAYS[local.weekday()]}_{part}"


@dataclass(frozen=True)
class Signals:
    """What is known of one person: declared skills and free slots, and past confirmed services
    counted per content type and per area."""

    skills: frozenset = frozenset()
    slots: frozenset = frozenset()
    past_content: dict = field(default_factory=dict)
    past_area: dict = field(default_factory=dict)
    has_profile: bool = False


def signals_of(profile: VolunteerProfile | None, *, past_content=None, past_area=None) -> Signals:
    return Signals(
        skills=frozenset(profile.skills if profile else ()),
        slots=frozenset(profile.free_slots if profile else ()),
        past_content=dict(past_content or {}),
        past_area=dict(past_area or {}),
        has_profile=profile is not None and bool(profile.skills or profile.free_slots),
    )


def score(post: ServicePost, shifts: list[Shift], signals: Signals, *, you: bool = True) -> tuple[int, list[str]]:
    """(score, reasons in Chinese) of ``post`` with its open ``shifts`` for one person.

    ``you`` words the reasons for the person themselves ("你的特长…") or for an organizer
    ("特长…"). Seats left are not scored here (see :func:`seats_points`)."""
    points = 0
    reasons: list[str] = []
    who = "你" if you else ""
    matched = [s for s in (post.skills or []) if s in signals.skills]
    if matched:
        points += SKILL_POINTS * len(matched)
        names = "、".join(f"“{_SKILLS.get(s, s)}”" for s in matched)
        reasons.append(f"{who}的特长{names}符合岗位要求" if you else f"特长{names}符合岗位要求")
    for shift in shifts:
        slot = time_slot_of(shift.starts_at)
        if slot in signals.slots:
            points += TIME_POINTS
            reasons.append(f"{_SLOTS[slot]}{who}有空")
            break
    n = signals.past_content.get(post.content_type, 0)
    if n:
        points += PAST_CONTENT_POINTS * min(n, PAST_CAP)
        reasons.append(f"{who}参加过 {n} 次同类服务（{_CONTENT.get(post.content_type, post.content_type)}）")
    n = signals.past_area.get(post.area, 0)
    if n:
        points += PAST_AREA_POINTS * min(n, PAST_CAP)
        reasons.append(f"{who}参加过 {n} 次{_AREAS.get(post.area, post.area)}领域的服务")
    return points, reasons


def seats_points(seats_left: int, seats_total: int) -> int:
    return round(SEATS_POINTS * seats_left / seats_total) if seats_total else 0


def seats_left_of(shift: Shift) -> int:
    """Free seats of a shift annotated with ``taken`` (seat-holding sign-ups)."""
    return max(shift.headcount - (getattr(shift, "taken", 0) or 0), 0)


def _open_shifts(now) -> Shift:
    return (
        Shift.objects.filter(status=ShiftStatus.SCHEDULED, starts_at__gt=now, signup_deadline__gt=now)
        .annotate(taken=Count("signups", filter=Q(signups__status__in=SEAT_STATUSES)))
        .order_by("starts_at", "id")
    )


def _live_signups(now):
    return Signup.objects.filter(shift__starts_at__gt=now).exclude(status=SignupStatus.CANCELLED)


def post_url(post_id: int) -> str:
    """The post's page (posts area), with a fallback while that page is not mounted."""
    try:
        return reverse("volunteering:post", args=[post_id])
    except NoReverseMatch:
        return f"/service/posts/{post_id}/"


# --- posts for a member ------------------------------------------------------------------------


@dataclass
class PostMatch:
    post: ServicePost
    score: int
    reasons: list[str]
    shift: Shift  # the suggested shift: first one in a free slot, else the earliest
    shifts: list[Shift]  # open shifts with a seat free
    seats_left: int


class Recommendations(list):
    """A ranked list with a note saying what the ranking is based on."""

    has_profile: bool = False
    note: str = ""


NO_PROFILE_NOTE = "你还没有填写特长和空闲时间，以下按你的服务经历和发布时间推荐；填写志愿者档案后推荐会更准确。"
PROFILE_NOTE = "根据你的特长、空闲时间和服务经历推荐。"


def recommend_posts(person: Person | None, *, now=None, limit: int | None = 20) -> Recommendations:
    """Open posts for ``person``, best first, each with its reasons (see the module docstring)."""
    now = now or timezone.now()
    result = Recommendations()
    if person is None:
        return result
    profile = VolunteerProfile.objects.filter(person=person).first()
    past_content: dict[str, int] = {}
    past_area: dict[str, int] = {}
    rows = (
        Signup.objects.filter(person=person, status=SignupStatus.CONFIRMED)
        .values_list("shift__post__content_type", "shift__post__area")
        .annotate(n=Count("id"))
        .order_by()
    )
    for content_type, area, n in rows:
        past_content[content_type] = past_content.get(content_type, 0) + n
        past_area[area] = past_area.get(area, 0) + n
    signals = signals_of(profile, past_content=past_content, past_area=past_area)
    result.has_profile = signals.has_profile
    result.note = PROFILE_NOTE if signals.has_profile else NO_PROFILE_NOTE

    open_shift = Shift.objects.filter(
        post=OuterRef("pk"), status=ShiftStatus.SCHEDULED, starts_at__gt=now, signup_deadline__gt=now
    )
    mine = _live_signups(now).filter(shift__post=OuterRef("pk"), person=person)
    posts = (
        posts_for(person)
        .filter(status=PostStatus.OPEN)
        .filter(Exists(open_shift))
        .exclude(Exists(mine))
        .select_related("unit")
        .prefetch_related(Prefetch("shifts", queryset=_open_shifts(now), to_attr="open_shifts"))
    )
    matches: list[PostMatch] = []
    for post in posts:
        shifts = [s for s in post.open_shifts if seats_left_of(s) > 0]
        if not shifts:
            continue  # every open shift is full
        points, reasons = score(post, shifts, signals)
        left = sum(seats_left_of(s) for s in shifts)
        if signals.has_profile:
            points += seats_points(left, sum(s.headcount for s in post.open_shifts))
        if not reasons:
            reasons.append("最新发布的岗位" if not signals.has_profile else "岗位正在招募")
        reasons.append(f"还有 {left} 个名额")
        suggested = next((s for s in shifts if time_slot_of(s.starts_at) in signals.slots), shifts[0])
        matches.append(PostMatch(post, points, reasons, suggested, shifts, left))
    matches.sort(key=lambda m: (-m.score, -m.post.created_at.timestamp(), -m.post.pk))
    result.extend(matches[:limit] if limit is not None else matches)
    return result


# --- members for a post ------------------------------------------------------------------------


@dataclass
class MemberMatch:
    person: Person
    score: int
    reasons: list[str]
    is_member: bool
    invited_today: bool = False


def _invites_today(post: ServicePost, now):
    return Invitation.objects.filter(post=post, invited_on=timezone.localdate(now))


def recommend_members(post: ServicePost, *, now=None, limit: int | None = 20) -> list[MemberMatch]:
    """People of ``post``'s audience to invite, members first then best score, with reasons."""
    now = now or timezone.now()
    shifts = list(_open_shifts(now).filter(post=post))
    taken = _live_signups(now).filter(shift__post=post, person=OuterRef("pk"))
    people = (
        Person.objects.on_roster()
        .filter(unit__path__startswith=post.unit.path, user__isnull=False, user__is_active=True)
        .exclude(Exists(taken))
        .select_related("unit", "volunteer_profile")
        .order_by("name", "id")
    )
    past = (
        Signup.objects.filter(status=SignupStatus.CONFIRMED, person__unit__path__startswith=post.unit.path)
        .filter(Q(shift__post__content_type=post.content_type) | Q(shift__post__area=post.area))
        .values_list("person_id")
        .annotate(
            same_content=Count("id", filter=Q(shift__post__content_type=post.content_type)),
            same_area=Count("id", filter=Q(shift__post__area=post.area)),
        )
        .order_by()
    )
    past_by_person = {pk: (c, a) for pk, c, a in past}
    invited = set(_invites_today(post, now).values_list("person_id", flat=True))
    out: list[MemberMatch] = []
    for person in people:
        try:
            profile = person.volunteer_profile
        except ObjectDoesNotExist:
            profile = None
        c, a = past_by_person.get(person.pk, (0, 0))
        signals = signals_of(profile, past_content={post.content_type: c}, past_area={post.area: a})
        points, reasons = score(post, shifts, signals, you=False)
        if not reasons:
            reasons.append(
                "本组织党员，尚无匹配记录" if person.political_status in PARTY_MEMBER_STATUSES else "尚无匹配记录"
            )
        out.append(
            MemberMatch(
                person=person,
                score=points,
                reasons=reasons,
                is_member=person.political_status in PARTY_MEMBER_STATUSES,
                invited_today=person.pk in invited,
            )
        )
    out.sort(key=lambda m: (not m.is_member, -m.score))  # stable: name order within equal scores
    return out[:limit] if limit is not None else out


def access_post(user, post_id, *, action: str = VIEW_PERM) -> ServicePost:
    """The organizer's post: 404 outside their scope, 403 when seen but not ``action``-able."""
    return access_by_id(
        user, ServicePost, post_id, action=action, view=VIEW_PERM, queryset=ServicePost.objects.select_related("unit")
    )


def post_invite(*, actor, post, person_id, now=None) -> Person:
    """Invite one person of the post's audience to sign up: a notification (Category.SERVICE) with
    a link to the post, audited. The same person to the same post twice in one (local) day →
    ConflictError (409); nothing is sent or written then."""
    now = now or timezone.now()
    post = access_post(actor, getattr(post, "pk", post), action=INVITE_PERM)
    if post.status != PostStatus.OPEN:
        raise ConflictError("该岗位不在招募中，不能邀请。")
    try:
        person = Person.objects.select_related("unit", "user").get(pk=int(person_id))
    except (Person.DoesNotExist, ValueError, TypeError, OverflowError):
        raise DomainError("请选择要邀请的人员。", errors=[{"field": "person_id", "message": "人员不存在"}]) from None
    if not in_audience(person, post.unit) or person.roster_status != "active":
        raise DomainError(
            "只能邀请本岗位服务范围内的在册人员。", errors=[{"field": "person_id", "message": "不在岗位服务范围内"}]
        )
    if person.user is None or not person.user.is_active:
        raise DomainError(
            f"{person.name}没有可用的登录账号，无法发送邀请。",
            errors=[{"field": "person_id", "message": "没有登录账号"}],
        )
    if _live_signups(now).filter(shift__post=post, person=person).exists():
        raise ConflictError(f"{person.name}已经报名了该岗位。")
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                post=post, person=person, invited_on=timezone.localdate(now), invited_at=now, invited_by=actor
            )
            audit_record(
                actor=actor,
                action=INVITE_ACTION,
                target=invitation,
                changes={"post": {"new": post.pk}, "person": {"new": person.pk}},
            )
            notify(
                recipients=[person.user],
                category=Category.SERVICE,
                title=f"邀请你参加志愿服务：{post.title}"[:200],
                body=f"{post.unit.name}邀请你报名志愿服务岗位“{post.title}”（{post.place}），欢迎查看并报名。",
                url=post_url(post.pk),
                actor=actor,
            )
    except IntegrityError:
        raise ConflictError(f"今天已经邀请过{person.name}参加该岗位，请明天再试。") from None
    return person
