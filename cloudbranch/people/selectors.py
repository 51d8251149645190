"""Reads of the roster, always through the scope of the asking user."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.utils import timezone

from cloudbranch.audit.services import audit_record
from cloudbranch.orgs.choices import BRANCH_KINDS, UnitStatus
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import can, holds

from . import idcard, rules
from .choices import Category, PoliticalStatus, RosterStatus
from .models import CommitteeMembership, Person

SORTS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "unit": ("unit__path", "name", "id"),
    "status": ("political_status", "name", "id"),
    "joined": ("joined_on", "id"),
    "-joined": ("-joined_on", "-id"),
    "-updated": ("-updated_at", "-id"),
}
FLAG_FILTERS = {"mobile": "is_mobile", "lost": "is_lost_contact", "abroad": "is_abroad"}


def person_list(*, user, filters: dict | None = None):
    """The roster the user may see, filtered and sorted. Filters (all optional):
    ``q`` (name, student/staff number, or an exact 18-character ID number), ``unit`` (a unit id:
    its whole subtree), ``status``, ``category``, ``flag`` (mobile/lost/abroad), ``roster``
    (defaults to on the roster), ``sort`` (a key of SORTS)."""
    filters = filters or {}
    qs = Person.objects.restrict(user, "view").select_related("unit")
    q = (filters.get("q") or "").strip()
    if q:
        normalized = idcard.normalize(q)
        if len(normalized) == 18 and normalized[:17].isdigit():
            qs = qs.with_id_number(normalized)
        else:
            qs = qs.filter(Q(name__contains=q) | Q(staff_number=q))
    unit_id = filters.get("unit")
    if unit_id:
        unit = OrgUnit.objects.restrict(user).filter(pk=_int(unit_id)).only("path").first()
        qs = qs.filter(unit__path__startswith=unit.path) if unit else qs.none()
    status = filters.get("status")
    if status in PoliticalStatus.values:
        qs = qs.filter(political_status=status)
    category = filters.get("category")
    if category in Category.values:
        qs = qs.filter(category=category)
    flag = filters.get("flag")
    if flag in FLAG_FILTERS:
        qs = qs.filter(**{FLAG_FILTERS[flag]: True})
    roster = filters.get("roster") or RosterStatus.ACTIVE
    if roster in RosterStatus.values:
        qs = qs.filter(roster_status=roster)
    return qs.order_by(*SORTS.get(filters.get("sort") or "", SORTS["unit"]))


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def own_person(user) -> Person | None:
    """The person record of the logged-in user, whatever their roles: everyone sees their own."""
    if not user.is_authenticated:
        return None
    return Person.objects.select_related("unit").filter(user=user).first()


def may_view_sensitive(user, person: Person) -> bool:
    return can(user, "people.view_sensitive", person.unit)


def person_reveal_id_number(*, user, person: Person) -> str:
    """The clear ID number, for a viewer holding ``people.view_sensitive`` at the person's unit.
    Every such read is written to the audit log (个人信息保护法 Art. 28)."""
    if not may_view_sensitive(user, person):
        raise PermissionDenied
    audit_record(actor=user, action="people.person.view_sensitive", target=person, changes={"fields": ["id_number"]})
    return person.reveal_id_number()


@dataclass
class UnitWarning:
    unit: OrgUnit
    level: str  # "danger" | "warning"
    code: str
    message: str


def unit_headcounts(unit_ids: list[int]) -> dict[int, dict[str, int]]:
    """Full members and all Party members per unit, counting each unit's whole subtree (groups
    count toward their branch). One query."""
    if not unit_ids:
        return {}
    units = list(OrgUnit.objects.filter(pk__in=unit_ids).only("id", "path"))
    counts = {u.pk: {"full": 0, "members": 0, "people": 0} for u in units}
    q = Q()
    for u in units:
        q |= Q(unit__path__startswith=u.path)
    rows = (
        Person.objects.filter(q, roster_status=RosterStatus.ACTIVE)
        .values("unit__path")
        .annotate(
            full=Count("id", filter=Q(political_status=PoliticalStatus.FULL)),
            members=Count("id", filter=Q(political_status__in=[PoliticalStatus.FULL, PoliticalStatus.PROBATIONARY])),
            people=Count("id"),
        )
    )
    for row in rows:
        for u in units:
            if row["unit__path"].startswith(u.path):
                c = counts[u.pk]
                c["full"] += row["full"]
                c["members"] += row["members"]
                c["people"] += row["people"]
    return counts


def unit_warnings(units: list[OrgUnit], *, today: datetime.date | None = None) -> dict[int, list[UnitWarning]]:
    """Sizing and term warnings per unit (支部工作条例 2018 第四条 and ch. 6; SPEC §1).

    Branches: fewer than 3 full members; more than 50 (suggest splitting); 7 or more without a
    committee of at least 3. Any unit with a term: expired, or ending within 60 days.
    A constant number of queries for any number of units.
    """
    today = today or timezone.localdate()
    units = [u for u in units if u.status == UnitStatus.ACTIVE]
    branch_ids = [u.pk for u in units if u.kind in BRANCH_KINDS]
    counts = unit_headcounts(branch_ids)
    committee = dict(
        CommitteeMembership.objects.filter(unit_id__in=branch_ids, ended_on__isnull=True)
        .values("unit_id")
        .annotate(n=Count("id"))
        .values_list("unit_id", "n")
    )
    out: dict[int, list[UnitWarning]] = {}
    for unit in units:
        found: list[UnitWarning] = []
        if unit.pk in counts:
            full = counts[unit.pk]["full"]
            if full < rules.BRANCH_MIN_FULL_MEMBERS:
                found.append(UnitWarning(unit, "danger", "too_few",
                                         f"正式党员仅 {full} 名，不足 {rules.BRANCH_MIN_FULL_MEMBERS} 名（支部工作条例第四条）"))
            if full > rules.BRANCH_SOFT_MAX_MEMBERS:
                found.append(UnitWarning(unit, "warning", "too_many",
                                         f"正式党员 {full} 名，超过 {rules.BRANCH_SOFT_MAX_MEMBERS} 名，建议分设支部"))
            seats = committee.get(unit.pk, 0)
            if full >= rules.BRANCH_COMMITTEE_THRESHOLD and seats < rules.BRANCH_COMMITTEE_MIN:
                found.append(UnitWarning(unit, "danger", "no_committee",
                                         f"正式党员 {full} 名，应设立 {rules.BRANCH_COMMITTEE_MIN}–5 人的支部委员会（现有委员 {seats} 名）"))
        ends = unit.term_ends_on
        if ends is not None:
            if ends < today:
                found.append(UnitWarning(unit, "danger", "term_expired", f"本届任期已于 {ends:%Y-%m-%d} 届满，应按期换届"))
            elif (ends - today).days <= rules.TERM_WARNING_DAYS:
                found.append(UnitWarning(unit, "warning", "term_expiring", f"本届任期将于 {ends:%Y-%m-%d} 届满，请准备换届"))
        if found:
            out[unit.pk] = found
    return out


def managed_units(user, limit: int = 50) -> list[OrgUnit]:
    """Units where the user holds a managing role (for the home page)."""
    from cloudbranch.orgs.models import RoleAssignment
    from cloudbranch.orgs.roles import MANAGING_ROLES

    if not holds(user, "orgs.view_orgunit"):
        return []
    return [
        ra.unit for ra in RoleAssignment.objects.active()
        .filter(user=user, role__in=MANAGING_ROLES, unit__status=UnitStatus.ACTIVE)
        .select_related("unit")[:limit]
    ]
