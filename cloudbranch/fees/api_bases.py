"""/api/fees/bases: dues bases — list, declare, decide, payroll import (same services as the pages)."""

import datetime
from decimal import Decimal

from ninja import File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate

from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS

from . import bases

router = Router(tags=["党费"])


class BaseOut(Schema):
    id: int
    person_id: int
    person_name: str
    unit_id: int
    base_kind: str
    amount: Decimal
    effective_from: datetime.date
    monthly_dues: Decimal
    status: str
    note: str
    declared_at: datetime.datetime
    decided_at: datetime.datetime | None

    @staticmethod
    def resolve_person_name(obj) -> str:
        return obj.person.name

    @staticmethod
    def resolve_unit_id(obj) -> int:
        return obj.person.unit_id


class BaseIn(Schema):
    person_id: int
    base_kind: str
    amount: Decimal
    effective_from: datetime.date
    note: str = ""


class DecisionIn(Schema):
    approve: bool
    note: str = ""


class BaseFilters(Schema):
    unit: int | None = None
    status: str = ""
    kind: str = ""
    q: str = ""


class ImportOut(Schema):
    total_rows: int
    created: int
    approved: int
    declared: int
    errors: list[dict] = []


@router.get("/bases", response={200: list[BaseOut], **READ_ERRORS})
@paginate
def list_bases(request, filters: Query[BaseFilters]):
    """Bases in the caller's fees.view_duesbase scope plus their own; pending approvals first."""
    return bases.base_list(request.user, unit_id=filters.unit, status=filters.status, kind=filters.kind, q=filters.q)


@router.post("/bases", response={201: BaseOut, **WRITE_ERRORS})
def declare_base(request, payload: BaseIn):
    base = bases.base_declare(actor=request.user, **payload.dict())
    return 201, base


@router.post("/bases/import", response={200: ImportOut, **WRITE_ERRORS})
def import_bases(request, file: UploadedFile = File(...), dry_run: bool = False):
    """Payroll .xlsx: 学号工号 or 身份证号, 姓名, 月缴费基数, 基数类型 (工资/离退休费), 起始月份.
    All-or-nothing: any row error → 422 with every error as {row, column, message}."""
    return bases.import_bases(actor=request.user, data=file.read(), dry_run=dry_run)


@router.post("/bases/{base_id}/decision", response={200: BaseOut, **WRITE_ERRORS})
def decide_base(request, base_id: int, payload: DecisionIn):
    return bases.base_decide(actor=request.user, base_id=base_id, approve=payload.approve, note=payload.note)
