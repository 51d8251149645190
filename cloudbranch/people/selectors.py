"""Reads of the roster, always through the scope of the asking user."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q
from django.utils import timezone

from cloudbranch.audit.services import audit_record
from cloudbranch.orgs.choices import BRANCH_KINDS, UnitStatus
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import can, granted_prefixes, holds, scope_q

from . import idcard, rules
from .choices import Category, PoliticalStatus, RosterStatus
from .models import CommitteeMembership, Person, PersonEvent

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
    (defaults to on the roster; ``all`` for every roster status), ``sort`` (a key of SORTS)."""
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
    if roster != "all" and roster in RosterStatus.values:
        qs = qs.filter(roster_status=roster)
    return qs.order_by(*SORTS.get(filters.get("sort") or "", SORTS["unit"]))


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


MANAGING_PERMS = ("people.add_person", "people.change_person", "people.import_person", "orgs.change_orgunit")


def may_see_warnings(user) -> bool:
    """Warnings are for those who can act on them: a unit viewer who also manages people or units."""
    return holds(user, "orgs.view_orgunit") and any(holds(user, p) for p in MANAGING_PERMS)


def own_flags(user) -> tuple[str, bool] | None:
    """(political status, is mobile) of the logged-in user's person record, or None; cached on
    the user object, because the menu asks on every page (one query per request at most)."""
    cached = getattr(user, "_cb_person_flags", False)
    if cached is False:
        cached = None
        if user.is_authenticated:
            cached = Person.objects.filter(user_id=user.pk).values_list("political_status", "is_mobile").first()
        user._cb_person_flags = cached
    return cached


def has_person(user) -> bool:
    """Whether the logged-in user has a person record."""
    return own_flags(user) is not None


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


def _common_path_prefix(paths: list[str]) -> str:
    """The deepest unit path every given path lies under ("/" if they share no ancestor)."""
    parts = [p.strip("/").split("/") for p in paths]
    common: list[str] = []
    for column in zip(*parts, strict=False):
        if len(set(column)) != 1:
            break
        common.append(column[0])
    return "/" + "".join(f"{c}/" for c in common) if common else "/"


def unit_headcounts(unit_ids: list[int]) -> dict[int, dict[str, int]]:
    """Full members, Party members and all people on the roster per unit, each counting its
    whole subtree (groups count toward their branch).

    Two queries whatever the number of units: the people under the units' common ancestor are
    counted per unit path in the database, and each row is added to every requested unit on
    its path in Python (rows × depth), so a whole province's 8,000 branches cost no more SQL
    than one branch.
    """
    if not unit_ids:
        return {}
    units = list(OrgUnit.objects.filter(pk__in=unit_ids).only("id", "path"))
    if not units:
        return {}
    by_path = {u.path: u.pk for u in units}
    counts = {u.pk: {"full": 0, "members": 0, "people": 0} for u in units}
    rows = (
        Person.objects.filter(
            unit__path__startswith=_common_path_prefix(list(by_path)), roster_status=RosterStatus.ACTIVE
        )
        .values("unit__path")
        .annotate(
            full=Count("id", filter=Q(political_status=PoliticalStatus.FULL)),
            members=Count("id", filter=Q(political_status__in=[PoliticalStatus.FULL, PoliticalStatus.PROBATIONARY])),
            people=Count("id"),
        )
        .order_by()
    )
    for row in rows:
        path = row["unit__path"]
        position = 0
        while (position := path.find("/", position + 1)) != -1:
            unit_id = by_path.get(path[: position + 1])
            if unit_id is not None:
                c = counts[unit_id]
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
        full = counts[unit.pk]["full"] if unit.pk in counts else None
        found = _evaluate_unit(unit, full=full, seats=committee.get(unit.pk, 0), today=today)
        if found:
            out[unit.pk] = found
    return out


