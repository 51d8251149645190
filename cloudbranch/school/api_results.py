"""/api/school: the results area — assignments, submissions (multipart), grading/return, results
against the passing rules, finalize, certificates (mine, of a class), revocation and the public
verification (no authentication). Same services as the pages; every list paginated and scoped."""

import datetime
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate

from cloudbranch.core.errors import DomainError
from cloudbranch.core.middleware import client_ip
from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS, ErrorOut, ObjectId

from . import access, assignments, certificates, results
from .choices import SubmissionStatus

router = Router(tags=["网上党校"])


class _Mapped:
    """A queryset whose page is post-processed (conditions computed for the rows of the page only)."""

    def __init__(self, qs, fn):
        self.qs, self.fn = qs, fn

    def all(self):
        return self

    def count(self) -> int:
        return self.qs.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item):
        return self.fn(list(self.qs[item]))


# --- schemas ---------------------------------------------------------------------------------


class AssignmentOut(Schema):
    id: int
    training_class_id: int
    title: str
    prompt: str
    due_at: datetime.datetime
    required: bool
    min_chars: int
    max_score: int
    pass_score: int
    submitted_count: int | None = None
    pending_count: int | None = None
    graded_count: int | None = None


class AssignmentIn(Schema):
    title: str
    prompt: str
    due_at: datetime.datetime
    required: bool = True
    min_chars: int = 0
    max_score: int = 100
    pass_score: int = 60


class SubmissionOut(Schema):
    id: int
    assignment_id: int
    enrolment_id: int
    name: str
    unit_name: str
    text: str
    has_file: bool
    status: str
    late: bool
    submitted_at: datetime.datetime
    score: int | None
    comment: str
    graded_at: datetime.datetime | None

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.enrolment.person.name

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.enrolment.person.unit.name

    @staticmethod
    def resolve_has_file(obj) -> bool:
        return bool(obj.file)

    @staticmethod
    def resolve_late(obj) -> bool:
        return obj.submitted_at > obj.assignment.due_at


class GradeIn(Schema):
    score: int
    comment: str = ""


class ReturnIn(Schema):
    comment: str


class ConditionOut(Schema):
    key: str
    label: str
    met: bool
    text: str


class ResultOut(Schema):
    enrolment_id: int
    person_id: int
    name: str
    unit_name: str
    status: str
    hours: Decimal
    exam_score: Decimal | None
    passes: bool
    unmet: list[str]
    conditions: list[ConditionOut]
    result_note: str
    development_note: str
    certificate_id: int | None
    certificate_serial: str | None


class FinalizeOut(Schema):
    passed: int
    failed: int
    certificates: int
    development: int


class CertificateOut(Schema):
    id: int
    serial: str
    code: str
    issued_on: datetime.date
    enrolment_id: int
    name: str
    class_id: int
    class_title: str
    revoked: bool
    revoked_at: datetime.datetime | None
    revoke_reason: str

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.enrolment.person.name

    @staticmethod
    def resolve_class_id(obj) -> int:
        return obj.enrolment.training_class_id

    @staticmethod
    def resolve_class_title(obj) -> str:
        return obj.enrolment.training_class.title

    @staticmethod
    def resolve_revoked(obj) -> bool:
        return obj.revoked_at is not None


class RevokeIn(Schema):
    reason: str


class VerifyOut(Schema):
    serial: str
    masked_name: str
    class_title: str
    class_kind: str
    class_kind_label: str
    issuing_unit: str
    starts_on: datetime.date
    ends_on: datetime.date
    issued_on: datetime.date
    valid: bool
    status: str
    revoked_on: datetime.date | None


def _result_row(e) -> dict:
    cert = e.cert
    return {
        "enrolment_id": e.pk,
        "person_id": e.person_id,
        "name": e.person.name,
        "unit_name": e.person.unit.name,
        "status": e.status,
        "hours": e.hours,
        "exam_score": e.exam_score,
        "passes": not e.unmet,
        "unmet": e.unmet,
        "conditions": [c.__dict__ for c in e.conditions],
        "result_note": e.result_note,
        "development_note": e.development_note,
        "certificate_id": cert.pk if cert else None,
        "certificate_serial": cert.serial if cert else None,
    }


def _certificate(e):
    try:
        return e.certificate
    except ObjectDoesNotExist:
        return None


# --- assignments -----------------------------------------------------------------------------


@router.get("/classes/{class_id}/assignments", response={200: list[AssignmentOut], **READ_ERRORS})
@paginate
def list_assignments(request, class_id: ObjectId):
    tc, _manage, _mine = assignments.class_for_assignments(request.user, class_id)
    return assignments.assignments_of(tc)


