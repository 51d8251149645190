"""Paying dues: online orders and provider callbacks, offline payments, voluntary payments,
reversals and receipts. Every money movement is a ``LedgerEntry`` (append-only, ADR 0005).

Rules of the callback (``callback_handle``), the same for every provider:

- Every callback is written to ``CallbackLog`` as received, whatever happens next.
- A callback whose signature or format fails is refused (HTTP 400) and changes nothing.
- An unknown order number is refused (HTTP 404) and changes nothing.
- The order row is locked (``select_for_update``) for the whole decision, so two copies of one
  callback arriving at once produce one payment.
- Replay: a callback for an order already paid with the same transaction id is answered
  "success" and changes nothing. Out of order: a callback with another transaction id for an
  order already paid is ignored (logged; a double charge is found by reconciliation).
- The amount must equal the order's: otherwise the order is marked failed and nothing is paid.
- Late callback (the order had expired — timed out, replaced by a newer order, or cancelled):
  the money has arrived, so it is accepted. Each bill still open is paid as usual. A bill that
  was meanwhile paid (offline, or by the newer order) or exempted is not paid twice: its share
  is recorded as a voluntary entry (``kind=voluntary``, no bill) whose reason starts with
  ``REFUND_FLAG``; the secretary refunds it by reversing that entry (``entry_reverse``).
  ``refunds_pending`` lists such entries not yet reversed.

A single voluntary payment of 1000 yuan or more goes in full to the Centre (中组发〔2008〕3号):
its entry's reason starts with ``CENTRE_FLAG`` so that the remittance report can pick it out.
"""

from __future__ import annotations

import datetime
import logging
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from cloudbranch.audit.services import audit_record
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.notifications.services import notify
from cloudbranch.orgs.scoping import access_by_id, can, granted_prefixes, holds, scope_q
from cloudbranch.people.models import Person
from cloudbranch.people.selectors import own_person

from .choices import BillStatus, EntryKind, OrderStatus, PaymentMethod
from .models import Bill, CallbackLog, LedgerEntry, PaymentOrder
from .money import to_fen
from .providers import CallbackData, CallbackInvalid, QueryStatus, SandboxProvider, default_provider_name, get_provider

logger = logging.getLogger(__name__)

REFUND_FLAG = "【重复到账·待冲正退款】"
CENTRE_FLAG = "【全额上缴中央】"
CENTRE_THRESHOLD = Decimal("1000.00")
OFFLINE_METHODS = (PaymentMethod.CASH, PaymentMethod.TRANSFER)
NOTIFY_CATEGORY = "system"


def _month_label(month: datetime.date) -> str:
    return f"{month.year}年{month.month}月"


def _order_minutes() -> int:
    return int(getattr(settings, "FEES_ORDER_MINUTES", 30))


def _new_order_no(now: datetime.datetime) -> str:
    """Date + 12 random hex digits; unique (checked) and not guessable."""
    day = timezone.localtime(now).strftime("%Y%m%d")
    for _ in range(5):
        candidate = f"{day}{secrets.token_hex(6).upper()}"
        if not PaymentOrder.objects.filter(order_no=candidate).exists():
            return candidate
    raise RuntimeError("could not allocate a unique order number")


def _ids(values) -> list[int]:
    out: list[int] = []
    for v in values or []:
        try:
            pk = int(v)
        except (TypeError, ValueError):
            raise DomainError("账单编号无效。", errors=[{"field": "bill_ids", "message": f"无效编号 {v}"}]) from None
        if pk not in out:
            out.append(pk)
    return out


# --- Orders -------------------------------------------------------------------------------


