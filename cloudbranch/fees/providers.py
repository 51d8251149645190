"""Payment providers: one interface, registered by ``settings.FEES_PROVIDERS`` (dotted paths).

A provider turns an order into something the member's phone can pay (a redirect URL or a QR
payload), verifies the provider's asynchronous callback (its signature, its format), and answers
a status query for orders that never got a callback. Real providers (WeChat Pay, Alipay, the
bank) plug in by implementing ``PaymentProvider``; the rules of what a callback does to the
ledger live in ``payments.py`` and are the same for every provider.

The sandbox provider is for development and tests: its checkout page is ours
(``fees:sandbox_checkout``), and "paying" makes it send a server-side callback signed with
HMAC-SHA256 over the raw body with ``settings.FEES_SANDBOX_SECRET``.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string


class CallbackInvalid(Exception):
    """The callback cannot be trusted or read (bad signature, malformed body): HTTP 400."""


@dataclass(frozen=True)
class Checkout:
    """Where the member goes to pay: a URL to redirect to, or a payload to show as a QR code."""

    redirect_url: str = ""
    qr_payload: str = ""


@dataclass(frozen=True)
class CallbackData:
    """A verified callback (or a query answer that says "paid"), in our terms."""

    order_no: str
    amount: Decimal
    txn_id: str
    paid_at: datetime.datetime


class QueryStatus:
    PAID = "paid"
    NOT_PAID = "not_paid"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class QueryResult:
    status: str
    data: CallbackData | None = None


class PaymentProvider:
    """What every payment provider implements."""

    name: str = ""
    label: str = ""
    # What the provider expects back from its callback endpoint (WeChat Pay wants XML/JSON,
    # Alipay the word "success"); ``callback_response`` turns our outcome into that.
    success_body = "success"
    failure_body = "fail"

    def create_checkout(self, order) -> Checkout:
        raise NotImplementedError

    def verify_callback(self, request_body: bytes, headers) -> CallbackData:
        """Parse and verify a callback; raise ``CallbackInvalid`` when it cannot be trusted."""
        raise NotImplementedError

    def query(self, order) -> QueryResult:
        """Ask the provider about an order that got no callback (before it is expired)."""
        raise NotImplementedError

    def callback_response(self, ok: bool) -> tuple[str, str]:
        """(body, content type) for the provider."""
        return (self.success_body if ok else self.failure_body), "text/plain; charset=utf-8"


def sandbox_sign(body: bytes, secret: str | None = None) -> str:
    key = (secret if secret is not None else settings.FEES_SANDBOX_SECRET).encode()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def _header(headers, name: str) -> str:
    """Headers from a Django request (``request.headers``, case-insensitive) or a plain dict."""
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        for key, v in headers.items():
            if key.lower() == lowered:
                return v
        return ""
    return value


class SandboxProvider(PaymentProvider):
    """The development provider: our own fake checkout page and an HMAC-signed JSON callback
    ``{order_no, amount, txn_id, paid_at}`` with the hex signature in ``X-Sandbox-Signature``."""

    name = "sandbox"
    label = "沙箱支付（开发测试）"
    signature_header = "X-Sandbox-Signature"

    def create_checkout(self, order) -> Checkout:
        return Checkout(redirect_url=reverse("fees:sandbox_checkout", args=[order.order_no]))

    def build_callback(self, order, *, txn_id: str, amount: Decimal | None = None) -> tuple[bytes, dict]:
        """The body and headers the sandbox "server" posts to us when the member pays."""
        body = json.dumps(
            {
                "order_no": order.order_no,
                "amount": str(order.amount if amount is None else amount),
                "txn_id": txn_id,
                "paid_at": timezone.now().isoformat(),
            },
            separators=(",", ":"),
        ).encode()
        return body, {self.signature_header: sandbox_sign(body)}

    def verify_callback(self, request_body: bytes, headers) -> CallbackData:
        signature = _header(headers, self.signature_header)
        if not signature or not hmac.compare_digest(signature, sandbox_sign(request_body)):
            raise CallbackInvalid("签名校验失败")
        try:
            data = json.loads(request_body)
            amount = Decimal(str(data["amount"]))
            paid_at = datetime.datetime.fromisoformat(str(data["paid_at"]))
            order_no, txn_id = str(data["order_no"]), str(data["txn_id"])
        except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
            raise CallbackInvalid(f"报文格式错误：{exc}") from None
        if timezone.is_naive(paid_at):
            paid_at = timezone.make_aware(paid_at)
        if not amount.is_finite() or not order_no or not txn_id:
            raise CallbackInvalid("报文字段无效")
        return CallbackData(order_no=order_no, amount=amount, txn_id=txn_id[:64], paid_at=paid_at)

    def query(self, order) -> QueryResult:
        # The sandbox keeps no state of its own: a payment it knows of has been sent as a callback.
        return QueryResult(QueryStatus.NOT_PAID)


@cache
def _registry(paths: tuple[str, ...]) -> dict[str, PaymentProvider]:
    providers = {}
    for dotted in paths:
        provider = import_string(dotted)()
        providers[provider.name] = provider
    return providers


def providers() -> dict[str, PaymentProvider]:
    """The configured providers by name (cached per configuration, so settings overrides in
    tests take effect)."""
    return _registry(tuple(settings.FEES_PROVIDERS))


def get_provider(name: str) -> PaymentProvider:
    """The provider called ``name``; ``KeyError`` when it is not configured."""
    return providers()[name]


def default_provider_name() -> str:
    return next(iter(providers()))
