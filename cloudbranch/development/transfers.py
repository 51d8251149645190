"""Transfers of organizational relationship (组织关系转接): services and selectors.

Three kinds (SPEC §4, 党员教育管理工作条例 第二十五条):

* internal (系统内): ``pending_out`` → sending side approves → ``pending_in`` → receiving side
  approves → ``completed``; the person's unit changes through ``person_record_change`` (a history
  event with the reason and the effective date). The open development case follows by itself,
  since it is scoped by the person's unit (细则 第十二条: an activist's materials move too).
* outgoing (转出至系统外): ``pending_out`` → sending side approves → ``letter_issued`` (letter
  number, validity, receipt due date) → the receipt comes back → ``completed``; the person
  leaves the roster (``transferred_out``).
* incoming (从系统外转入): ``pending_in`` → receiving side checks and approves → ``completed``;
  the person is created, or reactivated when their ID number is already known.

Multi-level approval: each side is approved first at the branch (the person's branch, by a
holder of ``development.approve_transfer`` over it); when the transfer crosses the boundary of
the side's nearest committee (党委、二级党委或党总支: the other end is not inside it, or is
outside the system), that committee approves too. Every decision is a ``TransferApproval``
(side, level unit). Any approval step may be refused (退回, with a comment); the requester may
cancel while the transfer is open. A move that does not fit the state is a ``ConflictError``.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.services import audit_event, audit_record
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.orgs.choices import UnitKind, UnitStatus
from cloudbranch.orgs.models import OrgUnit, RoleAssignment
from cloudbranch.orgs.roles import ROLE_PERMISSIONS
from cloudbranch.orgs.scoping import can, granted_prefixes, holds, scope_q
from cloudbranch.orgs.services import membership_roles_follow
from cloudbranch.people import crypto, idcard
from cloudbranch.people.choices import Category, Gender, PoliticalStatus, RosterStatus
from cloudbranch.people.models import Person
from cloudbranch.people.services import MEMBER_UNIT_KINDS, check_member_unit, person_create, person_record_change

from .choices import ApprovalDecision, TransferKind, TransferSide, TransferStatus
from .models import Reminder, Transfer, TransferApproval

VIEW = "development.view_transfer"
ADD = "development.add_transfer"
APPROVE = "development.approve_transfer"

COMMITTEE_KINDS = frozenset({UnitKind.COMMITTEE, UnitKind.SUB_COMMITTEE, UnitKind.GENERAL_BRANCH})
OPEN_STATUSES = frozenset({TransferStatus.PENDING_OUT, TransferStatus.PENDING_IN, TransferStatus.LETTER_ISSUED})
FINAL_STATUSES = frozenset({TransferStatus.COMPLETED, TransferStatus.REJECTED, TransferStatus.CANCELLED})
# Who may be transferred: Party members and the people in development (applicants, activists,
# candidates, whose materials move with them).
TRANSFERABLE_STATUSES = frozenset(
    {
        PoliticalStatus.APPLICANT,
        PoliticalStatus.ACTIVIST,
        PoliticalStatus.CANDIDATE,
        PoliticalStatus.PROBATIONARY,
        PoliticalStatus.FULL,
    }
)
INCOMING_STATUSES = (PoliticalStatus.PROBATIONARY, PoliticalStatus.FULL)
LETTER_PREFIX = "CB"
LETTER_RE = re.compile(r"^[A-Za-z0-9\-（）()〔〕\[\]第号\u4e00-\u9fff]{1,64}$")
DEFAULT_VALID_DAYS = 90
MAX_VALID_DAYS = 365
STALE_DAYS = 7
APPROVER_ROLES = tuple(role for role, perms in ROLE_PERMISSIONS.items() if APPROVE in perms)


def notify_category() -> str:
    from cloudbranch.notifications.choices import Category as NotificationCategory

    return "development" if "development" in NotificationCategory.values else "system"


def _err(field: str, message: str) -> DomainError:
    return DomainError(message, errors=[{"field": field, "message": message}])


def _raise_if(errors: list[dict]) -> None:
    if errors:
        raise DomainError("请检查填写的内容：" + "；".join(e["message"] for e in errors), errors=errors)


# --- approval levels --------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    side: str  # TransferSide
    unit: OrgUnit
    is_committee: bool

    @property
    def label(self) -> str:
        side = TransferSide(self.side).label
        return f"{side}·{self.unit.name}" + ("（上级党组织）" if self.is_committee else "")


def _ancestor_map(units: list[OrgUnit]) -> dict[int, OrgUnit]:
    ids = {pk for u in units if u is not None for pk in u.ancestor_ids}
    if not ids:
        return {}
    return {u.pk: u for u in OrgUnit.objects.filter(pk__in=ids).only("id", "name", "code", "kind", "path", "parent_id")}


def _branch_level(unit: OrgUnit, ancestors: dict[int, OrgUnit]) -> OrgUnit:
    """A group's approvals are given by its branch."""
    if unit.kind == UnitKind.GROUP and unit.parent_id in ancestors:
        return ancestors[unit.parent_id]
    return unit


def _committee_of(unit: OrgUnit, ancestors: dict[int, OrgUnit]) -> OrgUnit | None:
    """The nearest ancestor that is a committee, a sub-committee or a general branch."""
    for pk in reversed(unit.ancestor_ids):
        anc = ancestors.get(pk)
        if anc is not None and anc.kind in COMMITTEE_KINDS:
            return anc
    return None


