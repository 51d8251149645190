"""/api/democracy: the elections area (换届选举), through elections.py / ballots.py.

No response ever contains a ballot id or links a ballot to a voter: casting returns only that
the voter has voted."""

import datetime
from decimal import Decimal

from ninja import Field, Router, Schema
from ninja.pagination import paginate

from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS, ObjectId

from . import ballots, elections
from . import selectors_elections as sel
from .choices import ElectionKind, VoterExclusion
from .models import Round

router = Router(tags=["选举与评议"])


class ElectionOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    kind: str
    title: str
    seats: int
    surplus_ratio: Decimal
    equal_election: bool
    equal_reason: str
    term_years: int
    election_date: datetime.date
    postponement_approval: str
    status: str
    status_label: str
    cancel_reason: str

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())


class ElectionIn(Schema):
    unit: ObjectId
    kind: ElectionKind
    title: str = Field(max_length=120)
    seats: int = Field(ge=1, le=99)
    election_date: datetime.date
    surplus_ratio: Decimal | None = Field(None, ge=0, le=1)
    equal_election: bool = False
    equal_reason: str = Field("", max_length=200)
    term_years: int | None = Field(None, ge=1, le=10)
    postponement_approval: str = Field("", max_length=200)


class ElectionPatch(Schema):
    title: str | None = Field(None, max_length=120)
    seats: int | None = Field(None, ge=1, le=99)
    election_date: datetime.date | None = None
    surplus_ratio: Decimal | None = Field(None, ge=0, le=1)
    equal_election: bool | None = None
    equal_reason: str | None = Field(None, max_length=200)
    term_years: int | None = Field(None, ge=1, le=10)
    postponement_approval: str | None = Field(None, max_length=200)


class CandidateOut(Schema):
    id: int
    person_id: int
    name: str
    sort_order: int
    introduction: str
    elected: bool
    elected_round: int | None
    votes: int | None
    position: str

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.person.name


class CandidateIn(Schema):
    person: ObjectId
    introduction: str = Field("", max_length=300)
    sort_order: int | None = Field(None, ge=0, le=999)


class VoterOut(Schema):
    id: int
    person_id: int
    name: str
    excluded: str
    exclusion_note: str
    present: bool

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.person.name


class PresenceIn(Schema):
    present: bool = True


class ExclusionIn(Schema):
    reason: VoterExclusion | None = None
    note: str = Field("", max_length=200)


class RoundOpenIn(Schema):
    candidate_ids: list[ObjectId] | None = None


class RoundOut(Schema):
    id: int
    number: int
    kind: str
    seats: int
    status: str
    entitled: int
    present: int
    ballots_cast: int
    paper_ballots: int
    valid_ballots: int
    result: dict
    candidate_ids: list[int]

    @staticmethod
    def resolve_candidate_ids(obj) -> list[int]:
        return [c.pk for c in obj.candidates.all()]


class MarksIn(Schema):
    marks: dict[str, str] = Field(description='{"<候选人 id>": "for" | "against" | "abstain"}；未标注视为弃权')


class CastOut(Schema):
    voted: bool = True
    round: int


class PaperVotersIn(Schema):
    voter_ids: list[ObjectId]


class TallyOut(Schema):
    candidate_id: int
    name: str
    votes_for: int
    votes_against: int
    abstentions: int
    elected: bool


class ResultRoundOut(RoundOut):
    tallies: list[TallyOut]

    @staticmethod
    def resolve_tallies(obj) -> list[dict]:
        return [
            {
                "candidate_id": t.candidate_id,
                "name": t.candidate.person.name,
                "votes_for": t.votes_for,
                "votes_against": t.votes_against,
                "abstentions": t.abstentions,
                "elected": t.elected,
            }
            for t in obj.tallies.all()
        ]


class ResultOut(Schema):
    election: ElectionOut
    rounds: list[ResultRoundOut]
    winners: list[CandidateOut]


