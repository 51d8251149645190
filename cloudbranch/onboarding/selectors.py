"""Reads of the onboarding app: the roster an official may invite, who has activated, batches.

Everything starts from ``restrict(user, "people.change_person")``: a sibling branch's people and
batches are never listed, and a sibling's batch is not found (404).
"""

from __future__ import annotations

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import access_by_id
from cloudbranch.people.models import Person

from .models import Invitation, InvitationBatch
from .services import INVITE_PERMISSION

ACTIVATED = Q(user__isnull=False, user__is_active=True)


def invitable_units(user, limit: int = 300) -> list[OrgUnit]:
    return list(OrgUnit.objects.restrict(user, INVITE_PERMISSION).active().order_by("path")[:limit])


def roster_selection(*, user, unit: OrgUnit | None = None, filters: dict | None = None) -> QuerySet[Person]:
    """Active roster people the user manages, in ``unit``'s subtree, matching the (cleaned) filters."""
    filters = filters or {}
    qs = Person.objects.restrict(user, INVITE_PERMISSION).on_roster()
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if filters.get("political_status"):
        qs = qs.filter(political_status=filters["political_status"])
    if filters.get("category"):
        qs = qs.filter(category=filters["category"])
    if filters.get("activated") == "yes":
        qs = qs.filter(ACTIVATED)
    elif filters.get("activated") == "no":
        qs = qs.exclude(ACTIVATED)
    return qs


def activation_status(qs: QuerySet[Person]) -> QuerySet[Person]:
    """The rows of the status list: unit and user in the same query, plus the last invitation time."""
    last_invited = (
        Invitation.objects.filter(person=OuterRef("pk"), status=Invitation.Status.SENT)
        .order_by("-sent_at")
        .values("sent_at")[:1]
    )
    return qs.select_related("unit", "user").annotate(last_invited_at=Subquery(last_invited))


def activation_counts(qs: QuerySet[Person]) -> dict[str, int]:
    counts = qs.aggregate(total=Count("pk"), activated=Count("pk", filter=ACTIVATED))
    counts["not_activated"] = counts["total"] - counts["activated"]
    return counts


def access_unit(user, unit_id) -> OrgUnit:
    return access_by_id(user, OrgUnit, unit_id, view=INVITE_PERMISSION)


def batch_list(*, user) -> QuerySet[InvitationBatch]:
    return InvitationBatch.objects.restrict(user, INVITE_PERMISSION).select_related("unit", "created_by")


def access_batch_by_id(user, batch_id) -> InvitationBatch:
    return access_by_id(
        user,
        InvitationBatch,
        batch_id,
        view=INVITE_PERMISSION,
        queryset=InvitationBatch.objects.select_related("unit", "created_by"),
    )