def required_levels(transfer: Transfer, ancestors: dict[int, OrgUnit] | None = None) -> list[Level]:
    """Every approval the transfer needs, in order: sending branch, sending committee (if the
    transfer leaves it), receiving branch, receiving committee (if it comes from outside it)."""
    cached = getattr(transfer, "_levels", None)
    if cached is not None:
        return cached
    src, dst = transfer.from_unit, transfer.to_unit
    if ancestors is None:
        ancestors = _ancestor_map([u for u in (src, dst) if u is not None])
    levels: list[Level] = []
    if transfer.kind in (TransferKind.INTERNAL, TransferKind.OUTGOING) and src is not None:
        levels.append(Level(TransferSide.SENDING, _branch_level(src, ancestors), False))
        committee = _committee_of(src, ancestors)
        if committee is not None and (dst is None or not dst.path.startswith(committee.path)):
            levels.append(Level(TransferSide.SENDING, committee, True))
    if transfer.kind in (TransferKind.INTERNAL, TransferKind.INCOMING) and dst is not None:
        levels.append(Level(TransferSide.RECEIVING, _branch_level(dst, ancestors), False))
        committee = _committee_of(dst, ancestors)
        if committee is not None and (src is None or not src.path.startswith(committee.path)):
            levels.append(Level(TransferSide.RECEIVING, committee, True))
    transfer._levels = levels
    return levels


def _approvals(transfer: Transfer) -> list[TransferApproval]:
    cache = getattr(transfer, "_prefetched_objects_cache", {})
    if "approvals" in cache:
        return list(cache["approvals"])
    return list(transfer.approvals.all())


def current_side(transfer: Transfer) -> str | None:
    if transfer.status == TransferStatus.PENDING_OUT:
        return TransferSide.SENDING
    if transfer.status == TransferStatus.PENDING_IN:
        return TransferSide.RECEIVING
    return None


def next_level(transfer: Transfer) -> Level | None:
    """The approval the transfer waits for, or None when no decision is pending."""
    side = current_side(transfer)
    if side is None:
        return None
    done = {a.unit_id for a in _approvals(transfer) if a.side == side and a.decision == ApprovalDecision.APPROVED}
    for level in required_levels(transfer):
        if level.side == side and level.unit.pk not in done:
            return level
    return None


def level_states(transfer: Transfer) -> list[dict]:
    """For the timeline: each required level with its decision (or waiting)."""
    approvals = _approvals(transfer)
    nxt = next_level(transfer)
    out = []
    for level in required_levels(transfer):
        decision = next((a for a in approvals if a.side == level.side and a.unit_id == level.unit.pk), None)
        out.append({"level": level, "approval": decision, "waiting": nxt is not None and nxt == level})
    return out


def may_decide(user, transfer: Transfer) -> bool:
    level = next_level(transfer)
    return level is not None and can(user, APPROVE, level.unit)


def requesting_unit(transfer: Transfer) -> OrgUnit | None:
    return transfer.to_unit if transfer.kind == TransferKind.INCOMING else transfer.from_unit


def may_cancel(user, transfer: Transfer) -> bool:
    return transfer.status in OPEN_STATUSES and transfer.requested_by_id == getattr(user, "pk", None)


def may_record_receipt(user, transfer: Transfer) -> bool:
    return (
        transfer.kind == TransferKind.OUTGOING
        and transfer.status == TransferStatus.LETTER_ISSUED
        and transfer.from_unit is not None
        and can(user, ADD, transfer.from_unit)
    )


# --- access ---------------------------------------------------------------------------------


def transfer_queryset():
    return Transfer.objects.select_related("from_unit", "to_unit", "person", "requested_by", "batch")


def access_transfer(user, pk, action: str = "view", *, queryset=None) -> Transfer:
    """A transfer either side of which is in the user's scope (else 404); ``action``:
    ``view``; ``add`` (may act for the requesting side: cancel, receipt); ``approve`` (holds
    ``development.approve_transfer`` over either end). Visible but not allowed → 403."""
    qs = queryset if queryset is not None else transfer_queryset()
    try:
        transfer = qs.restrict(user, "view").get(pk=pk)
    except (Transfer.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if action == "view":
        return transfer
    if action == "add":
        unit = requesting_unit(transfer)
        if unit is None or not can(user, ADD, unit):
            raise PermissionDenied
    elif action == "approve":
        units = [u for u in (transfer.from_unit, transfer.to_unit) if u is not None]
        if not any(can(user, APPROVE, u) for u in units):
            raise PermissionDenied
    else:
        raise ValueError(action)
    return transfer


# --- notifications ------------------------------------------------------------------------------


def approvers_of(unit: OrgUnit) -> list[int]:
    """Users who may approve at ``unit``: the holders at the deepest unit (the unit itself or
    its nearest ancestor) that has any, so a branch's transfer goes to its secretary, not to
    every organization-department administrator above."""
    ids = [*unit.ancestor_ids, unit.pk]
    rows = list(
        RoleAssignment.objects.active()
        .filter(unit_id__in=ids, role__in=APPROVER_ROLES, unit__status=UnitStatus.ACTIVE, user__is_active=True)
        .values_list("user_id", "unit__depth")
    )
    if not rows:
        return []
    deepest = max(depth for _, depth in rows)
    return sorted({uid for uid, depth in rows if depth == deepest})


def _detail_url(transfer: Transfer) -> str:
    try:
        return reverse("development:transfer_detail", args=[transfer.pk])
    except Exception:  # noqa: BLE001 - the pages may not be installed (API-only deployments)
        return ""


def _notify(recipients, transfer: Transfer, title: str, body: str = "", actor=None) -> None:
    from cloudbranch.notifications.services import notify

    recipients = [r for r in recipients if r]
    if not recipients:
        return
    notify(
        recipients=recipients,
        category=notify_category(),
        title=title,
        body=body,
        url=_detail_url(transfer),
        actor=actor,
    )


def _notify_next(transfer: Transfer, actor=None) -> None:
    level = next_level(transfer)
    if level is None:
        return
    _notify(
        approvers_of(level.unit),
        transfer,
        f"组织关系转接待审批：{transfer.person_name}",
        f"{transfer.get_kind_display()}，{_route(transfer)}，请在{level.unit.name}审批。",
        actor=actor,
    )


def _notify_person(transfer: Transfer, title: str, actor=None) -> None:
    person = transfer.person
    if person is not None and person.user_id:
        _notify([person.user_id], transfer, title, _route(transfer), actor=actor)


def _route(transfer: Transfer) -> str:
    src = transfer.from_unit.name if transfer.from_unit else transfer.external_org
    dst = transfer.to_unit.name if transfer.to_unit else transfer.external_org
    return f"{src} → {dst}"


# --- creation -------------------------------------------------------------------------------


def target_units(q: str = "", *, limit: int = 20):
    """Active branches, groups and mobile branches of the whole system, by name or code (names
    and codes of units are not secret inside the platform) — the destination of an internal
    transfer may be outside the requester's scope."""
    qs = OrgUnit.objects.filter(status=UnitStatus.ACTIVE, kind__in=MEMBER_UNIT_KINDS).only(
        "id", "name", "code", "kind", "path"
    )
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(code__istartswith=q))
    return qs.order_by("path")[:limit]


