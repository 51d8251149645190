"""/api/me: who the caller is and what they may do where."""

from ninja import Router, Schema

from cloudbranch.orgs.scoping import grants_of

router = Router(tags=["账号"])


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    duty: str
    permissions: list[str]


@router.get("", response=MeOut, summary="当前用户及其权限")
def me(request):
    user = request.auth
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "duty": user.duty,
        "permissions": sorted(grants_of(user)),
    }
