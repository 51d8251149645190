"""Payment pages: the member's dues (phone first), paying through a provider, the order status
page, the sandbox's checkout, the provider callback endpoint, receipts, the fee collector's
offline payment, the ledger list and reversals. Thin: the rules live in payments.py."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core.errors import DomainError
from cloudbranch.orgs.scoping import holds
from cloudbranch.people.models import Person
from cloudbranch.people.selectors import own_person

from . import ledger, payments
from .choices import BillStatus, EntryKind, OrderStatus, PaymentMethod
from .models import Bill, LedgerEntry
from .money import to_fen
from .providers import get_provider

PAGE_SIZE = 20


def _my_dues_context(request, person, *, error: str = "", errors: list | None = None, selected=()) -> dict:
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year") or today.year)
    except ValueError:
        year = today.year
    context = {"person": person, "error": error, "errors": errors or [], "year": year, "selected": set(selected)}
    if person is None:
        return context
    open_bills = list(Bill.objects.filter(person=person, status=BillStatus.OPEN).order_by("month", "pk"))
    history = (
        LedgerEntry.objects.filter(person=person)
        .select_related("reverses")
        .annotate(is_reversed=Exists(LedgerEntry.objects.filter(reverses=OuterRef("pk"))))
        .order_by("-created_at", "-id")
    )
    summary = ledger.member_year_summary(person, year)
    context.update(
        open_bills=open_bills,
        open_total=sum((b.amount_due for b in open_bills), ledger.ZERO),
        history=Paginator(history, PAGE_SIZE).get_page(request.GET.get("page")),
        summary=summary,
        # SQLite sums decimals as floats; every figure shown goes back to the fen.
        summary_due=to_fen(sum((r["due"] for r in summary), ledger.ZERO)),
        summary_paid=to_fen(sum((r["paid"] for r in summary), ledger.ZERO)),
        summary_voluntary=to_fen(sum((r["voluntary"] for r in summary), ledger.ZERO)),
        years=range(today.year, today.year - 5, -1),
    )
    return context


@require_GET
def my_dues(request):
    """What I owe (tick months, pay them together), what I paid with receipts, the year in sum."""
    person = own_person(request.user)
    context = _my_dues_context(request, person)
    if request.htmx and request.GET.get("page"):
        return render(request, "fees/my_dues.html#history", context)
    return render(request, "fees/my_dues.html", context)


@require_POST
def pay(request):
    """Create an order for the ticked bills and send the member to the provider."""
    bill_ids = request.POST.getlist("bill")
    try:
        order = payments.order_create(actor=request.user, bill_ids=bill_ids)
    except DomainError as exc:
        person = own_person(request.user)
        context = _my_dues_context(request, person, error=exc.message, errors=exc.errors, selected=bill_ids)
        return render(request, "fees/my_dues.html", context, status=exc.status)
    checkout = get_provider(order.provider).create_checkout(order)
    if checkout.redirect_url:
        return redirect(checkout.redirect_url)
    return redirect("fees:order", order_no=order.order_no)


@require_GET
def order(request, order_no: str):
    """The order's status; the HTMX fragment polls every 2 s while it waits for the callback."""
    order = payments.access_own_order(request.user, order_no)
    order = payments.order_refresh(order)
    entries = list(order.entries.order_by("month", "pk")) if order.status == OrderStatus.PAID else []
    qr = ""
    if order.status == OrderStatus.CREATED:
        checkout = get_provider(order.provider).create_checkout(order)
        qr = checkout.qr_payload
        checkout_url = checkout.redirect_url
    else:
        checkout_url = ""
    context = {
        "order": order,
        "bills": order.bills.order_by("month"),
        "entries": entries,
        "waiting": order.status == OrderStatus.CREATED,
        "checkout_url": checkout_url,
        "qr_svg": _qr_svg(qr) if qr else "",
        "Status": OrderStatus,
    }
    template = "fees/pay_order.html#status" if request.htmx else "fees/pay_order.html"
    return render(request, template, context)


def _qr_svg(payload: str) -> str:
    import segno

    return segno.make(payload, error="m").svg_inline(scale=5)


@require_http_methods(["GET", "POST"])
def sandbox_checkout(request, order_no: str):
    """The sandbox provider's fake payment page: 模拟支付成功 / 取消."""
    order = payments.access_own_order(request.user, order_no)
    if order.provider != "sandbox":
        raise Http404
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "pay":
                payments.sandbox_pay(actor=request.user, order_no=order_no)
                return redirect("fees:order", order_no=order_no)
            if action == "cancel":
                payments.order_cancel(actor=request.user, order_no=order_no)
                messages.info(request, "已取消支付。")
                return redirect("fees:my_dues")
        except DomainError as exc:
            return render(
                request,
                "fees/sandbox_checkout.html",
                {"order": order, "bills": order.bills.order_by("month"), "error": exc.message},
                status=exc.status,
            )
        return redirect("fees:sandbox_checkout", order_no=order_no)
    return render(request, "fees/sandbox_checkout.html", {"order": order, "bills": order.bills.order_by("month")})