def _evaluate_unit(unit: OrgUnit, *, full: int | None, seats: int, today: datetime.date) -> list[UnitWarning]:
    """The warning rules for one unit; ``full`` is None for units that are not branches."""
    found: list[UnitWarning] = []
    if full is not None:
        if full < rules.BRANCH_MIN_FULL_MEMBERS:
            found.append(
                UnitWarning(
                    unit,
                    "danger",
                    "too_few",
                    f"正式党员仅 {full} 名，不足 {rules.BRANCH_MIN_FULL_MEMBERS} 名（支部工作条例第四条）",
                )
            )
        if full > rules.BRANCH_SOFT_MAX_MEMBERS:
            found.append(
                UnitWarning(
                    unit,
                    "warning",
                    "too_many",
                    f"正式党员 {full} 名，超过 {rules.BRANCH_SOFT_MAX_MEMBERS} 名，建议分设支部",
                )
            )
        if full >= rules.BRANCH_COMMITTEE_THRESHOLD and seats < rules.BRANCH_COMMITTEE_MIN:
            found.append(
                UnitWarning(
                    unit,
                    "danger",
                    "no_committee",
                    f"正式党员 {full} 名，应设立 {rules.BRANCH_COMMITTEE_MIN}–5 人的支部委员会（现有委员 {seats} 名）",
                )
            )
    ends = unit.term_ends_on
    if ends is not None:
        if ends < today:
            found.append(UnitWarning(unit, "danger", "term_expired", f"本届任期已于 {ends:%Y-%m-%d} 届满，应按期换届"))
        elif (ends - today).days <= rules.TERM_WARNING_DAYS:
            found.append(
                UnitWarning(unit, "warning", "term_expiring", f"本届任期将于 {ends:%Y-%m-%d} 届满，请准备换届")
            )
    return found


@dataclass
class UnitWarnings:
    """All warnings of one unit, for the warnings page (most severe first)."""

    unit: OrgUnit
    warnings: list[UnitWarning]

    @property
    def dangers(self) -> int:
        return sum(1 for w in self.warnings if w.level == "danger")

    @property
    def level(self) -> str:
        return "danger" if self.dangers else "warning"


def scope_warnings(user, *, today: datetime.date | None = None) -> list[UnitWarnings]:
    """Every active unit in the user's scope (``orgs.view_orgunit``) that has a warning, most
    severe first (more "danger" warnings, then more warnings, then tree order).

    Computed for the whole scope in a constant number of queries (units, one GROUP BY over the
    roster, committee seats), so the ordering is global, not per page: the same rules as
    ``unit_warnings``, with people in groups counted toward their branch.
    """
    today = today or timezone.localdate()
    prefixes = granted_prefixes(user, "orgs.view_orgunit")
    if not prefixes:
        return []
    units = list(
        OrgUnit.objects.restrict(user, "orgs.view_orgunit")
        .filter(status=UnitStatus.ACTIVE)
        .only("id", "code", "name", "kind", "path", "status", "term_started_on", "term_years", "parent_id")
    )
    branch_ids = {u.pk for u in units if u.kind in BRANCH_KINDS}
    full: dict[int, int] = dict.fromkeys(branch_ids, 0)
    rows = (
        Person.objects.filter(
            scope_q("unit__path", prefixes), roster_status=RosterStatus.ACTIVE, political_status=PoliticalStatus.FULL
        )
        .values("unit__path")
        .annotate(n=Count("id"))
        .values_list("unit__path", "n")
    )
    for path, n in rows:
        for part in path.strip("/").split("/"):
            pk = _int(part)
            if pk in full:
                full[pk] += n
    seats = dict(
        CommitteeMembership.objects.filter(scope_q("unit__path", prefixes), ended_on__isnull=True)
        .values("unit_id")
        .annotate(n=Count("id"))
        .values_list("unit_id", "n")
    )
    out = []
    for unit in units:
        found = _evaluate_unit(unit, full=full.get(unit.pk), seats=seats.get(unit.pk, 0), today=today)
        if found:
            out.append(UnitWarnings(unit, found))
    out.sort(key=lambda uw: (-uw.dangers, -len(uw.warnings), uw.unit.path))
    return out


# Home-page figures may lag this many seconds behind the data; the pages they link to do not.
SUMMARY_CACHE_SECONDS = 60


def _scope_key(kind: str, parts) -> str:
    digest = hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()
    return f"people:{kind}:{digest}:{timezone.localdate().isoformat()}"


def scope_warning_count(user) -> int:
    """How many units in the user's scope have warnings, cached for a minute per scope (users
    with the same grants share it): the home page shows the number, the warnings page the list."""
    prefixes = granted_prefixes(user, "orgs.view_orgunit")
    if not prefixes:
        return 0
    key = _scope_key("warning-count", prefixes)
    return cache.get_or_set(key, lambda: len(scope_warnings(user)), SUMMARY_CACHE_SECONDS)


