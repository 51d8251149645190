"""/api/democracy: 民主评议党员, through appraisals.py and selectors_appraisals.py.

Rating figures are totals per grade; no response to anyone names a rater, except ``/ratings``
which lists the caller's OWN ratings."""

import datetime

from ninja import Field, Router, Schema
from ninja.pagination import paginate

from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS, ObjectId

from . import appraisals
from . import selectors_appraisals as sel
from .choices import AppraisalStatus, Grade, UnqualifiedHandling
from .models import AppraisalEntry

router = Router(tags=["民主评议党员"])


class AppraisalOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    year: int
    status: AppraisalStatus
    status_label: str
    meeting_on: datetime.date | None
    excellent_cap_numerator: int
    excellent_cap_denominator: int

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())


class AppraisalListOut(AppraisalOut):
    participant_count: int
    graded_count: int
    submitted_count: int
    rater_count: int


class ParticipationOut(Schema):
    participants: int
    graded: int
    submitted: int
    raters: int
    rate: int = Field(description="参加测评的比例（%）")
    excellent_cap: int


class AppraisalDetailOut(AppraisalOut):
    participation: ParticipationOut


class AppraisalIn(Schema):
    unit: ObjectId
    year: int = Field(ge=2000, le=2100)
    meeting_on: datetime.date | None = None


class AdvanceIn(Schema):
    to: AppraisalStatus = Field(description="下一阶段：rating / proposal / closed（支部大会确定请用 /decision）")


class TotalsOut(Schema):
    entry_id: int
    person_id: int
    person_name: str
    graded: bool
    self_submitted: bool
    totals: dict[str, int] = Field(description="民主测评各等次票数（不含评价人）")
    proposed_grade: str
    proposal_note: str
    final_grade: str
    handling: str
    handling_note: str
    handling_deadline: datetime.date | None


class MyEntryOut(Schema):
    entry_id: int
    appraisal_id: int
    year: int
    unit_name: str
    status: AppraisalStatus
    graded: bool
    self_assessment: str
    self_submitted_at: datetime.datetime | None
    final_grade: str = Field(description="评定等次（归档后）")


class SelfAssessmentIn(Schema):
    text: str = Field(max_length=appraisals.SELF_ASSESSMENT_MAX)
    submit: bool = True


class RatingRowOut(Schema):
    entry_id: int
    person_name: str
    my_grade: str = Field(description="我给出的等次，未评为空")


class RatingIn(Schema):
    entry: ObjectId
    grade: Grade


class ProposalItem(Schema):
    entry: ObjectId
    grade: Grade
    note: str = Field("", max_length=appraisals.NOTE_MAX)


class ProposalIn(Schema):
    items: list[ProposalItem]


class DecisionItem(Schema):
    entry: ObjectId
    grade: Grade


class DecisionIn(Schema):
    meeting_on: datetime.date
    items: list[DecisionItem]


class HandlingIn(Schema):
    handling: UnqualifiedHandling
    note: str = Field(max_length=appraisals.NOTE_MAX)
    deadline: datetime.date | None = None


class RemindOut(Schema):
    reminded: int


class ResultOut(Schema):
    entry_id: int = Field(alias="pk")
    appraisal_id: int
    year: int
    unit_name: str
    graded: bool
    final_grade: str
    final_grade_label: str
    handling: str
    handling_deadline: datetime.date | None

    @staticmethod
    def resolve_year(obj) -> int:
        return obj.appraisal.year

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.appraisal.unit.name

    @staticmethod
    def resolve_final_grade_label(obj) -> str:
        return str(obj.get_final_grade_display())


def _detail(appraisal):
    """The appraisal with its headcounts (``participation``) for AppraisalDetailOut."""
    p = sel.participation(appraisal)
    appraisal.participation = {
        "participants": p.participants,
        "graded": p.graded,
        "submitted": p.submitted,
        "raters": p.raters,
        "rate": p.rate,
        "excellent_cap": p.cap,
    }
    return appraisal


