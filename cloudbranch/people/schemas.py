"""API shapes for the roster. Sensitive fields are always masked; the clear ID number appears
only in ``PersonOut.id_number`` on an explicit, permitted and audited ``?reveal=1``."""

from __future__ import annotations

import datetime

from ninja import Schema
from pydantic import Field

from .choices import PersonEventKind, PoliticalStatus


class UnitRef(Schema):
    id: int
    code: str
    name: str


class PersonListOut(Schema):
    id: int
    name: str
    gender: str
    political_status: str
    political_status_label: str = Field(..., description="政治面貌（中文）")
    category: str
    unit: UnitRef
    staff_number: str
    id_number_masked: str
    phone_masked: str
    joined_on: datetime.date | None
    is_mobile: bool
    is_lost_contact: bool
    is_abroad: bool
    roster_status: str

    @staticmethod
    def resolve_political_status_label(obj) -> str:
        value = obj.political_status if not isinstance(obj, dict) else obj["political_status"]
        return str(PoliticalStatus(value).label) if value in PoliticalStatus.values else ""


class PersonOut(PersonListOut):
    ethnicity: str
    birth_date: datetime.date
    college: str
    department: str
    education: str
    applied_on: datetime.date | None
    activist_on: datetime.date | None
    candidate_on: datetime.date | None
    confirmed_on: datetime.date | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    id_number: str | None = Field(None, description="完整身份证号：仅在 ?reveal=1 且有权限时返回，并记入审计日志")


class PersonCreateIn(Schema):
    name: str = Field(..., max_length=64)
    gender: str = Field(..., description="male / female")
    id_number: str = Field(..., max_length=32)
    unit_id: int | None = Field(None, description="所在党组织 id（或给出 unit_code）")
    unit_code: str | None = Field(None, max_length=32, description="所在党组织编码")
    category: str = Field(..., description="student / faculty / staff / retiree")
    political_status: str = "masses"
    birth_date: datetime.date | None = None
    ethnicity: str = Field("", max_length=16)
    phone: str = Field("", max_length=20)
    staff_number: str = Field("", max_length=32)
    college: str = Field("", max_length=100)
    department: str = Field("", max_length=100)
    education: str = Field("", max_length=32)
    applied_on: datetime.date | None = None
    activist_on: datetime.date | None = None
    candidate_on: datetime.date | None = None
    joined_on: datetime.date | None = None
    confirmed_on: datetime.date | None = None
    is_mobile: bool = False
    is_lost_contact: bool = False
    is_abroad: bool = False


class PersonPatchIn(Schema):
    """Only the fields sent are changed. ``effective_on`` dates the resulting history event."""

    name: str | None = Field(None, max_length=64)
    gender: str | None = None
    id_number: str | None = Field(None, max_length=32)
    unit_id: int | None = None
    unit_code: str | None = Field(None, max_length=32)
    category: str | None = None
    political_status: str | None = None
    birth_date: datetime.date | None = None
    ethnicity: str | None = Field(None, max_length=16)
    phone: str | None = Field(None, max_length=20)
    staff_number: str | None = Field(None, max_length=32)
    college: str | None = Field(None, max_length=100)
    department: str | None = Field(None, max_length=100)
    education: str | None = Field(None, max_length=32)
    applied_on: datetime.date | None = None
    activist_on: datetime.date | None = None
    candidate_on: datetime.date | None = None
    joined_on: datetime.date | None = None
    confirmed_on: datetime.date | None = None
    is_mobile: bool | None = None
    is_lost_contact: bool | None = None
    is_abroad: bool | None = None
    effective_on: datetime.date | None = None


class PersonEventOut(Schema):
    id: int
    kind: str
    kind_label: str
    occurred_at: datetime.datetime
    effective_on: datetime.date | None
    actor: str | None
    old_value: str
    new_value: str
    details: dict

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(PersonEventKind(obj.kind).label) if obj.kind in PersonEventKind.values else obj.kind

    @staticmethod
    def resolve_actor(obj) -> str | None:
        return obj.actor.get_username() if obj.actor_id else None


class CommitteeSeatOut(Schema):
    id: int
    unit_id: int
    person_id: int
    person_name: str
    position: str
    position_label: str
    started_on: datetime.date
    ended_on: datetime.date | None

    @staticmethod
    def resolve_person_name(obj) -> str:
        return obj.person.name

    @staticmethod
    def resolve_position_label(obj) -> str:
        return obj.get_position_display()


class CommitteeSeatIn(Schema):
    person_id: int
    position: str
    started_on: datetime.date


class CommitteeEndIn(Schema):
    ended_on: datetime.date