def _expire_orders_holding(bills, *, actor, reason: str) -> None:
    """One open order per bill: a newer order (or an offline payment) closes the older ones."""
    through = PaymentOrder.bills.through
    order_ids = set(
        through.objects.filter(bill__in=bills, paymentorder__status=OrderStatus.CREATED).values_list(
            "paymentorder_id", flat=True
        )
    )
    if not order_ids:
        return
    for order in PaymentOrder.objects.select_for_update().filter(pk__in=order_ids, status=OrderStatus.CREATED):
        order.status = OrderStatus.EXPIRED
        order.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="fees.paymentorder.expire",
            target=order,
            changes={"status": {"old": OrderStatus.CREATED, "new": OrderStatus.EXPIRED}, "reason": reason},
        )


def _require_open(bills: list[Bill], message: str) -> None:
    """Refuse (409) when any of the bills is already paid or exempt, naming each such month."""
    closed = [b for b in bills if b.status != BillStatus.OPEN]
    if closed:
        raise ConflictError(
            message,
            errors=[
                {"field": "bill_ids", "message": f"{_month_label(b.month)}：{b.get_status_display()}"} for b in closed
            ],
        )


def order_create(*, actor, bill_ids, provider: str | None = None) -> PaymentOrder:
    """An online order for some of the member's own open bills (several months at once).

    The amount is the sum of the bills; the order expires after ``FEES_ORDER_MINUTES``; a bill
    is in at most one open order, so an older open order holding one of these bills expires.
    """
    person = own_person(actor)
    if person is None:
        raise DomainError("您的账号未关联党员信息，无法缴纳党费。")
    ids = _ids(bill_ids)
    if not ids:
        raise DomainError("请选择要缴纳的账单。", errors=[{"field": "bill_ids", "message": "请至少选择一项"}])
    name = provider or default_provider_name()
    try:
        get_provider(name)
    except KeyError:
        raise DomainError("不支持的支付渠道。", errors=[{"field": "provider", "message": name}]) from None
    now = timezone.now()
    with transaction.atomic():
        bills = list(Bill.objects.select_for_update().filter(pk__in=ids, person=person).order_by("month", "pk"))
        if len(bills) != len(ids):
            raise Http404
        _require_open(bills, "所选账单中有已缴或免缴的月份，请刷新后重试。")
        amount = sum((b.amount_due for b in bills), Decimal("0.00"))
        if amount <= 0:
            raise DomainError("应缴金额为零，无需支付。")
        _expire_orders_holding(bills, actor=actor, reason="superseded")
        order = PaymentOrder.objects.create(
            order_no=_new_order_no(now),
            person=person,
            amount=to_fen(amount),
            provider=name,
            created_by=actor,
            created_at=now,
            expires_at=now + datetime.timedelta(minutes=_order_minutes()),
        )
        order.bills.set(bills)
        audit_record(
            actor=actor,
            action="fees.paymentorder.create",
            target=order,
            changes={
                "amount": str(order.amount),
                "provider": name,
                "bills": [b.pk for b in bills],
                "months": [b.month.isoformat() for b in bills],
            },
        )
    return order


def access_own_order(user, order_no: str) -> PaymentOrder:
    """The member's own order; 404 for anybody else's (orders are private to the payer)."""
    order = (
        PaymentOrder.objects.select_related("person").filter(order_no=order_no, person__user_id=user.pk).first()
        if user.is_authenticated
        else None
    )
    if order is None:
        raise Http404
    return order


def order_cancel(*, actor, order_no: str) -> PaymentOrder:
    """The member gives up on an open order (取消 at checkout); a callback that still arrives is
    handled as a late callback."""
    with transaction.atomic():
        order = access_own_order(actor, order_no)
        order = PaymentOrder.objects.select_for_update().get(pk=order.pk)
        if order.status != OrderStatus.CREATED:
            raise ConflictError("该订单已不能取消。")
        order.status = OrderStatus.EXPIRED
        order.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="fees.paymentorder.cancel",
            target=order,
            changes={"status": {"old": OrderStatus.CREATED, "new": OrderStatus.EXPIRED}},
        )
    return order


# --- Callbacks ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CallbackResult:
    ok: bool
    status: int
    outcome: str


