"""/api/news/board: the message board (留言板), through board.py.

The author of an anonymous message is never in a response to anyone but themselves: ``author``
is "匿名" and no author id is returned at all."""

import datetime

from django.core.exceptions import PermissionDenied
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from cloudbranch.core.middleware import client_ip
from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS, ObjectId
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import access_by_id

from . import board
from .choices import MessageCategory

router = Router(tags=["留言板"])


def _viewer(context):
    request = context.get("request") if context else None
    return getattr(request, "auth", None) or getattr(request, "user", None)


class MessageOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    category: str
    category_label: str
    title: str
    body: str
    status: str
    public: bool
    pinned: bool
    anonymous: bool
    author: str = Field(description="留言人：匿名留言对组织始终显示“匿名”")
    is_mine: bool
    visitor_contact: str | None = Field(None, description="访客联系方式，仅组织可见")
    created_at: datetime.datetime
    answered_at: datetime.datetime | None
    closed_at: datetime.datetime | None

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_category_label(obj) -> str:
        return str(obj.get_category_display())

    @staticmethod
    def resolve_author(obj, context) -> str:
        return board.author_label(obj, _viewer(context))

    @staticmethod
    def resolve_is_mine(obj, context) -> bool:
        return board.is_author(_viewer(context), obj)

    @staticmethod
    def resolve_visitor_contact(obj, context) -> str | None:
        if obj.author_id is None and board.is_officer(_viewer(context), obj.unit):
            return obj.visitor_contact
        return None


class ReplyOut(Schema):
    id: int
    body: str
    public: bool
    closing: bool = Field(False, description="关闭留言时的说明")
    replier: str = Field(description="回复的组织")
    created_at: datetime.datetime


class MessageDetailOut(MessageOut):
    replies: list[ReplyOut]
    may_reply: bool

    @staticmethod
    def resolve_replies(obj, context) -> list[dict]:
        return [
            {
                "id": r.pk,
                "body": r.body,
                "public": r.public,
                "closing": board.is_closing_note(obj, r),
                "replier": obj.unit.name,
                "created_at": r.created_at,
            }
            for r in board.visible_replies(obj, _viewer(context))
        ]

    @staticmethod
    def resolve_may_reply(obj, context) -> bool:
        return board.may_reply(_viewer(context), obj.unit)


class MessageIn(Schema):
    unit: ObjectId
    category: MessageCategory
    title: str = Field(max_length=board.TITLE_MAX)
    body: str = Field(max_length=board.BODY_MAX)
    anonymous: bool = False
    public: bool = True


class ReplyIn(Schema):
    body: str = Field(max_length=board.BODY_MAX)
    public: bool = True


class CloseIn(Schema):
    note: str = Field(max_length=board.NOTE_MAX)
    public: bool = True


class PinIn(Schema):
    pinned: bool = True


class BoardFilters(Schema):
    unit: ObjectId | None = Field(None, description="组织：该组织留言板上的留言（组织的书记、委员看到全部）")


class StatRowOut(Schema):
    unit_id: int | None
    label: str
    messages: int
    answered: int
    answered_rate: float | None
    avg_hours: float | None
    median_hours: float | None
    stale_open: int
    top_categories: list[dict]


class StatsOut(Schema):
    unit_id: int
    unit_name: str
    stale_days: int
    rows: list[StatRowOut]
    total: StatRowOut


def _row(r) -> dict:
    return {
        "unit_id": r.unit.pk if r.unit else None,
        "label": r.label,
        "messages": r.messages,
        "answered": r.answered,
        "answered_rate": r.answered_rate,
        "avg_hours": r.avg_hours,
        "median_hours": r.median_hours,
        "stale_open": r.stale_open,
        "top_categories": [{"category": label, "count": n} for label, n in r.categories],
    }


@router.get(
    "/board/messages",
    response={200: list[MessageOut], **READ_ERRORS},
    summary="留言列表（分页）：?unit= 该组织留言板（组织的书记、委员看到全部，其他人只看公开的和自己的）；不带 unit 为待办留言或本人留言",
)
@paginate
def message_list(request, filters: Query[BoardFilters]):
    unit = board.board_unit(user=request.auth, unit_id=filters.unit) if filters.unit else None
    return board.api_messages(user=request.auth, unit=unit)


@router.post(
    "/board/messages",
    response={201: MessageDetailOut, **WRITE_ERRORS, 429: WRITE_ERRORS[422]},
    summary="留言（本校任一组织，可匿名、可不公开）",
)
def message_create(request, payload: MessageIn):
    data = payload.dict()
    message = board.message_create(actor=request.auth, ip=client_ip(request) or "", **data)
    return 201, board.access_message(request.auth, message.pk)


@router.get("/board/messages/{int:message_id}", response={200: MessageDetailOut, **READ_ERRORS}, summary="留言详情")
def message_detail(request, message_id: int):
    return board.access_message(request.auth, message_id)


@router.post(
    "/board/messages/{int:message_id}/replies",
    response={201: MessageDetailOut, **WRITE_ERRORS},
    summary="回复留言（组织的书记、委员；首次回复即为已回复，通知留言人）",
)
def message_reply(request, message_id: int, payload: ReplyIn):
    board.message_reply(actor=request.auth, message=message_id, **payload.dict())
    return 201, (board.access_message(request.auth, message_id))


@router.post(
    "/board/messages/{int:message_id}/close",
    response={200: MessageDetailOut, **WRITE_ERRORS},
    summary="办结并关闭留言（附说明；关闭后不再回复，可重新留言）",
)
def message_close(request, message_id: int, payload: CloseIn):
    board.message_close(actor=request.auth, message=message_id, **payload.dict())
    return board.access_message(request.auth, message_id)


@router.post(
    "/board/messages/{int:message_id}/pin",
    response={200: MessageDetailOut, **WRITE_ERRORS},
    summary="设为热点（置顶）或取消",
)
def message_pin(request, message_id: int, payload: PinIn):
    board.message_pin(actor=request.auth, message=message_id, pinned=payload.pinned)
    return board.access_message(request.auth, message_id)


@router.get(
    "/board/stats",
    response={200: StatsOut, **READ_ERRORS},
    summary="留言办理统计：各下级组织的留言数、回复率、平均与中位响应时间（小时）、超期未复、主要类别",
)
def stats(request, unit: ObjectId | None = None):
    if unit is None:
        first = board.stats_units(user=request.auth).first()
        if first is None:
            raise PermissionDenied
        target = first
    else:
        target = access_by_id(request.auth, OrgUnit, unit, view=board.VIEW_PERM)
    rows, total = board.board_stats(user=request.auth, unit=target)
    return {
        "unit_id": target.pk,
        "unit_name": target.name,
        "stale_days": board.STALE_DAYS,
        "rows": [_row(r) for r in rows],
        "total": _row(total),
    }
