"""API shapes of meetings and monthly themes."""

from __future__ import annotations

import datetime

from ninja import Schema
from pydantic import Field

from .choices import InviteeScope, MeetingKind, MeetingStatus


class UnitRef(Schema):
    id: int
    code: str
    name: str


class ThemeOut(Schema):
    id: int
    unit: UnitRef
    month: datetime.date
    title: str
    description: str
    materials: str
    created_at: datetime.datetime


class MeetingListOut(Schema):
    id: int
    unit: UnitRef
    kind: str
    kind_label: str = Field(..., description="会议类型（中文）")
    title: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    place: str
    online_link: str
    status: str
    status_label: str = Field(..., description="状态（中文）")
    theme_id: int | None

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(MeetingKind(obj.kind).label)

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(MeetingStatus(obj.status).label)


class MeetingOut(MeetingListOut):
    joint_units: list[UnitRef]
    topic: str
    agenda: str
    host_id: int | None
    recorder_id: int | None
    invitee_scope: str
    invitee_group_id: int | None
    chosen_people: list[int]
    invitee_count: int
    cancel_reason: str
    created_at: datetime.datetime
    notified_at: datetime.datetime | None
    held_at: datetime.datetime | None
    archived_at: datetime.datetime | None

    @staticmethod
    def resolve_joint_units(obj) -> list:
        return list(obj.joint_units.all())

    @staticmethod
    def resolve_invitee_count(obj) -> int:
        return getattr(obj, "invitee_count", None) or obj.invitees.count()


class MeetingCreateIn(Schema):
    unit_id: int | None = Field(None, description="主办组织 id（或填 unit_code）")
    unit_code: str | None = Field(None, description="主办组织编码")
    kind: MeetingKind
    title: str = Field(..., max_length=200)
    topic: str = ""
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    place: str = Field("", max_length=200)
    online_link: str = Field("", max_length=200)
    host_id: int | None = None
    recorder_id: int | None = None
    agenda: str = ""
    invitee_scope: InviteeScope = InviteeScope.WHOLE_UNIT
    invitee_group_id: int | None = None
    chosen_people: list[int] = []
    theme_id: int | None = None
    joint_unit_ids: list[int] = []


class MeetingPatchIn(Schema):
    kind: MeetingKind | None = None
    title: str | None = Field(None, max_length=200)
    topic: str | None = None
    starts_at: datetime.datetime | None = None
    ends_at: datetime.datetime | None = None
    place: str | None = Field(None, max_length=200)
    online_link: str | None = Field(None, max_length=200)
    host_id: int | None = None
    recorder_id: int | None = None
    agenda: str | None = None
    invitee_scope: InviteeScope | None = None
    invitee_group_id: int | None = None
    chosen_people: list[int] | None = None
    theme_id: int | None = None
    joint_unit_ids: list[int] | None = None


class CancelIn(Schema):
    reason: str = Field(..., max_length=500)


class ThemeCreateIn(Schema):
    unit_id: int
    month: datetime.date = Field(..., description="该月任一日期，按月份保存")
    title: str = Field(..., max_length=200)
    description: str = ""
    materials: str = ""
