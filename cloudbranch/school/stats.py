"""Statistics of the online Party school (issue 13 item 5): per class and per college —
enrolment, completion, class hours, exam scores, ratings — and an .xlsx export.

Definitions (the same on the pages, in the API and in the export):

* **Enrolled** (在册) = enrolments holding a place: enrolled, withdrawal requested, passed, failed.
  Waitlisted and withdrawn are counted apart and enter no other figure (hours, scores,
  attendance rates are of the enrolled).
* **Pass rate** (结业率) = passed / (passed + failed): of the students whose result is decided;
  None while nobody's is.
* **Hours** = ``Enrolment.hours`` (kept by the hours module); the distribution buckets compare it
  with the class's ``pass_hours``: below 50 %, 50–99 %, 100 % and more.
* **Exam** = ``Enrolment.exam_score`` (the result kept by the results module); the threshold is the
  class's ``exam_pass_score``, else its paper's ``pass_score``, else 60. Average and pass rate are
  of those who attempted (a score is recorded).
* **Attendance** of an offline session or a live lecture = enrolled students with an Attendance
  row; rate = attended / enrolled. Live replays (HourEntry source "replay") are shown apart.
* **Online completion** = for each course item, the enrolled students credited with its resource
  (HourEntry source "online", content "resource:<id>" — so a resource shared with an earlier
  session counts for both); rate = completions / (items × enrolled).
* **Ratings**: averages of content and lecturer ratings (1–5), number of ratings and of comments;
  never who rated.
* **College** of a student = the second level of their CURRENT unit's path (the child of the root
  on the path, "/1/7/42/" → "/1/7/"), labelled with that unit's name; a student placed at the root
  itself is shown as the root "（本级）".

Query counts (whatever the number of classes, students, sessions, items, evaluations):
:func:`class_stats` 5 queries (enrolment aggregate, sessions with attendance/replay/rating
sub-queries, online items with completion sub-query, per college, college labels);
:func:`school_stats` builds lazy querysets — the page costs a count and a page of class rows,
the per-college table 2 queries (grouped + labels).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, StrIndex, Substr
from django.db.models.lookups import GreaterThan

from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import access_by_id, can, granted_prefixes

from . import access
from .choices import PLACE_STATUSES, ClassKind, EnrolmentStatus, HourSource, SessionKind
from .models import Attendance, ClassSession, CourseItem, Enrolment, Evaluation, HourEntry, TrainingClass

REPORT_PERM = "school.view_report"
DEFAULT_EXAM_PASS = Decimal("60")
ONE = Decimal("0.1")
PLACE = Q(status__in=PLACE_STATUSES)


# --- helpers -------------------------------------------------------------------------------------


def _dec(value, places: Decimal = ONE) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(places, ROUND_HALF_UP)


def _rate(part: int, whole: int) -> Decimal | None:
    """A percentage with one decimal, None when ``whole`` is 0."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(ONE, ROUND_HALF_UP)


def college_path(lookup: str = "person__unit__path"):
    """SQL: the first two segments of a unit path ("/1/7/42/" → "/1/7/"); the path itself when it
    has only one (a unit at the root)."""
    rest = Substr(lookup, 2)  # "1/7/42/"
    root_len = StrIndex(rest, Value("/"))  # length of "1/"
    below = Substr(lookup, root_len + 2)  # "7/42/"
    college_len = StrIndex(below, Value("/"))  # length of "7/"
    return Case(
        When(GreaterThan(college_len, 0), then=Substr(lookup, 1, root_len + 1 + college_len)),
        default=F(lookup),
        output_field=CharField(),
    )


def _count(qs, field_name: str = "id"):
    """A correlated COUNT sub-query (0 when no rows)."""
    sub = qs.order_by().values(field_name).annotate(n=Count("id")).values("n")
    return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))


def _avg(qs, field_name: str, group: str):
    sub = qs.order_by().values(group).annotate(a=Avg(field_name)).values("a")
    return Subquery(sub, output_field=DecimalField(max_digits=4, decimal_places=2))