def _peek_order_no(body: bytes) -> str:
    import json

    try:
        return str(json.loads(body).get("order_no", ""))[:40]
    except (ValueError, AttributeError, TypeError):
        return ""


def _log(provider: str, order_no: str, body: bytes, *, signature_ok: bool, outcome: str) -> None:
    CallbackLog.objects.create(
        provider=provider[:32],
        order_no=order_no[:40],
        body=body.decode("utf-8", "replace")[:100_000],
        signature_ok=signature_ok,
        outcome=outcome[:200],
    )


def callback_handle(*, provider: str, body: bytes, headers) -> CallbackResult:
    """Handle one provider callback (see the module docstring for every rule)."""
    try:
        prov = get_provider(provider)
    except KeyError:
        _log(provider, _peek_order_no(body), body, signature_ok=False, outcome="unknown provider")
        return CallbackResult(False, 404, "unknown provider")
    try:
        data = prov.verify_callback(body, headers)
    except CallbackInvalid as exc:
        _log(provider, _peek_order_no(body), body, signature_ok=False, outcome=f"rejected: {exc}")
        logger.warning("dues callback rejected", extra={"provider": provider, "reason": str(exc)})
        return CallbackResult(False, 400, f"rejected: {exc}")
    with transaction.atomic():
        order = PaymentOrder.objects.select_for_update().filter(order_no=data.order_no, provider=provider).first()
        if order is None:
            result = CallbackResult(False, 404, "unknown order")
        else:
            result = _settle(order, data, via="callback")
        _log(provider, data.order_no, body, signature_ok=True, outcome=result.outcome)
    return result


def _settle(order: PaymentOrder, data: CallbackData, *, via: str) -> CallbackResult:
    """Apply a verified payment to a locked order."""
    if order.status == OrderStatus.PAID:
        if order.provider_txn_id == data.txn_id:
            return CallbackResult(True, 200, "duplicate: already paid")
        return CallbackResult(True, 200, f"ignored: order already paid by {order.provider_txn_id}")
    if to_fen(data.amount) != order.amount:
        if order.status != OrderStatus.FAILED:
            old = order.status
            order.status = OrderStatus.FAILED
            order.save(update_fields=["status"])
            audit_record(
                actor=None,
                action="fees.paymentorder.fail",
                target=order,
                changes={
                    "status": {"old": old, "new": OrderStatus.FAILED},
                    "expected": str(order.amount),
                    "received": str(data.amount),
                    "txn_id": data.txn_id,
                },
            )
        return CallbackResult(False, 400, f"amount mismatch: expected {order.amount}, got {data.amount}")
    if order.status == OrderStatus.FAILED:
        return CallbackResult(False, 400, "ignored: order failed")
    late = order.status == OrderStatus.EXPIRED
    entries = _pay_order(order, data, via=via, late=late)
    flagged = sum(1 for e in entries if e.kind == EntryKind.VOLUNTARY)
    outcome = "paid" + (" late" if late else "") + (f", {flagged} flagged for refund" if flagged else "")
    return CallbackResult(True, 200, outcome)


def _receipt_no(order: PaymentOrder, index: int) -> str:
    return f"{order.order_no}-{index:02d}"


