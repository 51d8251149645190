"""Who sees what a unit publishes for study: the one member visibility rule of learning.

Members act without grants (SPEC §3): a person on the roster sees a *published* resource, topic,
paper or contest when its audience covers their own unit:

* ``subtree`` — the person's unit path starts with the publishing unit's path (the unit itself or
  one of its ancestors published it);
* ``school`` — the person's unit is in the same tree as the publishing unit (same root: the first
  segment of the path).

So a branch-only resource of 计算机本科第一党支部 is invisible (404) to a member of the sibling
branch, and a school-wide resource of 数学学院党委 is visible to every member of the university.
Managers see what their grants cover through ``restrict()``; that is not this module's business.

Every area imports ``visible_to_person`` / ``may_see`` / ``viewer_person`` from here.
"""

from __future__ import annotations

from django.db.models import Q

from cloudbranch.people.choices import RosterStatus
from cloudbranch.people.models import Person

from .choices import Audience, PublishStatus

_NO_PERSON = object()


def viewer_person(user) -> Person | None:
    """The user's on-roster person record (with its unit), or None; cached on the user object so
    that a page asking several times costs one query."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    cached = getattr(user, "_cb_learning_person", _NO_PERSON)
    if cached is _NO_PERSON:
        cached = (
            Person.objects.select_related("unit")
            .filter(user_id=user.pk, roster_status=RosterStatus.ACTIVE)
            .order_by("pk")
            .first()
        )
        user._cb_learning_person = cached
    return cached


def ancestor_paths(path: str) -> list[str]:
    """``/1/7/42/`` → ``["/1/", "/1/7/", "/1/7/42/"]``: the units whose subtree holds ``path``."""
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def root_path(path: str) -> str:
    parts = [p for p in path.strip("/").split("/") if p]
    return f"/{parts[0]}/" if parts else "/"


def audience_q(unit_path: str, *, unit_field: str = "unit", audience_field: str = "audience") -> Q:
    """Rows whose audience covers a reader at ``unit_path`` (status not considered)."""
    return Q(**{f"{unit_field}__path__in": ancestor_paths(unit_path), audience_field: Audience.SUBTREE}) | Q(
        **{f"{unit_field}__path__startswith": root_path(unit_path), audience_field: Audience.SCHOOL}
    )


def visible_to_person(
    queryset,
    person: Person | None,
    unit_field: str = "unit",
    *,
    audience_field: str = "audience",
    status_field: str | None = "status",
):
    """The rows of ``queryset`` that ``person`` may study: published (``status_field`` =
    ``published``; pass ``status_field=None`` to skip that filter) and with an audience that covers
    the person's unit. No person (not on the roster) → nothing."""
    if person is None or person.unit_id is None:
        return queryset.none()
    qs = queryset.filter(audience_q(person.unit.path, unit_field=unit_field, audience_field=audience_field))
    if status_field:
        qs = qs.filter(**{status_field: PublishStatus.PUBLISHED})
    return qs


def covers(unit_path: str, audience: str, reader_path: str) -> bool:
    """Whether something published at ``unit_path`` for ``audience`` reaches a reader at ``reader_path``."""
    if audience == Audience.SCHOOL:
        return root_path(unit_path) == root_path(reader_path)
    return reader_path.startswith(unit_path)


def may_see(person: Person | None, obj, *, unit_field: str = "unit", status_field: str | None = "status") -> bool:
    """``visible_to_person`` for one loaded object (its unit should be loaded)."""
    if person is None or person.unit_id is None:
        return False
    if status_field and getattr(obj, status_field) != PublishStatus.PUBLISHED:
        return False
    unit = getattr(obj, unit_field)
    return covers(unit.path, obj.audience, person.unit.path)