def exam_threshold(training_class: TrainingClass) -> Decimal:
    if training_class.exam_pass_score is not None:
        return training_class.exam_pass_score
    if training_class.exam_paper_id:
        return training_class.exam_paper.pass_score
    return DEFAULT_EXAM_PASS


# --- one class -----------------------------------------------------------------------------------


@dataclass
class SessionRow:
    session: ClassSession
    attended: int = 0
    attendance_rate: Decimal | None = None
    replays: int = 0
    items: int = 0
    completions: int = 0
    completion_rate: Decimal | None = None
    ratings: int = 0
    content_rating: Decimal | None = None
    lecturer_rating: Decimal | None = None
    comments: int = 0

    @property
    def checks_in(self) -> bool:
        return self.session.kind in (SessionKind.OFFLINE, SessionKind.LIVE)


@dataclass
class CollegeRow:
    path: str
    label: str
    unit_id: int | None = None
    classes: int = 0
    enrolled: int = 0
    passed: int = 0
    failed: int = 0
    hours_sum: Decimal = Decimal("0")
    scored: int = 0
    score_sum: Decimal = Decimal("0")

    @property
    def pass_rate(self) -> Decimal | None:
        return _rate(self.passed, self.passed + self.failed)

    @property
    def average_hours(self) -> Decimal | None:
        return _dec(self.hours_sum / self.enrolled) if self.enrolled else None

    @property
    def average_score(self) -> Decimal | None:
        return _dec(self.score_sum / self.scored) if self.scored else None


@dataclass
class ClassReport:
    training_class: TrainingClass
    enrolled: int = 0
    waitlisted: int = 0
    withdrawal_requested: int = 0
    withdrawn: int = 0
    passed: int = 0
    failed: int = 0
    average_hours: Decimal | None = None
    hours_buckets: list[tuple[str, int]] = field(default_factory=list)
    exam_threshold: Decimal = DEFAULT_EXAM_PASS
    exam_attempted: int = 0
    exam_passed: int = 0
    average_score: Decimal | None = None
    sessions: list[SessionRow] = field(default_factory=list)
    colleges: list[CollegeRow] = field(default_factory=list)

    @property
    def pass_rate(self) -> Decimal | None:
        return _rate(self.passed, self.passed + self.failed)

    @property
    def exam_pass_rate(self) -> Decimal | None:
        return _rate(self.exam_passed, self.exam_attempted)

    @property
    def ratings(self) -> int:
        return sum(s.ratings for s in self.sessions)

    @property
    def comments(self) -> int:
        return sum(s.comments for s in self.sessions)

    @property
    def chart(self) -> dict:
        """Attendance per offline/live session, for the ECharts bar chart."""
        rows = [s for s in self.sessions if s.checks_in]
        return {
            "labels": [s.session.title for s in rows],
            "attended": [s.attended for s in rows],
            "rates": [float(s.attendance_rate) if s.attendance_rate is not None else 0 for s in rows],
            "enrolled": self.enrolled,
        }


def _college_rows(enrolments) -> list[CollegeRow]:
    """Per college of the students of ``enrolments`` (already limited to places): 2 queries."""
    grouped = (
        enrolments.annotate(college=college_path())
        .values("college")
        .annotate(
            classes=Count("training_class", distinct=True),
            enrolled=Count("id"),
            passed=Count("id", filter=Q(status=EnrolmentStatus.PASSED)),
            failed=Count("id", filter=Q(status=EnrolmentStatus.FAILED)),
            hours_sum=Sum("hours"),
            scored=Count("id", filter=Q(exam_score__isnull=False)),
            score_sum=Sum("exam_score"),
        )
        .order_by("college")
    )
    grouped = list(grouped)
    if not grouped:
        return []
    units = {
        u.path: u
        for u in OrgUnit.objects.filter(path__in=[g["college"] for g in grouped]).only("pk", "name", "path", "depth")
    }
    rows = []
    for g in grouped:
        unit = units.get(g["college"])
        label = unit.name if unit else "（已撤销的组织）"
        if unit is not None and unit.depth == 0:
            label = f"{unit.name}（本级）"
        rows.append(
            CollegeRow(
                path=g["college"],
                label=label,
                unit_id=unit.pk if unit else None,
                classes=g["classes"],
                enrolled=g["enrolled"],
                passed=g["passed"],
                failed=g["failed"],
                hours_sum=Decimal(str(g["hours_sum"] or 0)),
                scored=g["scored"],
                score_sum=Decimal(str(g["score_sum"] or 0)),
            )
        )
    rows.sort(key=lambda r: (-r.enrolled, r.label))
    return rows


