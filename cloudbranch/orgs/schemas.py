"""Request and response bodies of the org-tree API (``/api/orgs``)."""

import datetime

from ninja import Field, Schema

from .choices import UnitKind, UnitStatus
from .roles import Role


class UnitOut(Schema):
    id: int
    code: str
    name: str
    kind: UnitKind
    kind_label: str
    status: UnitStatus
    status_label: str
    parent_id: int | None
    path: str
    depth: int
    sort_order: int
    child_count: int = Field(0, description="下级组织数（含已合并、已撤销）")
    founded_on: datetime.date | None
    closed_on: datetime.date | None
    merged_into_id: int | None
    term_years: int
    term_started_on: datetime.date | None
    term_ends_on: datetime.date | None
    description: str

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_child_count(obj) -> int:
        return getattr(obj, "child_count", 0) or 0


class UnitCreateIn(Schema):
    parent_id: int
    code: str = Field(..., min_length=1, max_length=32)
    name: str = Field(..., min_length=1, max_length=100)
    kind: UnitKind
    sort_order: int = Field(0, ge=-1_000_000, le=1_000_000)
    founded_on: datetime.date | None = None
    term_years: int = Field(3, ge=1, le=10)
    term_started_on: datetime.date | None = None
    description: str = Field("", max_length=5000)


class UnitPatchIn(Schema):
    code: str | None = Field(None, min_length=1, max_length=32)
    name: str | None = Field(None, min_length=1, max_length=100)
    kind: UnitKind | None = None
    sort_order: int | None = Field(None, ge=-1_000_000, le=1_000_000)
    founded_on: datetime.date | None = None
    term_years: int | None = Field(None, ge=1, le=10)
    term_started_on: datetime.date | None = None
    description: str | None = Field(None, max_length=5000)


class UnitMoveIn(Schema):
    parent_id: int


class UnitMergeIn(Schema):
    into_id: int
    merged_on: datetime.date | None = None


class UnitDissolveIn(Schema):
    dissolved_on: datetime.date | None = None
    reason: str = Field("", max_length=500)


class RoleAssignmentOut(Schema):
    id: int
    user_id: int
    username: str
    user_display_name: str
    unit_id: int
    unit_code: str
    unit_name: str
    role: Role
    role_label: str
    granted_at: datetime.datetime
    granted_by_id: int | None
    revoked_at: datetime.datetime | None

    @staticmethod
    def resolve_username(obj) -> str:
        return obj.user.username

    @staticmethod
    def resolve_user_display_name(obj) -> str:
        return obj.user.display_name

    @staticmethod
    def resolve_unit_code(obj) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_role_label(obj) -> str:
        return str(obj.get_role_display())


class RoleGrantIn(Schema):
    """Name the user by ``user_id`` or ``username`` and the unit by ``unit_id`` or ``unit_code``."""

    user_id: int | None = None
    username: str | None = Field(None, max_length=150)
    unit_id: int | None = None
    unit_code: str | None = Field(None, max_length=32)
    role: Role
