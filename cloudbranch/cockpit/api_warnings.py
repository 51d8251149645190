"""/api/cockpit: the warnings area.

- ``GET /api/cockpit/warnings`` the warnings of the caller's subtree (``cockpit.view_warning``),
  open ones unless ``state=cleared`` (or ``all``); filters ``unit`` (its subtree), ``area``,
  ``severity``, ``rule``; paginated.
- ``POST /api/cockpit/warnings/refresh`` runs every rule now (``cockpit.recompute``; audited) and
  returns what changed.
"""

import datetime

from django.core.exceptions import PermissionDenied
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS, ObjectId
from cloudbranch.orgs.scoping import holds

from . import warnings as engine

router = Router(tags=["党建数据座舱"])


class WarningQuery(Schema):
    state: str = Field("open", pattern="^(open|cleared|all)$", description="open 未解除（默认）/ cleared 已解除 / all")
    unit: ObjectId | None = Field(None, description="组织 ID：只看该组织及下级")
    area: str = Field("", description="领域，如 structure、life、development、dues、learning、tasks")
    severity: str = Field("", description="级别：danger 严重 / warning 警告 / info 提示")
    rule: str = Field("", description="规则键，如 structure.branch_size")


class WarningOut(Schema):
    id: int
    rule: str
    rule_label: str
    area: str
    area_label: str
    unit_id: int
    unit_name: str
    subject: str
    severity: str
    severity_label: str
    message: str
    url: str
    owner_perm: str
    owner_hint: str
    opened_at: datetime.datetime
    cleared_at: datetime.datetime | None
    notified_at: datetime.datetime | None

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_owner_perm(obj) -> str:
        rule = engine._catalogue().get(obj.rule)
        return rule.owner_perm if rule else ""


class RuleOutcomeOut(Schema):
    key: str
    found: int
    opened: int
    updated: int
    cleared: int
    seconds: float
    error: str


class RefreshOut(Schema):
    today: datetime.date
    opened: int
    updated: int
    cleared: int
    notified_users: int
    notified_warnings: int
    rules: list[RuleOutcomeOut]
    errors: list[str]


class WarningPage:
    def __init__(self, qs):
        self.qs = qs

    def count(self) -> int:
        return self.qs.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if isinstance(index, slice):
            return engine.decorate(self.qs[index])
        return engine.decorate([self.qs[index]])[0]


@router.get("/warnings", response={200: list[WarningOut], **READ_ERRORS, 422: WRITE_ERRORS[422]}, summary="预警列表")
@paginate
def warning_list(request, filters: Query[WarningQuery]):
    if not holds(request.auth, engine.VIEW_PERM):
        raise PermissionDenied
    return WarningPage(engine.warning_list(user=request.auth, filters=filters.dict()))


@router.post("/warnings/refresh", response={200: RefreshOut, **WRITE_ERRORS}, summary="立即刷新预警")
def warning_refresh(request):
    result = engine.refresh_now(actor=request.auth)
    return 200, result.as_dict()
