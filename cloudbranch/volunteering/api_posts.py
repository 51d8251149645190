"""/api/service: the posts area — posts, shifts, sign-up, check-in, roster, hours, ratings, my
service. The same services and selectors as the pages; every list paginated (20 per page)."""

import datetime
from decimal import Decimal

from django.db.models import Count, Prefetch, Q
from django.http import Http404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS, ObjectId
from cloudbranch.people.selectors import own_person

from . import checkin, posts, selectors_posts, signups
from .choices import SEAT_STATUSES, SignupStatus
from .models import ServicePost, Shift

router = Router(tags=["志愿服务与党建互联"])


# --- schemas -------------------------------------------------------------------------------


class ShiftOut(Schema):
    id: int
    post_id: int
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    headcount: int
    signup_deadline: datetime.datetime
    cancel_cutoff: datetime.datetime
    status: str
    seats_taken: int
    seats_left: int
    waitlisted: int


class PostOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    title: str
    area: str
    content_type: str
    place: str
    description: str
    skills: list[str]
    contact: str
    status: str
    created_at: datetime.datetime
    shifts: list[ShiftOut]


class PostDetailOut(PostOut):
    average_rating: float | None
    rating_count: int


class PostIn(Schema):
    unit_id: int
    title: str = Field(..., max_length=120)
    area: str
    content_type: str
    place: str = Field(..., max_length=200)
    description: str = ""
    skills: list[str] = []
    contact: str = Field("", max_length=100)


class ShiftIn(Schema):
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    headcount: int
    signup_deadline: datetime.datetime | None = None
    cancel_cutoff: datetime.datetime | None = None


class ShiftPatch(Schema):
    """Only the fields sent change; a deadline sent as null falls back to the start."""

    starts_at: datetime.datetime | None = None
    ends_at: datetime.datetime | None = None
    headcount: int | None = None
    signup_deadline: datetime.datetime | None = None
    cancel_cutoff: datetime.datetime | None = None


class ReasonIn(Schema):
    reason: str = Field(..., max_length=200)


class SignupOut(Schema):
    id: int
    shift_id: int
    post_id: int
    post_title: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    status: str
    waitlist_position: int | None = None
    checked_in_at: datetime.datetime | None
    checked_out_at: datetime.datetime | None
    hours: Decimal | None
    member_rating: int | None
    organizer_rating: int | None


class RosterOut(Schema):
    id: int
    person_id: int
    person_name: str
    status: str
    signed_up_at: datetime.datetime
    checked_in_at: datetime.datetime | None
    checked_out_at: datetime.datetime | None
    proposed_hours: Decimal | None
    hours: Decimal | None
    organizer_rating: int | None
    organizer_comment: str


class TokenIn(Schema):
    token: str = Field(..., max_length=500)


class CheckinOut(Schema):
    signup: SignupOut
    action: str = Field(..., description="in：签到；out：签退")


class ConfirmIn(Schema):
    hours: Decimal | None = None
    reason: str = Field("", max_length=200)
    rating: int | None = None
    comment: str = Field("", max_length=300)


class RateIn(Schema):
    rating: int
    comment: str = Field("", max_length=300)


class HoursYearOut(Schema):
    year: int
    hours: Decimal
    times: int


class PostQuery(Schema):
    scope: str = Field("open", pattern="^(open|manage)$", description="open：我可报名的岗位；manage：我管理的岗位")
    area: str = ""
    content_type: str = ""
    status: str = ""


# --- helpers -------------------------------------------------------------------------------


def _shifts_with_counts():
    return Shift.objects.annotate(
        seats_count=Count("signups", filter=Q(signups__status__in=SEAT_STATUSES)),
        waitlist_count=Count("signups", filter=Q(signups__status=SignupStatus.WAITLISTED)),
    ).order_by("starts_at", "id")


def _shift_out(s: Shift) -> dict:
    seats = getattr(s, "seats_count", None)
    wait = getattr(s, "waitlist_count", None)
    if seats is None:
        counts = selectors_posts.seat_counts([s.pk])[s.pk]
        seats, wait = counts["seats"], counts["waitlisted"]
    return {
        "id": s.pk,
        "post_id": s.post_id,
        "starts_at": s.starts_at,
        "ends_at": s.ends_at,
        "headcount": s.headcount,
        "signup_deadline": s.signup_deadline,
        "cancel_cutoff": s.cancel_cutoff,
        "status": s.status,
        "seats_taken": seats,
        "seats_left": max(0, s.headcount - seats),
        "waitlisted": wait,
    }


