"""/api/news (articles area): articles a reader may see (filters, search), detail, create/update,
the workflow transitions, read receipts and the read mark — through the same selectors and
services as the pages (visibility rule included: 404 when not visible)."""

import datetime

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from cloudbranch.core.errors import DomainError
from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS, ObjectId
from cloudbranch.orgs.scoping import can, holds

from . import articles as svc
from .choices import ArticleStatus
from .visibility import reader_of

router = Router(tags=["宣传"])


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    url: str


class ArticleOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    category: str
    disclosure_type: str
    disclosure_from: datetime.date | None
    disclosure_to: datetime.date | None
    title: str
    summary: str
    visibility: str
    status: str
    pinned: bool
    requires_reading: bool
    read_deadline: datetime.date | None
    publish_at: datetime.datetime | None
    published_at: datetime.datetime | None
    cover_url: str | None
    url: str
    unread: bool = False

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_cover_url(obj) -> str | None:
        return reverse("news:article_cover", args=[obj.pk]) if obj.cover else None

    @staticmethod
    def resolve_url(obj) -> str:
        return reverse("news:article", args=[obj.pk])

    @staticmethod
    def resolve_unread(obj) -> bool:
        return bool(getattr(obj, "is_unread", False))


class ReviewOut(Schema):
    action: str
    comment: str
    actor: str
    at: datetime.datetime

    @staticmethod
    def resolve_actor(obj) -> str:
        return obj.actor.display_name or obj.actor.username


class ArticleDetailOut(ArticleOut):
    body: str
    author: str
    attachments: list[AttachmentOut]
    read: bool = False
    preview: bool = False
    history: list[ReviewOut] = []

    @staticmethod
    def resolve_author(obj) -> str:
        return obj.author.display_name or obj.author.username

    @staticmethod
    def resolve_attachments(obj) -> list[dict]:
        return [
            {
                "id": a.pk,
                "name": a.original_name,
                "size": a.size,
                "content_type": a.content_type,
                "url": reverse("news:attachment", args=[a.pk]),
            }
            for a in obj.attachments.all()
        ]


class ArticleIn(Schema):
    unit_id: ObjectId | None = None
    category: str | None = None
    title: str | None = None
    summary: str | None = None
    body: str | None = None
    disclosure_type: str | None = None
    disclosure_from: datetime.date | None = None
    disclosure_to: datetime.date | None = None
    visibility: str | None = None
    publish_at: datetime.datetime | None = None
    requires_reading: bool | None = None
    read_deadline: datetime.date | None = None


class CommentIn(Schema):
    comment: str = ""


class ReasonIn(Schema):
    reason: str = ""


class PinIn(Schema):
    pinned: bool


class ArticleFilterIn(Schema):
    category: str = ""
    q: str = ""
    unit: ObjectId | None = None


class ManageFilterIn(ArticleFilterIn):
    status: str = ""


class UnitRateOut(Schema):
    unit_id: int | None
    name: str
    audience: int
    read: int
    rate: float


class ReceiptsOut(Schema):
    article_id: int
    audience: int
    read: int
    rate: float
    units: list[UnitRateOut]


class UnreadOut(Schema):
    person_id: int
    name: str
    unit_name: str

    @staticmethod
    def resolve_person_id(obj) -> int:
        return obj.pk

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name


class ReadOut(Schema):
    article_id: int
    read: bool
    asked_to_read: bool


class RemindOut(Schema):
    reminded: int


def _filters(f) -> svc.ArticleFilters:
    data = f.dict()
    return svc.ArticleFilters.from_params({k: ("" if v is None else v) for k, v in data.items()})


def _data(payload: ArticleIn) -> dict:
    return {k: v for k, v in payload.dict(exclude_unset=True).items() if k != "unit_id"}


def _detail(request, article, *, preview: bool, read: bool = False):
    article.read = read
    article.preview = preview
    managing = can(request.user, svc.VIEW, article.unit)
    article.history = list(svc.history_of(article)) if managing else []
    return article


@router.get("/articles", response={200: list[ArticleOut], **READ_ERRORS})
@paginate
def list_articles(request, filters: Query[ArticleFilterIn]):
    """Published articles the user may read: pinned first, newest first; ``q`` searches (Chinese bigrams)."""
    return svc.article_list(request.user, _filters(filters))


@router.get("/articles/manage", response={200: list[ArticleOut], **READ_ERRORS})
@paginate
def manage_articles(request, filters: Query[ManageFilterIn]):
    """Articles of the user's news.view_article scope, any status (``status=review``: my review queue)."""
    if not holds(request.user, svc.VIEW):
        raise PermissionDenied
    return svc.manage_list(request.user, _filters(filters))