class PostsIn(Schema):
    positions: dict[str, str] = Field(description='{"<候选人 id>": "secretary" | "deputy_secretary" | ...}')


class ReasonIn(Schema):
    reason: str = Field(max_length=200)


def _election(request, pk, *, manage=False):
    return elections.access_election(request.auth, pk, manage=manage)


@router.get(
    "/elections",
    response={200: list[ElectionOut], **READ_ERRORS},
    summary="选举列表：本人管理单位的选举，及本人为选举人的选举",
)
@paginate
def election_list(request, status: str = ""):
    return sel.election_list(request.auth, status=status)


@router.post("/elections", response={201: ElectionOut, **WRITE_ERRORS}, summary="新建选举")
def election_create(request, payload: ElectionIn):
    data = payload.dict()
    unit = data.pop("unit")
    election = elections.election_create(actor=request.auth, unit=unit, **data)
    return 201, _election(request, election.pk)


@router.get("/elections/{int:election_id}", response={200: ElectionOut, **READ_ERRORS}, summary="选举详情")
def election_detail(request, election_id: ObjectId):
    return _election(request, election_id)


@router.patch("/elections/{int:election_id}", response={200: ElectionOut, **WRITE_ERRORS}, summary="修改选举（筹备中）")
def election_update(request, election_id: ObjectId, payload: ElectionPatch):
    fields = {k: v for k, v in payload.dict().items() if v is not None}
    elections.election_update(actor=request.auth, election=election_id, **fields)
    return _election(request, election_id)


@router.post("/elections/{int:election_id}/cancel", response={200: ElectionOut, **WRITE_ERRORS}, summary="取消选举")
def election_cancel(request, election_id: ObjectId, payload: ReasonIn):
    elections.election_cancel(actor=request.auth, election=election_id, reason=payload.reason)
    return _election(request, election_id)


@router.get(
    "/elections/{int:election_id}/candidates", response={200: list[CandidateOut], **READ_ERRORS}, summary="候选人"
)
@paginate
def candidate_list(request, election_id: ObjectId):
    return sel.candidates_of(_election(request, election_id))


@router.post(
    "/elections/{int:election_id}/candidates", response={201: CandidateOut, **WRITE_ERRORS}, summary="提名候选人"
)
def candidate_add(request, election_id: ObjectId, payload: CandidateIn):
    c = elections.candidate_add(actor=request.auth, election=election_id, **payload.dict())
    return 201, c


@router.delete("/candidates/{int:candidate_id}", response={204: None, **WRITE_ERRORS}, summary="移除候选人")
def candidate_remove(request, candidate_id: ObjectId):
    elections.candidate_remove(actor=request.auth, candidate=candidate_id)
    return 204, None


@router.post(
    "/elections/{int:election_id}/candidates/publish",
    response={200: ElectionOut, **WRITE_ERRORS},
    summary="确定候选人名单（检查差额）",
)
def candidates_publish(request, election_id: ObjectId):
    elections.candidates_publish(actor=request.auth, election=election_id)
    return _election(request, election_id)


@router.post(
    "/elections/{int:election_id}/voters/freeze", response={200: ElectionOut, **WRITE_ERRORS}, summary="确定选举人名单"
)
def roll_freeze(request, election_id: ObjectId):
    elections.roll_freeze(actor=request.auth, election=election_id)
    return _election(request, election_id)


@router.get("/elections/{int:election_id}/voters", response={200: list[VoterOut], **READ_ERRORS}, summary="选举人名单")
@paginate
def roll(request, election_id: ObjectId):
    return sel.roll_of(_election(request, election_id, manage=True))


@router.post("/voters/{int:voter_id}/presence", response={200: VoterOut, **WRITE_ERRORS}, summary="标记到会")
def presence(request, voter_id: ObjectId, payload: PresenceIn):
    return elections.voter_presence(actor=request.auth, voter=voter_id, present=payload.present)