def _post_out(p: ServicePost, shifts=None) -> dict:
    return {
        "id": p.pk,
        "unit_id": p.unit_id,
        "unit_name": p.unit.name,
        "title": p.title,
        "area": p.area,
        "content_type": p.content_type,
        "place": p.place,
        "description": p.description,
        "skills": p.skills,
        "contact": p.contact,
        "status": p.status,
        "created_at": p.created_at,
        "shifts": [_shift_out(s) for s in (shifts if shifts is not None else p.shifts.all())],
    }


def _signup_out(s) -> dict:
    return {
        "id": s.pk,
        "shift_id": s.shift_id,
        "post_id": s.shift.post_id,
        "post_title": s.shift.post.title,
        "starts_at": s.shift.starts_at,
        "ends_at": s.shift.ends_at,
        "status": s.status,
        "waitlist_position": getattr(s, "waitlist_position", None)
        if hasattr(s, "waitlist_position")
        else signups.waitlist_position(s),
        "checked_in_at": s.checked_in_at,
        "checked_out_at": s.checked_out_at,
        "hours": s.hours,
        "member_rating": s.member_rating,
        "organizer_rating": s.organizer_rating,
    }


def _mapped(qs, fn):
    """The queryset for ``@paginate``: counted as is, each sliced page mapped through ``fn``."""

    class Lazy:
        def __init__(self, q):
            self.q = q

        def all(self):
            return self.q

        def count(self):
            return self.q.count()

        def __getitem__(self, item):
            return [fn(x) for x in self.q[item]]

        def __len__(self):
            return self.q.count()

    return Lazy(qs)


# --- posts ---------------------------------------------------------------------------------


@router.get("/posts", response={200: list[PostOut], **READ_ERRORS})
@paginate
def post_list(request, filters: Query[PostQuery]):
    """``scope=open``: open posts of my audience; ``scope=manage``: posts of my units (drafts too)."""
    if filters.scope == "manage":
        qs = selectors_posts.managed_posts(request.user, status=filters.status)
    else:
        qs = selectors_posts.member_posts(
            own_person(request.user), area=filters.area, content_type=filters.content_type
        )
    qs = qs.prefetch_related(Prefetch("shifts", queryset=_shifts_with_counts()))
    return _mapped(qs, _post_out)


@router.post("/posts", response={201: PostOut, **WRITE_ERRORS})
def post_create(request, payload: PostIn):
    post = posts.post_create(actor=request.user, **payload.dict())
    return 201, _post_out(post, shifts=[])


def _visible(request, post_id: int) -> ServicePost:
    return selectors_posts.visible_post(request.user, post_id)


@router.get("/posts/{post_id}", response={200: PostDetailOut, **READ_ERRORS})
def post_detail(request, post_id: ObjectId):
    post = _visible(request, post_id)
    rating = selectors_posts.post_rating(post)
    out = _post_out(post, shifts=list(_shifts_with_counts().filter(post=post)))
    out.update(average_rating=rating["average"], rating_count=rating["count"])
    return out


@router.put("/posts/{post_id}", response={200: PostOut, **WRITE_ERRORS})
def post_update(request, post_id: ObjectId, payload: PostIn):
    data = payload.dict()
    data.pop("unit_id")
    post = posts.post_update(actor=request.user, post_id=post_id, **data)
    return _post_out(post, shifts=list(_shifts_with_counts().filter(post=post)))


@router.post("/posts/{post_id}/publish", response={200: PostOut, **WRITE_ERRORS})
def post_publish(request, post_id: ObjectId):
    post = posts.post_publish(actor=request.user, post_id=post_id)
    return _post_out(post, shifts=list(_shifts_with_counts().filter(post=post)))


@router.post("/posts/{post_id}/close", response={200: PostOut, **WRITE_ERRORS})
def post_close(request, post_id: ObjectId):
    post = posts.post_close(actor=request.user, post_id=post_id)
    return _post_out(post, shifts=list(_shifts_with_counts().filter(post=post)))


@router.get("/posts/{post_id}/shifts", response={200: list[ShiftOut], **READ_ERRORS})
@paginate
def shift_list(request, post_id: ObjectId):
    post = _visible(request, post_id)
    return _mapped(_shifts_with_counts().filter(post=post), _shift_out)


@router.post("/posts/{post_id}/shifts", response={201: ShiftOut, **WRITE_ERRORS})
def shift_add(request, post_id: ObjectId, payload: ShiftIn):
    shift = posts.shift_add(actor=request.user, post_id=post_id, **payload.dict())
    return 201, _shift_out(shift)


@router.patch("/shifts/{shift_id}", response={200: ShiftOut, **WRITE_ERRORS})
def shift_update(request, shift_id: ObjectId, payload: ShiftPatch):
    """Change a scheduled shift that has not started; raising the headcount promotes the waiting
    list, moving the time tells everyone signed up."""
    shift = posts.shift_update(actor=request.user, shift_id=shift_id, **payload.dict(exclude_unset=True))
    return _shift_out(shift)


