"""Helpers for the payment tests: bills made directly (bill generation is another area), a fee
collector, and signed sandbox callbacks."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

from django.utils import timezone

from cloudbranch.fees.models import Bill
from cloudbranch.fees.providers import sandbox_sign
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import UserFactory, grant


def make_bill(person, month: datetime.date | str, amount="10.00", *, status="open", unit=None) -> Bill:
    if isinstance(month, str):
        month = datetime.date.fromisoformat(f"{month}-01")
    return Bill.objects.create(
        person=person, unit=unit or person.unit, month=month, amount_due=Decimal(amount), status=status
    )


def fee_collector(unit, **kwargs):
    user = UserFactory(**kwargs)
    grant(user, unit, Role.FEE_COLLECTOR)
    return user


def signed_callback(order_no: str, amount, *, txn_id: str = "TXN1", paid_at=None, secret=None) -> tuple[bytes, dict]:
    body = json.dumps(
        {
            "order_no": order_no,
            "amount": str(amount),
            "txn_id": txn_id,
            "paid_at": (paid_at or timezone.now()).isoformat(),
        }
    ).encode()
    return body, {"X-Sandbox-Signature": sandbox_sign(body, secret)}
