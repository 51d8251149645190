"""/api/development/transfers: transfers (组织关系转接) and graduation batches over REST,
through the same services and selectors as the pages. An illegal move answers 409."""

import datetime

from django.core.exceptions import PermissionDenied
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import Field

from cloudbranch.core.errors import DomainError
from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS
from cloudbranch.orgs.scoping import holds

from . import batch as batches
from . import transfers as svc

router = Router(tags=["组织关系转接"])
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class UnitRef(Schema):
    id: int
    code: str
    name: str


class ApprovalOut(Schema):
    side: str
    unit: UnitRef
    decision: str
    comment: str
    decided_by: str
    decided_at: datetime.datetime

    @staticmethod
    def resolve_decided_by(obj) -> str:
        return obj.decided_by.display_name or obj.decided_by.get_username()


class LevelOut(Schema):
    side: str
    unit: UnitRef
    committee: bool
    decision: str | None
    waiting: bool


class TransferListOut(Schema):
    id: int
    kind: str
    kind_label: str
    status: str
    status_label: str
    person_id: int | None
    person_name: str
    from_unit: UnitRef | None
    to_unit: UnitRef | None
    external_org: str
    letter_number: str
    receipt_due_on: datetime.date | None
    requested_at: datetime.datetime
    batch_id: int | None

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()


class TransferOut(TransferListOut):
    reason: str
    letter_valid_days: int
    letter_issued_on: datetime.date | None
    receipt_returned_on: datetime.date | None
    dues_paid_until: datetime.date | None
    completed_on: datetime.date | None
    note: str
    id_number_masked: str = Field("", description="转入人员的脱敏身份证号")
    levels: list[LevelOut]
    approvals: list[ApprovalOut]

    @staticmethod
    def resolve_id_number_masked(obj) -> str:
        return (obj.incoming_data or {}).get("id_number_masked", "")

    @staticmethod
    def resolve_levels(obj) -> list[dict]:
        return [
            {
                "side": s["level"].side,
                "unit": s["level"].unit,
                "committee": s["level"].is_committee,
                "decision": s["approval"].decision if s["approval"] else None,
                "waiting": s["waiting"],
            }
            for s in svc.level_states(obj)
        ]

    @staticmethod
    def resolve_approvals(obj) -> list:
        return svc._approvals(obj)


class TransferFilters(Schema):
    tab: str | None = Field(None, description="mine 待我审批 / out 转出 / in 转入 / open / done / overdue / all")
    kind: str | None = None
    status: str | None = None
    q: str | None = Field(None, description="姓名或介绍信编号")
    batch: int | None = None


class InternalIn(Schema):
    person_id: int
    to_unit: str = Field(..., description="接收党组织的编码（或 id）")
    reason: str
    dues_paid_until: datetime.date | None = None
    note: str = ""


class OutgoingIn(Schema):
    person_id: int
    external_org: str
    reason: str
    letter_number: str = ""
    letter_valid_days: int = svc.DEFAULT_VALID_DAYS
    dues_paid_until: datetime.date | None = None
    note: str = ""


class IncomingIn(Schema):
    to_unit_id: int
    name: str
    id_number: str
    political_status: str = Field(..., description="probationary 或 full")
    joined_on: datetime.date
    confirmed_on: datetime.date | None = None
    external_org: str
    reason: str
    gender: str = ""
    birth_date: datetime.date | None = None
    ethnicity: str = ""
    category: str = "student"
    phone: str = ""
    letter_number: str = ""
    dues_paid_until: datetime.date | None = None
    note: str = ""


class DecideIn(Schema):
    decision: str = Field(..., description="approved 同意 / rejected 退回")
    comment: str = ""


class CancelIn(Schema):
    reason: str = ""


class ReceiptIn(Schema):
    returned_on: datetime.date | None = None


class BatchOut(Schema):
    id: int
    title: str
    from_unit: UnitRef
    file_name: str
    status: str
    status_label: str
    total_rows: int
    created_at: datetime.datetime

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj["status_label"] if isinstance(obj, dict) else obj.get_status_display()


class BatchDetailOut(BatchOut):
    errors: list[dict]
    created: int = 0


class BatchSelectIn(Schema):
    unit_id: int
    person_ids: list[int]
    kind: str
    to_unit: str = ""
    external_org: str = ""
    reason: str = ""
    dues_paid_until: datetime.date | None = None
    title: str = ""
    dry_run: bool = False


class BatchApproveIn(Schema):
    comment: str = ""


class BatchApproveOut(Schema):
    approved: int


class UnitSearchOut(Schema):
    id: int
    code: str
    name: str
    kind: str


def _require(user, perm: str) -> None:
    if not holds(user, perm):
        raise PermissionDenied


def _out(user, transfer_id: int):
    return svc.transfer_detail(user, transfer_id)


@router.get(
    "/transfers", response={200: list[TransferListOut], **READ_ERRORS}, summary="组织关系转接列表（分页、筛选）"
)
@paginate
def transfer_list(request, filters: Query[TransferFilters]):
    _require(request.auth, svc.VIEW)
    return svc.transfer_list(user=request.auth, filters=filters.dict(exclude_none=True))


@router.get(
    "/transfers/units",
    response={200: list[UnitSearchOut], **READ_ERRORS},
    summary="按名称或编码查找接收党组织（全系统）",
)
def transfer_units(request, q: str = ""):
    _require(request.auth, svc.VIEW)
    return list(svc.target_units(q)) if q.strip() else []