def class_stats(training_class: TrainingClass) -> ClassReport:
    """The statistics of one class (5 queries; the caller checked access with
    :func:`class_for_report`, which loads ``exam_paper``)."""
    c = training_class
    report = ClassReport(training_class=c, exam_threshold=exam_threshold(c))
    pass_hours = c.pass_hours or Decimal("0")
    half = pass_hours / 2
    threshold = report.exam_threshold
    scored = PLACE & Q(exam_score__isnull=False)
    agg = Enrolment.objects.filter(training_class=c).aggregate(
        enrolled=Count("id", filter=PLACE),
        waitlisted=Count("id", filter=Q(status=EnrolmentStatus.WAITLISTED)),
        withdrawal_requested=Count("id", filter=Q(status=EnrolmentStatus.WITHDRAWAL_REQUESTED)),
        withdrawn=Count("id", filter=Q(status=EnrolmentStatus.WITHDRAWN)),
        passed=Count("id", filter=Q(status=EnrolmentStatus.PASSED)),
        failed=Count("id", filter=Q(status=EnrolmentStatus.FAILED)),
        avg_hours=Avg("hours", filter=PLACE),
        low=Count("id", filter=PLACE & Q(hours__lt=half)),
        mid=Count("id", filter=PLACE & Q(hours__gte=half, hours__lt=pass_hours)),
        full=Count("id", filter=PLACE & Q(hours__gte=pass_hours)),
        avg_score=Avg("exam_score", filter=scored),
        attempted=Count("id", filter=scored),
        exam_passed=Count("id", filter=scored & Q(exam_score__gte=threshold)),
    )
    for name in ("enrolled", "waitlisted", "withdrawal_requested", "withdrawn", "passed", "failed"):
        setattr(report, name, agg[name])
    report.average_hours = _dec(agg["avg_hours"])
    report.hours_buckets = [
        ("不足 50%", agg["low"]),
        ("50%–99%", agg["mid"]),
        ("达到 100%", agg["full"]),
    ]
    report.average_score = _dec(agg["avg_score"])
    report.exam_attempted = agg["attempted"]
    report.exam_passed = agg["exam_passed"]

    # Sessions, each with its attendance, replays and ratings as correlated sub-queries.
    placed = {"enrolment__status__in": PLACE_STATUSES}
    evals = Evaluation.objects.filter(session=OuterRef("pk"))
    sessions = (
        ClassSession.objects.filter(training_class=c)
        .annotate(
            n_attended=_count(Attendance.objects.filter(session=OuterRef("pk"), **placed), "session"),
            n_replays=_count(
                HourEntry.objects.filter(session=OuterRef("pk"), source=HourSource.REPLAY, **placed), "session"
            ),
            n_ratings=_count(evals, "session"),
            n_comments=_count(evals.exclude(comment=""), "session"),
            avg_content=_avg(evals, "content_rating", "session"),
            avg_lecturer=_avg(evals, "lecturer_rating", "session"),
        )
        .order_by("position", "starts_at", "id")
    )
    rows = {}
    for s in sessions:
        row = SessionRow(
            session=s,
            ratings=s.n_ratings,
            comments=s.n_comments,
            content_rating=_dec(s.avg_content),
            lecturer_rating=_dec(s.avg_lecturer),
        )
        if row.checks_in:
            row.attended = s.n_attended
            row.attendance_rate = _rate(s.n_attended, report.enrolled)
        if s.kind == SessionKind.LIVE:
            row.replays = s.n_replays
        rows[s.pk] = row
        report.sessions.append(row)

    # Online course items with the number of enrolled students credited with their resource.
    done = HourEntry.objects.filter(
        resource_id=OuterRef("resource_id"),
        source=HourSource.ONLINE,
        enrolment__training_class=c,
        enrolment__status__in=PLACE_STATUSES,
    )
    items = (
        CourseItem.objects.filter(session__training_class=c, session__kind=SessionKind.ONLINE)
        .annotate(n_done=_count(done, "resource_id"))
        .values_list("session_id", "n_done")
    )
    for session_id, n_done in items:
        row = rows.get(session_id)
        if row is not None:
            row.items += 1
            row.completions += n_done
    for row in report.sessions:
        if row.session.kind == SessionKind.ONLINE:
            row.completion_rate = _rate(row.completions, row.items * report.enrolled)

    report.colleges = _college_rows(Enrolment.objects.filter(PLACE, training_class=c))
    return report