@csrf_exempt
@login_not_required
@require_POST
def callback(request, provider: str):
    """The provider's asynchronous notification (server to server). Answers in the provider's
    expected form; the rules are in payments.callback_handle."""
    result = payments.callback_handle(provider=provider, body=request.body, headers=request.headers)
    try:
        body, content_type = get_provider(provider).callback_response(result.ok)
    except KeyError:
        body, content_type = "unknown provider", "text/plain; charset=utf-8"
    return HttpResponse(body, status=result.status, content_type=content_type)


@require_GET
def receipt(request, entry_id: int):
    """A printable receipt: the member's own, or any a fee collector and up sees in his scope."""
    entry = payments.access_entry(request.user, entry_id)
    reversal = LedgerEntry.objects.filter(reverses=entry).select_related("approved_by").first()
    return render(
        request,
        "fees/receipt_detail.html",
        {
            "entry": entry,
            "reversal": reversal,
            "may_reverse": reversal is None and payments.may_reverse(request.user, entry),
            "centre": payments.is_centre_remittance(entry),
            "refund_flag": entry.reason.startswith(payments.REFUND_FLAG),
        },
    )


@require_POST
def reverse_entry(request, entry_id: int):
    """The secretary approves a correction or refund: a reversal entry."""
    try:
        reversal = payments.entry_reverse(actor=request.user, entry_id=entry_id, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("fees:receipt", entry_id=entry_id)
    messages.success(request, "已冲正。")
    return redirect("fees:receipt", entry_id=reversal.pk)


def _offline_context(request, *, form: dict, error: str = "", errors: list | None = None) -> dict:
    user = request.user
    q = (request.GET.get("q") or request.POST.get("q") or "").strip()
    person = None
    person_id = request.GET.get("person") or request.POST.get("person")
    if person_id:
        try:
            person = Person.objects.restrict(user, "view").select_related("unit").get(pk=person_id)
        except (Person.DoesNotExist, ValueError):
            raise Http404 from None
    context = {
        "q": q,
        "person": person,
        "form": form,
        "error": error,
        "errors": errors or [],
        "methods": [
            (PaymentMethod.CASH, PaymentMethod.CASH.label),
            (PaymentMethod.TRANSFER, PaymentMethod.TRANSFER.label),
        ],
        "today": timezone.localdate(),
    }
    if person is not None:
        context["open_bills"] = list(
            Bill.objects.restrict(user, "view").filter(person=person, status=BillStatus.OPEN).order_by("month", "pk")
        )
    else:
        members = (
            Person.objects.restrict(user, "view")
            .filter(Exists(Bill.objects.filter(person=OuterRef("pk"), status=BillStatus.OPEN)))
            .select_related("unit")
            .order_by("unit__path", "name", "pk")
        )
        if q:
            members = members.filter(name__contains=q)
        context["members"] = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    return context


@require_http_methods(["GET", "POST"])
def offline(request):
    """The fee collector records cash or a transfer: pick a member with open bills in his units,
    tick the months, the method and the paper receipt's number."""
    if not payments.may_record_offline(request.user):
        raise PermissionDenied
    if request.method == "POST":
        form = {
            "bills": request.POST.getlist("bill"),
            "method": request.POST.get("method", ""),
            "receipt_no": request.POST.get("receipt_no", ""),
            "paid_on": request.POST.get("paid_on", ""),
        }
        try:
            entries = payments.offline_payment(
                actor=request.user,
                bill_ids=form["bills"],
                method=form["method"],
                receipt_no=form["receipt_no"],
                paid_on=form["paid_on"],
            )
        except DomainError as exc:
            context = _offline_context(request, form=form, error=exc.message, errors=exc.errors)
            return render(request, "fees/pay_offline.html", context, status=exc.status)
        total = sum(e.amount for e in entries)
        messages.success(request, f"已登记 {len(entries)} 个月党费，共 {total} 元。")
        return redirect(reverse("fees:offline") + f"?person={entries[0].person_id}")
    form = {"bills": [], "method": PaymentMethod.CASH, "receipt_no": "", "paid_on": timezone.localdate().isoformat()}
    return render(request, "fees/pay_offline.html", _offline_context(request, form=form))


@require_GET
def entries(request):
    """The ledger in the user's scope (fee collectors and up): newest first, filter by month/kind."""
    if not holds(request.user, "fees.view_ledgerentry"):
        raise PermissionDenied
    filters = {"kind": request.GET.get("kind", "")}
    month = request.GET.get("month", "")
    if month:
        try:
            filters["month"] = datetime.date.fromisoformat(f"{month}-01")
        except ValueError:
            month = ""
    if filters["kind"] not in EntryKind.values:
        filters["kind"] = ""
    qs = payments.entry_list(user=request.user, filters=filters, scoped_only=True)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "month": month, "kind": filters["kind"], "kinds": EntryKind.choices}
    template = "fees/pay_entries.html#list" if request.htmx else "fees/pay_entries.html"
    return render(request, template, context)
