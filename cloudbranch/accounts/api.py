from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from .schemas import TokenCreatedOut, TokenCreateIn, TokenOut
from .selectors import api_token_list
from .services import api_token_create, api_token_revoke

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
