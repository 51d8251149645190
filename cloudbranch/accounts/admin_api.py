"""Account management API for the system administrator, login records for the security administrator
(everyone else: 403)."""

from datetime import date

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from .permissions import require_system_admin
from .schemas import LoginRecordOut, ResetPasswordIn, ResetPasswordOut, UnlockOut, UserCreateIn, UserOut, UserUpdateIn
from .selectors import access_user_by_id, login_records, user_list
from .services import UNSET, user_create, user_reset_password, user_unlock, user_update

router = Router(tags=["账号管理"])


class UserFilters(Schema):
    q: str = ""
    status: str = ""
    duty: str = ""


@router.get("/users", response=list[UserOut], summary="账号列表")
@paginate
def users(request: HttpRequest, filters: Query[UserFilters]):
    return user_list(actor=request.user, q=filters.q, status=filters.status, duty=filters.duty)


@router.post("/users", response={201: UserOut}, summary="新建账号")
def create(request: HttpRequest, payload: UserCreateIn):
    user = user_create(actor=request.user, **payload.dict())
    return 201, access_user_by_id(actor=request.user, user_id=user.pk)


@router.get("/users/{user_id}", response=UserOut, summary="账号详情")
def detail(request: HttpRequest, user_id: int):
    return access_user_by_id(actor=request.user, user_id=user_id)


@router.patch("/users/{user_id}", response=UserOut, summary="修改账号（姓名、邮箱、启用、平台职责）")
def update(request: HttpRequest, user_id: int, payload: UserUpdateIn):
    require_system_admin(request.user)
    given = payload.dict(exclude_unset=True)
    if "duty" in given and given["duty"] is None:
        given["duty"] = ""  # null revokes the duty, like ""
    for name in ("display_name", "email", "is_active"):
        if given.get(name, UNSET) is None:
            del given[name]
    access_user_by_id(actor=request.user, user_id=user_id)
    user_update(actor=request.user, user_id=user_id, **given)
    return access_user_by_id(actor=request.user, user_id=user_id)


@router.post("/users/{user_id}/reset-password", response=ResetPasswordOut, summary="重置密码")
def reset_password(request: HttpRequest, user_id: int, payload: ResetPasswordIn | None = None):
    access_user_by_id(actor=request.user, user_id=user_id)
    _, password = user_reset_password(actor=request.user, user_id=user_id, password=payload.password if payload else "")
    return {"id": user_id, "password": password}


@router.post("/users/{user_id}/unlock", response=UnlockOut, summary="解除登录锁定")
def unlock(request: HttpRequest, user_id: int):
    access_user_by_id(actor=request.user, user_id=user_id)
    return {"id": user_id, "cleared": user_unlock(actor=request.user, user_id=user_id)}


class LoginFilters(Schema):
    username: str = ""
    outcome: str = ""
    date_from: date | None = None
    date_to: date | None = None


@router.get("/logins", response=list[LoginRecordOut], summary="全部登录记录（安全管理员）")
@paginate
def logins(request: HttpRequest, filters: Query[LoginFilters]):
    return login_records(
        actor=request.user,
        username=filters.username,
        outcome=filters.outcome,
        date_from=filters.date_from,
        date_to=filters.date_to,
    )