def _my_entry(entry: AppraisalEntry) -> dict:
    a = entry.appraisal
    return {
        "entry_id": entry.pk,
        "appraisal_id": a.pk,
        "year": a.year,
        "unit_name": a.unit.name,
        "status": a.status,
        "graded": entry.graded,
        "self_assessment": entry.self_assessment,
        "self_submitted_at": entry.self_submitted_at,
        "final_grade": entry.final_grade if a.status == AppraisalStatus.CLOSED else "",
    }


@router.get(
    "/appraisals", response={200: list[AppraisalListOut], **READ_ERRORS}, summary="民主评议列表（本单位及下级，分页）"
)
@paginate
def appraisal_list(request, year: int | None = None):
    return sel.officer_appraisals(request.auth, year=year)


@router.post("/appraisals", response={201: AppraisalDetailOut, **WRITE_ERRORS}, summary="开始某党支部的年度民主评议")
def appraisal_create(request, payload: AppraisalIn):
    a = appraisals.appraisal_create(
        actor=request.auth, unit_id=payload.unit, year=payload.year, meeting_on=payload.meeting_on
    )
    return 201, _detail(appraisals.access_appraisal(request.auth, a.pk))


@router.get(
    "/appraisals/results", response={200: list[ResultOut], **READ_ERRORS}, summary="我的历年评议结果（已归档，分页）"
)
@paginate
def my_results(request):
    return sel.my_results(request.auth)


@router.get("/appraisals/mine", response={200: list[MyEntryOut], **READ_ERRORS}, summary="我参加的民主评议（分页）")
@paginate
def my_appraisals(request):
    return _Lazy(sel.my_entries(request.auth), _my_entry)


@router.get("/appraisals/{int:appraisal_id}", response={200: AppraisalDetailOut, **READ_ERRORS}, summary="民主评议详情")
def appraisal_detail(request, appraisal_id: ObjectId):
    return _detail(appraisals.access_appraisal(request.auth, appraisal_id))


@router.post(
    "/appraisals/{int:appraisal_id}/advance",
    response={200: AppraisalDetailOut, **WRITE_ERRORS},
    summary="进入下一阶段（不能跳过或回退：409）",
)
def appraisal_advance(request, appraisal_id: ObjectId, payload: AdvanceIn):
    appraisals.appraisal_advance(actor=request.auth, appraisal_id=appraisal_id, to=payload.to)
    return _detail(appraisals.access_appraisal(request.auth, appraisal_id))


@router.get(
    "/appraisals/{int:appraisal_id}/totals",
    response={200: list[TotalsOut], **READ_ERRORS},
    summary="每名党员的测评票数（按等次合计，不含评价人）、支委会意见与评定等次（分页）",
)
@paginate
def totals(request, appraisal_id: ObjectId):
    appraisal = appraisals.access_appraisal(request.auth, appraisal_id)
    return _Lazy(sel.appraisal_entries(appraisal), _totals_row, totals=True)


class _Lazy:
    """A queryset seen by the paginator as a list of rows: only the page is read (and, with
    ``totals``, its rating totals in one grouped query)."""

    def __init__(self, qs, row, *, totals: bool = False):
        self.qs, self.row, self.totals = qs, row, totals

    def __len__(self) -> int:
        return self.qs.count()

    def count(self) -> int:
        return self.qs.count()

    def __getitem__(self, key):
        items = self.qs[key]
        if self.totals:
            items = sel.attach_totals(items)
        return [self.row(e) for e in items]


def _totals_row(e: AppraisalEntry) -> dict:
    return {
        "entry_id": e.pk,
        "person_id": e.person_id,
        "person_name": e.person.name,
        "graded": e.graded,
        "self_submitted": e.self_submitted_at is not None,
        "totals": e.totals if e.graded else {},
        "proposed_grade": e.proposed_grade,
        "proposal_note": e.proposal_note,
        "final_grade": e.final_grade,
        "handling": e.handling,
        "handling_note": e.handling_note,
        "handling_deadline": e.handling_deadline,
    }


@router.get(
    "/appraisals/{int:appraisal_id}/me", response={200: MyEntryOut, **READ_ERRORS}, summary="我在本次评议中的个人总结"
)
def my_entry(request, appraisal_id: ObjectId):
    return _my_entry(appraisals.own_entry(request.auth, appraisal_id))


