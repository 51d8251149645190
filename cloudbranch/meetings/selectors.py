"""Reads of meetings and monthly themes, always through the scope of the asking user.

A meeting is visible where its host unit is in scope, and also where one of its joint units is:
a joint meeting counts for each participating unit, so each unit's officers and members see it.
Acting on a meeting (edit, schedule, cancel, ...) needs the grant at the host unit.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from cloudbranch.orgs.choices import UnitKind, UnitStatus
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import can, granted_prefixes, scope_q
from cloudbranch.people.choices import RosterStatus
from cloudbranch.people.models import Person

from .choices import MeetingKind, MeetingStatus
from .models import Meeting, MonthlyTheme

VIEW_MEETING = "meetings.view_meeting"
CHANGE_MEETING = "meetings.change_meeting"
ADD_MEETING = "meetings.add_meeting"
VIEW_THEME = "meetings.view_monthlytheme"
ADD_THEME = "meetings.add_monthlytheme"


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def visible_meetings(user, perm: str = VIEW_MEETING) -> QuerySet:
    """Meetings whose host unit or one of whose joint units lies where ``user`` holds ``perm``."""
    prefixes = granted_prefixes(user, perm)
    if not prefixes:
        return Meeting.objects.none()
    joint = Meeting.joint_units.through.objects.filter(scope_q("orgunit__path", prefixes)).values("meeting_id")
    return Meeting.objects.filter(scope_q("unit__path", prefixes) | Q(pk__in=joint))


def access_meeting_by_id(user, meeting_id, *, action: str = "view", queryset=None) -> Meeting:
    """The meeting if the user may see it (host or joint unit in scope), else 404; with
    ``action="change"`` a 403 unless the user holds ``meetings.change_meeting`` at the host unit."""
    qs = queryset if queryset is not None else Meeting.objects.all()
    pk = _int(meeting_id)
    if pk is None:
        raise Http404
    visible = visible_meetings(user).filter(pk=pk)
    meeting = qs.select_related("unit").filter(pk__in=visible.values("pk")).first()
    if meeting is None:
        raise Http404
    if action != "view" and not can(user, f"meetings.{action}_meeting", meeting.unit):
        raise PermissionDenied
    return meeting


def meeting_list(*, user, filters: dict | None = None) -> QuerySet:
    """Meetings the user may see, newest first. Filters (all optional): ``unit`` (a unit id: its
    whole subtree, as host or joint unit), ``kind``, ``status``, ``date_from`` / ``date_to``
    (dates, inclusive, on the start time), ``q`` (title or topic)."""
    filters = filters or {}
    qs = visible_meetings(user).select_related("unit", "theme")
    unit_id = _int(filters.get("unit"))
    if unit_id:
        unit = OrgUnit.objects.restrict(user, VIEW_MEETING).filter(pk=unit_id).only("path").first()
        if unit is None:
            return qs.none()
        joint = Meeting.joint_units.through.objects.filter(orgunit__path__startswith=unit.path).values("meeting_id")
        qs = qs.filter(Q(unit__path__startswith=unit.path) | Q(pk__in=joint))
    kind = filters.get("kind")
    if kind in MeetingKind.values:
        qs = qs.filter(kind=kind)
    status = filters.get("status")
    if status in MeetingStatus.values:
        qs = qs.filter(status=status)
    date_from = _date(filters.get("date_from"))
    if date_from:
        qs = qs.filter(starts_at__gte=_day_start(date_from))
    date_to = _date(filters.get("date_to"))
    if date_to:
        qs = qs.filter(starts_at__lt=_day_start(date_to + datetime.timedelta(days=1)))
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(title__contains=q) | Q(topic__contains=q))
    return qs.order_by("-starts_at", "-id")


def _date(value) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def upcoming_meetings(*, user, limit: int = 10, now: datetime.datetime | None = None) -> list[Meeting]:
    """Scheduled meetings the user may see that have not ended yet, soonest first."""
    now = now or timezone.now()
    return list(
        visible_meetings(user)
        .filter(status=MeetingStatus.SCHEDULED, ends_at__gte=now)
        .select_related("unit")
        .order_by("starts_at", "id")[:limit]
    )


def meeting_joint_units(meeting: Meeting) -> list[OrgUnit]:
    return list(meeting.joint_units.order_by("path"))


def meeting_invitee_count(meeting: Meeting) -> int:
    return meeting.invitees.count()


# --- monthly themes ------------------------------------------------------------------------


def month_start(value) -> datetime.date:
    """The first day of the month of a date or datetime (local time)."""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value.replace(day=1)


def themes_for_unit(unit: OrgUnit, *, month: datetime.date | None = None) -> QuerySet:
    """Themes a unit plans on: those published at the unit itself or at any of its ancestors
    (一月一主题 flows down the tree, never sideways), optionally of one month."""
    qs = MonthlyTheme.objects.filter(unit_id__in=[*unit.ancestor_ids, unit.pk]).select_related("unit")
    if month is not None:
        qs = qs.filter(month=month_start(month))
    return qs.order_by("-month", "unit__depth", "id")


def theme_list(*, user, month: datetime.date | None = None) -> QuerySet:
    """Themes visible to the user: published anywhere in the subtrees where they hold
    ``meetings.view_monthlytheme``, or at an ancestor of those subtrees."""
    prefixes = granted_prefixes(user, VIEW_THEME)
    if not prefixes:
        return MonthlyTheme.objects.none()
    ancestor_ids = {int(p) for prefix in prefixes for p in prefix.strip("/").split("/") if p}
    qs = MonthlyTheme.objects.filter(scope_q("unit__path", prefixes) | Q(unit_id__in=ancestor_ids))
    if month is not None:
        qs = qs.filter(month=month_start(month))
    return qs.select_related("unit", "created_by").order_by("-month", "unit__path", "id")


def theme_units(user) -> QuerySet:
    """Active units where the user may publish a monthly theme."""
    return (
        OrgUnit.objects.restrict(user, ADD_THEME)
        .filter(status=UnitStatus.ACTIVE)
        .exclude(kind=UnitKind.GROUP)
        .only("id", "code", "name", "path")
        .order_by("path")[:200]
    )


# --- helpers for the meeting form ------------------------------------------------------------


def meeting_units(user, *, limit: int = 200) -> QuerySet:
    """Active units where the user may create meetings, for the form's pickers."""
    return (
        OrgUnit.objects.restrict(user, ADD_MEETING)
        .filter(status=UnitStatus.ACTIVE)
        .only("id", "code", "name", "path", "kind")
        .order_by("path")[:limit]
    )


def unit_people(unit: OrgUnit | None, *, limit: int = 500) -> list[Person]:
    """People on the roster of a unit's subtree (host, recorder and chosen invitees are picked among them)."""
    if unit is None:
        return []
    return list(
        Person.objects.filter(unit__path__startswith=unit.path, roster_status=RosterStatus.ACTIVE)
        .only("id", "name", "political_status")
        .order_by("name", "id")[:limit]
    )


def unit_groups(unit: OrgUnit | None) -> list[OrgUnit]:
    """Party groups under a unit (for a group-scoped invitation)."""
    if unit is None:
        return []
    return list(
        OrgUnit.objects.filter(path__startswith=unit.path, kind=UnitKind.GROUP, status=UnitStatus.ACTIVE)
        .only("id", "name", "code", "path")
        .order_by("path")
    )
