"""/api/service: the matching area — my volunteer profile, posts recommended to me, members
matched to an organizer's post and invitations, and the unit statistics. Same services as the pages."""

import datetime
from decimal import Decimal

from django.http import Http404
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS, ObjectId

from . import matching, profile, stats
from .choices import Skill, TimeSlot

router = Router(tags=["志愿服务与党建互联"])

_SKILLS = dict(Skill.choices)
_SLOTS = dict(TimeSlot.choices)


# --- profile -----------------------------------------------------------------------------------


class Choice(Schema):
    value: str
    label: str


class ProfileOut(Schema):
    skills: list[Choice]
    free_slots: list[Choice]
    note: str
    updated_at: datetime.datetime | None


class ProfileIn(Schema):
    skills: list[str] = []
    free_slots: list[str] = []
    note: str = ""


def _profile_out(p) -> dict:
    skills = p.skills if p else []
    slots = p.free_slots if p else []
    return {
        "skills": [{"value": v, "label": str(_SKILLS.get(v, v))} for v in skills],
        "free_slots": [{"value": v, "label": str(_SLOTS.get(v, v))} for v in slots],
        "note": p.note if p else "",
        "updated_at": p.updated_at if p else None,
    }


@router.get("/me/profile", response={200: ProfileOut, **READ_ERRORS, 422: dict}, summary="我的志愿者档案")
def profile_get(request):
    person = profile.own_person_or_error(request.auth)
    return _profile_out(profile.profile_of(person))


@router.put("/me/profile", response={200: ProfileOut, **WRITE_ERRORS}, summary="填写我的特长与空闲时间")
def profile_put(request, payload: ProfileIn):
    p = profile.profile_update(
        actor=request.auth, skills=payload.skills, free_slots=payload.free_slots, note=payload.note
    )
    return _profile_out(p)


# --- posts for me ------------------------------------------------------------------------------


class ShiftBrief(Schema):
    id: int
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    seats_left: int


class PostMatchOut(Schema):
    post_id: int
    title: str
    unit_name: str
    area: str
    content_type: str
    place: str
    score: int
    reasons: list[str]
    seats_left: int
    shift: ShiftBrief
    url: str

    @staticmethod
    def resolve_post_id(obj) -> int:
        return obj.post.pk

    @staticmethod
    def resolve_title(obj) -> str:
        return obj.post.title

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.post.unit.name

    @staticmethod
    def resolve_area(obj) -> str:
        return obj.post.area

    @staticmethod
    def resolve_content_type(obj) -> str:
        return obj.post.content_type

    @staticmethod
    def resolve_place(obj) -> str:
        return obj.post.place

    @staticmethod
    def resolve_shift(obj) -> dict:
        s = obj.shift
        return {"id": s.pk, "starts_at": s.starts_at, "ends_at": s.ends_at, "seats_left": matching.seats_left_of(s)}

    @staticmethod
    def resolve_url(obj) -> str:
        return matching.post_url(obj.post.pk)


@router.get("/me/recommended", response={200: list[PostMatchOut], **READ_ERRORS}, summary="为我推荐的服务岗位")
@paginate
def recommended(request):
    person = profile.own_person_or_error(request.auth)
    return matching.recommend_posts(person, now=timezone.now(), limit=100)


# --- members for a post ------------------------------------------------------------------------


class MemberMatchOut(Schema):
    person_id: int
    name: str
    unit_name: str
    political_status: str
    is_member: bool
    score: int
    reasons: list[str]
    invited_today: bool

    @staticmethod
    def resolve_person_id(obj) -> int:
        return obj.person.pk

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.person.name

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.person.unit.name

    @staticmethod
    def resolve_political_status(obj) -> str:
        return obj.person.political_status


@router.get("/posts/{post_id}/matches", response={200: list[MemberMatchOut], **READ_ERRORS}, summary="为岗位匹配志愿者")
@paginate
def post_matches(request, post_id: ObjectId):
    post = matching.access_post(request.auth, post_id)
    return matching.recommend_members(post, now=timezone.now(), limit=None)


class InviteIn(Schema):
    person_id: ObjectId


class InviteOut(Schema):
    detail: str
    person_id: int


@router.post("/posts/{post_id}/invite", response={201: InviteOut, **WRITE_ERRORS}, summary="邀请人员报名岗位")
def post_invite(request, post_id: ObjectId, payload: InviteIn):
    person = matching.post_invite(actor=request.auth, post=post_id, person_id=payload.person_id)
    return 201, {"detail": f"已向{person.name}发送邀请。", "person_id": person.pk}


# --- statistics --------------------------------------------------------------------------------


class StatsTotals(Schema):
    hours: Decimal
    volunteers: int
    services: int
    posts: int
    average_rating: Decimal | None
    members: int
    hours_per_member: Decimal | None


class StatsRow(Schema):
    unit_id: int | None
    label: str
    hours: Decimal
    volunteers: int
    services: int
    members: int
    hours_per_member: Decimal | None

    @staticmethod
    def resolve_unit_id(obj):
        return obj.unit.pk if obj.unit is not None else None


class TopOut(Schema):
    person_id: int
    name: str
    unit_name: str
    hours: Decimal
    services: int


class MonthOut(Schema):
    month: int
    hours: Decimal


class StatsOut(Schema):
    unit_id: int
    unit_name: str
    year: int
    totals: StatsTotals
    rows: list[StatsRow]
    top: list[TopOut]
    months: list[MonthOut]


class StatsQuery(Schema):
    unit: ObjectId | None = None
    year: int | None = None


@router.get("/stats", response={200: StatsOut, **READ_ERRORS}, summary="志愿服务统计")
def stats_get(request, filters: Query[StatsQuery]):
    user = request.auth
    unit = stats.access_stats_unit(user, filters.unit) if filters.unit else stats.default_stats_unit(user)
    this_year = timezone.localdate().year
    year = filters.year or this_year
    if not 2000 <= year <= this_year + 1:
        raise Http404
    report = stats.unit_stats(unit, year)
    return {
        "unit_id": unit.pk,
        "unit_name": unit.name,
        "year": year,
        "totals": report.totals,
        "rows": report.rows,
        "top": report.top,
        "months": [{"month": m, "hours": h} for m, h in report.months],
    }
