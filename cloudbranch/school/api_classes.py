"""/api/school: the classes area — classes, sessions, course items, enrolments (rule and list
preview/confirm, one person, withdrawal) and the caller's own enrolments. Same selectors and
services as the pages; every list paginated and scoped."""

import datetime
from decimal import Decimal

from django.http import Http404
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate

from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS, ObjectId

from . import access, classes, enrolment
from . import selectors_classes as sel
from .models import ClassSession, CourseItem

router = Router(tags=["网上党校"])


class ClassOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    kind: str
    title: str
    year: int
    term: str
    starts_on: datetime.date
    ends_on: datetime.date
    capacity: int
    pass_hours: Decimal
    period_minutes: int
    head_teacher_id: int
    head_teacher_name: str
    lecturers: str
    status: str
    cancel_reason: str
    enrolment_rule: dict
    exam_paper_id: int | None
    exam_pass_score: Decimal | None
    enrolled: int | None = None
    waitlisted: int | None = None
    my_status: str | None = None

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_head_teacher_name(obj) -> str:
        return obj.head_teacher.display_name or obj.head_teacher.username

    @staticmethod
    def resolve_enrolled(obj):
        return getattr(obj, "enrolled_count", None)

    @staticmethod
    def resolve_waitlisted(obj):
        return getattr(obj, "waitlist_count", None)

    @staticmethod
    def resolve_my_status(obj):
        return getattr(obj, "my_status", None)


class ClassIn(Schema):
    unit_id: int
    kind: str
    title: str
    year: int
    term: str = ""
    starts_on: datetime.date
    ends_on: datetime.date
    capacity: int
    head_teacher_id: int
    pass_hours: Decimal | None = None
    period_minutes: int = classes.DEFAULT_PERIOD_MINUTES
    lecturers: str = ""
    description: str = ""
    enrolment_rule: dict = {}
    exam_paper_id: int | None = None
    exam_pass_score: Decimal | None = None


class ClassPatch(Schema):
    kind: str | None = None
    title: str | None = None
    year: int | None = None
    term: str | None = None
    starts_on: datetime.date | None = None
    ends_on: datetime.date | None = None
    capacity: int | None = None
    head_teacher_id: int | None = None
    pass_hours: Decimal | None = None
    period_minutes: int | None = None
    lecturers: str | None = None
    description: str | None = None
    enrolment_rule: dict | None = None
    exam_paper_id: int | None = None
    exam_pass_score: Decimal | None = None


class AdvanceIn(Schema):
    to: str  # enrolling / running / cancelled
    reason: str = ""


class SessionOut(Schema):
    id: int
    training_class_id: int
    kind: str
    title: str
    lecturer: str
    position: int
    starts_at: datetime.datetime | None
    ends_at: datetime.datetime | None
    place: str
    stream_url: str
    hours: Decimal
    replay_id: int | None


class SessionIn(Schema):
    kind: str
    title: str
    lecturer: str = ""
    position: int | None = None
    starts_at: datetime.datetime | None = None
    ends_at: datetime.datetime | None = None
    place: str = ""
    stream_url: str = ""
    hours: Decimal | None = None
    replay_id: int | None = None


class SessionPatch(Schema):
    title: str | None = None
    lecturer: str | None = None
    position: int | None = None
    starts_at: datetime.datetime | None = None
    ends_at: datetime.datetime | None = None
    place: str | None = None
    stream_url: str | None = None
    hours: Decimal | None = None
    replay_id: int | None = None


class ItemOut(Schema):
    id: int
    session_id: int
    resource_id: int
    resource_title: str
    resource_kind: str
    position: int
    hours: Decimal

    @staticmethod
    def resolve_resource_title(obj) -> str:
        return obj.resource.title

    @staticmethod
    def resolve_resource_kind(obj) -> str:
        return obj.resource.kind


class ItemIn(Schema):
    resource_id: int
    hours: Decimal | None = None


class ItemPatch(Schema):
    hours: Decimal


class EnrolmentOut(Schema):
    id: int
    training_class_id: int
    person_id: int
    name: str
    unit_name: str
    status: str
    source: str
    enrolled_at: datetime.datetime
    hours: Decimal
    exam_score: Decimal | None
    withdraw_reason: str

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.person.name

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.person.unit.name


class EnrolmentClassFields(Schema):
    """The class of an enrolment, flattened (the student's lists of their classes)."""

    class_title: str
    class_kind: str
    class_status: str
    starts_on: datetime.date
    ends_on: datetime.date
    pass_hours: Decimal

    @staticmethod
    def resolve_class_title(obj) -> str:
        return obj.training_class.title

    @staticmethod
    def resolve_class_kind(obj) -> str:
        return obj.training_class.kind

    @staticmethod
    def resolve_class_status(obj) -> str:
        return obj.training_class.status

    @staticmethod
    def resolve_starts_on(obj):
        return obj.training_class.starts_on

    @staticmethod
    def resolve_ends_on(obj):
        return obj.training_class.ends_on

    @staticmethod
    def resolve_pass_hours(obj):
        return obj.training_class.pass_hours


