"""Reads of the classes area: class lists with counts, the syllabus with planned hours, the
roster, a student's own enrolments. Every list starts from ``access`` (scoped) and costs a
constant number of queries whatever the number of rows."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery, Sum

from . import access
from .choices import PLACE_STATUSES, EnrolmentStatus
from .models import ClassSession, CourseItem, Enrolment, TrainingClass


def class_list(*, user, filters: dict | None = None):
    """Classes ``user`` may see, newest first, with ``enrolled_count``, ``waitlist_count``,
    ``request_count`` and ``my_status`` (the user's own enrolment status, or None)."""
    filters = filters or {}
    qs = access.visible_classes(user).select_related("unit", "head_teacher")
    if filters.get("year"):
        qs = qs.filter(year=filters["year"])
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("q"):
        qs = qs.filter(title__icontains=filters["q"])
    if filters.get("mine"):
        own = Enrolment.objects.filter(training_class_id=OuterRef("pk"), person__user_id=user.pk)
        qs = qs.filter(Exists(own)) if user.is_authenticated else qs.none()
    mine = Enrolment.objects.filter(training_class_id=OuterRef("pk"), person__user_id=user.pk).values("status")[:1]
    return qs.annotate(
        enrolled_count=Count("enrolments", filter=Q(enrolments__status__in=PLACE_STATUSES), distinct=True),
        waitlist_count=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.WAITLISTED), distinct=True),
        request_count=Count(
            "enrolments", filter=Q(enrolments__status=EnrolmentStatus.WITHDRAWAL_REQUESTED), distinct=True
        ),
        my_status=Subquery(mine),
    ).order_by("-starts_on", "-id")


def sessions_of(training_class: TrainingClass):
    """The syllabus in order, items (with their resources) prefetched: two queries."""
    return (
        ClassSession.objects.filter(training_class=training_class)
        .select_related("replay")
        .prefetch_related(Prefetch("items", queryset=CourseItem.objects.select_related("resource")))
        .order_by("position", "starts_at", "id")
    )


@dataclass
class HoursPlan:
    planned: Decimal
    required: Decimal
    by_kind: dict

    @property
    def short(self) -> bool:
        return self.planned < self.required

    @property
    def warning(self) -> str:
        if not self.short:
            return ""
        return f"课程安排合计 {self.planned} 学时，低于结业所需 {self.required} 学时，学员无法达到结业要求。"


def hours_plan(training_class: TrainingClass, sessions=None) -> HoursPlan:
    """Planned hours of the syllabus against ``pass_hours``. With ``sessions`` (already loaded) no query."""
    if sessions is None:
        rows = (
            ClassSession.objects.filter(training_class=training_class)
            .values("kind")
            .annotate(total=Sum("hours"))
            .order_by()
        )
        by_kind = {r["kind"]: r["total"] or Decimal("0") for r in rows}
    else:
        by_kind = {}
        for s in sessions:
            by_kind[s.kind] = by_kind.get(s.kind, Decimal("0")) + s.hours
    planned = sum(by_kind.values(), Decimal("0"))
    return HoursPlan(planned=planned, required=training_class.pass_hours, by_kind=by_kind)


def roster(*, user, training_class: TrainingClass, status: str | None = None, q: str = ""):
    """The class's students the user may see: all of them for managers and viewers over the
    class's unit; only the people they follow (``school.view_enrolment``) for others; a student
    who is neither sees only their own row."""
    qs = Enrolment.objects.filter(training_class=training_class).select_related("person", "person__unit")
    if not access.may_view_all_students(user, training_class):
        prefixes = access.granted_prefixes(user, access.VIEW_ENROLMENT)
        own = Q(person__user_id=user.pk)
        qs = qs.filter(own | access.scope_q("person__unit__path", prefixes)) if prefixes else qs.filter(own)
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(Q(person__name__icontains=q) | Q(person__staff_number=q))
    return qs.order_by("enrolled_at", "id")


def roster_counts(training_class: TrainingClass) -> dict:
    rows = Enrolment.objects.filter(training_class=training_class).values("status").annotate(n=Count("id")).order_by()
    counts = {r["status"]: r["n"] for r in rows}
    counts["places"] = sum(counts.get(s, 0) for s in PLACE_STATUSES)
    return counts


def my_enrolments(*, user):
    """The user's own enrolments (as a student), newest class first."""
    if not user.is_authenticated:
        return Enrolment.objects.none()
    return (
        Enrolment.objects.filter(person__user_id=user.pk)
        .select_related("training_class", "training_class__unit", "person")
        .order_by("-training_class__starts_on", "-id")
    )
