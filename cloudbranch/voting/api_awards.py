"""/api/democracy: the awards area (评先评优), through awards.py and selectors_awards.py."""

import datetime

from django.http import Http404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from cloudbranch.core.errors import DomainError
from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS, ObjectId
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import access_by_id, granted_prefixes
from cloudbranch.people.models import Person

from . import awards
from . import selectors_awards as sel
from .choices import AwardKind, AwardRoundStatus, NominationStatus, ReviewDecision
from .models import Nomination

router = Router(tags=["选举与评议"])


# --- schemas ----------------------------------------------------------------------------------


class AwardRoundOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    year: int
    title: str
    kinds: list[str]
    quotas: dict[str, int]
    nomination_deadline: datetime.date
    notice_days: int
    notice_starts_on: datetime.date | None
    notice_ends_on: datetime.date | None
    status: str
    status_label: str

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())


class AwardRoundIn(Schema):
    unit: ObjectId
    year: int = Field(ge=2000, le=2100)
    title: str = Field(max_length=120)
    kinds: list[AwardKind]
    quotas: dict[str, int]
    nomination_deadline: datetime.date
    notice_days: int = Field(awards.DEFAULT_NOTICE_DAYS, ge=1, le=awards.MAX_NOTICE_DAYS)


class AdvanceIn(Schema):
    to: AwardRoundStatus = Field(description="reviewing（截止推荐）/ voting（进入表决）/ cancelled（取消）")


class NominationOut(Schema):
    id: int
    round_id: int
    kind: str
    kind_label: str
    nominating_unit_id: int
    nominating_unit_name: str
    person_id: int | None
    nominee_unit_id: int | None
    nominee_name: str
    deeds: str
    status: str
    status_label: str
    pending_at_id: int | None
    votes_for: int | None
    votes_against: int | None
    abstentions: int | None
    voters_present: int | None
    voters_entitled: int | None
    created_at: datetime.datetime

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_nominating_unit_name(obj) -> str:
        return obj.nominating_unit.name

    @staticmethod
    def resolve_nominee_name(obj) -> str:
        return awards.nominee_name(obj)

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())


class ReviewOut(Schema):
    unit_id: int
    unit_name: str
    decision: str
    comment: str
    actor: str
    at: datetime.datetime


class NominationDetailOut(NominationOut):
    reviews: list[ReviewOut]

    @staticmethod
    def resolve_reviews(obj) -> list[dict]:
        return [
            {
                "unit_id": r.unit_id,
                "unit_name": r.unit.name,
                "decision": r.decision,
                "comment": r.comment,
                "actor": r.actor.display_name or r.actor.username,
                "at": r.at,
            }
            for r in sel.nomination_reviews(obj)
        ]


class NominationIn(Schema):
    nominating_unit: ObjectId
    kind: AwardKind
    person: ObjectId | None = None
    nominee_unit: ObjectId | None = None
    deeds: str = Field(max_length=5000)


class NominationFilters(Schema):
    kind: AwardKind | None = None
    status: NominationStatus | None = None


class ReviewIn(Schema):
    decision: ReviewDecision = Field(
        description="approve / forward（同意：下级为上报，发起单位为通过）或 reject（需填写理由）"
    )
    comment: str = Field("", max_length=awards.COMMENT_MAX)


class VoteIn(Schema):
    votes_for: int = Field(ge=0, le=10000)
    votes_against: int = Field(ge=0, le=10000)
    abstentions: int = Field(ge=0, le=10000)
    present: int = Field(ge=0, le=10000)
    entitled: int = Field(ge=1, le=10000)


class NoticeIn(Schema):
    starts_on: datetime.date | None = None


class NoticeItemOut(Schema):
    id: int
    kind: str
    kind_label: str
    nominee_name: str
    unit_name: str
    deeds_summary: str
    status: str

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_nominee_name(obj) -> str:
        return awards.nominee_name(obj)

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.person.unit.name if obj.person_id else obj.nominating_unit.name

    @staticmethod
    def resolve_deeds_summary(obj) -> str:
        return obj.deeds if len(obj.deeds) <= 120 else obj.deeds[:119] + "…"


class ObjectionIn(Schema):
    text: str = Field(max_length=4000)


class ObjectionOut(Schema):
    id: int
    nomination_id: int
    text: str
    raised_at: datetime.datetime
    finding: str
    upheld: bool | None
    handled_at: datetime.datetime | None


