"""Test helpers of dues (others may append functions at the end)."""

import datetime
from decimal import Decimal

from cloudbranch.fees.choices import BaseKind, BaseStatus
from cloudbranch.fees.models import DuesBase
from cloudbranch.fees.standards import monthly_dues


def make_base(
    person,
    *,
    amount="4000.00",
    kind=BaseKind.SALARY,
    effective_from=datetime.date(2020, 1, 1),
    status=BaseStatus.APPROVED,
    by,
) -> DuesBase:
    """A dues base written directly (no permission check, no audit; tests only)."""
    amount = Decimal(amount)
    return DuesBase.objects.create(
        person=person,
        base_kind=kind,
        amount=amount,
        effective_from=effective_from,
        monthly_dues=monthly_dues(kind, amount, on=effective_from),
        status=status,
        declared_by=by,
        decided_by=by if status == BaseStatus.APPROVED else None,
    )