def _pay_order(order: PaymentOrder, data: CallbackData, *, via: str, late: bool) -> list[LedgerEntry]:
    bills = list(Bill.objects.select_for_update().filter(orders=order).select_related("unit").order_by("month", "pk"))
    person = order.person
    payer = order.created_by
    entries: list[LedgerEntry] = []
    now = timezone.now()
    for index, bill in enumerate(bills, start=1):
        common = {
            "person": person,
            "unit": bill.unit,
            "order": order,
            "method": PaymentMethod.ONLINE,
            "amount": bill.amount_due,
            "month": bill.month,
            "receipt_no": _receipt_no(order, index),
            "created_by": payer,
            "created_at": now,
        }
        if bill.status == BillStatus.OPEN:
            entry = LedgerEntry(bill=bill, kind=EntryKind.PAYMENT, reason=f"在线支付 {order.order_no}", **common)
            entry.save(force_insert=True)
            bill.status = BillStatus.PAID
            bill.save(update_fields=["status"])
        else:
            entry = LedgerEntry(
                kind=EntryKind.VOLUNTARY,
                reason=(
                    f"{REFUND_FLAG}订单 {order.order_no} 逾期到账，{_month_label(bill.month)}账单"
                    f"已{bill.get_status_display()}，此款待冲正退款"
                ),
                **common,
            )
            entry.save(force_insert=True)
        entries.append(entry)
    old = order.status
    order.status = OrderStatus.PAID
    order.paid_at = data.paid_at
    order.provider_txn_id = data.txn_id
    order.save(update_fields=["status", "paid_at", "provider_txn_id"])
    audit_record(
        actor=None,
        action="fees.paymentorder.pay",
        target=order,
        changes={
            "status": {"old": old, "new": OrderStatus.PAID},
            "txn_id": data.txn_id,
            "amount": str(order.amount),
            "via": via,
            "late": late,
            "entries": [e.pk for e in entries],
        },
    )
    if person.user_id:
        months = "、".join(_month_label(b.month) for b in bills)
        notify(
            recipients=[person.user_id],
            category=NOTIFY_CATEGORY,
            title=f"党费缴纳成功：{order.amount} 元",
            body=f"已收到您 {months} 的党费，订单号 {order.order_no}。",
            url=reverse("fees:order", args=[order.order_no]),
        )
    return entries


