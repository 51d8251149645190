"""/api/development: development cases and their steps over REST, through the same selectors and
services as the pages. A refused step answers 422 with every rule's message in ``errors``."""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS
from cloudbranch.orgs.scoping import holds

from . import cases
from .choices import ContactRole, TerminationReason
from .schemas import PersonUnitOut

router = Router(tags=["发展党员"])


class CaseFilters(Schema):
    q: str | None = None
    unit: int | None = None
    stage: int | None = None
    status: str | None = None
    due: str | None = None


class CaseFields(Schema):
    id: int
    person_id: int
    person_name: str
    unit_id: int
    unit_name: str
    rule_set: str
    status: str
    stage: int
    applied_on: datetime.date
    last_step_number: int
    next_step_code: str
    next_due_on: datetime.date | None
    next_earliest_on: datetime.date | None
    extension_months: int
    terminated_on: datetime.date | None
    termination_reason: str
    completed_on: datetime.date | None


class CaseOut(PersonUnitOut, CaseFields):
    @staticmethod
    def resolve_rule_set(obj) -> str:
        return obj.rule_set.code


class RecordOut(Schema):
    id: int
    step: str
    sequence: int
    occurred_on: datetime.date
    decided_by: str
    note: str
    late_reason: str
    data: dict[str, Any]
    status: str
    void_reason: str
    recorded_by: str

    @staticmethod
    def resolve_step(obj) -> str:
        return obj.step.code

    @staticmethod
    def resolve_data(obj) -> dict:
        return {k: v for k, v in (obj.data or {}).items() if not k.startswith("_")}

    @staticmethod
    def resolve_recorded_by(obj) -> str:
        return obj.recorded_by.display_name or obj.recorded_by.get_username()


class StepOut(Schema):
    code: str
    number: int
    stage: int
    name: str
    recorder: str
    done: bool
    available: bool
    active: bool
    missing: list[str]
    earliest: datetime.date | None
    due: datetime.date | None
    limit: datetime.date | None
    records: list[RecordOut]


class ContactOut(Schema):
    id: int
    role: str
    person_id: int
    person_name: str
    started_on: datetime.date
    ended_on: datetime.date | None
    end_reason: str

    @staticmethod
    def resolve_person_name(obj) -> str:
        return obj.person.name


class CaseDetailOut(CaseFields):
    probation_end: datetime.date | None
    next_step: str | None
    steps: list[StepOut]
    contacts: list[ContactOut]


class CaseOpenIn(Schema):
    person_id: int
    applied_on: datetime.date
    expected_leave_on: datetime.date | None = None
    note: str = ""


class StepIn(Schema):
    code: str
    occurred_on: datetime.date
    data: dict[str, Any] = {}
    note: str = ""
    decided_by: str = ""
    late_reason: str = ""


class VoidIn(Schema):
    reason: str


class TerminateIn(Schema):
    reason: TerminationReason
    note: str = ""
    terminated_on: datetime.date | None = None


class ExtendIn(Schema):
    months: int
    decided_on: datetime.date
    reason: str


class ContactReplaceIn(Schema):
    role: ContactRole
    old_contact_id: int
    new_person_id: int
    reason: str


def _detail(user, case) -> dict:
    view = cases.case_detail(case)
    steps = []
    for _, _, items in view.stages:
        for item in items:
            ss = item.state
            steps.append(
                {
                    "code": item.step.code,
                    "number": item.step.number,
                    "stage": item.step.stage,
                    "name": item.step.name,
                    "recorder": item.step.recorder,
                    "done": ss.done,
                    "available": ss.available,
                    "active": ss.active,
                    "missing": ss.missing,
                    "earliest": ss.earliest,
                    "due": ss.due,
                    "limit": ss.limit,
                    "records": item.records + item.voided,
                }
            )
    out = CaseOut.from_orm(case).dict()
    return {
        **out,
        "probation_end": view.state.probation_end,
        "next_step": view.next.code if view.next else None,
        "steps": steps,
        "contacts": view.contacts,
    }


@router.get("/cases", response={200: list[CaseOut], **READ_ERRORS}, summary="发展党员列表（分页、筛选）")
@paginate
def case_list(request, filters: Query[CaseFilters]):
    if not holds(request.auth, cases.VIEW):
        raise PermissionDenied
    return cases.case_list(user=request.auth, filters=filters.dict(exclude_none=True))


@router.get(
    "/cases/{int:case_id}", response={200: CaseDetailOut, **READ_ERRORS}, summary="发展过程详情（25 个步骤及其状态）"
)
def case_detail(request, case_id: int):
    case, _ = cases.viewable_case(request.auth, case_id)
    return _detail(request.auth, case)


@router.post("/cases", response={201: CaseDetailOut, **WRITE_ERRORS}, summary="发起发展（记录入党申请）")
def case_open(request, payload: CaseOpenIn):
    case = cases.case_open(actor=request.auth, **payload.dict())
    return 201, _detail(request.auth, cases.access_case_by_id(request.auth, case.pk))


@router.post("/cases/{int:case_id}/steps", response={201: RecordOut, **WRITE_ERRORS}, summary="记录一个步骤")
def step_record(request, case_id: int, payload: StepIn):
    record = cases.step_record(actor=request.auth, case_id=case_id, **payload.dict())
    return 201, record


@router.post("/records/{int:record_id}/void", response={200: RecordOut, **WRITE_ERRORS}, summary="撤销最近的一条记录")
def record_void(request, record_id: int, payload: VoidIn):
    return cases.record_void(actor=request.auth, record_id=record_id, reason=payload.reason)


@router.post("/cases/{int:case_id}/terminate", response={200: CaseOut, **WRITE_ERRORS}, summary="终止发展")
def case_terminate(request, case_id: int, payload: TerminateIn):
    data = payload.dict()
    data["reason"] = str(data["reason"].value if hasattr(data["reason"], "value") else data["reason"])
    cases.case_terminate(actor=request.auth, case_id=case_id, **data)
    return cases.access_case_by_id(request.auth, case_id)


@router.post(
    "/cases/{int:case_id}/extend", response={200: CaseOut, **WRITE_ERRORS}, summary="延长预备期（一次，6–12 个月）"
)
def case_extend(request, case_id: int, payload: ExtendIn):
    cases.case_extend_probation(actor=request.auth, case_id=case_id, **payload.dict())
    return cases.access_case_by_id(request.auth, case_id)


@router.get(
    "/cases/{int:case_id}/contacts", response={200: list[ContactOut], **READ_ERRORS}, summary="培养联系人与入党介绍人"
)
def contact_list(request, case_id: int):
    case, _ = cases.viewable_case(request.auth, case_id)
    return list(
        cases.CaseContact.objects.filter(case=case).select_related("person").order_by("role", "started_on", "id")
    )


@router.post(
    "/cases/{int:case_id}/contacts", response={201: ContactOut, **WRITE_ERRORS}, summary="更换培养联系人或入党介绍人"
)
def contact_replace(request, case_id: int, payload: ContactReplaceIn):
    data = payload.dict()
    data["role"] = str(data["role"].value if hasattr(data["role"], "value") else data["role"])
    contact = cases.contact_replace(actor=request.auth, case_id=case_id, **data)
    return 201, contact