@router.post("/classes/{class_id}/assignments", response={201: AssignmentOut, **WRITE_ERRORS})
def create_assignment(request, class_id: ObjectId, payload: AssignmentIn):
    return 201, assignments.assignment_create(actor=request.user, class_id=class_id, **payload.dict())


@router.get("/assignments/{assignment_id}/submissions", response={200: list[SubmissionOut], **READ_ERRORS})
@paginate
def list_submissions(request, assignment_id: ObjectId, status: str = ""):
    assignment, manage, mine = assignments.assignment_for_viewer(request.user, assignment_id)
    qs = assignments.submissions_of(assignment)
    if not manage:
        qs = qs.filter(enrolment=mine)
    if status in SubmissionStatus.values:
        qs = qs.filter(status=status)
    return qs


@router.get("/classes/{class_id}/submissions", response={200: list[SubmissionOut], **READ_ERRORS})
@paginate
def list_class_submissions(request, class_id: ObjectId, status: str = ""):
    tc = access.class_for_manager(request.user, class_id)
    return assignments.submissions_of_class(tc, status=status if status in SubmissionStatus.values else "")


@router.post("/assignments/{assignment_id}/submissions", response={201: SubmissionOut, **WRITE_ERRORS})
def submit(request, assignment_id: ObjectId, text: Form[str], file: File[UploadedFile] = None):
    sub = assignments.submission_submit(actor=request.user, assignment_id=assignment_id, text=text, file=file)
    return 201, assignments.submissions_of(sub.assignment).get(pk=sub.pk)


def _managed_row(user, submission_id):
    sub = assignments.submission_for_viewer(user, submission_id)
    return assignments.submissions_of(sub.assignment).get(pk=sub.pk)


@router.post("/submissions/{submission_id}/grade", response={200: SubmissionOut, **WRITE_ERRORS})
def grade(request, submission_id: ObjectId, payload: GradeIn):
    assignments.submission_grade(
        actor=request.user, submission_id=submission_id, score=payload.score, comment=payload.comment
    )
    return _managed_row(request.user, submission_id)


@router.post("/submissions/{submission_id}/return", response={200: SubmissionOut, **WRITE_ERRORS})
def return_submission(request, submission_id: ObjectId, payload: ReturnIn):
    assignments.submission_return(actor=request.user, submission_id=submission_id, comment=payload.comment)
    return _managed_row(request.user, submission_id)


# --- results ---------------------------------------------------------------------------------


@router.get("/classes/{class_id}/results", response={200: list[ResultOut], **READ_ERRORS})
@paginate
def list_results(request, class_id: ObjectId, status: str = ""):
    tc = access.class_for_viewer(
        request.user,
        class_id,
        queryset=access.TrainingClass.objects.select_related("unit", "head_teacher", "exam_paper"),
    )
    _manage, qs = results.visible_results(request.user, tc, status=status if status in results.RESULT_STATUSES else "")
    rules = results.ClassRules.of(tc)

    def page(rows):
        rows = results.annotate_rows(rows, rules)
        for e in rows:
            e.cert = _certificate(e)
        return [_result_row(e) for e in rows]

    return _Mapped(qs, page)


@router.post("/classes/{class_id}/finalize", response={200: FinalizeOut, **WRITE_ERRORS})
def finalize(request, class_id: ObjectId):
    return results.class_finalize(actor=request.user, class_id=class_id)


# --- certificates ----------------------------------------------------------------------------


@router.get("/certificates/mine", response={200: list[CertificateOut], **READ_ERRORS})
@paginate
def my_certificates(request):
    return certificates.my_certificates(request.user)


@router.get("/classes/{class_id}/certificates", response={200: list[CertificateOut], **READ_ERRORS})
@paginate
def class_certificates(request, class_id: ObjectId):
    tc = access.class_for_manager(request.user, class_id)
    return certificates.certificates_of_class(tc)


@router.get("/certificates/{certificate_id}", response={200: CertificateOut, **READ_ERRORS})
def get_certificate(request, certificate_id: ObjectId):
    return certificates.certificate_for_viewer(request.user, certificate_id)


@router.post("/certificates/{certificate_id}/revoke", response={200: CertificateOut, **WRITE_ERRORS})
def revoke(request, certificate_id: ObjectId, payload: RevokeIn):
    return certificates.certificate_revoke(actor=request.user, certificate_id=certificate_id, reason=payload.reason)


@router.get("/verify/{code}", auth=None, response={200: VerifyOut, 404: ErrorOut, 429: ErrorOut})
def verify(request, code: str):
    """Public: anyone holding the certificate's QR code may check it (no login, rate-limited per IP)."""
    if not certificates.verify_allowed(client_ip(request)):
        raise _TooMany
    try:
        return certificates.verify(code).__dict__
    except Http404:
        raise Http404 from None


class _TooMany(DomainError):
    status = 429

    def __init__(self):
        super().__init__("查询过于频繁，请稍后再试。")