def resolve_target(value) -> OrgUnit | None:
    """A destination unit by id or code (any active member unit of the system)."""
    if value in (None, ""):
        return None
    qs = OrgUnit.objects.all()
    if isinstance(value, OrgUnit):
        return value
    text = str(value).strip()
    unit = qs.filter(code__iexact=text).first()
    if unit is None and text.isdigit():
        unit = qs.filter(pk=int(text)).first()
    return unit


def transferable_people(user, q: str = "", *, limit: int | None = 30):
    """People on the roster the user may transfer out (name, staff number)."""
    qs = (
        Person.objects.restrict(user, ADD)
        .filter(roster_status=RosterStatus.ACTIVE, political_status__in=TRANSFERABLE_STATUSES)
        .select_related("unit")
        .only("id", "name", "staff_number", "department", "political_status", "unit__name", "unit__code")
    )
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(staff_number__startswith=q))
    qs = qs.order_by("name", "id")
    return qs[:limit] if limit else qs


def person_errors(person: Person) -> list[dict]:
    """Why this person cannot be transferred now (empty: they can)."""
    errors = []
    if person.roster_status != RosterStatus.ACTIVE:
        errors.append({"field": "person", "message": f"{person.name}不在册（{person.get_roster_status_display()}）"})
    if person.political_status not in TRANSFERABLE_STATUSES:
        errors.append(
            {
                "field": "person",
                "message": f"{person.name}的政治面貌为{person.get_political_status_display()}，"
                "只有党员和入党申请人、积极分子、发展对象可以转接组织关系",
            }
        )
    return errors


def target_errors(unit: OrgUnit | None, person_unit: OrgUnit | None, field: str = "to_unit") -> list[dict]:
    if unit is None:
        return [{"field": field, "message": "接收党组织不存在，请按名称或编码搜索选择"}]
    if (msg := check_member_unit(unit)) is not None:
        return [{"field": field, "message": str(msg)}]
    if person_unit is not None and unit.pk == person_unit.pk:
        return [{"field": field, "message": "接收党组织与转出党组织相同"}]
    return []


def _open_transfer_error(person: Person) -> dict | None:
    if Transfer.objects.filter(person=person, status__in=OPEN_STATUSES).exists():
        return {"field": "person", "message": f"{person.name}已有未办结的组织关系转接"}
    return None


