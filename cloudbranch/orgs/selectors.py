"""Reads of the organization tree and of role assignments.

Every read that reaches a user starts from ``restrict()``; each function issues a fixed number
of queries whatever the number of rows (children are counted with an annotation, ancestors of a
page of units are fetched in one query).
"""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from .choices import UnitStatus
from .models import OrgUnit, RoleAssignment, UnitEvent
from .scoping import granted_prefixes

VIEW_PERM = "orgs.view_orgunit"


def with_child_count(qs: QuerySet, *, show_closed: bool = False) -> QuerySet:
    """Annotate ``child_count``: the unit's direct sub-units (only active ones unless ``show_closed``)."""
    # A correlated subquery, not Count("children"): the JOIN + GROUP BY over every column made
    # both the page and its COUNT(*) sort the whole filtered set (4.7 ms vs 1.1 ms for 20 rows
    # of a university), and a pagination count can drop an unused subquery altogether.
    children = OrgUnit.objects.filter(parent_id=OuterRef("pk"))
    if not show_closed:
        children = children.filter(status=UnitStatus.ACTIVE)
    counted = children.order_by().values("parent_id").annotate(n=Count("pk")).values("n")
    return qs.annotate(child_count=Coalesce(Subquery(counted, output_field=IntegerField()), 0))


def _status_filter(qs: QuerySet, show_closed: bool) -> QuerySet:
    return qs if show_closed else qs.filter(status=UnitStatus.ACTIVE)


def unit_top_list(*, user, show_closed: bool = False) -> QuerySet:
    """The user's visible top units: the minimal prefixes where they hold ``orgs.view_orgunit``.

    Grants only come from active units, so these are active; one query.
    """
    prefixes = granted_prefixes(user, VIEW_PERM)
    if not prefixes:
        return OrgUnit.objects.none()
    qs = OrgUnit.objects.filter(path__in=prefixes).order_by("depth", "sort_order", "code")
    return with_child_count(qs, show_closed=show_closed)


def unit_children(*, user, unit: OrgUnit, show_closed: bool = False) -> QuerySet:
    """Direct sub-units of a unit the caller already fetched through ``access_unit_by_id``."""
    qs = OrgUnit.objects.restrict(user, "view").filter(parent_id=unit.pk)
    qs = _status_filter(qs, show_closed).order_by("sort_order", "code", "pk")
    return with_child_count(qs, show_closed=show_closed)


def unit_list(
    *,
    user,
    q: str = "",
    parent_id: int | None = None,
    kind: str = "",
    status: str = "",
    show_closed: bool = True,
) -> QuerySet:
    """Units the user may see, filtered. ``q`` matches name or code (substring, case-insensitive)."""
    qs = OrgUnit.objects.restrict(user, "view")
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    if parent_id is not None:
        qs = qs.filter(parent_id=parent_id)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    elif not show_closed:
        qs = qs.filter(status=UnitStatus.ACTIVE)
    return with_child_count(qs.order_by("path"), show_closed=True)


def unit_search(*, user, q: str, show_closed: bool = False) -> QuerySet:
    """Search by name or code; ordered by depth so that the bigger units come first."""
    qs = unit_list(user=user, q=q, show_closed=show_closed)
    return qs.order_by("depth", "sort_order", "code", "pk")


def ancestors_by_id(*, user, units) -> dict[int, OrgUnit]:
    """The visible ancestors of ``units`` (a page of them), in one query.

    Ancestors outside the user's scope are left out: a member of a branch does not learn the
    names of the committees above it through a breadcrumb.
    """
    ids: set[int] = set()
    for unit in units:
        ids.update(unit.ancestor_ids)
    if not ids:
        return {}
    rows = OrgUnit.objects.restrict(user, "view").filter(pk__in=ids).only("id", "name", "code", "path", "status")
    return {u.pk: u for u in rows}


def attach_ancestry(*, user, units) -> list[OrgUnit]:
    """Set ``unit.ancestry`` (list of visible ancestor units, top first) on each unit; one query."""
    units = list(units)
    found = ancestors_by_id(user=user, units=units)
    for unit in units:
        unit.ancestry = [found[i] for i in unit.ancestor_ids if i in found]
    return units


def unit_events(*, unit: OrgUnit) -> QuerySet:
    return UnitEvent.objects.filter(unit=unit).select_related("actor").order_by("-occurred_at", "-id")


def unit_pick_list(*, user, q: str, exclude: OrgUnit | None = None) -> QuerySet:
    """Candidate units for a move or merge target: active, visible, matching ``q``; at most 20."""
    qs = unit_list(user=user, q=q, show_closed=False)
    if exclude is not None:
        qs = qs.exclude(path__startswith=exclude.path)
    return qs.order_by("depth", "code")[:20]


def role_assignment_list(*, unit_code: str = "", username: str = "", role: str = "") -> QuerySet:
    """Active role assignments for the security administrator (who manages roles tree-wide)."""
    qs = RoleAssignment.objects.active().select_related("user", "unit", "granted_by")
    if unit_code := (unit_code or "").strip():
        qs = qs.filter(unit__code__iexact=unit_code)
    if username := (username or "").strip():
        qs = qs.filter(Q(user__username__icontains=username) | Q(user__display_name__icontains=username))
    if role:
        qs = qs.filter(role=role)
    return qs.order_by("unit__path", "role", "user__username", "pk")
