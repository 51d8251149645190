from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from cloudbranch.orgs.scoping import grants_of

from .schemas import TokenCreatedOut, TokenCreateIn, TokenOut
from .selectors import api_token_list
from .services import api_token_create, api_token_revoke

router = Router(tags=["账号"])


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    duty: str
    permissions: list[str]


@router.get("", response=MeOut, summary="当前用户")
def me(request):
    user = request.user
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "duty": user.duty,
        "permissions": sorted(grants_of(user)),
    }


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
