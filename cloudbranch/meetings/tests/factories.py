"""Factories for organizational life. Meetings are made directly (no permission checks); use the
services in tests that are about the rules. Other areas may append factory functions at the end."""

from __future__ import annotations

import datetime

from django.utils import timezone

from cloudbranch.meetings.choices import InviteeScope, MeetingKind, MeetingStatus
from cloudbranch.meetings.models import Invitee, Meeting, MonthlyTheme


def make_meeting(
    *,
    unit,
    created_by,
    kind=MeetingKind.GENERAL,
    status=MeetingStatus.DRAFT,
    starts_at: datetime.datetime | None = None,
    hours: int = 2,
    invitees=(),
    joint_units=(),
    **fields,
) -> Meeting:
    starts_at = starts_at or timezone.now() + datetime.timedelta(days=3)
    fields.setdefault("title", f"{unit.name}会议")
    fields.setdefault("place", "党员活动室")
    fields.setdefault("invitee_scope", InviteeScope.WHOLE_UNIT)
    meeting = Meeting.objects.create(
        unit=unit,
        kind=kind,
        status=status,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=hours),
        created_by=created_by,
        **fields,
    )
    if joint_units:
        meeting.joint_units.set(joint_units)
    Invitee.objects.bulk_create([Invitee(meeting=meeting, person=p) for p in invitees])
    return meeting


def make_theme(*, unit, created_by, month: datetime.date | None = None, title: str = "学习党的理论", **fields):
    month = (month or timezone.localdate()).replace(day=1)
    return MonthlyTheme.objects.create(unit=unit, month=month, title=title, created_by=created_by, **fields)