@router.post("/shifts/{shift_id}/cancel", response={200: ShiftOut, **WRITE_ERRORS})
def shift_cancel(request, shift_id: ObjectId, payload: ReasonIn):
    return _shift_out(posts.shift_cancel(actor=request.user, shift_id=shift_id, reason=payload.reason))


# --- sign-up -------------------------------------------------------------------------------


@router.post("/shifts/{shift_id}/signup", response={201: SignupOut, **WRITE_ERRORS})
def signup(request, shift_id: ObjectId):
    row = signups.signup(actor=request.user, shift_id=shift_id)
    return 201, _signup_out(row)


@router.post("/signups/{signup_id}/cancel", response={200: SignupOut, **WRITE_ERRORS})
def signup_cancel(request, signup_id: ObjectId):
    return _signup_out(signups.signup_cancel(actor=request.user, signup_id=signup_id))


@router.post("/checkin", response={200: CheckinOut, **WRITE_ERRORS})
def checkin_scan(request, payload: TokenIn):
    """Scan a shift's QR token: checks in, or checks out when already checked in."""
    row, kind = checkin.scan(actor=request.user, token=payload.token)
    return {"signup": _signup_out(row), "action": kind}


# --- organizer -----------------------------------------------------------------------------


@router.get("/shifts/{shift_id}/roster", response={200: list[RosterOut], **READ_ERRORS})
@paginate
def roster(request, shift_id: ObjectId):
    shift = posts.access_shift(request.user, shift_id)

    def out(r):
        return {
            "id": r.pk,
            "person_id": r.person_id,
            "person_name": r.person.name,
            "status": r.status,
            "signed_up_at": r.signed_up_at,
            "checked_in_at": r.checked_in_at,
            "checked_out_at": r.checked_out_at,
            "proposed_hours": signups.proposed_hours(r, shift),
            "hours": r.hours,
            "organizer_rating": r.organizer_rating,
            "organizer_comment": r.organizer_comment,
        }

    return _mapped(selectors_posts.roster(shift), out)


@router.post("/signups/{signup_id}/confirm", response={200: SignupOut, **WRITE_ERRORS})
def hours_confirm(request, signup_id: ObjectId, payload: ConfirmIn):
    row = signups.hours_confirm(actor=request.user, signup_id=signup_id, **payload.dict())
    return _signup_out(row)


@router.post("/shifts/{shift_id}/confirm", response={200: list[SignupOut], **WRITE_ERRORS})
def hours_confirm_bulk(request, shift_id: ObjectId):
    return [_signup_out(r) for r in signups.hours_confirm_bulk(actor=request.user, shift_id=shift_id)]


@router.post("/signups/{signup_id}/absent", response={200: SignupOut, **WRITE_ERRORS})
def mark_absent(request, signup_id: ObjectId):
    return _signup_out(signups.mark_absent(actor=request.user, signup_id=signup_id))


@router.post("/signups/{signup_id}/volunteer-rating", response={200: SignupOut, **WRITE_ERRORS})
def rate_volunteer(request, signup_id: ObjectId, payload: RateIn):
    row = signups.organizer_rate(actor=request.user, signup_id=signup_id, **payload.dict())
    return _signup_out(row)


@router.post("/signups/{signup_id}/rating", response={200: SignupOut, **WRITE_ERRORS})
def rate_post(request, signup_id: ObjectId, payload: RateIn):
    row = signups.member_rate(actor=request.user, signup_id=signup_id, **payload.dict())
    return _signup_out(row)


# --- my service ----------------------------------------------------------------------------


def _me(request):
    person = own_person(request.user)
    if person is None:
        raise Http404
    return person


@router.get("/me/signups", response={200: list[SignupOut], **READ_ERRORS})
@paginate
def my_signups(request, when: str = Query("upcoming", pattern="^(upcoming|past)$")):
    """My sign-ups: ``upcoming`` (with waitlist position) or ``past`` (with hours)."""
    person = _me(request)
    if when == "past":
        qs = selectors_posts.with_waitlist_position(selectors_posts.my_past(person))
    else:
        qs = selectors_posts.my_upcoming(person)
    return _mapped(qs, _signup_out)


@router.get("/me/hours", response={200: list[HoursYearOut], **READ_ERRORS})
def my_hours(request):
    return selectors_posts.my_hours_by_year(_me(request))


@router.get("/me/evaluations", response={200: list[SignupOut], **READ_ERRORS})
@paginate
def my_pending_evaluations(request):
    qs = selectors_posts.with_waitlist_position(selectors_posts.my_pending_evaluations(_me(request)))
    return _mapped(qs, _signup_out)
