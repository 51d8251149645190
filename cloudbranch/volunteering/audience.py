"""Who a service post or a micro-wish is for: the members of the publishing unit's subtree.

One rule for pages, API, matching and tests: a person sees what is published by any unit on
the path from the root down to their own unit (``person.unit.path`` starts with the publishing
unit's path). Officers see their units' items through their grants (``restrict``), whatever
their own unit.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from cloudbranch.people.models import Person

from .choices import PostStatus, WishStatus
from .models import ServicePost, Wish


def ancestor_paths(path: str) -> list[str]:
    """'/1/7/42/' → ['/1/', '/1/7/', '/1/7/42/']."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def _own_unit_path(person: Person | None) -> str | None:
    if person is None or person.unit_id is None:
        return None
    return person.unit.path


def posts_for(person: Person | None) -> QuerySet[ServicePost]:
    """Published (open or closed) posts whose audience includes ``person``."""
    path = _own_unit_path(person)
    if path is None:
        return ServicePost.objects.none()
    return ServicePost.objects.filter(
        unit__path__in=ancestor_paths(path), status__in=[PostStatus.OPEN, PostStatus.CLOSED]
    )


def wishes_for(person: Person | None) -> QuerySet[Wish]:
    """Wishes that ``person`` may see: every non-withdrawn wish of the units above them, and
    the wishes they claimed wherever they are now."""
    path = _own_unit_path(person)
    if path is None:
        return Wish.objects.none()
    return Wish.objects.filter(
        Q(unit__path__in=ancestor_paths(path)) & ~Q(status=WishStatus.WITHDRAWN) | Q(claimed_by=person)
    )


def in_audience(person: Person | None, unit) -> bool:
    """Whether ``person`` belongs to the audience of items published by ``unit``."""
    path = _own_unit_path(person)
    return path is not None and path.startswith(unit.path)
