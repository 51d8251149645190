"""/api/onboarding: activation in three calls (anonymous, session-based like the pages, CSRF
checked), and invitations plus the activation status list for officials (scoped, paginated)."""

import datetime

from django.contrib.auth import login
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate
from ninja.utils import check_csrf
from pydantic import Field

from cloudbranch.core.errors import DomainError
from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS, ErrorOut, ObjectId
from cloudbranch.orgs.scoping import holds

from . import flow, selectors, services
from .models import Purpose
from .services import INVITE_PERMISSION

router = Router(tags=["onboarding"])
ANON_ERRORS = {400: ErrorOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}
BACKEND = "django.contrib.auth.backends.ModelBackend"


class CheckIn(Schema):
    name: str = Field(..., max_length=64, description="姓名")
    id_number: str = Field(..., max_length=32, description="身份证号")
    staff_number: str = Field(..., max_length=32, description="学号/工号")


class StepOut(Schema):
    next: str = Field(..., description="下一步：code（输入验证码）或 password（设置密码）")
    masked_to: str = Field("", description="验证码发送到的地址（已脱敏）")


class CodeIn(Schema):
    code: str = Field(..., min_length=6, max_length=6)


class CompleteIn(Schema):
    password: str = Field(..., min_length=1, max_length=128)


class ActivatedOut(Schema):
    username: str


class BatchIn(Schema):
    unit_id: ObjectId | None = Field(None, description="党组织（含下级）；不填则为本人管理的最上级组织")
    political_status: str = ""
    category: str = ""


class BatchOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    filters: dict
    status: str
    status_label: str
    finished: bool
    progress: int
    total: int
    sent: int
    skipped: int
    failed: int
    message: str
    created_at: datetime.datetime
    finished_at: datetime.datetime | None

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_finished(obj) -> bool:
        return obj.is_finished

    @staticmethod
    def resolve_progress(obj) -> int:
        return obj.progress_percent


class StatusFilters(Schema):
    unit_id: ObjectId | None = None
    political_status: str = ""
    category: str = ""
    activated: str = Field("", description="yes 已开通 / no 未开通")


class StatusOut(Schema):
    id: int
    name: str
    unit_id: int
    unit_name: str
    political_status: str
    activated: bool
    activated_at: datetime.datetime | None
    last_invited_at: datetime.datetime | None

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_activated(obj) -> bool:
        return bool(obj.user_id and obj.user.is_active)

    @staticmethod
    def resolve_activated_at(obj):
        return obj.user.date_joined if obj.user_id else None


def _csrf(request) -> None:
    """Anonymous writes still need the CSRF token, as on the pages (the session carries the flow)."""
    if check_csrf(request) is not None:
        raise HttpError(403, "CSRF 校验失败，请刷新页面后重试。")


def _require_grant(user) -> None:
    if not holds(user, INVITE_PERMISSION):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied


# ---------------------------------------------------------------- activation (anonymous)


@router.post("/activate/check", auth=None, response={200: StepOut, **ANON_ERRORS}, summary="激活账号：核对身份")
def activate_check(request, payload: CheckIn):
    """Name + ID number + staff number must match one roster person; the error never says which field."""
    _csrf(request)
    person = services.activation_check(
        name=payload.name, id_number=payload.id_number, staff_number=payload.staff_number
    )
    identity = services.activation_identity(payload.id_number)
    if services.code_required(person):
        masked = services.code_send(person=person, purpose=Purpose.ACTIVATION)
        flow.start(
            request, purpose=Purpose.ACTIVATION, person_id=person.pk, identity=identity, stage="code", masked_to=masked
        )
        return {"next": "code", "masked_to": masked}
    flow.start(request, purpose=Purpose.ACTIVATION, person_id=person.pk, identity=identity, stage="password")
    return {"next": "password", "masked_to": ""}


@router.post("/activate/code", auth=None, response={200: StepOut, **ANON_ERRORS}, summary="激活账号：验证码")
def activate_code(request, payload: CodeIn):
    _csrf(request)
    state = flow.current(request, purpose=Purpose.ACTIVATION, stage="code")
    if state is None:
        raise DomainError("请先核对身份信息。")
    services.code_verify(person_id=state["p"], purpose=Purpose.ACTIVATION, identity=state["i"], code=payload.code)
    flow.advance(request, state, stage="password")
    return {"next": "password", "masked_to": ""}


@router.post("/activate/complete", auth=None, response={200: ActivatedOut, **ANON_ERRORS}, summary="激活账号：设置密码")
def activate_complete(request, payload: CompleteIn):
    """Creates the account (user name = staff number) and logs the session in."""
    _csrf(request)
    state = flow.current(request, purpose=Purpose.ACTIVATION, stage="password")
    if state is None:
        raise DomainError("请先核对身份信息。")
    user = services.activation_complete(person_id=state["p"], password=payload.password)
    flow.end(request)
    login(request, user, backend=BACKEND)
    return {"username": user.username}


# ---------------------------------------------------------------- officials


@router.get("/invitations", response={200: list[BatchOut], **READ_ERRORS}, summary="邀请批次")
@paginate
def invitation_list(request):
    _require_grant(request.auth)
    return selectors.batch_list(user=request.auth)


@router.post("/invitations", response={201: BatchOut, **WRITE_ERRORS}, summary="批量发送开通邀请")
def invitation_create(request, payload: BatchIn):
    """Invite the not-yet-activated roster people of a unit's subtree (background task). Idempotent:
    activated people and people invited within 7 days are skipped."""
    batch = services.invitation_batch_create(
        actor=request.auth,
        unit_id=payload.unit_id,
        filters={"political_status": payload.political_status, "category": payload.category},
    )
    return 201, selectors.access_batch_by_id(request.auth, batch.pk)


@router.get("/invitations/{batch_id}", response={200: BatchOut, **READ_ERRORS}, summary="邀请批次详情")
def invitation_detail(request, batch_id: ObjectId):
    _require_grant(request.auth)
    return selectors.access_batch_by_id(request.auth, batch_id)


@router.get("/status", response={200: list[StatusOut], **READ_ERRORS}, summary="名册人员的账号开通情况")
@paginate
def activation_status_list(request, filters: Query[StatusFilters]):
    _require_grant(request.auth)
    cleaned = services.clean_filters(filters.dict())
    unit = selectors.access_unit(request.auth, filters.unit_id) if filters.unit_id else None
    return selectors.activation_status(selectors.roster_selection(user=request.auth, unit=unit, filters=cleaned))
