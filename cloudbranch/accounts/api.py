from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS, ObjectId

from . import twofactor
from .schemas import LoginRecordOut, OtpStatusOut, SessionOut, TokenCreatedOut, TokenCreateIn, TokenOut
from .selectors import api_token_list, login_history, session_list
from .services import api_token_create, api_token_revoke
from .usersessions import key_digest, session_end

"""/api/me/tokens: the caller's personal API tokens. /api/me itself is in portal.api (it lists
permissions, which are granted on org units, a layer above accounts)."""

router = Router(tags=["账号"])


@router.get("/tokens", response=list[TokenOut], summary="我的 API 令牌")
@paginate
def tokens(request: HttpRequest):
    return api_token_list(user=request.user)


@router.post("/tokens", response={201: TokenCreatedOut}, summary="生成 API 令牌（明文只返回这一次）")
def token_create(request: HttpRequest, payload: TokenCreateIn):
    token, clear = api_token_create(actor=request.user, name=payload.name, days=payload.days)
    token.token = clear  # returned this once; only the digest is stored
    return 201, token


@router.delete("/tokens/{token_id}", response={204: None}, summary="撤销 API 令牌")
def token_revoke(request: HttpRequest, token_id: int):
    api_token_revoke(actor=request.user, token_id=token_id)
    return 204, None


def _session_key(request) -> str | None:
    session = getattr(request, "session", None)
    return session.session_key if session is not None else None


@router.get("/sessions", response={200: list[SessionOut], **READ_ERRORS}, summary="我的登录设备")
@paginate
def sessions(request: HttpRequest):
    key = _session_key(request)
    current = ExpressionWrapper(Q(key_digest=key_digest(key) if key else ""), output_field=BooleanField())
    return session_list(user=request.user).annotate(current=current)


@router.delete("/sessions/{session_id}", response={204: None, **WRITE_ERRORS}, summary="结束某个设备的登录")
def session_delete(request: HttpRequest, session_id: ObjectId):
    session_end(actor=request.user, session_id=session_id, current_key=_session_key(request))
    return 204, None


@router.get("/logins", response={200: list[LoginRecordOut], **READ_ERRORS}, summary="我的登录记录")
@paginate
def logins(request: HttpRequest):
    return login_history(user=request.user)


@router.get("/otp", response={200: OtpStatusOut, **READ_ERRORS}, summary="我的二次验证状态")
def otp_status(request: HttpRequest):
    user = request.user
    enabled = twofactor.confirmed_device(user) is not None
    session = getattr(request, "session", None)
    verified = bool(
        enabled
        and session is not None
        and not request.headers.get("Authorization", "").startswith("Bearer ")
        and session.get(twofactor.OTP_STATE_KEY) == twofactor.STATE_OK
    )
    return {
        "enabled": enabled,
        "required": twofactor.required_for(user),
        "verified": verified,
        "recovery_codes_left": twofactor.recovery_codes_left(user) if enabled else 0,
    }