class HandleIn(Schema):
    finding: str = Field(max_length=4000)
    upheld: bool


# --- rounds -----------------------------------------------------------------------------------


def _round(user, pk):
    return sel.access_round(user, pk)


@router.get(
    "/award-rounds",
    response={200: list[AwardRoundOut], **READ_ERRORS},
    summary="评先评优列表（分页）：本组织及下级可推荐的评选（组织）；公示中与已公布的（本人所在组织的上级发起的）",
)
@paginate
def round_list(request, status: AwardRoundStatus | None = None):
    if granted_prefixes(request.auth, awards.VIEW_PERM):
        return sel.round_list(user=request.auth, status=status)
    qs = sel.open_notices(user=request.auth)
    return qs.filter(status=status) if status else qs


@router.post("/award-rounds", response={201: AwardRoundOut, **WRITE_ERRORS}, summary="发起评选（本组织党委）")
def round_create(request, payload: AwardRoundIn):
    unit = access_by_id(request.auth, OrgUnit, payload.unit, action=awards.ISSUE_PERM, view="orgs.view_orgunit")
    data = payload.dict(exclude={"unit"})
    data["kinds"] = [str(k) for k in data["kinds"]]
    return 201, awards.round_create(actor=request.auth, unit=unit, **data)


@router.get("/award-rounds/{int:round_id}", response={200: AwardRoundOut, **READ_ERRORS}, summary="评选详情")
def round_detail(request, round_id: ObjectId):
    try:
        return _round(request.auth, round_id)
    except Http404:
        return sel.access_public_round(request.auth, round_id)


@router.post(
    "/award-rounds/{int:round_id}/advance",
    response={200: AwardRoundOut, **WRITE_ERRORS},
    summary="推进评选：截止推荐、进入表决（无待审核推荐时）或取消",
)
def round_advance(request, round_id: ObjectId, payload: AdvanceIn):
    return awards.round_advance(actor=request.auth, award_round=_round(request.auth, round_id), to=str(payload.to))


# --- nominations ------------------------------------------------------------------------------


@router.get(
    "/award-rounds/{int:round_id}/nominations",
    response={200: list[NominationOut], **READ_ERRORS},
    summary="推荐列表（分页）：本单位及下级的推荐",
)
@paginate
def nomination_list(request, round_id: ObjectId, filters: Query[NominationFilters]):
    award_round = _round(request.auth, round_id)
    return sel.nomination_list(
        user=request.auth,
        award_round=award_round,
        kind=str(filters.kind) if filters.kind else None,
        status=str(filters.status) if filters.status else None,
    )


@router.post(
    "/award-rounds/{int:round_id}/nominations",
    response={201: NominationDetailOut, **WRITE_ERRORS},
    summary="推荐（截止日期前；同一人选同一类别只能推荐一次，重复为 409）",
)
def nomination_create(request, round_id: ObjectId, payload: NominationIn):
    award_round = _round(request.auth, round_id)
    units = {u.pk: u for u in awards.nominating_units(request.auth, award_round)}
    unit = units.get(payload.nominating_unit)
    if unit is None:
        raise Http404
    person = nominee_unit = None
    if payload.person is not None:
        person = Person.objects.select_related("unit").filter(pk=payload.person).first()
        if person is None:
            raise DomainError("人员不存在。", errors=[{"field": "person", "message": "人员不存在"}])
    if payload.nominee_unit is not None:
        nominee_unit = OrgUnit.objects.filter(pk=payload.nominee_unit).first()
        if nominee_unit is None:
            raise DomainError("组织不存在。", errors=[{"field": "nominee_unit", "message": "组织不存在"}])
    nomination = awards.nomination_create(
        actor=request.auth,
        award_round=award_round,
        nominating_unit=unit,
        kind=str(payload.kind),
        person=person,
        nominee_unit=nominee_unit,
        deeds=payload.deeds,
    )
    return 201, sel.access_nomination(request.auth, nomination.pk)


@router.get("/nominations/{int:nomination_id}", response={200: NominationDetailOut, **READ_ERRORS}, summary="推荐详情")
def nomination_detail(request, nomination_id: ObjectId):
    return sel.access_nomination(request.auth, nomination_id)


@router.post(
    "/nominations/{int:nomination_id}/withdraw",
    response={200: NominationDetailOut, **WRITE_ERRORS},
    summary="撤回推荐（审核前）",
)
def nomination_withdraw(request, nomination_id: ObjectId):
    nomination = sel.access_nomination(request.auth, nomination_id)
    awards.nomination_withdraw(actor=request.auth, nomination=nomination)
    return sel.access_nomination(request.auth, nomination_id)