class MyEnrolmentOut(EnrolmentClassFields):
    id: int
    training_class_id: int
    status: str
    hours: Decimal
    exam_score: Decimal | None


class PlanPerson(Schema):
    person_id: int
    name: str
    unit_name: str
    staff_number: str
    status: str


class SkippedOut(Schema):
    person_id: int
    name: str
    reason: str


class PlanOut(Schema):
    fingerprint: str
    counts: dict
    people: list[PlanPerson]
    skipped: list[SkippedOut]
    errors: list[dict]


class RuleIn(Schema):
    rule: dict | None = None


class RuleConfirmIn(Schema):
    fingerprint: str
    rule: dict | None = None


class AddIn(Schema):
    person_id: int


class ReasonIn(Schema):
    reason: str


class DecideIn(Schema):
    approve: bool
    comment: str = ""


class DecideOut(Schema):
    enrolment: EnrolmentOut
    promoted_ids: list[int]


def _plan_out(plan) -> dict:
    def row(p, status):
        return {
            "person_id": p.pk,
            "name": p.name,
            "unit_name": p.unit.name,
            "staff_number": p.staff_number,
            "status": status,
        }

    return {
        "fingerprint": plan.fingerprint,
        "counts": plan.counts(),
        "people": [row(p, "enrolled") for p in plan.places] + [row(p, "waitlisted") for p in plan.waitlist],
        "skipped": [{"person_id": p.pk, "name": p.name, "reason": r} for p, r in plan.skipped],
        "errors": plan.errors,
    }


def _class_out(user, class_id):
    qs = sel.class_list(user=user)
    found = qs.filter(pk=class_id).first()
    if found is None:
        raise Http404
    return found


# --- classes ---------------------------------------------------------------------------------


@router.get("/classes", response={200: list[ClassOut], **READ_ERRORS})
@paginate
def list_classes(request, year: int | None = None, kind: str = "", status: str = "", q: str = "", mine: bool = False):
    return sel.class_list(
        user=request.user, filters={"year": year, "kind": kind, "status": status, "q": q, "mine": mine}
    )


@router.get("/classes/{class_id}", response={200: ClassOut, **READ_ERRORS})
def get_class(request, class_id: ObjectId):
    access.class_for_viewer(request.user, class_id)
    return _class_out(request.user, class_id)


@router.post("/classes", response={201: ClassOut, **WRITE_ERRORS})
def create_class(request, payload: ClassIn):
    tc = classes.class_create(actor=request.user, **payload.dict())
    return 201, _class_out(request.user, tc.pk)


@router.patch("/classes/{class_id}", response={200: ClassOut, **WRITE_ERRORS})
def update_class(request, class_id: ObjectId, payload: ClassPatch):
    classes.class_update(actor=request.user, class_id=class_id, **payload.dict(exclude_unset=True))
    return _class_out(request.user, class_id)


@router.post("/classes/{class_id}/advance", response={200: ClassOut, **WRITE_ERRORS})
def advance_class(request, class_id: ObjectId, payload: AdvanceIn):
    if payload.to in ("cancel", "cancelled"):
        classes.class_cancel(actor=request.user, class_id=class_id, reason=payload.reason)
    else:
        classes.class_advance(actor=request.user, class_id=class_id, to=payload.to)
    return _class_out(request.user, class_id)


# --- sessions and items ----------------------------------------------------------------------


@router.get("/classes/{class_id}/sessions", response={200: list[SessionOut], **READ_ERRORS})
@paginate
def list_sessions(request, class_id: ObjectId):
    tc = access.class_for_viewer(request.user, class_id)
    return ClassSession.objects.filter(training_class=tc).order_by("position", "starts_at", "id")


@router.post("/classes/{class_id}/sessions", response={201: SessionOut, **WRITE_ERRORS})
def create_session(request, class_id: ObjectId, payload: SessionIn):
    return 201, classes.session_create(actor=request.user, class_id=class_id, **payload.dict())


@router.patch("/sessions/{session_id}", response={200: SessionOut, **WRITE_ERRORS})
def update_session(request, session_id: ObjectId, payload: SessionPatch):
    return classes.session_update(actor=request.user, session_id=session_id, **payload.dict(exclude_unset=True))


@router.delete("/sessions/{session_id}", response={204: None, **WRITE_ERRORS})
def delete_session(request, session_id: ObjectId):
    classes.session_delete(actor=request.user, session_id=session_id)
    return 204, None


