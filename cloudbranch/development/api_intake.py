"""/api/development/intake: the intake lists of a round (春季/秋季发展名单) and the delay reasons."""

import datetime

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from ninja import Router, Schema
from ninja.pagination import paginate

from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS, ObjectId
from cloudbranch.orgs.scoping import holds

from . import intake, pipeline

router = Router(tags=["发展党员"])


class BranchOut(Schema):
    id: int
    name: str


class IntakeRowOut(Schema):
    kind: str
    kind_label: str
    case_id: int
    person_id: int
    person_name: str
    branch: BranchOut
    eligible_on: datetime.date
    overdue: bool  # eligible at the previous round already, or past the rules' due date
    flagged: bool  # overdue and no delay reason recorded
    delay_reason: str | None
    missing: list[str]  # prerequisites of the step not yet recorded (candidate list)


class DelayIn(Schema):
    kind: str
    reason: str


class DelayOut(Schema):
    case_id: int
    kind: str
    reason: str
    recorded_at: datetime.datetime


def _row(r: intake.IntakeRow) -> dict:
    return {
        "kind": r.kind,
        "kind_label": r.kind_label,
        "case_id": r.case.pk,
        "person_id": r.case.person_id,
        "person_name": r.case.person.name,
        "branch": {"id": r.branch.pk, "name": r.branch.name},
        "eligible_on": r.eligible_on,
        "overdue": r.overdue,
        "flagged": r.flagged,
        "delay_reason": r.delay.reason if r.delay else None,
        "missing": r.missing,
    }


@router.get(
    "/intake",
    response={200: list[IntakeRowOut], **READ_ERRORS},
    summary="春秋两季发展名单：本批次符合条件的积极分子、发展对象和预备党员（按支部排序，分页）",
)
@paginate
def intake_list(request, unit: int | None = None, round: str | None = None, kind: str | None = None):
    if not holds(request.auth, pipeline.VIEW_PERM):
        raise PermissionDenied
    u = pipeline.pipeline_unit(request.auth, unit)
    today = timezone.localdate()
    rnd = intake.parse_round(round, today=today)
    rows = intake.intake_rows([u], rnd, today=today, kind=kind if kind in intake.Kind.values else None)
    return [_row(r) for r in rows]


@router.put(
    "/intake/cases/{case_id}/delay",
    response={200: DelayOut, **WRITE_ERRORS},
    summary="记录暂缓原因（该名单不再标为逾期；record_step）",
)
def intake_delay(request, case_id: ObjectId, payload: DelayIn):
    d = intake.intake_delay_record(actor=request.auth, case_id=case_id, kind=payload.kind, reason=payload.reason)
    return {"case_id": d.case_id, "kind": d.kind, "reason": d.reason, "recorded_at": d.recorded_at}


@router.delete(
    "/intake/cases/{case_id}/delay",
    response={204: None, **WRITE_ERRORS},
    summary="撤回暂缓原因（record_step）",
)
def intake_delay_clear(request, case_id: ObjectId, kind: str):
    intake.intake_delay_clear(actor=request.auth, case_id=case_id, kind=kind)
    return 204, None
