"""REST endpoints of the organization tree (``/api/orgs``): the same selectors and services as
the pages. Errors use the API-wide handlers: DomainError 422, ConflictError 409, outside scope
404, visible but not allowed 403."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from ninja import Query, Router
from ninja.pagination import paginate

from cloudbranch.accounts.choices import Duty
from cloudbranch.core.errors import DomainError
from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS

from . import selectors, services
from .choices import UnitKind, UnitStatus
from .models import OrgUnit
from .roles import Role
from .schemas import (
    RoleAssignmentOut,
    RoleGrantIn,
    UnitCreateIn,
    UnitDissolveIn,
    UnitMergeIn,
    UnitMoveIn,
    UnitOut,
    UnitPatchIn,
)

router = Router(tags=["党组织"])


def _unit_out(user, unit_id: int) -> OrgUnit:
    """Re-read a unit with its child count (one query) after it was checked or written."""
    return selectors.with_child_count(OrgUnit.objects.restrict(user, "view"), show_closed=True).get(pk=unit_id)


@router.get("/units", response={200: list[UnitOut], **READ_ERRORS}, summary="组织列表")
@paginate
def unit_list(
    request,
    q: str = Query("", description="名称或编码（包含即可）", max_length=100),
    parent: int | None = Query(None, description="上级组织 ID：只列其直接下级"),
    kind: UnitKind | None = Query(None),
    status: UnitStatus | None = Query(None),
):
    return selectors.unit_list(
        user=request.user,
        q=q,
        parent_id=parent,
        kind=kind.value if kind else "",
        status=status.value if status else "",
        show_closed=True,
    )


@router.get("/units/{unit_id}", response={200: UnitOut, **READ_ERRORS}, summary="组织详情")
def unit_detail(request, unit_id: int):
    unit = services.access_unit_by_id(request.user, unit_id)
    return _unit_out(request.user, unit.pk)


@router.get("/units/{unit_id}/children", response={200: list[UnitOut], **READ_ERRORS}, summary="下级组织")
@paginate
def unit_children(request, unit_id: int, closed: bool = Query(False, description="包含已合并、已撤销的组织")):
    unit = services.access_unit_by_id(request.user, unit_id)
    return selectors.unit_children(user=request.user, unit=unit, show_closed=closed)


@router.post("/units", response={201: UnitOut, **WRITE_ERRORS}, summary="设立组织")
def unit_create(request, payload: UnitCreateIn):
    data = payload.dict()
    data["kind"] = payload.kind.value
    unit = services.unit_create(actor=request.user, **data)
    return 201, _unit_out(request.user, unit.pk)


@router.patch("/units/{unit_id}", response={200: UnitOut, **WRITE_ERRORS}, summary="修改组织信息")
def unit_update(request, unit_id: int, payload: UnitPatchIn):
    changes = payload.dict(exclude_unset=True)
    for key in ("code", "name", "kind", "sort_order", "term_years", "description"):
        if key in changes and changes[key] is None:
            raise DomainError("该字段不能为空。", errors=[{"field": key, "message": "该字段不能为空。"}])
    if "kind" in changes:
        changes["kind"] = UnitKind(changes["kind"]).value
    services.unit_update(actor=request.user, unit_id=unit_id, **changes)
    return _unit_out(request.user, unit_id)


@router.post("/units/{unit_id}/move", response={200: UnitOut, **WRITE_ERRORS}, summary="调整隶属关系")
def unit_move(request, unit_id: int, payload: UnitMoveIn):
    services.unit_move(actor=request.user, unit_id=unit_id, new_parent_id=payload.parent_id)
    return _unit_out(request.user, unit_id)


@router.post("/units/{unit_id}/merge", response={200: UnitOut, **WRITE_ERRORS}, summary="合并组织")
def unit_merge(request, unit_id: int, payload: UnitMergeIn):
    services.unit_merge(actor=request.user, unit_id=unit_id, into_id=payload.into_id, merged_on=payload.merged_on)
    return _unit_out(request.user, unit_id)


@router.post("/units/{unit_id}/dissolve", response={200: UnitOut, **WRITE_ERRORS}, summary="撤销组织")
def unit_dissolve(request, unit_id: int, payload: UnitDissolveIn):
    services.unit_dissolve(
        actor=request.user, unit_id=unit_id, dissolved_on=payload.dissolved_on, reason=payload.reason
    )
    return _unit_out(request.user, unit_id)


# --- roles (security administrator only) ---------------------------------------------------


def _require_security_admin(request) -> None:
    if getattr(request.user, "duty", "") != Duty.SECURITY:
        raise PermissionDenied


@router.get("/roles", response={200: list[RoleAssignmentOut], **READ_ERRORS}, summary="角色授权列表（安全管理员）")
@paginate
def role_list(
    request,
    unit_code: str = Query("", max_length=32),
    username: str = Query("", max_length=150),
    role: Role | None = Query(None),
):
    _require_security_admin(request)
    return selectors.role_assignment_list(unit_code=unit_code, username=username, role=role.value if role else "")


@router.post("/roles", response={201: RoleAssignmentOut, **WRITE_ERRORS}, summary="授予角色（安全管理员）")
def role_grant(request, payload: RoleGrantIn):
    _require_security_admin(request)
    User = get_user_model()
    user = None
    if payload.user_id is not None:
        user = User.objects.filter(pk=payload.user_id).first()
    elif payload.username:
        user = User.objects.filter(username=payload.username.strip()).first()
    if user is None:
        raise DomainError("用户不存在。", errors=[{"field": "user", "message": "用户不存在。"}])
    unit = None
    if payload.unit_id is not None:
        unit = OrgUnit.objects.filter(pk=payload.unit_id).first()
    elif payload.unit_code:
        unit = OrgUnit.objects.filter(code=payload.unit_code.strip()).first()
    if unit is None:
        raise DomainError("组织不存在。", errors=[{"field": "unit", "message": "组织不存在。"}])
    assignment = services.role_grant(actor=request.user, user_id=user.pk, unit_id=unit.pk, role=payload.role.value)
    return 201, assignment


@router.post(
    "/roles/{assignment_id}/revoke", response={200: RoleAssignmentOut, **WRITE_ERRORS}, summary="撤销角色（安全管理员）"
)
def role_revoke(request, assignment_id: int):
    _require_security_admin(request)
    assignment = services.role_revoke(actor=request.user, assignment_id=assignment_id)
    return assignment
