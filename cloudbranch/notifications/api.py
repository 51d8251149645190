"""/api/notifications: the caller's own inbox and preferences."""

from ninja import Query, Router, Schema
from ninja.pagination import paginate

from . import selectors, services
from .schemas import NotificationOut, PreferencesIn, PreferencesOut, ReadAllOut, UnreadCountOut

router = Router(tags=["notifications"])


class ListFilters(Schema):
    unread: bool = False


@router.get("", response=list[NotificationOut], summary="我的消息（未读在前；?unread=1 只看未读）")
@paginate
def notification_list(request, filters: Query[ListFilters]):
    return selectors.notification_list(user=request.auth, unread_only=filters.unread)


@router.get("/unread-count", response=UnreadCountOut, summary="未读消息数")
def unread_count(request):
    return {"unread": selectors.unread_count(request.auth)}


@router.post("/read-all", response=ReadAllOut, summary="全部标为已读")
def read_all(request):
    return {"marked": services.notification_mark_all_read(user=request.auth)}


@router.post("/{int:notification_id}/read", response=NotificationOut, summary="标为已读")
def read_one(request, notification_id: int):
    return services.notification_mark_read(user=request.auth, notification_id=notification_id)


def _preferences(user) -> dict:
    grid = selectors.preference_grid(user)
    return {
        "channels": grid["channels"],
        "preferences": [
            {"category": r["category"], "channel": c["channel"], "enabled": c["enabled"], "locked": c["locked"]}
            for r in grid["rows"]
            for c in r["cells"]
        ],
    }


@router.get("/preferences", response=PreferencesOut, summary="通知设置（类别 × 渠道）")
def preferences_get(request):
    return _preferences(request.auth)


@router.put("/preferences", response=PreferencesOut, summary="修改通知设置（只需列出要改的格）")
def preferences_put(request, payload: PreferencesIn):
    services.preferences_set(
        user=request.auth, values={(p.category, p.channel): p.enabled for p in payload.preferences}
    )
    return _preferences(request.auth)