def may_report(user, training_class: TrainingClass) -> bool:
    return access.may_manage(user, training_class) or can(user, REPORT_PERM, training_class.unit)


def class_for_report(user, class_id) -> TrainingClass:
    """The class whose statistics ``user`` opens: its managers (head teacher, change grant) and
    ``school.view_report`` over its unit. 404 when the class is invisible, 403 when only visible
    (a student, a branch secretary following a student)."""
    qs = TrainingClass.objects.select_related("unit", "head_teacher", "exam_paper")
    training_class = access.class_for_viewer(user, class_id, queryset=qs)
    if not may_report(user, training_class):
        raise PermissionDenied
    return training_class


# --- the school (classes of a year in the user's scope) -------------------------------------------


@dataclass
class SchoolFilters:
    year: int
    unit: OrgUnit | None = None
    kind: str = ""


def report_unit(user, unit_id) -> OrgUnit:
    """A unit to narrow the report to: 404 outside the user's school.view_report scope."""
    return access_by_id(user, OrgUnit, unit_id, view=REPORT_PERM)


def require_reporter(user) -> None:
    if not granted_prefixes(user, REPORT_PERM):
        raise PermissionDenied


def report_units(user):
    """Units running classes in the user's report scope (for the unit picker)."""
    running = TrainingClass.objects.restrict(user, REPORT_PERM).values("unit_id")
    return OrgUnit.objects.filter(pk__in=running).order_by("path")


def classes_in_scope(user, filters: SchoolFilters):
    """Classes of ``filters.year`` run in the user's school.view_report scope (lazy)."""
    qs = TrainingClass.objects.restrict(user, REPORT_PERM).filter(year=filters.year)
    if filters.unit is not None:
        qs = qs.filter(unit__path__startswith=filters.unit.path)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    return qs


def class_rows(user, filters: SchoolFilters):
    """One row per class (lazy queryset, ordered newest first), annotated with ``enrolled``,
    ``passed``, ``failed``, ``avg_hours``, ``avg_score``, ``avg_content``, ``avg_lecturer``,
    ``n_ratings``; ``pass_rate`` is computed by :func:`decorate_rows`. One query per page."""
    evals = Evaluation.objects.filter(session__training_class=OuterRef("pk"))
    group = "session__training_class"
    return (
        classes_in_scope(user, filters)
        .select_related("unit")
        .annotate(
            enrolled=Count("enrolments", filter=Q(enrolments__status__in=PLACE_STATUSES)),
            passed=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.PASSED)),
            failed=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.FAILED)),
            avg_hours=Avg("enrolments__hours", filter=Q(enrolments__status__in=PLACE_STATUSES)),
            avg_score=Avg(
                "enrolments__exam_score",
                filter=Q(enrolments__status__in=PLACE_STATUSES, enrolments__exam_score__isnull=False),
            ),
            avg_content=_avg(evals, "content_rating", group),
            avg_lecturer=_avg(evals, "lecturer_rating", group),
            n_ratings=_count(evals, group),
        )
        .order_by("-starts_on", "-id")
    )