@router.post(
    "/voters/{int:voter_id}/exclusion", response={200: VoterOut, **WRITE_ERRORS}, summary="批准不计入应到人数（或恢复）"
)
def exclusion(request, voter_id: ObjectId, payload: ExclusionIn):
    return elections.voter_exclude(actor=request.auth, voter=voter_id, reason=payload.reason or "", note=payload.note)


@router.post(
    "/elections/{int:election_id}/checkin", response={200: VoterOut, **WRITE_ERRORS}, summary="选举人报到（选举当天）"
)
def checkin(request, election_id: ObjectId):
    return elections.voter_checkin(actor=request.auth, election=election_id)


@router.post(
    "/elections/{int:election_id}/rounds",
    response={201: RoundOut, **WRITE_ERRORS},
    summary="开始下一轮投票（检查法定人数）",
)
def round_open(request, election_id: ObjectId, payload: RoundOpenIn):
    return 201, elections.round_open(actor=request.auth, election=election_id, candidate_ids=payload.candidate_ids)


@router.post("/rounds/{int:round_id}/close", response={200: RoundOut, **WRITE_ERRORS}, summary="结束本轮并计票")
def round_close(request, round_id: ObjectId):
    return elections.round_close(actor=request.auth, round=round_id)


@router.post(
    "/elections/{int:election_id}/ballot",
    response={201: CastOut, **WRITE_ERRORS},
    summary="投票（每轮一次；不返回选票）",
)
def ballot_cast(request, election_id: ObjectId, payload: MarksIn):
    mark = ballots.ballot_cast(actor=request.auth, election=election_id, marks=payload.marks)
    return 201, {"voted": True, "round": Round.objects.values_list("number", flat=True).get(pk=mark.round_id)}


@router.post("/rounds/{int:round_id}/paper-ballots", response={201: dict, **WRITE_ERRORS}, summary="录入一张纸质选票")
def paper_ballot(request, round_id: ObjectId, payload: MarksIn):
    return 201, {"ballots": ballots.paper_ballot_enter(actor=request.auth, round=round_id, marks=payload.marks)}


@router.post(
    "/rounds/{int:round_id}/paper-voters", response={201: dict, **WRITE_ERRORS}, summary="登记交回纸质选票的选举人"
)
def paper_voters(request, round_id: ObjectId, payload: PaperVotersIn):
    return 201, {"marked": ballots.paper_voters_mark(actor=request.auth, round=round_id, voter_ids=payload.voter_ids)}


@router.get(
    "/elections/{int:election_id}/result",
    response={200: ResultOut, **READ_ERRORS},
    summary="选举结果：各轮计票、当选人",
)
def result(request, election_id: ObjectId):
    election = _election(request, election_id)
    return {"election": election, "rounds": sel.rounds_with_tallies(election), "winners": sel.winners_of(election)}


@router.post(
    "/elections/{int:election_id}/posts", response={200: list[CandidateOut], **WRITE_ERRORS}, summary="当选人分工"
)
def posts(request, election_id: ObjectId, payload: PostsIn):
    return elections.posts_assign(actor=request.auth, election=election_id, positions=payload.positions)


@router.post(
    "/elections/{int:election_id}/accept-fewer", response={200: ElectionOut, **WRITE_ERRORS}, summary="缺额不再另行选举"
)
def accept_fewer(request, election_id: ObjectId, payload: ReasonIn):
    elections.result_accept_fewer(actor=request.auth, election=election_id, reason=payload.reason)
    return _election(request, election_id)


@router.post(
    "/elections/{int:election_id}/report", response={200: ElectionOut, **WRITE_ERRORS}, summary="选举结果报上级审批"
)
def report(request, election_id: ObjectId):
    elections.result_report(actor=request.auth, election=election_id)
    return _election(request, election_id)


@router.post(
    "/elections/{int:election_id}/approve",
    response={200: ElectionOut, **WRITE_ERRORS},
    summary="上级批准选举结果（写入委员会与任期）",
)
def approve(request, election_id: ObjectId):
    elections.result_approve(actor=request.auth, election=election_id)
    return _election(request, election_id)
