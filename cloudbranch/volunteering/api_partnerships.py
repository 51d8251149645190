"""/api/service: co-building (partners, partnerships, joint activities, yearly summaries),
through the same services and selectors as the pages."""

import datetime

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate

from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS, ObjectId
from cloudbranch.orgs.scoping import holds

from . import partnerships as ps
from .choices import PartnerKind, PartnershipStatus

router = Router(tags=["志愿服务与党建互联"])


class PartnerOut(Schema):
    id: int
    unit_id: int
    unit_name: str = Field(..., alias="unit.name")
    name: str
    kind: PartnerKind
    party_org: str
    contact_name: str
    contact_phone: str
    address: str


class PartnerIn(Schema):
    unit: ObjectId
    name: str = Field(..., max_length=120)
    kind: PartnerKind
    party_org: str = Field("", max_length=120)
    contact_name: str = Field("", max_length=64)
    contact_phone: str = Field("", max_length=32)
    address: str = Field("", max_length=200)


class PartnerEditIn(Schema):
    name: str = Field(..., max_length=120)
    kind: PartnerKind
    party_org: str = Field("", max_length=120)
    contact_name: str = Field("", max_length=64)
    contact_phone: str = Field("", max_length=32)
    address: str = Field("", max_length=200)


class PartnershipOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    partner_id: int
    partner_name: str
    partner_kind: PartnerKind
    title: str
    goals: list[str]
    agreement: str
    agreement_file_url: str | None
    signed_on: datetime.date
    starts_on: datetime.date
    ends_on: datetime.date
    status: PartnershipStatus
    end_reason: str
    url: str


class PartnershipIn(Schema):
    unit: ObjectId
    partner: ObjectId
    title: str = Field(..., max_length=120)
    goals: list[str]
    agreement: str = ""
    signed_on: datetime.date
    starts_on: datetime.date
    ends_on: datetime.date


class PartnershipQuery(Schema):
    unit: ObjectId | None = None
    status: PartnershipStatus | None = None
    kind: PartnerKind | None = None


class EndIn(Schema):
    reason: str = Field(..., max_length=200)


class ActivityOut(Schema):
    id: int
    partnership_id: int
    held_on: datetime.date
    title: str
    summary: str
    participants: int
    goal_index: int | None
    meeting_id: int | None
    post_id: int | None


class ActivityIn(Schema):
    held_on: datetime.date
    title: str = Field(..., max_length=120)
    summary: str = ""
    participants: int = Field(0, ge=0)
    goal_index: int | None = Field(None, ge=0)
    meeting_id: ObjectId | None = None
    post_id: ObjectId | None = None


class SummaryOut(Schema):
    partnership_id: int
    year: int
    text: str
    saved: bool


class SummaryIn(Schema):
    text: str


def partnership_out(p) -> dict:
    return {
        "id": p.pk,
        "unit_id": p.unit_id,
        "unit_name": p.unit.name,
        "partner_id": p.partner_id,
        "partner_name": p.partner.name,
        "partner_kind": p.partner.kind,
        "title": p.title,
        "goals": p.goals,
        "agreement": p.agreement,
        "agreement_file_url": reverse("volunteering:agreement_file", args=[p.pk]) if p.agreement_file else None,
        "signed_on": p.signed_on,
        "starts_on": p.starts_on,
        "ends_on": p.ends_on,
        "status": getattr(p, "shown", None) or ps.shown_status(p),
        "end_reason": p.end_reason,
        "url": reverse("volunteering:partnership", args=[p.pk]),
    }


class _Mapped:
    """Sliceable: the paginator cuts the queryset, then only that page is serialized."""

    def __init__(self, qs, fn):
        self.qs, self.fn = qs, fn

    def __len__(self):
        return self.qs.count()

    def __getitem__(self, item):
        return [self.fn(x) for x in self.qs[item]]


def _require_view(request):
    if not holds(request.user, ps.VIEW):
        raise PermissionDenied


@router.get("/partners", response={200: list[PartnerOut], **READ_ERRORS})
@paginate
def partners_api(request, kind: PartnerKind | None = None, q: str = ""):
    _require_view(request)
    return ps.partner_list(request.user, kind=kind or "", q=q)


@router.post("/partners", response={201: PartnerOut, **WRITE_ERRORS})
def partner_create_api(request, payload: PartnerIn):
    data = payload.dict()
    partner = ps.partner_create(actor=request.user, unit_id=data.pop("unit"), **data)
    return 201, ps.access_partner(request.user, partner.pk)