def order_expire_stale(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Close orders past ``expires_at`` that got no callback: ask the provider first; one it
    reports paid is settled like a callback, the others are marked expired."""
    now = now or timezone.now()
    counts = {"expired": 0, "paid": 0, "skipped": 0}
    pks = list(
        PaymentOrder.objects.filter(status=OrderStatus.CREATED, expires_at__lt=now).values_list("pk", flat=True)[:5000]
    )
    for pk in pks:
        counts[_expire_one(pk, now=now)] += 1
    return counts


def order_refresh(order: PaymentOrder, *, now: datetime.datetime | None = None) -> PaymentOrder:
    """On the status page: an open order past its time is resolved now rather than by the task."""
    now = now or timezone.now()
    if order.status == OrderStatus.CREATED and order.expires_at < now:
        _expire_one(order.pk, now=now)
        order.refresh_from_db()
    return order


def _expire_one(pk: int, *, now) -> str:
    order = PaymentOrder.objects.get(pk=pk)
    try:
        answer = get_provider(order.provider).query(order)
    except KeyError:
        answer = None
    except Exception:  # a provider outage must not stop the sweep; the order stays open
        logger.exception("dues provider query failed", extra={"order_no": order.order_no})
        return "skipped"
    with transaction.atomic():
        order = PaymentOrder.objects.select_for_update().get(pk=pk)
        if order.status != OrderStatus.CREATED or order.expires_at >= now:
            return "skipped"
        if answer is not None and answer.status == QueryStatus.PAID and answer.data is not None:
            result = _settle(order, answer.data, via="query")
            return "paid" if result.ok else "skipped"
        order.status = OrderStatus.EXPIRED
        order.save(update_fields=["status"])
        audit_record(
            actor=None,
            action="fees.paymentorder.expire",
            target=order,
            changes={
                "status": {"old": OrderStatus.CREATED, "new": OrderStatus.EXPIRED},
                "query": answer.status if answer else "no provider",
            },
        )
    return "expired"


@task()
def expire_stale_orders() -> dict[str, int]:
    """Background sweep (django-tasks): see ``order_expire_stale``."""
    return order_expire_stale()


# --- The sandbox's side -------------------------------------------------------------------


def sandbox_pay(*, actor, order_no: str) -> PaymentOrder:
    """The member presses 模拟支付成功 on the sandbox checkout: the sandbox "server" then posts
    its signed callback to us — queued as a task after commit, never an HTTP request to ourselves."""
    order = access_own_order(actor, order_no)
    provider = get_provider(order.provider)
    if not isinstance(provider, SandboxProvider):
        raise Http404
    if order.status != OrderStatus.CREATED:
        raise ConflictError("该订单已不能支付。")
    txn_id = f"SBX{timezone.localtime().strftime('%Y%m%d%H%M%S')}{secrets.token_hex(4).upper()}"
    body, headers = provider.build_callback(order, txn_id=txn_id)
    transaction.on_commit(
        lambda: deliver_sandbox_callback.enqueue(provider.name, body.decode(), headers[provider.signature_header])
    )
    return order


@task()
def deliver_sandbox_callback(provider_name: str, body: str, signature: str) -> str:
    """What the sandbox's server does after a payment: post the signed callback."""
    result = callback_handle(
        provider=provider_name, body=body.encode(), headers={SandboxProvider.signature_header: signature}
    )
    return result.outcome


# --- Offline and voluntary payments -------------------------------------------------------


def _require_collector(actor) -> None:
    if not holds(actor, "fees.add_ledgerentry"):
        raise PermissionDenied


def _check_receipt(receipt_no: str, paid_on) -> tuple[str, datetime.date]:
    errors = []
    receipt_no = (receipt_no or "").strip()
    if not receipt_no:
        errors.append({"field": "receipt_no", "message": "请填写收据号"})
    elif len(receipt_no) > 40:
        errors.append({"field": "receipt_no", "message": "收据号不超过 40 个字符"})
    if isinstance(paid_on, str):
        try:
            paid_on = datetime.date.fromisoformat(paid_on)
        except ValueError:
            paid_on = None
    if not isinstance(paid_on, datetime.date):
        errors.append({"field": "paid_on", "message": "请填写收款日期"})
    elif paid_on > timezone.localdate():
        errors.append({"field": "paid_on", "message": "收款日期不能晚于今天"})
    if errors:
        raise DomainError("收款信息不完整。", errors=errors)
    return receipt_no, paid_on


def offline_payment(*, actor, bill_ids, method: str, receipt_no: str, paid_on) -> list[LedgerEntry]:
    """The fee collector records cash or a transfer for open bills of one member, with the paper
    receipt's number. Needs ``fees.add_ledgerentry`` at the bills' unit (403 without it anywhere,
    404 for bills outside what the actor sees)."""
    _require_collector(actor)
    ids = _ids(bill_ids)
    if not ids:
        raise DomainError("请选择要缴纳的账单。", errors=[{"field": "bill_ids", "message": "请至少选择一项"}])
    if method not in OFFLINE_METHODS:
        raise DomainError("请选择现金或转账。", errors=[{"field": "method", "message": "无效的缴纳方式"}])
    receipt_no, paid_on = _check_receipt(receipt_no, paid_on)
    with transaction.atomic():
        bills = list(
            Bill.objects.restrict(actor, "view")
            .select_for_update()
            .filter(pk__in=ids)
            .select_related("unit", "person")
            .order_by("month", "pk")
        )
        if len(bills) != len(ids):
            raise Http404
        if any(not can(actor, "fees.add_ledgerentry", b.unit) for b in bills):
            raise PermissionDenied
        if len({b.person_id for b in bills}) != 1:
            raise DomainError(
                "一次只能为一名党员登记缴费。", errors=[{"field": "bill_ids", "message": "账单属于多名党员"}]
            )
        _require_open(bills, "所选账单中有已缴或免缴的月份。")
        _expire_orders_holding(bills, actor=actor, reason="paid offline")
        label = PaymentMethod(method).label
        now = timezone.now()
        entries = []
        for bill in bills:
            entry = LedgerEntry(
                person=bill.person,
                unit=bill.unit,
                bill=bill,
                kind=EntryKind.PAYMENT,
                method=method,
                amount=bill.amount_due,
                month=bill.month,
                receipt_no=receipt_no,
                reason=f"线下缴纳（{label}），收款日期 {paid_on.isoformat()}",
                created_by=actor,
                created_at=now,
            )
            entry.save(force_insert=True)
            bill.status = BillStatus.PAID
            bill.save(update_fields=["status"])
            audit_record(
                actor=actor,
                action="fees.ledgerentry.create",
                target=entry,
                changes={
                    "kind": EntryKind.PAYMENT,
                    "method": method,
                    "amount": str(entry.amount),
                    "bill": bill.pk,
                    "receipt_no": receipt_no,
                    "paid_on": paid_on.isoformat(),
                },
            )
            entries.append(entry)
    return entries


def voluntary_payment(
    *, actor, person_id: int, amount, method: str, receipt_no: str, paid_on, note: str = ""
) -> LedgerEntry:
    """A voluntary contribution of any amount, recorded by the fee collector. One of 1000 yuan or
    more goes in full to the Centre (中组发〔2008〕3号): flagged with ``CENTRE_FLAG``."""
    _require_collector(actor)
    person = access_by_id(actor, Person, person_id)
    if not can(actor, "fees.add_ledgerentry", person.unit):
        raise PermissionDenied
    if method not in (*OFFLINE_METHODS, PaymentMethod.ONLINE):
        raise DomainError("无效的缴纳方式。", errors=[{"field": "method", "message": "无效的缴纳方式"}])
    try:
        value = to_fen(amount if isinstance(amount, Decimal) else Decimal(str(amount)))
    except (TypeError, ValueError, ArithmeticError):
        raise DomainError("金额无效。", errors=[{"field": "amount", "message": "请填写金额"}]) from None
    if value <= 0:
        raise DomainError("金额必须大于零。", errors=[{"field": "amount", "message": "金额必须大于零"}])
    receipt_no, paid_on = _check_receipt(receipt_no, paid_on)
    reason = ((CENTRE_FLAG if value >= CENTRE_THRESHOLD else "") + "自愿多交党费" + (f"：{note}" if note else ""))[:500]
    with transaction.atomic():
        entry = LedgerEntry(
            person=person,
            unit=person.unit,
            kind=EntryKind.VOLUNTARY,
            method=method,
            amount=value,
            month=paid_on.replace(day=1),
            receipt_no=receipt_no,
            reason=reason,
            created_by=actor,
        )
        entry.save(force_insert=True)
        audit_record(
            actor=actor,
            action="fees.ledgerentry.create",
            target=entry,
            changes={
                "kind": EntryKind.VOLUNTARY,
                "amount": str(value),
                "method": method,
                "centre": value >= CENTRE_THRESHOLD,
            },
        )
    return entry


def is_centre_remittance(entry: LedgerEntry) -> bool:
    return entry.kind == EntryKind.VOLUNTARY and entry.reason.startswith(CENTRE_FLAG)


def refunds_pending(user):
    """Over-payments from late callbacks not yet refunded (reversed), in the user's scope."""
    return (
        LedgerEntry.objects.restrict(user, "view")
        .filter(kind=EntryKind.VOLUNTARY, reason__startswith=REFUND_FLAG, reversed_by__isnull=True)
        .select_related("person", "unit")
    )


# --- Reversals ----------------------------------------------------------------------------


def entry_reverse(*, actor, entry_id: int, reason: str) -> LedgerEntry:
    """Correct or refund an entry by appending its negative (ADR 0005). Only ``fees.approve_dues``
    at the entry's unit; an entry is reversed at most once and a reversal is never reversed. A
    reversed bill payment reopens the bill."""
    entry = access_by_id(actor, LedgerEntry, entry_id, action="fees.approve_dues")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写冲正原因。", errors=[{"field": "reason", "message": "请填写冲正原因"}])
    if entry.kind == EntryKind.REVERSAL:
        raise ConflictError("冲正记录不能再次冲正。")
    try:
        with transaction.atomic():
            entry = LedgerEntry.objects.select_for_update().get(pk=entry.pk)
            if LedgerEntry.objects.filter(reverses=entry).exists():
                raise ConflictError("该记录已冲正，不能重复冲正。")
            reversal = LedgerEntry(
                person_id=entry.person_id,
                unit_id=entry.unit_id,
                bill_id=entry.bill_id,
                order_id=entry.order_id,
                kind=EntryKind.REVERSAL,
                method=entry.method,
                amount=-entry.amount,
                month=entry.month,
                receipt_no=entry.receipt_no,
                reverses=entry,
                reason=reason[:500],
                approved_by=actor,
                created_by=actor,
            )
            reversal.save(force_insert=True)
            reopened = False
            if entry.bill_id is not None:
                bill = Bill.objects.select_for_update().get(pk=entry.bill_id)
                if bill.status == BillStatus.PAID:
                    bill.status = BillStatus.OPEN
                    bill.save(update_fields=["status"])
                    reopened = True
            audit_record(
                actor=actor,
                action="fees.ledgerentry.reverse",
                target=reversal,
                changes={
                    "reverses": entry.pk,
                    "amount": str(reversal.amount),
                    "reason": reason,
                    "bill_reopened": reopened,
                },
            )
    except IntegrityError:  # a concurrent reversal of the same entry won the OneToOne
        raise ConflictError("该记录已冲正，不能重复冲正。") from None
    return reversal


# --- Reads --------------------------------------------------------------------------------


def entries_visible_q(user):
    """Entries the user may read: those in the scope of ``fees.view_ledgerentry`` and their own."""
    from django.db.models import Q

    prefixes = granted_prefixes(user, "fees.view_ledgerentry")
    q = Q(person__user_id=user.pk) if user.is_authenticated else Q(pk__in=[])
    if prefixes:
        q |= scope_q(LedgerEntry.scope_path, prefixes)
    return q


def entry_list(*, user, filters: dict | None = None, scoped_only: bool = False):
    """Ledger entries the user may read, newest first; filters: person, unit (subtree), month, kind.
    ``scoped_only`` leaves out the user's own entries that are outside his grants (ledger pages)."""
    filters = filters or {}
    base = (
        LedgerEntry.objects.restrict(user, "view")
        if scoped_only
        else LedgerEntry.objects.filter(entries_visible_q(user))
    )
    qs = base.select_related("person", "unit").annotate(
        is_reversed=Exists(LedgerEntry.objects.filter(reverses=OuterRef("pk")))
    )
    if filters.get("person"):
        qs = qs.filter(person_id=filters["person"])
    if filters.get("unit"):
        from cloudbranch.orgs.models import OrgUnit

        unit = OrgUnit.objects.filter(pk=filters["unit"]).only("path").first()
        qs = qs.filter(unit__path__startswith=unit.path) if unit else qs.none()
    if filters.get("month"):
        qs = qs.filter(month=filters["month"])
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    return qs.order_by("-created_at", "-id")


def access_entry(user, entry_id) -> LedgerEntry:
    """One entry for its receipt: the member's own, or one a fee collector and up sees; else 404."""
    try:
        return (
            LedgerEntry.objects.filter(entries_visible_q(user))
            .select_related("person", "unit", "bill", "order", "reverses", "created_by", "approved_by")
            .get(pk=entry_id)
        )
    except (LedgerEntry.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def may_reverse(user, entry: LedgerEntry) -> bool:
    return entry.kind != EntryKind.REVERSAL and can(user, "fees.approve_dues", entry.unit)


def may_record_offline(user) -> bool:
    return holds(user, "fees.add_ledgerentry")
