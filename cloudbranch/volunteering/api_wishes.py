"""/api/service: the micro-wishes, through the same services and selectors as the pages.
The wisher's name and contact go through ``wishes.wisher_shown`` (the one privacy rule)."""

import datetime

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate

from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS, ObjectId
from cloudbranch.orgs.scoping import holds

from . import wishes
from .choices import WishCategory, WisherKind, WishStatus

router = Router(tags=["志愿服务与党建互联"])


class WishOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    title: str
    description: str
    category: WishCategory
    wisher_kind: WisherKind
    wisher_name: str
    wisher_name_masked: bool
    wisher_contact: str | None
    wisher_note: str
    deadline: datetime.date | None
    status: WishStatus
    claimed_by_name: str | None
    claimed_at: datetime.datetime | None
    fulfilled_at: datetime.datetime | None
    fulfil_note: str
    photo_url: str | None
    created_at: datetime.datetime
    url: str


class WishIn(Schema):
    unit: ObjectId
    title: str = Field(..., max_length=120)
    category: WishCategory
    description: str = ""
    wisher_kind: WisherKind
    wisher_name: str = Field(..., max_length=64)
    wisher_contact: str = Field("", max_length=64)
    wisher_note: str = Field("", max_length=200)
    deadline: datetime.date | None = None


class WishEditIn(Schema):
    title: str = Field(..., max_length=120)
    category: WishCategory
    description: str = ""
    wisher_kind: WisherKind
    wisher_name: str = Field(..., max_length=64)
    wisher_contact: str = Field("", max_length=64)
    wisher_note: str = Field("", max_length=200)
    deadline: datetime.date | None = None


class ReasonIn(Schema):
    reason: str = Field(..., max_length=300)


class CommentIn(Schema):
    comment: str = Field(..., max_length=300)


class MineQuery(Schema):
    tab: str = Field("open", pattern="^(open|mine|wall)$", description="open 待认领；mine 我认领的；wall 已实现")


class ManageQuery(Schema):
    status: WishStatus | None = None


def wish_out(user, wish, person=None) -> dict:
    shown = wishes.wisher_shown(user, wish, person)
    return {
        "id": wish.pk,
        "unit_id": wish.unit_id,
        "unit_name": wish.unit.name,
        "title": wish.title,
        "description": wish.description,
        "category": wish.category,
        "wisher_kind": wish.wisher_kind,
        "wisher_name": shown.name,
        "wisher_name_masked": shown.name_masked,
        "wisher_contact": shown.contact if shown.contact_shown else None,
        "wisher_note": shown.note,
        "deadline": wish.deadline,
        "status": wish.status,
        "claimed_by_name": wish.claimed_by.name if wish.claimed_by_id else None,
        "claimed_at": wish.claimed_at,
        "fulfilled_at": wish.fulfilled_at,
        "fulfil_note": wish.fulfil_note,
        "photo_url": reverse("volunteering:wish_photo", args=[wish.pk]) if wish.fulfil_photo else None,
        "created_at": wish.created_at,
        "url": reverse("volunteering:wish", args=[wish.pk]),
    }


def _out_list(request, qs):
    person = wishes.member_person(request.user)
    return [wish_out(request.user, w, person) for w in qs]


def _detail(request, wish_id):
    return wish_out(request.user, wishes.access_wish(request.user, wish_id), wishes.member_person(request.user))


@router.get("/wishes", response={200: list[WishOut], **READ_ERRORS})
@paginate
def wishes_for_me_api(request, filters: Query[MineQuery]):
    """Wishes for the member: open ones of their audience, their claims, or the confirmed wall."""
    person = wishes.member_person(request.user)
    if person is None:
        raise PermissionDenied
    qs = {"mine": wishes.wishes_claimed_by, "wall": wishes.wishes_wall}.get(filters.tab, wishes.wishes_open_for)(person)
    return _LazyOut(request, qs)


@router.get("/wishes/manage", response={200: list[WishOut], **READ_ERRORS})
@paginate
def wishes_manage_api(request, filters: Query[ManageQuery]):
    """Wishes of the officer's units (``volunteering.view_wish``), optionally one status."""
    if not holds(request.user, wishes.VIEW):
        raise PermissionDenied
    return _LazyOut(request, wishes.wishes_managed(request.user, status=filters.status or ""))


class _LazyOut:
    """A sliceable view of a queryset that serializes only the page the paginator cuts."""

    def __init__(self, request, qs):
        self.request, self.qs = request, qs

    def count(self):
        return self.qs.count()

    def __len__(self):
        return self.count()

    def __getitem__(self, item):
        return _out_list(self.request, self.qs[item])


@router.post("/wishes", response={201: WishOut, **WRITE_ERRORS})
def wish_create_api(request, payload: WishIn):
    data = payload.dict()
    wish = wishes.wish_create(actor=request.user, unit_id=data.pop("unit"), **data)
    return 201, _detail(request, wish.pk)


@router.get("/wishes/{wish_id}", response={200: WishOut, **READ_ERRORS})
def wish_detail_api(request, wish_id: ObjectId):
    return _detail(request, wish_id)


@router.put("/wishes/{wish_id}", response={200: WishOut, **WRITE_ERRORS})
def wish_update_api(request, wish_id: ObjectId, payload: WishEditIn):
    wishes.wish_update(actor=request.user, wish_id=wish_id, **payload.dict())
    return _detail(request, wish_id)


@router.post("/wishes/{wish_id}/claim", response={200: WishOut, **WRITE_ERRORS})
def wish_claim_api(request, wish_id: ObjectId):
    wishes.wish_claim(actor=request.user, wish_id=wish_id)
    return _detail(request, wish_id)


@router.post("/wishes/{wish_id}/release", response={200: WishOut, **WRITE_ERRORS})
def wish_release_api(request, wish_id: ObjectId, payload: ReasonIn):
    wishes.wish_release(actor=request.user, wish_id=wish_id, reason=payload.reason)
    return _detail(request, wish_id)


@router.post("/wishes/{wish_id}/fulfil", response={200: WishOut, **WRITE_ERRORS})
def wish_fulfil_api(request, wish_id: ObjectId, note: Form[str] = "", photo: File[UploadedFile] = None):
    """Report the wish fulfilled (multipart: ``photo`` JPG/PNG ≤ 10 MB and ``note``)."""
    wishes.wish_fulfil(actor=request.user, wish_id=wish_id, photo=photo, note=note)
    return _detail(request, wish_id)


@router.post("/wishes/{wish_id}/confirm", response={200: WishOut, **WRITE_ERRORS})
def wish_confirm_api(request, wish_id: ObjectId):
    wishes.wish_confirm(actor=request.user, wish_id=wish_id)
    return _detail(request, wish_id)


@router.post("/wishes/{wish_id}/send-back", response={200: WishOut, **WRITE_ERRORS})
def wish_send_back_api(request, wish_id: ObjectId, payload: CommentIn):
    wishes.wish_send_back(actor=request.user, wish_id=wish_id, comment=payload.comment)
    return _detail(request, wish_id)


@router.post("/wishes/{wish_id}/withdraw", response={200: WishOut, **WRITE_ERRORS})
def wish_withdraw_api(request, wish_id: ObjectId, payload: ReasonIn):
    wishes.wish_withdraw(actor=request.user, wish_id=wish_id, reason=payload.reason)
    return _detail(request, wish_id)