@router.get(
    "/transfers/{int:transfer_id}", response={200: TransferOut, **READ_ERRORS}, summary="转接详情（含审批流程）"
)
def transfer_detail(request, transfer_id: int):
    return _out(request.auth, transfer_id)


@router.post("/transfers/internal", response={201: TransferOut, **WRITE_ERRORS}, summary="申请系统内转接")
def create_internal(request, payload: InternalIn):
    data = payload.dict()
    transfer = svc.transfer_create_internal(actor=request.auth, person_id=data.pop("person_id"), **data)
    return 201, _out(request.auth, transfer.pk)


@router.post("/transfers/outgoing", response={201: TransferOut, **WRITE_ERRORS}, summary="申请转出至系统外")
def create_outgoing(request, payload: OutgoingIn):
    data = payload.dict()
    transfer = svc.transfer_create_outgoing(actor=request.auth, person_id=data.pop("person_id"), **data)
    return 201, _out(request.auth, transfer.pk)


@router.post("/transfers/incoming", response={201: TransferOut, **WRITE_ERRORS}, summary="登记从系统外转入")
def create_incoming(request, payload: IncomingIn):
    transfer = svc.transfer_create_incoming(actor=request.auth, **payload.dict())
    return 201, _out(request.auth, transfer.pk)


@router.post(
    "/transfers/{int:transfer_id}/decide", response={200: TransferOut, **WRITE_ERRORS}, summary="审批（同意或退回）"
)
def transfer_decide(request, transfer_id: int, payload: DecideIn):
    svc.transfer_decide(actor=request.auth, transfer_id=transfer_id, **payload.dict())
    return _out(request.auth, transfer_id)


@router.post(
    "/transfers/{int:transfer_id}/cancel", response={200: TransferOut, **WRITE_ERRORS}, summary="撤销申请（申请人）"
)
def transfer_cancel(request, transfer_id: int, payload: CancelIn):
    svc.transfer_cancel(actor=request.auth, transfer_id=transfer_id, reason=payload.reason)
    return _out(request.auth, transfer_id)


@router.post(
    "/transfers/{int:transfer_id}/receipt",
    response={200: TransferOut, **WRITE_ERRORS},
    summary="登记介绍信回执（完成转出）",
)
def transfer_receipt(request, transfer_id: int, payload: ReceiptIn):
    svc.transfer_record_receipt(actor=request.auth, transfer_id=transfer_id, returned_on=payload.returned_on)
    return _out(request.auth, transfer_id)


@router.get("/transfers/batches", response={200: list[BatchOut], **READ_ERRORS}, summary="批量转接批次")
@paginate
def batch_list(request):
    _require(request.auth, svc.VIEW)
    return batches.batch_list(request.auth)


def _batch_out(outcome) -> dict:
    b = outcome.batch
    return {
        "id": b.pk,
        "title": b.title,
        "from_unit": b.from_unit,
        "file_name": b.file_name,
        "status": b.status,
        "status_label": b.get_status_display(),
        "total_rows": b.total_rows,
        "created_at": b.created_at,
        "errors": b.errors,
        "created": outcome.created,
    }


@router.post(
    "/transfers/batches",
    response={201: BatchDetailOut, 200: BatchDetailOut, **WRITE_ERRORS},
    summary="上传毕业生批量转接名单（.xlsx，全部或全不；dry_run 仅校验）",
)
def batch_upload(
    request,
    file: File[UploadedFile],
    unit_id: Form[int],
    title: Form[str] = "",
    dry_run: Form[bool] = False,
):
    """201 when the transfers were created; 200 with ``status`` "validated" for a dry run;
    422 with every error (row, column, message) when any row fails — nothing is created."""
    _require(request.auth, svc.ADD)
    if file.size > MAX_UPLOAD_BYTES:
        raise DomainError("文件过大（最大 5 MB）", errors=[{"field": "file", "message": "文件过大"}])
    outcome = batches.batch_upload(
        actor=request.auth, unit_id=unit_id, data=file.read(), file_name=file.name or "", title=title, dry_run=dry_run
    )
    return _batch_result(outcome)


@router.post(
    "/transfers/batches/select",
    response={201: BatchDetailOut, 200: BatchDetailOut, **WRITE_ERRORS},
    summary="从名册选择人员批量转接（全部或全不）",
)
def batch_select(request, payload: BatchSelectIn):
    _require(request.auth, svc.ADD)
    outcome = batches.batch_from_selection(actor=request.auth, **payload.dict())
    return _batch_result(outcome)


def _batch_result(outcome):
    if not outcome.ok:
        raise DomainError(
            f"发现 {len(outcome.errors)} 处错误，未创建任何转接（批次 {outcome.batch.pk}）。", errors=outcome.errors
        )
    return (201 if outcome.created else 200), _batch_out(outcome)


@router.get("/transfers/batches/{int:batch_id}", response={200: BatchDetailOut, **READ_ERRORS}, summary="批次详情")
def batch_detail(request, batch_id: int):
    batch = batches.access_batch(request.auth, batch_id)
    out = _batch_out(batches.BatchOutcome(batch=batch, errors=batch.errors))
    out["created"] = batch.transfers.count()
    return out


@router.post(
    "/transfers/batches/{int:batch_id}/approve",
    response={200: BatchApproveOut, **WRITE_ERRORS},
    summary="批量同意本批次中待我审批的转接",
)
def batch_approve(request, batch_id: int, payload: BatchApproveIn):
    count = batches.batch_approve(actor=request.auth, batch_id=batch_id, comment=payload.comment)
    return {"approved": count}
