"""Monthly bills (党费账单): generation, exemptions, lists.

Who owes a bill for month M (``generate_bills``)
- Party members (probationary and full) on the roster (roster_status active) at generation time.
- One bill per member and month (unique constraint ``fees_bill_one_per_month``). Generation is
  idempotent: people who already have a bill for M are left out by an anti-join, and the insert
  ignores conflicts, so a second (or concurrent) run creates nothing.
- The amount: ``monthly_dues`` of the base in force (``bases.base_for``: latest approved base with
  effective_from ≤ M) under the standard in force on M; without an approved base, the category
  default (students: the student flat dues; retirees, faculty and staff: no bill until a base is
  approved — see ``bases``). Past bills are never recomputed when a base or standard changes.

Mid-month rule (written down here and in the README)
- A member owes month M only if he was a Party member on the 1st of M: ``joined_on`` ≤ the 1st.
  Somebody admitted during M is billed from M+1.
- Somebody entered into the roster during M after its 1st (a transfer in from outside the
  system: ``Person.created_at`` falls in M after the 1st) is billed from M+1; their previous
  organization collects M. Records entered in a later month are back-fill and are billed normally.
- A transfer between units inside the system does not skip a month: the bill of M belongs to
  the unit the member was in on the 1st of M. That unit is read from the member's unit-change
  history (the earliest ``PersonEvent`` of kind "unit" dated after the 1st gives the old unit);
  without such an event (the usual case: generation on the 1st) it is the member's unit at
  generation time. If that old unit is no longer active, the current unit is used.
- ``unit=`` limits generation to members currently in that unit's subtree.

Performance: people are read in keyset batches with ``values_list`` (no model instances), the
bases of a batch in one query, bills written with ``bulk_create``; one summary audit row per run
(bills are derived data; the bases they come from are audited one by one).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import asdict, dataclass

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from cloudbranch.audit.services import audit_record
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import access_by_id, granted_prefixes
from cloudbranch.people.choices import PersonEventKind
from cloudbranch.people.models import Person, PersonEvent

from . import standards
from .bases import APPROVE, bases_in_force, default_kind, month_start
from .choices import BillStatus
from .models import Bill
from .money import to_fen

logger = logging.getLogger(__name__)

BATCH = 5000


@dataclass
class GenerationResult:
    month: datetime.date
    eligible: int = 0
    created: int = 0
    existing: int = 0
    missing_base: int = 0
    not_yet: int = 0  # joined or entered during the month: billed from the next one

    def as_dict(self) -> dict:
        data = asdict(self)
        data["month"] = self.month.isoformat()
        return data


def next_month(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def parse_month(value) -> datetime.date:
    """'2025-03', '2025-03-17' or a date → the 1st of that month; DomainError otherwise."""
    if isinstance(value, datetime.date):
        return month_start(value)
    text = str(value or "").strip()
    try:
        parts = [int(p) for p in text.split("-")[:2]]
        return datetime.date(parts[0], parts[1], 1)
    except (ValueError, IndexError):
        raise DomainError(
            "月份格式应为 YYYY-MM", errors=[{"field": "month", "message": "月份格式应为 YYYY-MM"}]
        ) from None


def _units_on_first(month: datetime.date, person_q: Q) -> dict[int, int]:
    """person_id → the unit they were in on the 1st of ``month``, for people who changed unit since."""
    first = month
    rows = (
        PersonEvent.objects.filter(person_q, kind=PersonEventKind.UNIT, occurred_at__date__gt=first)
        .order_by("occurred_at", "id")
        .values_list("person_id", "effective_on", "occurred_at", "details")
    )
    earliest: dict[int, tuple[datetime.date, int]] = {}
    for person_id, effective_on, occurred_at, details in rows:
        when = effective_on or timezone.localtime(occurred_at).date()
        old = (details or {}).get("old_unit")
        if when <= first or not old:
            continue
        if person_id not in earliest or when < earliest[person_id][0]:
            earliest[person_id] = (when, old)
    if not earliest:
        return {}
    active = set(
        OrgUnit.objects.filter(pk__in={u for _, u in earliest.values()}, status="active").values_list("pk", flat=True)
    )
    return {pid: unit for pid, (_, unit) in earliest.items() if unit in active}


def generate_bills(month, *, unit: OrgUnit | None = None, actor=None) -> GenerationResult:
    """Create the missing bills of ``month`` (see the module doc for who owes and the mid-month rule)."""
    month = parse_month(month)
    following = next_month(month)
    result = GenerationResult(month=month)
    people = Person.objects.on_roster().party_members()
    if unit is not None:
        people = people.filter(unit__path__startswith=unit.path)
    dues_cache: dict[tuple[str, object], object] = {}

    def dues(kind, amount):
        key = (kind, amount)
        if key not in dues_cache:
            dues_cache[key] = standards.monthly_dues(kind, amount, on=month)
        return dues_cache[key]

    tz = timezone.get_current_timezone()
    first_moment = datetime.datetime.combine(month + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    following_moment = datetime.datetime.combine(following, datetime.time.min, tzinfo=tz)
    has_bill = Bill.objects.filter(person_id=OuterRef("pk"), month=month)
    moved = _units_on_first(month, Q(person__in=people))
    now = timezone.now()
    last_id = 0
    while True:
        batch = list(
            people.filter(pk__gt=last_id)
            .annotate(billed=Exists(has_bill))
            .order_by("pk")
            .values_list("pk", "unit_id", "category", "joined_on", "created_at", "billed")[:BATCH]
        )
        if not batch:
            break
        last_id = batch[-1][0]
        lo, hi = batch[0][0], last_id
        bases = bases_in_force(Q(person_id__gte=lo, person_id__lte=hi), month)
        bills = []
        for pk, unit_id, category, joined_on, created_at, billed in batch:
            if joined_on is not None and joined_on > month:
                result.not_yet += 1
                continue
            if first_moment <= created_at < following_moment:
                result.not_yet += 1
                continue
            result.eligible += 1
            if billed:
                result.existing += 1
                continue
            base = bases.get(pk)
            if base is not None:
                base_id, amount_due = base[0], dues(base[1], base[2])
            else:
                kind = default_kind(category)
                if kind is None:
                    result.missing_base += 1
                    continue
                base_id, amount_due = None, dues(kind, 0)
            bills.append(
                Bill(
                    person_id=pk,
                    unit_id=moved.get(pk, unit_id),
                    month=month,
                    amount_due=amount_due,
                    base_id=base_id,
                    status=BillStatus.OPEN,
                    created_at=now,
                )
            )
        if bills:
            with transaction.atomic():
                Bill.objects.bulk_create(bills, batch_size=1000, ignore_conflicts=True)
            result.created += len(bills)
    audit_record(
        actor=actor,
        action="fees.bill.generate",
        target=unit,
        changes={k: {"old": None, "new": v} for k, v in result.as_dict().items()},
    )
    logger.info("bills generated: %s", result.as_dict())
    return result


def bill_generate(*, actor, month, unit_id=None) -> GenerationResult:
    """Generation asked for by a person (page/API): fees.approve_dues at the unit (default: the
    highest unit where the actor holds it — one run per granted subtree)."""
    from django.core.exceptions import PermissionDenied

    prefixes = granted_prefixes(actor, APPROVE)
    if not prefixes:
        raise PermissionDenied
    if unit_id:
        unit = access_by_id(actor, OrgUnit, unit_id)
        if not unit.path.startswith(prefixes):
            raise PermissionDenied
        units = [unit]
    else:
        units = list(OrgUnit.objects.filter(path__in=prefixes))
    total = None
    for unit in units:
        r = generate_bills(month, unit=unit, actor=actor)
        if total is None:
            total = r
        else:
            for f in ("eligible", "created", "existing", "missing_base", "not_yet"):
                setattr(total, f, getattr(total, f) + getattr(r, f))
    return total or GenerationResult(month=parse_month(month))


def bill_exempt(*, actor, bill_id: int, reason: str) -> Bill:
    """Exempt an open bill (第七条: hardship, with approval); the reason is required and audited."""
    bill = access_by_id(actor, Bill, bill_id, action=APPROVE, queryset=Bill.objects.select_related("person", "unit"))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写免缴原因", errors=[{"field": "reason", "message": "请填写免缴原因"}])
    if len(reason) > 500:
        raise DomainError("免缴原因过长", errors=[{"field": "reason", "message": "免缴原因最多 500 个字"}])
    with transaction.atomic():
        bill = Bill.objects.select_for_update().get(pk=bill.pk)
        if bill.status != BillStatus.OPEN:
            raise ConflictError(f"该账单{bill.get_status_display()}，不能免缴")
        if bill.entries.exists():
            raise ConflictError("该账单已有缴费记录，不能免缴；如需退款请走冲正")
        bill.status = BillStatus.EXEMPT
        bill.exemption_reason = reason
        bill.exemption_approved_by = actor
        bill.save(update_fields=["status", "exemption_reason", "exemption_approved_by"])
        audit_record(
            actor=actor,
            action="fees.bill.exempt",
            target=bill,
            changes={
                "status": {"old": BillStatus.OPEN, "new": BillStatus.EXEMPT},
                "exemption_reason": {"old": "", "new": reason},
            },
        )
    return bill


# --- selectors ---------------------------------------------------------------------------


def bill_list(user, *, unit_id=None, month=None, status: str = "", person_id=None):
    """Bills in the user's fees.view_bill scope with filters (unit subtree, month, status, person)."""
    qs = Bill.objects.restrict(user, "view").select_related("person", "unit", "exemption_approved_by")
    if unit_id:
        unit = OrgUnit.objects.filter(pk=unit_id).only("path").first()
        qs = qs.filter(unit__path__startswith=unit.path) if unit else qs.none()
    if month:
        qs = qs.filter(month=parse_month(month))
    if status:
        qs = qs.filter(status=status)
    if person_id:
        qs = qs.filter(person_id=person_id)
    return qs.order_by("-month", "unit_id", "person__name", "id")


def bill_totals(qs) -> dict:
    """Count and amount per status of a bill queryset (one query)."""
    agg = {"count": Count("id"), "amount": Sum("amount_due")}
    for status in BillStatus.values:
        agg[f"{status}_count"] = Count("id", filter=Q(status=status))
        agg[f"{status}_amount"] = Sum("amount_due", filter=Q(status=status))
    data = qs.order_by().aggregate(**agg)
    zero = to_fen(0)
    return {k: (v if v is not None else (0 if k.endswith("count") else zero)) for k, v in data.items()}