def cached_unit_headcounts(unit_ids: list[int]) -> dict[int, dict[str, int]]:
    """``unit_headcounts`` for summaries, cached for a minute (a committee's headcount is a
    GROUP BY over its whole roster)."""
    if not unit_ids:
        return {}
    key = _scope_key("headcounts", sorted(unit_ids))
    return cache.get_or_set(key, lambda: unit_headcounts(unit_ids), SUMMARY_CACHE_SECONDS)


def unit_status_counts(unit: OrgUnit) -> dict[str, int]:
    """Headcount of a unit's subtree (people on the roster) by political status, every status
    present (zeros included). Aggregates only, so members may see it as branch information."""
    counts = dict.fromkeys(PoliticalStatus.values, 0)
    rows = (
        Person.objects.filter(unit__path__startswith=unit.path, roster_status=RosterStatus.ACTIVE)
        .values("political_status")
        .annotate(n=Count("id"))
        .values_list("political_status", "n")
    )
    for status, n in rows:
        counts[status] = n
    return counts


def unit_committee(unit: OrgUnit) -> list[CommitteeMembership]:
    """The current committee of a unit (seats without an end date), by position."""
    return list(
        CommitteeMembership.objects.filter(unit=unit, ended_on__isnull=True)
        .select_related("person")
        .order_by("position", "started_on", "id")
    )


def person_events(person: Person):
    """A person's history, newest first."""
    return PersonEvent.objects.filter(person=person).select_related("actor").order_by("-occurred_at", "-id")


def person_committee_seats(person: Person) -> list[CommitteeMembership]:
    return list(CommitteeMembership.objects.filter(person=person).select_related("unit").order_by("-started_on", "-id"))


def units_for_people(user, perm: str, *, limit: int = 200):
    """Active units where people may be entered (branches, mobile branches, groups) and where the
    user holds ``perm`` (``people.add_person`` or ``people.change_person``), for the form's picker."""
    from .services import MEMBER_UNIT_KINDS

    return (
        OrgUnit.objects.restrict(user, perm)
        .filter(status=UnitStatus.ACTIVE, kind__in=MEMBER_UNIT_KINDS)
        .only("id", "code", "name", "path")
        .order_by("path")[:limit]
    )


def unit_picker(user, *, q: str = "", selected=None, limit: int = 50) -> list[OrgUnit]:
    """Units offered by the roster's unit filter: matches of ``q`` (name or code), or by default
    the units the user holds ``people.view_person`` at and their children; plus the selected one."""
    qs = OrgUnit.objects.restrict(user, "people.view_person").filter(status=UnitStatus.ACTIVE)
    q = (q or "").strip()
    if q:
        found = list(qs.filter(Q(name__contains=q) | Q(code__istartswith=q)).order_by("path")[:limit])
    else:
        prefixes = granted_prefixes(user, "people.view_person")
        top = [_int(p.strip("/").split("/")[-1]) for p in prefixes]
        found = list(qs.filter(Q(pk__in=top) | Q(parent_id__in=top)).order_by("path")[:limit])
    sel = _int(selected)
    if sel and all(u.pk != sel for u in found):
        found = list(qs.filter(pk=sel)) + found
    return found


def managed_units(user, limit: int = 50) -> list[OrgUnit]:
    """Units where the user holds a managing role (for the home page)."""
    from cloudbranch.orgs.models import RoleAssignment
    from cloudbranch.orgs.roles import MANAGING_ROLES

    if not holds(user, "orgs.view_orgunit"):
        return []
    return [
        ra.unit
        for ra in RoleAssignment.objects.active()
        .filter(user=user, role__in=MANAGING_ROLES, unit__status=UnitStatus.ACTIVE)
        .select_related("unit")[:limit]
    ]


def unit_committee_history(unit: OrgUnit):
    """Every seat of a unit's committee, sitting members first, then past seats newest first."""
    return (
        CommitteeMembership.objects.filter(unit=unit)
        .select_related("person")
        .order_by(F("ended_on").desc(nulls_first=True), "position", "-started_on", "id")
    )


def committee_candidates(unit: OrgUnit, *, q: str = "", limit: int = 300) -> list[Person]:
    """Full members on the roster of the unit's subtree, who may take a committee seat."""
    qs = Person.objects.filter(
        unit__path__startswith=unit.path, roster_status=RosterStatus.ACTIVE, political_status=PoliticalStatus.FULL
    )
    if q.strip():
        qs = qs.filter(Q(name__contains=q.strip()) | Q(staff_number=q.strip()))
    return list(qs.select_related("unit").order_by("name", "id")[:limit])