def _visible_session(user, session_id) -> ClassSession:
    session = ClassSession.objects.filter(pk=session_id).only("id", "training_class_id").first()
    if session is None:
        raise Http404
    access.class_for_viewer(user, session.training_class_id)
    return session


@router.get("/sessions/{session_id}/items", response={200: list[ItemOut], **READ_ERRORS})
@paginate
def list_items(request, session_id: ObjectId):
    session = _visible_session(request.user, session_id)
    return CourseItem.objects.filter(session=session).select_related("resource").order_by("position", "id")


@router.post("/sessions/{session_id}/items", response={201: ItemOut, **WRITE_ERRORS})
def add_item(request, session_id: ObjectId, payload: ItemIn):
    item = classes.item_add(
        actor=request.user, session_id=session_id, resource_id=payload.resource_id, hours=payload.hours
    )
    return 201, CourseItem.objects.select_related("resource").get(pk=item.pk)


@router.patch("/items/{item_id}", response={200: ItemOut, **WRITE_ERRORS})
def update_item(request, item_id: ObjectId, payload: ItemPatch):
    item = classes.item_update(actor=request.user, item_id=item_id, hours=payload.hours)
    return CourseItem.objects.select_related("resource").get(pk=item.pk)


@router.delete("/items/{item_id}", response={204: None, **WRITE_ERRORS})
def remove_item(request, item_id: ObjectId):
    classes.item_remove(actor=request.user, item_id=item_id)
    return 204, None


# --- enrolments ------------------------------------------------------------------------------


@router.get("/classes/{class_id}/enrolments", response={200: list[EnrolmentOut], **READ_ERRORS})
@paginate
def list_enrolments(request, class_id: ObjectId, status: str = "", q: str = ""):
    tc = access.class_for_viewer(request.user, class_id)
    return sel.roster(user=request.user, training_class=tc, status=status or None, q=q)


@router.post("/classes/{class_id}/enrolments/rule/preview", response={200: PlanOut, **WRITE_ERRORS})
def rule_preview(request, class_id: ObjectId, payload: RuleIn):
    return _plan_out(enrolment.rule_preview(actor=request.user, class_id=class_id, rule=payload.rule))


@router.post("/classes/{class_id}/enrolments/rule/confirm", response={201: PlanOut, **WRITE_ERRORS})
def rule_confirm(request, class_id: ObjectId, payload: RuleConfirmIn):
    plan = enrolment.rule_confirm(
        actor=request.user, class_id=class_id, fingerprint=payload.fingerprint, rule=payload.rule
    )
    return 201, _plan_out(plan)


@router.post("/classes/{class_id}/enrolments/list/preview", response={200: PlanOut, **WRITE_ERRORS})
def list_preview(request, class_id: ObjectId, file: File[UploadedFile]):
    numbers = enrolment.parse_list_file(file.read())
    return _plan_out(enrolment.list_preview(actor=request.user, class_id=class_id, numbers=numbers))


@router.post("/classes/{class_id}/enrolments/list/confirm", response={201: PlanOut, **WRITE_ERRORS})
def list_confirm(request, class_id: ObjectId, file: File[UploadedFile], fingerprint: Form[str]):
    numbers = enrolment.parse_list_file(file.read())
    plan = enrolment.list_confirm(actor=request.user, class_id=class_id, numbers=numbers, fingerprint=fingerprint)
    return 201, _plan_out(plan)


@router.post("/classes/{class_id}/enrolments", response={201: EnrolmentOut, **WRITE_ERRORS})
def add_enrolment(request, class_id: ObjectId, payload: AddIn):
    e = enrolment.enrol_add(actor=request.user, class_id=class_id, person_id=payload.person_id)
    e.person = type(e.person).objects.select_related("unit").get(pk=e.person_id)
    return 201, e


@router.post("/enrolments/{enrolment_id}/withdraw", response={200: EnrolmentOut, **WRITE_ERRORS})
def withdraw(request, enrolment_id: ObjectId, payload: ReasonIn):
    e = enrolment.withdraw_request(actor=request.user, enrolment_id=enrolment_id, reason=payload.reason)
    e.person = type(e.person).objects.select_related("unit").get(pk=e.person_id)
    return e


@router.post("/enrolments/{enrolment_id}/withdraw/decide", response={200: DecideOut, **WRITE_ERRORS})
def withdraw_decide(request, enrolment_id: ObjectId, payload: DecideIn):
    e, promoted = enrolment.withdraw_decide(
        actor=request.user, enrolment_id=enrolment_id, approve=payload.approve, comment=payload.comment
    )
    e.person = type(e.person).objects.select_related("unit").get(pk=e.person_id)
    return {"enrolment": e, "promoted_ids": [p.pk for p in promoted]}


@router.get("/enrolments/mine", response={200: list[MyEnrolmentOut], **READ_ERRORS})
@paginate
def my_enrolments(request):
    return sel.my_enrolments(user=request.user)