def _load_person(actor, person_id) -> Person:
    try:
        person = Person.objects.restrict(actor, VIEW).select_related("unit").get(pk=int(person_id))
    except (Person.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    if not can(actor, ADD, person.unit):
        raise PermissionDenied
    return person


def _check_common(*, reason: str, dues_paid_until, today: datetime.date) -> list[dict]:
    errors = []
    if not (reason or "").strip():
        errors.append({"field": "reason", "message": "请填写转接原因"})
    elif len(reason) > 200:
        errors.append({"field": "reason", "message": "转接原因过长（最多 200 字）"})
    if dues_paid_until is not None and dues_paid_until > today + datetime.timedelta(days=366 * 2):
        errors.append({"field": "dues_paid_until", "message": "党费交至日期不合理"})
    return errors


def _audit_changes(transfer: Transfer) -> dict:
    changes = {
        "kind": {"new": transfer.kind},
        "status": {"new": transfer.status},
        "person": {"new": transfer.person_id},
        "from_unit": {"new": transfer.from_unit_id},
        "to_unit": {"new": transfer.to_unit_id},
    }
    if transfer.external_org:
        changes["external_org"] = {"new": transfer.external_org}
    if transfer.letter_number:
        changes["letter_number"] = {"new": transfer.letter_number}
    if transfer.kind == TransferKind.INCOMING:
        changes["id_number"] = {"changed": True}
    return changes


def transfer_create_internal(
    *, actor, person_id: int, to_unit, reason: str, dues_paid_until=None, note: str = "", batch=None
) -> Transfer:
    """Request moving a person to another unit of the system (pending the sending side)."""
    today = timezone.localdate()
    with transaction.atomic():
        person = _load_person(actor, person_id)
        target = resolve_target(to_unit)
        errors = person_errors(person) + target_errors(target, person.unit)
        errors += _check_common(reason=reason, dues_paid_until=dues_paid_until, today=today)
        if not errors and (dup := _open_transfer_error(person)):
            errors.append(dup)
        _raise_if(errors)
        transfer = Transfer.objects.create(
            kind=TransferKind.INTERNAL,
            status=TransferStatus.PENDING_OUT,
            person=person,
            person_name=person.name,
            from_unit=person.unit,
            to_unit=target,
            reason=reason.strip(),
            dues_paid_until=dues_paid_until,
            note=note or "",
            batch=batch,
            requested_by=actor,
        )
        audit_record(
            actor=actor, action="development.transfer.create", target=transfer, changes=_audit_changes(transfer)
        )
        _notify_next(transfer, actor=actor)
        _notify_person(transfer, "已为您申请组织关系转接", actor=actor)
    return transfer


def next_letter_number(year: int) -> str:
    """``CB-2026-000123``: the next number of the year among the letters issued here."""
    prefix = f"{LETTER_PREFIX}-{year}-"
    numbers = Transfer.objects.filter(letter_number__startswith=prefix).values_list("letter_number", flat=True)
    top = 0
    for value in numbers:
        tail = value[len(prefix) :]
        if tail.isdigit():
            top = max(top, int(tail))
    return f"{prefix}{top + 1:06d}"


def _letter_errors(letter_number: str, valid_days) -> list[dict]:
    errors = []
    if letter_number:
        if not LETTER_RE.match(letter_number):
            errors.append({"field": "letter_number", "message": "介绍信编号只能包含字母、数字、汉字和连字符"})
        elif Transfer.objects.filter(kind=TransferKind.OUTGOING, letter_number=letter_number).exists():
            errors.append({"field": "letter_number", "message": f"介绍信编号 {letter_number} 已被使用"})
    if valid_days is None or not (1 <= int(valid_days) <= MAX_VALID_DAYS):
        errors.append({"field": "letter_valid_days", "message": f"介绍信有效期应为 1 至 {MAX_VALID_DAYS} 天"})
    return errors


def transfer_create_outgoing(
    *,
    actor,
    person_id: int,
    external_org: str,
    reason: str,
    letter_number: str = "",
    letter_valid_days: int | None = DEFAULT_VALID_DAYS,
    dues_paid_until=None,
    note: str = "",
    batch=None,
) -> Transfer:
    """Request a transfer to a Party organization outside the system (a letter will be issued)."""
    today = timezone.localdate()
    letter_number = (letter_number or "").strip()
    external_org = (external_org or "").strip()
    with transaction.atomic():
        person = _load_person(actor, person_id)
        errors = person_errors(person)
        if not external_org:
            errors.append({"field": "external_org", "message": "请填写去向党组织"})
        elif len(external_org) > 200:
            errors.append({"field": "external_org", "message": "去向党组织名称过长（最多 200 字）"})
        errors += _check_common(reason=reason, dues_paid_until=dues_paid_until, today=today)
        errors += _letter_errors(letter_number, letter_valid_days)
        if not errors and (dup := _open_transfer_error(person)):
            errors.append(dup)
        _raise_if(errors)
        number = letter_number or next_letter_number(today.year)
        try:
            # Two requests at the same moment could compute the same next number: the unique
            # constraint on outgoing letter numbers refuses the second.
            with transaction.atomic():
                transfer = Transfer.objects.create(
                    kind=TransferKind.OUTGOING,
                    status=TransferStatus.PENDING_OUT,
                    person=person,
                    person_name=person.name,
                    from_unit=person.unit,
                    external_org=external_org,
                    reason=reason.strip(),
                    letter_number=number,
                    letter_valid_days=int(letter_valid_days),
                    dues_paid_until=dues_paid_until,
                    note=note or "",
                    batch=batch,
                    requested_by=actor,
                )
        except IntegrityError:
            if Transfer.objects.filter(kind=TransferKind.OUTGOING, letter_number=number).exists():
                raise ConflictError(f"介绍信编号 {number} 已被使用（可能有人同时开具了介绍信），请重新提交。") from None
            raise ConflictError(f"{person.name}已有一项正在办理的组织关系转接。") from None
        audit_record(
            actor=actor, action="development.transfer.create", target=transfer, changes=_audit_changes(transfer)
        )
        _notify_next(transfer, actor=actor)
        _notify_person(transfer, "已为您申请转出组织关系", actor=actor)
    return transfer


def incoming_errors(data: dict, *, today: datetime.date) -> tuple[list[dict], idcard.IdNumber | None]:
    """The checks of an incoming person's details (before anything is stored)."""
    errors: list[dict] = []
    parsed = None
    name = (data.get("name") or "").strip()
    if not name:
        errors.append({"field": "name", "message": "请填写姓名"})
    elif len(name) > 64:
        errors.append({"field": "name", "message": "姓名过长（最多 64 个字符）"})
    try:
        parsed = idcard.parse(data.get("id_number") or "", today=today)
    except idcard.IdNumberError as exc:
        errors.append({"field": "id_number", "message": str(exc)})
    gender = data.get("gender") or (parsed.gender if parsed else "")
    if gender not in Gender.values:
        errors.append({"field": "gender", "message": "请选择性别"})
    elif parsed and gender != parsed.gender:
        errors.append(
            {"field": "gender", "message": f"性别与身份证号不一致（身份证号为{Gender(parsed.gender).label}）"}
        )
    birth = data.get("birth_date")
    if parsed and birth and birth != parsed.birth_date:
        errors.append({"field": "birth_date", "message": f"出生日期与身份证号不一致（应为 {parsed.birth_date}）"})
    status = data.get("political_status")
    joined, confirmed = data.get("joined_on"), data.get("confirmed_on")
    if status not in INCOMING_STATUSES:
        errors.append({"field": "political_status", "message": "从系统外转入的应为预备党员或正式党员"})
    if joined is None:
        errors.append({"field": "joined_on", "message": "请填写入党日期"})
    elif joined > today:
        errors.append({"field": "joined_on", "message": "入党日期不能晚于今天"})
    if status == PoliticalStatus.FULL and confirmed is None:
        errors.append({"field": "confirmed_on", "message": "正式党员须填写转正日期"})
    if status == PoliticalStatus.PROBATIONARY and confirmed is not None:
        errors.append({"field": "confirmed_on", "message": "预备党员不应填写转正日期"})
    if confirmed is not None and (confirmed > today or (joined and confirmed < joined)):
        errors.append({"field": "confirmed_on", "message": "转正日期应在入党日期之后且不晚于今天"})
    if data.get("category") not in Category.values:
        errors.append({"field": "category", "message": "请选择人员类别"})
    if not (data.get("external_org") or "").strip():
        errors.append({"field": "external_org", "message": "请填写原所在党组织"})
    return errors, parsed


def transfer_create_incoming(
    *,
    actor,
    to_unit_id: int,
    name: str,
    id_number: str,
    political_status: str,
    joined_on,
    external_org: str,
    reason: str,
    gender: str = "",
    birth_date=None,
    confirmed_on=None,
    ethnicity: str = "",
    category: str = Category.STUDENT,
    phone: str = "",
    letter_number: str = "",
    dues_paid_until=None,
    note: str = "",
) -> Transfer:
    """Record a person arriving from a Party organization outside the system with their letter.
    The ID number is kept encrypted (and masked for display) until the person is assigned."""
    today = timezone.localdate()
    with transaction.atomic():
        try:
            unit = OrgUnit.objects.restrict(actor, VIEW).get(pk=int(to_unit_id))
        except (OrgUnit.DoesNotExist, TypeError, ValueError):
            raise Http404 from None
        if not can(actor, ADD, unit):
            raise PermissionDenied
        data = {
            "name": name,
            "id_number": id_number,
            "gender": gender,
            "birth_date": birth_date,
            "political_status": political_status,
            "joined_on": joined_on,
            "confirmed_on": confirmed_on,
            "category": category,
            "external_org": external_org,
        }
        errors, parsed = incoming_errors(data, today=today)
        errors += target_errors(unit, None)
        errors += _check_common(reason=reason, dues_paid_until=dues_paid_until, today=today)
        if letter_number and len(letter_number) > 64:
            errors.append({"field": "letter_number", "message": "介绍信编号过长"})
        id_hash = ""
        if parsed is not None:
            id_hash = crypto.search_hash(parsed.value)
            existing = Person.objects.filter(id_number_hash=id_hash).first()
            if existing is not None and existing.roster_status == RosterStatus.ACTIVE:
                errors.append({"field": "id_number", "message": "该身份证号的人员已在系统内在册，请办理系统内转接"})
            if Transfer.objects.filter(
                kind=TransferKind.INCOMING, status__in=OPEN_STATUSES, incoming_data__id_number_hash=id_hash
            ).exists():
                errors.append({"field": "id_number", "message": "该人员已有未办结的转入申请"})
        _raise_if(errors)
        transfer = Transfer.objects.create(
            kind=TransferKind.INCOMING,
            status=TransferStatus.PENDING_IN,
            person_name=name.strip(),
            incoming_data={
                "id_number_encrypted": crypto.encrypt(parsed.value),
                "id_number_hash": id_hash,
                "id_number_masked": crypto.mask_id_number(parsed.value),
                "gender": gender or parsed.gender,
                "birth_date": parsed.birth_date.isoformat(),
                "ethnicity": (ethnicity or "").strip()[:16],
                "category": category,
                "phone": (phone or "").strip()[:20],
                "political_status": political_status,
                "joined_on": joined_on.isoformat(),
                "confirmed_on": confirmed_on.isoformat() if confirmed_on else None,
            },
            to_unit=unit,
            external_org=external_org.strip(),
            reason=reason.strip(),
            letter_number=(letter_number or "").strip(),
            dues_paid_until=dues_paid_until,
            note=note or "",
            requested_by=actor,
        )
        audit_record(
            actor=actor, action="development.transfer.create", target=transfer, changes=_audit_changes(transfer)
        )
        _notify_next(transfer, actor=actor)
    return transfer


# --- decisions --------------------------------------------------------------------------------


def _lock(actor, transfer_id) -> Transfer:
    """The transfer (404 outside both sides), locked for the decision."""
    qs = transfer_queryset().select_for_update(of=("self",)).prefetch_related("approvals")
    return access_transfer(actor, transfer_id, "view", queryset=qs)


def _decide(transfer: Transfer, *, actor, decision: str, comment: str, today: datetime.date) -> list:
    """Apply one decision to a locked transfer; returns the audit rows (unsaved) it produced."""
    if transfer.status not in (TransferStatus.PENDING_OUT, TransferStatus.PENDING_IN):
        raise ConflictError(f"该转接{transfer.get_status_display()}，不能再审批。")
    if decision not in ApprovalDecision.values:
        raise _err("decision", "请选择同意或退回")
    level = next_level(transfer)
    if level is None:  # every level approved but the status was not moved: should not happen
        raise ConflictError("该转接没有待审批的环节。")
    if not can(actor, APPROVE, level.unit):
        raise PermissionDenied
    comment = (comment or "").strip()
    if decision == ApprovalDecision.REJECTED and not comment:
        raise _err("comment", "退回时请填写原因")
    if len(comment) > 500:
        raise _err("comment", "说明过长（最多 500 字）")
    approval = TransferApproval.objects.create(
        transfer=transfer, side=level.side, unit=level.unit, decision=decision, comment=comment, decided_by=actor
    )
    transfer._prefetched_objects_cache = {"approvals": [*_approvals(transfer), approval]}
    before = transfer.status
    fields = ["status", "updated_at"]
    if decision == ApprovalDecision.REJECTED:
        transfer.status = TransferStatus.REJECTED
    elif next_level(transfer) is None:
        if transfer.status == TransferStatus.PENDING_OUT:
            if transfer.kind == TransferKind.INTERNAL:
                transfer.status = TransferStatus.PENDING_IN
            else:
                transfer.status = TransferStatus.LETTER_ISSUED
                transfer.letter_issued_on = today
                transfer.receipt_due_on = today + datetime.timedelta(days=transfer.letter_valid_days)
                fields += ["letter_issued_on", "receipt_due_on"]
        else:
            _complete(transfer, actor=actor, today=today)
            fields += ["completed_on", "person"]
    transfer.save(update_fields=fields)
    audit = audit_event(
        actor,
        action="development.transfer.decide",
        target=transfer,
        changes={
            "decision": {"new": decision},
            "level": {"new": level.unit.pk},
            "side": {"new": level.side},
            **({"status": {"old": before, "new": transfer.status}} if before != transfer.status else {}),
        },
    )
    _after_decision(transfer, actor=actor, decision=decision, before=before)
    return [audit]


def _after_decision(transfer: Transfer, *, actor, decision: str, before: str) -> None:
    if decision == ApprovalDecision.REJECTED:
        _notify([transfer.requested_by_id], transfer, f"组织关系转接被退回：{transfer.person_name}", actor=actor)
        _notify_person(transfer, "您的组织关系转接被退回", actor=actor)
        return
    if transfer.status in (TransferStatus.PENDING_OUT, TransferStatus.PENDING_IN):
        _notify_next(transfer, actor=actor)
        if before != transfer.status:
            _notify_person(transfer, "转出方已同意您的组织关系转接，待接收方审批", actor=actor)
    elif transfer.status == TransferStatus.LETTER_ISSUED:
        _notify([transfer.requested_by_id], transfer, f"已开具组织关系介绍信：{transfer.person_name}", actor=actor)
        _notify_person(transfer, f"您的组织关系介绍信已开具（{transfer.letter_number}）", actor=actor)
    elif transfer.status == TransferStatus.COMPLETED:
        _notify([transfer.requested_by_id], transfer, f"组织关系转接已完成：{transfer.person_name}", actor=actor)
        _notify_person(transfer, "您的组织关系转接已完成", actor=actor)


def _complete(transfer: Transfer, *, actor, today: datetime.date) -> None:
    transfer.status = TransferStatus.COMPLETED
    transfer.completed_on = today
    reason = f"组织关系转接：{transfer.reason}"
    details = {"transfer": transfer.pk}
    if transfer.kind == TransferKind.INTERNAL:
        person = Person.objects.select_for_update().select_related("unit").get(pk=transfer.person_id)
        if person.roster_status != RosterStatus.ACTIVE:
            raise ConflictError(f"{person.name}已不在册，不能完成转接。")
        target = transfer.to_unit
        if (msg := check_member_unit(target)) is not None:
            raise ConflictError(f"接收党组织已不可用：{msg}")
        old_unit = person.unit
        person_record_change(
            actor=actor, person=person, changes={"unit": target}, effective_on=today, reason=reason, details=details
        )
        if person.user_id:
            membership_roles_follow(
                actor=actor, user_id=person.user_id, old_unit=old_unit, new_unit=target, reason=reason
            )
        transfer.person = person
    elif transfer.kind == TransferKind.OUTGOING:
        person = Person.objects.select_for_update().get(pk=transfer.person_id)
        person_record_change(
            actor=actor,
            person=person,
            changes={"roster_status": RosterStatus.TRANSFERRED_OUT},
            effective_on=transfer.receipt_returned_on or today,
            reason=reason,
            details=details,
        )
        if person.user_id:
            membership_roles_follow(
                actor=actor, user_id=person.user_id, old_unit=person.unit, new_unit=None, reason=reason
            )
    else:
        transfer.person = _assign_incoming(transfer, actor=actor, today=today, reason=reason, details=details)


def _assign_incoming(transfer: Transfer, *, actor, today, reason: str, details: dict) -> Person:
    """Create the incoming person, or put a former one (same ID number) back on the roster."""
    data = transfer.incoming_data
    id_number = crypto.decrypt(data.get("id_number_encrypted", ""))
    if not id_number:
        raise ConflictError("无法读取该人员的身份证号（密钥已更换？），请退回后重新登记。")
    joined = datetime.date.fromisoformat(data["joined_on"])
    confirmed = datetime.date.fromisoformat(data["confirmed_on"]) if data.get("confirmed_on") else None
    status = data["political_status"]
    existing = Person.objects.select_for_update().filter(id_number_hash=crypto.search_hash(id_number)).first()
    if existing is not None:
        if existing.roster_status == RosterStatus.ACTIVE:
            raise ConflictError(f"{existing.name}已在册于{existing.unit.name}，不能重复转入。")
        changes = {
            "roster_status": RosterStatus.ACTIVE,
            "unit": transfer.to_unit,
            "political_status": status,
            "joined_on": joined,
            "confirmed_on": confirmed,
        }
        return person_record_change(
            actor=actor, person=existing, changes=changes, effective_on=today, reason=reason, details=details
        )
    return person_create(
        actor=actor,
        unit_id=transfer.to_unit_id,
        id_number=id_number,
        name=transfer.person_name,
        gender=data.get("gender") or "",
        birth_date=datetime.date.fromisoformat(data["birth_date"]),
        ethnicity=data.get("ethnicity") or "",
        phone=data.get("phone") or "",
        category=data.get("category") or Category.STUDENT,
        political_status=status,
        joined_on=joined,
        confirmed_on=confirmed,
    )


def transfer_decide(*, actor, transfer_id: int, decision: str, comment: str = "") -> Transfer:
    """Approve (同意) or refuse (退回, with a comment) the approval step the transfer waits for.
    The actor must hold ``development.approve_transfer`` over that step's unit."""
    today = timezone.localdate()
    with transaction.atomic():
        transfer = _lock(actor, transfer_id)
        audits = _decide(transfer, actor=actor, decision=decision, comment=comment, today=today)
        for event in audits:
            event.save(force_insert=True)
    return transfer


def transfer_cancel(*, actor, transfer_id: int, reason: str = "") -> Transfer:
    """The requester withdraws an open transfer."""
    with transaction.atomic():
        transfer = _lock(actor, transfer_id)
        if transfer.requested_by_id != actor.pk:
            raise PermissionDenied
        if transfer.status not in OPEN_STATUSES:
            raise ConflictError(f"该转接{transfer.get_status_display()}，不能撤销。")
        before = transfer.status
        transfer.status = TransferStatus.CANCELLED
        if reason:
            transfer.note = (transfer.note + "\n" if transfer.note else "") + f"撤销原因：{reason.strip()[:200]}"
        transfer.save(update_fields=["status", "note", "updated_at"])
        audit_record(
            actor=actor,
            action="development.transfer.cancel",
            target=transfer,
            changes={"status": {"old": before, "new": transfer.status}, "reason": {"new": reason or ""}},
        )
        _notify_person(transfer, "您的组织关系转接已撤销", actor=actor)
    return transfer


def transfer_record_receipt(*, actor, transfer_id: int, returned_on=None) -> Transfer:
    """The receipt (回执) of an outgoing letter came back: the transfer is completed and the
    person leaves the roster."""
    today = timezone.localdate()
    returned_on = returned_on or today
    with transaction.atomic():
        transfer = _lock(actor, transfer_id)
        if transfer.kind != TransferKind.OUTGOING:
            raise ConflictError("只有转出至系统外的转接需要登记回执。")
        if transfer.from_unit is None or not can(actor, ADD, transfer.from_unit):
            raise PermissionDenied
        if transfer.status != TransferStatus.LETTER_ISSUED:
            raise ConflictError(f"该转接{transfer.get_status_display()}，不能登记回执。")
        if returned_on > today:
            raise _err("returned_on", "回执返回日期不能晚于今天")
        if transfer.letter_issued_on and returned_on < transfer.letter_issued_on:
            raise _err("returned_on", "回执返回日期不能早于介绍信开具日期")
        transfer.receipt_returned_on = returned_on
        _complete(transfer, actor=actor, today=returned_on)
        transfer.save(update_fields=["receipt_returned_on", "status", "completed_on", "updated_at"])
        audit_record(
            actor=actor,
            action="development.transfer.receipt",
            target=transfer,
            changes={
                "receipt_returned_on": {"new": returned_on},
                "status": {"old": TransferStatus.LETTER_ISSUED, "new": transfer.status},
            },
        )
        _notify_person(transfer, "您的组织关系转出已完成（回执已返回）", actor=actor)
    return transfer


# --- selectors ----------------------------------------------------------------------------------


TABS = {
    "mine": "待我审批",
    "out": "转出",
    "in": "转入",
    "open": "办理中",
    "done": "已完成",
    "overdue": "回执逾期",
    "all": "全部",
}


def _prefix_kinds(prefixes: tuple[str, ...]) -> dict[str, str]:
    ids = [int(p.strip("/").split("/")[-1]) for p in prefixes]
    return {u.path: u.kind for u in OrgUnit.objects.filter(pk__in=ids).only("id", "path", "kind")}


def awaiting_filter(user):
    """Transfers whose pending approval step the user may take.

    Returns (annotations, condition) or None when the user approves nowhere. Levels are taken in order, so a side with no approval yet waits for its branch, and a side
    with one waits for its committee. A grant at a branch or a group covers only the branch
    level; a grant at a committee-kind unit covers the committee level of everything below it.
    """
    prefixes = granted_prefixes(user, APPROVE)
    if not prefixes:
        return None
    kinds = _prefix_kinds(prefixes)
    upper = tuple(p for p in prefixes if kinds.get(p) in COMMITTEE_KINDS)
    sending = TransferApproval.objects.filter(
        transfer=OuterRef("pk"), side=TransferSide.SENDING, decision=ApprovalDecision.APPROVED
    )
    receiving = TransferApproval.objects.filter(
        transfer=OuterRef("pk"), side=TransferSide.RECEIVING, decision=ApprovalDecision.APPROVED
    )
    q = Q(status=TransferStatus.PENDING_OUT, has_out=False) & scope_q("from_unit__path", prefixes)
    q |= Q(status=TransferStatus.PENDING_IN, has_in=False) & scope_q("to_unit__path", prefixes)
    if upper:
        q |= Q(status=TransferStatus.PENDING_OUT, has_out=True) & scope_q("from_unit__path", upper)
        q |= Q(status=TransferStatus.PENDING_IN, has_in=True) & scope_q("to_unit__path", upper)
    return {"has_out": Exists(sending), "has_in": Exists(receiving)}, q


def transfer_list(*, user, filters: dict | None = None, today: datetime.date | None = None):
    """Transfers either side of which is in the user's scope, newest first, filtered by tab
    (mine/out/in/open/done/overdue/all), kind, status, batch and ``q`` (name or letter number)."""
    filters = filters or {}
    today = today or timezone.localdate()
    qs = transfer_queryset().restrict(user, "view")
    tab = filters.get("tab") or "all"
    prefixes = granted_prefixes(user, VIEW)
    if tab == "mine":
        result = awaiting_filter(user)
        if result is None:
            qs = qs.none()
        else:
            annotations, condition = result
            qs = qs.annotate(**annotations).filter(condition)
    elif tab == "out" and prefixes:
        qs = qs.filter(scope_q("from_unit__path", prefixes))
    elif tab == "in" and prefixes:
        qs = qs.filter(scope_q("to_unit__path", prefixes))
    elif tab == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif tab == "done":
        qs = qs.filter(status=TransferStatus.COMPLETED)
    elif tab == "overdue":
        qs = qs.filter(status=TransferStatus.LETTER_ISSUED, receipt_due_on__lt=today)
    if kind := filters.get("kind"):
        qs = qs.filter(kind=kind)
    if status := filters.get("status"):
        qs = qs.filter(status=status)
    if batch := filters.get("batch"):
        qs = qs.filter(batch_id=batch)
    if q := (filters.get("q") or "").strip():
        qs = qs.filter(Q(person_name__contains=q) | Q(letter_number__icontains=q))
    return qs.order_by("-requested_at", "-id")


def transfer_detail(user, transfer_id) -> Transfer:
    qs = transfer_queryset().prefetch_related("approvals__unit", "approvals__decided_by")
    return access_transfer(user, transfer_id, "view", queryset=qs)


def overdue_receipts(user, today: datetime.date | None = None):
    today = today or timezone.localdate()
    return transfer_list(user=user, filters={"tab": "overdue"}, today=today)


def letter_context(user, transfer: Transfer) -> dict:
    """What the printed letter (介绍信) shows. The ID number is masked unless the viewer holds
    ``people.view_sensitive`` over the person (then the read is audited)."""
    from cloudbranch.people.selectors import may_view_sensitive, person_reveal_id_number

    if transfer.kind != TransferKind.OUTGOING or transfer.status not in (
        TransferStatus.LETTER_ISSUED,
        TransferStatus.COMPLETED,
    ):
        raise ConflictError("介绍信在转出方审批同意后才能打印。")
    person = transfer.person
    id_number = person.id_number_masked
    if may_view_sensitive(user, person):
        id_number = person_reveal_id_number(user=user, person=person)
    issued = transfer.letter_issued_on
    age = (
        issued.year
        - person.birth_date.year
        - ((issued.month, issued.day) < (person.birth_date.month, person.birth_date.day))
    )
    levels = required_levels(transfer)
    issuing = next((lv.unit for lv in reversed(levels) if lv.side == TransferSide.SENDING), transfer.from_unit)
    return {
        "transfer": transfer,
        "person": person,
        "id_number": id_number,
        "age": age,
        "issuing_unit": issuing,
        "political_status": "中共正式党员"
        if person.political_status == PoliticalStatus.FULL
        else (
            "中共预备党员"
            if person.political_status == PoliticalStatus.PROBATIONARY
            else person.get_political_status_display()
        ),
    }


# --- reminders ----------------------------------------------------------------------------------


def _remind_once(key: str) -> bool:
    """True the first time a key is seen (the reminder should go), False after."""
    _, created = Reminder.objects.get_or_create(key=key[:120])
    return created


def send_reminders(today: datetime.date) -> int:
    """Daily: overdue receipts (to the sending branch and the requester) and approvals waiting
    more than 7 days (to whoever must decide). Each reminder goes once per key. Returns how
    many reminders were sent."""
    sent = 0
    overdue = (
        Transfer.objects.filter(
            kind=TransferKind.OUTGOING, status=TransferStatus.LETTER_ISSUED, receipt_due_on__lt=today
        )
        .select_related("from_unit", "person")
        .order_by("pk")
    )
    for transfer in overdue:
        key = f"transfer:{transfer.pk}:receipt:{transfer.receipt_due_on}"
        with transaction.atomic():
            if not _remind_once(key):
                continue
            recipients = [*approvers_of(transfer.from_unit), transfer.requested_by_id]
            _notify(
                recipients,
                transfer,
                f"介绍信回执逾期：{transfer.person_name}",
                f"介绍信 {transfer.letter_number} 的回执应于 {transfer.receipt_due_on} 前返回，请联系{transfer.external_org}。",
            )
            sent += 1
    cutoff = timezone.make_aware(
        datetime.datetime.combine(today - datetime.timedelta(days=STALE_DAYS), datetime.time())
    )
    waiting = (
        Transfer.objects.filter(status__in=[TransferStatus.PENDING_OUT, TransferStatus.PENDING_IN])
        .annotate(last_action=Coalesce(Max("approvals__decided_at"), "requested_at"))
        .filter(last_action__lt=cutoff)
        .select_related("from_unit", "to_unit", "person")
        .prefetch_related("approvals")
        .order_by("pk")
    )
    for transfer in waiting:
        level = next_level(transfer)
        if level is None:
            continue
        key = f"transfer:{transfer.pk}:{transfer.status}:{level.unit.pk}:{timezone.localdate(transfer.last_action)}"
        with transaction.atomic():
            if not _remind_once(key):
                continue
            _notify(
                approvers_of(level.unit),
                transfer,
                f"组织关系转接待审批已超过 {STALE_DAYS} 天：{transfer.person_name}",
                f"{transfer.get_kind_display()}，{_route(transfer)}，请尽快在{level.unit.name}审批。",
            )
            sent += 1
    return sent


def holds_transfer_view(user) -> bool:
    return holds(user, VIEW)
