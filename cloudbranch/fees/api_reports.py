"""/api/fees: reports, arrears (list, branch decision) and reconciliation."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate

from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import access_by_id

from . import arrears, reconcile, reports

router = Router(tags=["党费"])


class UnitRefOut(Schema):
    id: int
    name: str


class TotalsOut(Schema):
    expected: Decimal
    paid: Decimal
    outstanding: Decimal
    voluntary: Decimal
    collected: Decimal
    to_committee: Decimal
    to_centre: Decimal
    billed: int
    paid_bills: int
    exempt: int
    member_rate: Decimal | None
    amount_rate: Decimal | None


class ReportRowOut(Schema):
    unit: UnitRefOut | None  # null: the unit's own bills (本级)
    totals: TotalsOut


class ReportOut(Schema):
    unit: UnitRefOut
    year: int
    month: int | None
    totals: TotalsOut
    rows: list[ReportRowOut]


@router.get("/report", response={200: ReportOut, **READ_ERRORS}, summary="党费收缴报表（组织及下级）")
def get_report(request, unit: int | None = None, year: int | None = None, month: int | None = None):
    if not reports.holds_report(request.user):
        raise PermissionDenied
    u = reports.access_report_unit(request.user, unit) if unit else reports.default_report_unit(request.user)
    period = reports.parse_period(year, month)
    rep = reports.unit_report(u, period)
    return {
        "unit": u,
        "year": period.year,
        "month": period.month,
        "totals": rep.totals.as_dict(),
        "rows": [{"unit": r.unit, "totals": r.totals.as_dict()} for r in rep.rows],
    }


class CaseOut(Schema):
    id: int
    status: str
    first_month: datetime.date
    months: int
    decision: str
    decided_on: datetime.date | None
    opened_at: datetime.datetime


class ArrearsOut(Schema):
    person_id: int
    name: str
    unit: UnitRefOut
    months: int
    first_month: datetime.date
    last_month: datetime.date
    amount: Decimal
    has_reason: bool
    level: int
    case: CaseOut | None


@router.get("/arrears", response={200: list[ArrearsOut], **READ_ERRORS}, summary="欠缴党费名单（连续欠缴月数）")
@paginate
def list_arrears(request, unit: int | None = None, min_months: int = 1):
    if not arrears.holds_view(request.user):
        raise PermissionDenied
    u = access_by_id(request.user, OrgUnit, unit) if unit else None
    return _ArrearsOutList(arrears.arrears_list(request.user, unit=u, min_months=max(1, min_months)))


class _ArrearsOutList(arrears.ArrearsList):
    def __init__(self, inner: arrears.ArrearsList):
        super().__init__(inner.runs)

    def _load(self, runs):
        return [
            {
                "person_id": r.person.pk,
                "name": r.person.name,
                "unit": r.person.unit,
                "months": r.run.months,
                "first_month": r.run.first_month,
                "last_month": r.run.last_month,
                "amount": r.run.amount,
                "has_reason": r.run.has_reason,
                "level": r.level,
                "case": r.case,
            }
            for r in super()._load(runs)
        ]


class DecisionIn(Schema):
    decision: str
    decided_on: datetime.date


@router.post("/arrears/{case_id}/decision", response={200: CaseOut, **WRITE_ERRORS}, summary="记录支部对欠缴党员的决定")
def decide(request, case_id: int, payload: DecisionIn):
    return arrears.arrears_decide(
        actor=request.user, case_id=case_id, decision=payload.decision, decided_on=payload.decided_on
    )


class MismatchOut(Schema):
    kind: str
    label: str
    order_no: str
    txn_id: str
    file_amount: Decimal | None
    ledger_amount: Decimal | None
    line: int | None
    note: str


class ReconcileOut(Schema):
    file_name: str
    date_from: datetime.date
    date_to: datetime.date
    file_rows: int
    file_total: Decimal
    ledger_orders: int
    ledger_total: Decimal
    matched: int
    counts: dict[str, int]
    mismatches: list[MismatchOut]


@router.post("/reconcile", response={200: ReconcileOut, **WRITE_ERRORS}, summary="上传渠道结算文件对账（不修改数据）")
def run_reconcile(
    request,
    file: UploadedFile = File(...),
    date_from: datetime.date | None = Form(None),
    date_to: datetime.date | None = Form(None),
):
    result = reconcile.reconcile(
        actor=request.user, file_name=file.name, data=file.read(), date_from=date_from, date_to=date_to
    )
    return {
        "file_name": result.file_name,
        "date_from": result.date_from,
        "date_to": result.date_to,
        "file_rows": result.file_rows,
        "file_total": result.file_total,
        "ledger_orders": result.ledger_orders,
        "ledger_total": result.ledger_total,
        "matched": result.matched,
        "counts": result.counts,
        "mismatches": [m.as_dict() for m in result.mismatches],
    }