@router.put(
    "/appraisals/{int:appraisal_id}/me",
    response={200: MyEntryOut, **WRITE_ERRORS},
    summary="填写或提交个人总结（个人自评阶段结束前可修改）",
)
def my_entry_save(request, appraisal_id: ObjectId, payload: SelfAssessmentIn):
    appraisals.self_assessment_save(
        actor=request.auth, appraisal_id=appraisal_id, text=payload.text, submit=payload.submit
    )
    return _my_entry(appraisals.own_entry(request.auth, appraisal_id))


@router.get(
    "/appraisals/{int:appraisal_id}/ratings",
    response={200: list[RatingRowOut], **READ_ERRORS},
    summary="我要测评的党员及我给出的等次（分页）",
)
@paginate
def my_ratings(request, appraisal_id: ObjectId):
    entry = appraisals.own_entry(request.auth, appraisal_id)
    if entry.appraisal.status not in (AppraisalStatus.RATING, AppraisalStatus.PROPOSAL):
        return []
    mine = sel.my_ratings(entry)
    return [
        {"entry_id": o.pk, "person_name": o.person.name, "my_grade": mine.get(o.pk, "")}
        for o in sel.rating_sheet(entry)
    ]


@router.post(
    "/appraisals/{int:appraisal_id}/ratings",
    response={200: RatingRowOut, **WRITE_ERRORS},
    summary="测评一名党员（每人一次，测评结束前可修改）",
)
def rate(request, appraisal_id: ObjectId, payload: RatingIn):
    rating = appraisals.rating_cast(
        actor=request.auth, appraisal_id=appraisal_id, entry_id=payload.entry, grade=payload.grade
    )
    entry = AppraisalEntry.objects.select_related("person").get(pk=rating.entry_id)
    return {"entry_id": entry.pk, "person_name": entry.person.name, "my_grade": rating.grade}


@router.post(
    "/appraisals/{int:appraisal_id}/proposal",
    response={200: AppraisalDetailOut, **WRITE_ERRORS},
    summary="支委会意见：每名参评正式党员一个等次（优秀不超过三分之一）",
)
def proposal(request, appraisal_id: ObjectId, payload: ProposalIn):
    items = {i.entry: (i.grade, i.note) for i in payload.items}
    appraisals.appraisal_propose(actor=request.auth, appraisal_id=appraisal_id, items=items)
    return _detail(appraisals.access_appraisal(request.auth, appraisal_id))


@router.post(
    "/appraisals/{int:appraisal_id}/decision",
    response={200: AppraisalDetailOut, **WRITE_ERRORS},
    summary="支部大会确定评定等次（进入“支部大会确定”阶段；之后可更正）",
)
def decision(request, appraisal_id: ObjectId, payload: DecisionIn):
    grades = {i.entry: i.grade for i in payload.items}
    appraisals.appraisal_decide(
        actor=request.auth, appraisal_id=appraisal_id, meeting_on=payload.meeting_on, grades=grades
    )
    return _detail(appraisals.access_appraisal(request.auth, appraisal_id))


@router.post(
    "/appraisals/entries/{int:entry_id}/handling",
    response={200: TotalsOut, **WRITE_ERRORS},
    summary="记录不合格党员的处置（限期改正须有改正期限，一般不超过一年）",
)
def handling(request, entry_id: ObjectId, payload: HandlingIn):
    entry = appraisals.entry_handling_record(
        actor=request.auth, entry_id=entry_id, handling=payload.handling, note=payload.note, deadline=payload.deadline
    )
    return _totals_row(sel.attach_totals([entry])[0])


@router.post(
    "/appraisals/{int:appraisal_id}/remind",
    response={200: RemindOut, **WRITE_ERRORS},
    summary="提醒尚未提交个人总结或未完成测评的党员",
)
def remind(request, appraisal_id: ObjectId):
    return {"reminded": appraisals.appraisal_remind(actor=request.auth, appraisal_id=appraisal_id)}
