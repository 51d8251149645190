"""/api/fees: my dues, orders, offline payments, the ledger and reversals — the same services as
the pages. The provider callback is a plain Django view (fees:callback): providers post their own
formats, not our JSON."""

import datetime
from decimal import Decimal

from django.db.models import Exists, OuterRef
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS
from cloudbranch.people.selectors import own_person

from . import payments
from .choices import BillStatus
from .models import Bill, LedgerEntry
from .providers import get_provider

router = Router(tags=["党费"])

HISTORY_LIMIT = 20


class BillOut(Schema):
    id: int
    month: datetime.date
    amount_due: Decimal
    status: str


class EntryOut(Schema):
    id: int
    person_id: int
    person_name: str
    unit_id: int
    bill_id: int | None
    order_id: int | None
    kind: str
    method: str
    amount: Decimal
    month: datetime.date
    receipt_no: str
    reverses_id: int | None
    reason: str
    reversed: bool
    created_at: datetime.datetime

    @staticmethod
    def resolve_person_name(obj) -> str:
        return obj.person.name

    @staticmethod
    def resolve_reversed(obj) -> bool:
        return bool(getattr(obj, "is_reversed", False))


class MineOut(Schema):
    person_id: int | None
    open_bills: list[BillOut]
    open_total: Decimal
    history: list[EntryOut]


class OrderIn(Schema):
    bill_ids: list[int]


class OrderOut(Schema):
    order_no: str
    amount: Decimal
    provider: str
    status: str
    created_at: datetime.datetime
    expires_at: datetime.datetime
    paid_at: datetime.datetime | None
    bill_ids: list[int]
    checkout_url: str = ""
    qr_payload: str = ""
    entry_ids: list[int] = []


class OfflineIn(Schema):
    bill_ids: list[int]
    method: str
    receipt_no: str
    paid_on: datetime.date


class ReverseIn(Schema):
    reason: str


class EntryFilters(Schema):
    person_id: int | None = None
    unit_id: int | None = None
    month: datetime.date | None = None
    kind: str | None = None


def _order_out(order) -> dict:
    data = {
        "order_no": order.order_no,
        "amount": order.amount,
        "provider": order.provider,
        "status": order.status,
        "created_at": order.created_at,
        "expires_at": order.expires_at,
        "paid_at": order.paid_at,
        "bill_ids": list(order.bills.order_by("month").values_list("pk", flat=True)),
        "entry_ids": list(order.entries.order_by("month", "pk").values_list("pk", flat=True)),
    }
    if order.status == "created":
        checkout = get_provider(order.provider).create_checkout(order)
        data["checkout_url"] = checkout.redirect_url
        data["qr_payload"] = checkout.qr_payload
    return data


@router.get("/mine", response={200: MineOut, **READ_ERRORS}, summary="我的党费：待缴账单与最近缴费记录")
def mine(request):
    person = own_person(request.user)
    if person is None:
        return {"person_id": None, "open_bills": [], "open_total": Decimal("0.00"), "history": []}
    bills = list(Bill.objects.filter(person=person, status=BillStatus.OPEN).order_by("month", "pk"))
    history = list(
        LedgerEntry.objects.filter(person=person)
        .select_related("person")
        .annotate(is_reversed=Exists(LedgerEntry.objects.filter(reverses=OuterRef("pk"))))
        .order_by("-created_at", "-id")[:HISTORY_LIMIT]
    )
    return {
        "person_id": person.pk,
        "open_bills": bills,
        "open_total": sum((b.amount_due for b in bills), Decimal("0.00")),
        "history": history,
    }


@router.post("/orders", response={201: OrderOut, **WRITE_ERRORS}, summary="为本人的待缴账单创建支付订单")
def order_create(request, payload: OrderIn):
    order = payments.order_create(actor=request.user, bill_ids=payload.bill_ids)
    return 201, _order_out(order)


@router.get("/orders/{order_no}", response={200: OrderOut, **READ_ERRORS}, summary="本人订单状态")
def order_detail(request, order_no: str):
    order = payments.order_refresh(payments.access_own_order(request.user, order_no))
    return _order_out(order)


@router.post(
    "/payments/offline", response={201: list[EntryOut], **WRITE_ERRORS}, summary="党费收缴员登记线下缴费（现金/转账）"
)
def offline_payment(request, payload: OfflineIn):
    entries = payments.offline_payment(
        actor=request.user,
        bill_ids=payload.bill_ids,
        method=payload.method,
        receipt_no=payload.receipt_no,
        paid_on=payload.paid_on,
    )
    return 201, entries


@router.post("/entries/{entry_id}/reverse", response={201: EntryOut, **WRITE_ERRORS}, summary="冲正一条台账记录")
def entry_reverse(request, entry_id: int, payload: ReverseIn):
    reversal = payments.entry_reverse(actor=request.user, entry_id=entry_id, reason=payload.reason)
    return 201, reversal


@router.get("/entries", response={200: list[EntryOut], **READ_ERRORS}, summary="党费台账（本人及管辖范围内）")
@paginate
def entry_list(request, filters: Query[EntryFilters]):
    return payments.entry_list(
        user=request.user,
        filters={"person": filters.person_id, "unit": filters.unit_id, "month": filters.month, "kind": filters.kind},
    )