@router.get("/articles/{article_id}", response={200: ArticleDetailOut, **READ_ERRORS})
def get_article(request, article_id: ObjectId):
    """One article (a preview of an unpublished one for its managers); reading writes no receipt — POST /read."""
    article, preview = svc.access_article_for_reading(request.user, article_id)
    return _detail(request, article, preview=preview)


@router.post("/articles", response={201: ArticleDetailOut, **WRITE_ERRORS})
def create_article(request, payload: ArticleIn):
    if payload.unit_id is None:
        raise DomainError("请选择发布组织。", errors=[{"field": "unit_id", "message": "必填"}])
    article = svc.article_create(actor=request.user, unit_id=payload.unit_id, data=_data(payload))
    return 201, _detail(request, article, preview=True)


@router.patch("/articles/{article_id}", response={200: ArticleDetailOut, **WRITE_ERRORS})
def update_article(request, article_id: ObjectId, payload: ArticleIn):
    article = svc.article_update(actor=request.user, article_id=article_id, data=_data(payload))
    return _detail(request, article, preview=article.status != ArticleStatus.PUBLISHED)


@router.post("/articles/{article_id}/submit", response={200: ArticleDetailOut, **WRITE_ERRORS})
def submit_article(request, article_id: ObjectId):
    article = svc.article_submit(actor=request.user, article_id=article_id)
    return _detail(request, article, preview=True)


@router.post("/articles/{article_id}/approve", response={200: ArticleDetailOut, **WRITE_ERRORS})
def approve_article(request, article_id: ObjectId, payload: CommentIn):
    article = svc.article_approve(actor=request.user, article_id=article_id, comment=payload.comment)
    return _detail(request, article, preview=article.status != ArticleStatus.PUBLISHED)


@router.post("/articles/{article_id}/reject", response={200: ArticleDetailOut, **WRITE_ERRORS})
def reject_article(request, article_id: ObjectId, payload: CommentIn):
    article = svc.article_reject(actor=request.user, article_id=article_id, comment=payload.comment)
    return _detail(request, article, preview=True)


@router.post("/articles/{article_id}/withdraw", response={200: ArticleDetailOut, **WRITE_ERRORS})
def withdraw_article(request, article_id: ObjectId, payload: ReasonIn):
    article = svc.article_withdraw(actor=request.user, article_id=article_id, reason=payload.reason)
    return _detail(request, article, preview=True)


@router.post("/articles/{article_id}/pin", response={200: ArticleDetailOut, **WRITE_ERRORS})
def pin_article(request, article_id: ObjectId, payload: PinIn):
    article = svc.article_pin(actor=request.user, article_id=article_id, pinned=payload.pinned)
    return _detail(request, article, preview=article.status != ArticleStatus.PUBLISHED)


@router.post("/articles/{article_id}/read", response={200: ReadOut, **WRITE_ERRORS})
def read_article(request, article_id: ObjectId):
    """The read mark: writes the receipt once for a person of the article's audience."""
    article, preview = svc.access_article_for_reading(request.user, article_id)
    read = False if preview else svc.record_read(user=request.user, article=article)
    asked = not preview and svc.in_audience(reader_of(request.user), article)
    return {"article_id": article.pk, "read": read, "asked_to_read": asked}


def _receipts_article(request, article_id):
    article = svc.access_article_for_management(request.user, article_id)
    if not svc.may_see_receipts(request.user, article):
        raise PermissionDenied
    return article


@router.get("/articles/{article_id}/receipts", response={200: ReceiptsOut, **READ_ERRORS})
def article_receipts(request, article_id: ObjectId):
    """Read rate overall and per child unit."""
    article = _receipts_article(request, article_id)
    stats = svc.receipt_stats(article)
    return {
        "article_id": article.pk,
        "audience": stats.audience,
        "read": stats.read,
        "rate": stats.rate,
        "units": [
            {"unit_id": u.unit_id, "name": u.name, "audience": u.audience, "read": u.read, "rate": u.rate}
            for u in stats.units
        ],
    }


@router.get("/articles/{article_id}/receipts/unread", response={200: list[UnreadOut], **READ_ERRORS})
@paginate
def article_unread(request, article_id: ObjectId):
    """Who has not read yet (paginated)."""
    return svc.unread_people(_receipts_article(request, article_id))


@router.post("/articles/{article_id}/remind", response={200: RemindOut, **WRITE_ERRORS})
def remind(request, article_id: ObjectId):
    return {"reminded": svc.remind_unread(actor=request.user, article_id=article_id)}