@router.put("/partners/{partner_id}", response={200: PartnerOut, **WRITE_ERRORS})
def partner_update_api(request, partner_id: ObjectId, payload: PartnerEditIn):
    ps.partner_update(actor=request.user, partner_id=partner_id, **payload.dict())
    return ps.access_partner(request.user, partner_id)


@router.get("/partnerships", response={200: list[PartnershipOut], **READ_ERRORS})
@paginate
def partnerships_api(request, filters: Query[PartnershipQuery]):
    _require_view(request)
    unit = ps.access_scope_unit(request.user, filters.unit) if filters.unit else None
    qs = ps.partnership_list(request.user, unit=unit, status=filters.status or "", kind=filters.kind or "")
    return _Mapped(qs, partnership_out)


@router.post("/partnerships", response={201: PartnershipOut, **WRITE_ERRORS})
def partnership_create_api(
    request,
    unit: Form[ObjectId],
    partner: Form[ObjectId],
    title: Form[str],
    goals: Form[str],
    signed_on: Form[datetime.date],
    starts_on: Form[datetime.date],
    ends_on: Form[datetime.date],
    agreement: Form[str] = "",
    agreement_file: File[UploadedFile] = None,
):
    """Register a partnership (multipart; ``goals`` one per line; optional ``agreement_file``)."""
    p = ps.partnership_create(
        actor=request.user, unit_id=unit, partner_id=partner, title=title, goals=goals, agreement=agreement,
        signed_on=signed_on, starts_on=starts_on, ends_on=ends_on, agreement_file=agreement_file,
    )  # fmt: skip
    return 201, partnership_out(ps.access_partnership(request.user, p.pk))


@router.get("/partnerships/{partnership_id}", response={200: PartnershipOut, **READ_ERRORS})
def partnership_detail_api(request, partnership_id: ObjectId):
    return partnership_out(ps.access_partnership(request.user, partnership_id))


@router.put("/partnerships/{partnership_id}", response={200: PartnershipOut, **WRITE_ERRORS})
def partnership_update_api(request, partnership_id: ObjectId, payload: PartnershipIn):
    data = payload.dict()
    data.pop("unit")
    ps.partnership_update(actor=request.user, partnership_id=partnership_id, partner_id=data.pop("partner"), **data)
    return partnership_out(ps.access_partnership(request.user, partnership_id))


@router.post("/partnerships/{partnership_id}/end", response={200: PartnershipOut, **WRITE_ERRORS})
def partnership_end_api(request, partnership_id: ObjectId, payload: EndIn):
    ps.partnership_end(actor=request.user, partnership_id=partnership_id, reason=payload.reason)
    return partnership_out(ps.access_partnership(request.user, partnership_id))


@router.get("/partnerships/{partnership_id}/activities", response={200: list[ActivityOut], **READ_ERRORS})
@paginate
def activities_api(request, partnership_id: ObjectId):
    partnership = ps.access_partnership(request.user, partnership_id)
    return ps.activity_list(request.user, partnership=partnership)


@router.post("/partnerships/{partnership_id}/activities", response={201: ActivityOut, **WRITE_ERRORS})
def activity_add_api(request, partnership_id: ObjectId, payload: ActivityIn):
    return 201, ps.activity_add(actor=request.user, partnership_id=partnership_id, **payload.dict())


@router.get("/partnerships/{partnership_id}/summaries", response={200: list[SummaryOut], **READ_ERRORS})
@paginate
def summaries_api(request, partnership_id: ObjectId):
    partnership = ps.access_partnership(request.user, partnership_id)
    qs = ps.summary_list(request.user, partnership=partnership)
    return _Mapped(qs, lambda s: {"partnership_id": s.partnership_id, "year": s.year, "text": s.text, "saved": True})


@router.get("/partnerships/{partnership_id}/summaries/{year}", response={200: SummaryOut, **READ_ERRORS})
def summary_api(request, partnership_id: ObjectId, year: int):
    """The saved summary of the year, or the draft generated from its activities."""
    partnership = ps.access_partnership(request.user, partnership_id)
    year = ps.check_year(partnership, year)
    saved = ps.summary_get(partnership, year)
    text = saved.text if saved else ps.summary_draft(partnership, year)
    return {"partnership_id": partnership.pk, "year": year, "text": text, "saved": saved is not None}


@router.put("/partnerships/{partnership_id}/summaries/{year}", response={200: SummaryOut, **WRITE_ERRORS})
def summary_save_api(request, partnership_id: ObjectId, year: int, payload: SummaryIn):
    s = ps.summary_save(actor=request.user, partnership_id=partnership_id, year=year, text=payload.text)
    return {"partnership_id": s.partnership_id, "year": s.year, "text": s.text, "saved": True}