def decorate(row: TrainingClass) -> TrainingClass:
    """Round the annotations of a class row and add ``pass_rate`` / ``kind_label`` (no query)."""
    row.pass_rate = _rate(row.passed, row.passed + row.failed)
    row.avg_hours = _dec(row.avg_hours)
    row.avg_score = _dec(row.avg_score)
    row.avg_content = _dec(row.avg_content)
    row.avg_lecturer = _dec(row.avg_lecturer)
    row.kind_label = str(ClassKind(row.kind).label) if row.kind in ClassKind.values else row.kind
    return row


def college_totals(user, filters: SchoolFilters) -> tuple[list[CollegeRow], CollegeRow]:
    """Per college of the students, across the classes in scope, and the grand total (2 queries)."""
    classes = classes_in_scope(user, filters).values("pk")
    rows = _college_rows(Enrolment.objects.filter(PLACE, training_class__in=classes))
    total = CollegeRow(path="", label="合计")
    for r in rows:
        total.enrolled += r.enrolled
        total.passed += r.passed
        total.failed += r.failed
        total.hours_sum += r.hours_sum
        total.scored += r.scored
        total.score_sum += r.score_sum
    return rows, total


# --- export --------------------------------------------------------------------------------------


def _num(value):
    return float(value) if value is not None else ""


def export_xlsx(user, filters: SchoolFilters) -> tuple[bytes, int]:
    """The class table, the college table and every class's students (hours, exam score, status,
    certificate serial) as .xlsx; returns (bytes, number of class rows). 4 queries. The caller audits."""
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    bold = Font(bold=True)
    ws = wb.active
    ws.title = "培训班"
    scope = filters.unit.name if filters.unit else "全部"
    ws.append([f"网上党校 {filters.year} 年培训统计（{scope}）"])
    ws.append(
        [
            "班次",
            "类型",
            "期次",
            "举办单位",
            "状态",
            "在册人数",
            "结业",
            "未结业",
            "结业率(%)",
            "平均学时",
            "平均考试成绩",
            "课程评价均分",
            "授课评价均分",
            "评价人次",
        ]
    )
    n = 0
    for row in class_rows(user, filters):
        decorate(row)
        n += 1
        ws.append(
            [
                row.title,
                row.kind_label,
                row.term,
                row.unit.name,
                str(row.get_status_display()),
                row.enrolled,
                row.passed,
                row.failed,
                _num(row.pass_rate),
                _num(row.avg_hours),
                _num(row.avg_score),
                _num(row.avg_content),
                _num(row.avg_lecturer),
                row.n_ratings,
            ]
        )

    ws = wb.create_sheet("学院")
    ws.append(["学院（二级党组织）", "培训班数", "在册人数", "结业", "未结业", "结业率(%)", "平均学时", "平均考试成绩"])
    colleges, total = college_totals(user, filters)
    for r in [*colleges, total]:
        ws.append(
            [
                r.label,
                r.classes if r.path else "",
                r.enrolled,
                r.passed,
                r.failed,
                _num(r.pass_rate),
                _num(r.average_hours),
                _num(r.average_score),
            ]
        )

    ws = wb.create_sheet("学员")
    ws.append(["班次", "姓名", "所在党组织", "状态", "学时", "考试成绩", "证书编号"])
    classes = classes_in_scope(user, filters).values("pk")
    students = (
        Enrolment.objects.filter(training_class__in=classes)
        .select_related("training_class", "person", "person__unit", "certificate")
        .order_by("-training_class__starts_on", "training_class_id", "person__name", "id")
    )
    for e in students:
        cert = getattr(e, "certificate", None)
        serial = ""
        if cert is not None:
            serial = cert.serial + ("（已撤销）" if cert.revoked_at else "")
        ws.append(
            [
                e.training_class.title,
                e.person.name,
                e.person.unit.name,
                str(e.get_status_display()),
                float(e.hours),
                _num(e.exam_score),
                serial,
            ]
        )

    for sheet in wb.worksheets:
        header = 2 if sheet.title == "培训班" else 1
        for cell in sheet[header]:
            cell.font = bold
        sheet.column_dimensions["A"].width = 30
    wb["培训班"]["A1"].font = bold
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), n
