"""/api/fees/bills: monthly bills — list, exempt, generate (same services as the pages)."""

import datetime
from decimal import Decimal

from ninja import Query, Router, Schema
from ninja.pagination import paginate

from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS

from . import billing

router = Router(tags=["党费"])


class BillOut(Schema):
    id: int
    person_id: int
    person_name: str
    unit_id: int
    unit_name: str
    month: datetime.date
    amount_due: Decimal
    base_id: int | None
    status: str
    exemption_reason: str

    @staticmethod
    def resolve_person_name(obj) -> str:
        return obj.person.name

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name


class BillFilters(Schema):
    unit: int | None = None
    month: str = ""
    status: str = ""
    person: int | None = None


class ExemptIn(Schema):
    reason: str


class GenerateIn(Schema):
    month: str = ""
    unit_id: int | None = None


class GenerateOut(Schema):
    month: datetime.date
    eligible: int
    created: int
    existing: int
    missing_base: int
    not_yet: int


@router.get("/bills", response={200: list[BillOut], **READ_ERRORS})
@paginate
def list_bills(request, filters: Query[BillFilters]):
    """Bills in the caller's fees.view_bill scope; filters: unit (subtree), month (YYYY-MM), status, person."""
    return billing.bill_list(
        request.user, unit_id=filters.unit, month=filters.month or None, status=filters.status, person_id=filters.person
    )


@router.post("/bills/{bill_id}/exempt", response={200: BillOut, **WRITE_ERRORS})
def exempt_bill(request, bill_id: int, payload: ExemptIn):
    return billing.bill_exempt(actor=request.user, bill_id=bill_id, reason=payload.reason)


@router.post("/bills/generate", response={200: GenerateOut, **WRITE_ERRORS})
def generate(request, payload: GenerateIn):
    """Generate the missing bills of a month (default: this month) in the caller's fees.approve_dues
    scope, or in one unit of it. Idempotent."""
    from django.utils import timezone

    result = billing.bill_generate(
        actor=request.user, month=payload.month or timezone.localdate(), unit_id=payload.unit_id
    )
    return result
