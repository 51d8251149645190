"""/api/school: the reports area — a student's evaluation of a session, a class's statistics and
the school's statistics per class and per college (same code and definitions as the pages, see
``stats``). Evaluations are anonymous: nothing here returns who rated."""

import datetime
from decimal import Decimal

from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from cloudbranch.core.errors import DomainError
from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS, ObjectId

from . import evaluations, stats
from .evaluations import MAX_COMMENT

router = Router(tags=["网上党校"])


# --- evaluation ----------------------------------------------------------------------------------


class EvaluationIn(Schema):
    content_rating: int = Field(..., description="课程内容 1–5")
    lecturer_rating: int = Field(..., description="授课人 1–5")
    comment: str = Field("", description=f"意见建议，最多 {MAX_COMMENT} 字")


class EvaluationOut(Schema):
    id: int
    session_id: int
    content_rating: int
    lecturer_rating: int
    comment: str
    created_at: datetime.datetime


@router.post("/sessions/{session_id}/evaluation", response={201: EvaluationOut, **WRITE_ERRORS})
def evaluate_session(request, session_id: ObjectId, payload: EvaluationIn):
    """The caller (a student of the class who took part in the session) rates it, once (409 after)."""
    evaluation = evaluations.evaluation_submit(actor=request.user, session_id=session_id, **payload.dict())
    return 201, evaluation


# --- class statistics ----------------------------------------------------------------------------


class SessionStatsOut(Schema):
    session_id: int
    title: str
    kind: str
    lecturer: str
    starts_at: datetime.datetime | None
    attended: int | None
    attendance_rate: Decimal | None
    replays: int
    items: int
    completions: int
    completion_rate: Decimal | None
    ratings: int
    content_rating: Decimal | None
    lecturer_rating: Decimal | None
    comments: int


class CollegeOut(Schema):
    unit_id: int | None
    label: str
    classes: int
    enrolled: int
    passed: int
    failed: int
    pass_rate: Decimal | None
    average_hours: Decimal | None
    average_score: Decimal | None


class BucketOut(Schema):
    label: str
    count: int


class ClassStatsOut(Schema):
    class_id: int
    title: str
    pass_hours: Decimal
    enrolled: int
    waitlisted: int
    withdrawal_requested: int
    withdrawn: int
    passed: int
    failed: int
    pass_rate: Decimal | None
    average_hours: Decimal | None
    hours_buckets: list[BucketOut]
    exam_threshold: Decimal
    exam_attempted: int
    exam_passed: int
    exam_pass_rate: Decimal | None
    average_score: Decimal | None
    sessions: list[SessionStatsOut]
    colleges: list[CollegeOut]


def _college_out(r: stats.CollegeRow) -> dict:
    return {
        "unit_id": r.unit_id,
        "label": r.label,
        "classes": r.classes,
        "enrolled": r.enrolled,
        "passed": r.passed,
        "failed": r.failed,
        "pass_rate": r.pass_rate,
        "average_hours": r.average_hours,
        "average_score": r.average_score,
    }


@router.get("/classes/{class_id}/stats", response={200: ClassStatsOut, **READ_ERRORS})
def class_stats(request, class_id: ObjectId):
    """A class's statistics: its managers and school.view_report over its unit (404 / 403 otherwise)."""
    tc = stats.class_for_report(request.user, class_id)
    r = stats.class_stats(tc)
    return {
        "class_id": tc.pk,
        "title": tc.title,
        "pass_hours": tc.pass_hours,
        "enrolled": r.enrolled,
        "waitlisted": r.waitlisted,
        "withdrawal_requested": r.withdrawal_requested,
        "withdrawn": r.withdrawn,
        "passed": r.passed,
        "failed": r.failed,
        "pass_rate": r.pass_rate,
        "average_hours": r.average_hours,
        "hours_buckets": [{"label": label, "count": n} for label, n in r.hours_buckets],
        "exam_threshold": r.exam_threshold,
        "exam_attempted": r.exam_attempted,
        "exam_passed": r.exam_passed,
        "exam_pass_rate": r.exam_pass_rate,
        "average_score": r.average_score,
        "sessions": [
            {
                "session_id": s.session.pk,
                "title": s.session.title,
                "kind": s.session.kind,
                "lecturer": s.session.lecturer,
                "starts_at": s.session.starts_at,
                "attended": s.attended if s.checks_in else None,
                "attendance_rate": s.attendance_rate,
                "replays": s.replays,
                "items": s.items,
                "completions": s.completions,
                "completion_rate": s.completion_rate,
                "ratings": s.ratings,
                "content_rating": s.content_rating,
                "lecturer_rating": s.lecturer_rating,
                "comments": s.comments,
            }
            for s in r.sessions
        ],
        "colleges": [_college_out(c) for c in r.colleges],
    }


# --- school statistics ---------------------------------------------------------------------------


class ClassRowOut(Schema):
    id: int
    title: str
    kind: str
    term: str
    year: int
    status: str
    unit_id: int
    unit_name: str
    enrolled: int
    passed: int
    failed: int
    pass_rate: Decimal | None
    average_hours: Decimal | None
    average_score: Decimal | None
    average_content_rating: Decimal | None
    average_lecturer_rating: Decimal | None
    ratings: int

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_pass_rate(obj):
        return stats.decorate(obj).pass_rate

    @staticmethod
    def resolve_average_hours(obj):
        return stats.decorate(obj).avg_hours

    @staticmethod
    def resolve_average_score(obj):
        return stats.decorate(obj).avg_score

    @staticmethod
    def resolve_average_content_rating(obj):
        return stats.decorate(obj).avg_content

    @staticmethod
    def resolve_average_lecturer_rating(obj):
        return stats.decorate(obj).avg_lecturer

    @staticmethod
    def resolve_ratings(obj) -> int:
        return obj.n_ratings


def _filters(user, year, unit, kind) -> stats.SchoolFilters:
    stats.require_reporter(user)
    if year is not None and not 2000 <= year <= 2100:
        raise DomainError(
            "年度应在 2000–2100 之间。", errors=[{"field": "year", "message": "年度应在 2000–2100 之间。"}]
        )
    return stats.SchoolFilters(
        year=year or timezone.localdate().year,
        unit=stats.report_unit(user, unit) if unit else None,
        kind=kind,
    )


@router.get("/stats", response={200: list[ClassRowOut], **READ_ERRORS})
@paginate
def school_stats(request, year: int | None = None, unit: ObjectId | None = None, kind: str = ""):
    """Classes of ``year`` run in the caller's school.view_report scope (optionally under ``unit``,
    of one ``kind``), one row each with enrolment, completion, hours, score and ratings."""
    return stats.class_rows(request.user, _filters(request.user, year, unit, kind))


@router.get("/stats/colleges", response={200: list[CollegeOut], **READ_ERRORS})
@paginate
def school_stats_colleges(request, year: int | None = None, unit: ObjectId | None = None, kind: str = ""):
    """Per college of the students, across the same classes as /stats."""
    colleges, _ = stats.college_totals(request.user, _filters(request.user, year, unit, kind))
    return [_college_out(c) for c in colleges]