@router.post(
    "/nominations/{int:nomination_id}/review",
    response={200: NominationDetailOut, **WRITE_ERRORS},
    summary="审核推荐（待审核的一级）：同意则上报上一级，发起单位同意即审核通过；不同意需填写理由",
)
def nomination_review(request, nomination_id: ObjectId, payload: ReviewIn):
    nomination = sel.access_nomination(request.auth, nomination_id)
    awards.nomination_review(
        actor=request.auth, nomination=nomination, decision=str(payload.decision), comment=payload.comment
    )
    return sel.access_nomination(request.auth, nomination_id)


@router.post(
    "/nominations/{int:nomination_id}/vote",
    response={200: NominationOut, **WRITE_ERRORS},
    summary="记录发起单位委员会对一条推荐的表决（赞成超过应到半数且实到超过应到半数为通过；不超过名额）",
)
def nomination_vote(request, nomination_id: ObjectId, payload: VoteIn):
    nomination = sel.access_nomination(request.auth, nomination_id)
    return awards.vote_record(actor=request.auth, nomination=nomination, **payload.dict())


# --- notice, objections, final ----------------------------------------------------------------


@router.post(
    "/award-rounds/{int:round_id}/notice",
    response={200: AwardRoundOut, **WRITE_ERRORS},
    summary="开始公示（公示期按工作日计算，跳过周末和节假日）",
)
def notice_start(request, round_id: ObjectId, payload: NoticeIn):
    award_round = _round(request.auth, round_id)
    return awards.notice_start(actor=request.auth, award_round=award_round, starts_on=payload.starts_on)


@router.get(
    "/award-rounds/{int:round_id}/notice",
    response={200: list[NoticeItemOut], **READ_ERRORS},
    summary="公示名单（分页；发起单位范围内的所有人可见）",
)
@paginate
def notice_items(request, round_id: ObjectId):
    return sel.notice_items(sel.access_public_round(request.auth, round_id))


@router.post(
    "/nominations/{int:nomination_id}/objections",
    response={201: ObjectionOut, **WRITE_ERRORS},
    summary="公示期内反映情况（发起单位范围内的人员）",
)
def objection_add(request, nomination_id: ObjectId, payload: ObjectionIn):
    nomination = Nomination.objects.filter(pk=nomination_id).select_related("round__unit").first()
    if nomination is None:
        raise Http404
    sel.access_public_round(request.auth, nomination.round_id)
    return 201, awards.objection_raise(actor=request.auth, nomination=nomination, text=payload.text)


@router.get(
    "/award-rounds/{int:round_id}/objections",
    response={200: list[ObjectionOut], **READ_ERRORS},
    summary="收到的反映（分页；发起单位）；其他人只看到本人反映的",
)
@paginate
def objection_list(request, round_id: ObjectId):
    try:
        award_round = _round(request.auth, round_id)
    except Http404:
        award_round = sel.access_public_round(request.auth, round_id)
    if awards.is_issuer(request.auth, award_round):
        return sel.round_objections(award_round)
    return sel.my_objections(user=request.auth, award_round=award_round)


@router.post(
    "/objections/{int:objection_id}/handle",
    response={200: ObjectionOut, **WRITE_ERRORS},
    summary="办结反映：核查结论，属实则撤销该人选",
)
def objection_handle(request, objection_id: ObjectId, payload: HandleIn):
    objection = sel.access_objection(request.auth, objection_id)
    return awards.objection_handle(actor=request.auth, objection=objection, **payload.dict())


@router.post(
    "/award-rounds/{int:round_id}/finalize",
    response={200: AwardRoundOut, **WRITE_ERRORS},
    summary="公示期满且反映均已办结后公布表彰名单",
)
def round_finalize(request, round_id: ObjectId):
    return awards.round_finalize(actor=request.auth, award_round=_round(request.auth, round_id))


@router.get(
    "/award-rounds/{int:round_id}/list",
    response={200: list[NoticeItemOut], **READ_ERRORS},
    summary="表彰名单（分页；已公布的评选）",
)
@paginate
def final_list(request, round_id: ObjectId):
    award_round = sel.access_public_round(request.auth, round_id)
    if award_round.status != AwardRoundStatus.FINAL:
        raise Http404
    return sel.final_list(award_round)
