"""Passing rules, results, the final exam's score and finalizing a class.

Passing rules (per class, evaluated by ``conditions`` / ``evaluate``):

1. class hours: ``Enrolment.hours`` ≥ ``TrainingClass.pass_hours`` (24.0 of 24 passes, 23.5 fails);
2. every REQUIRED assignment graded at or above its ``pass_score`` (not submitted, waiting to be
   graded or returned for revision do not pass);
3. when the class has a final exam (``exam_paper``): the best graded attempt (``Enrolment.exam_score``,
   kept by ``on_attempt_graded``) ≥ ``exam_pass_score``, or the paper's ``pass_score`` when the
   class sets none.

``class_finalize``: the class's managers, class RUNNING, not before its ``ends_on``, no withdrawal
request left undecided; each ENROLLED student becomes PASSED or FAILED (``result_note`` lists the
unmet conditions), WAITLISTED / WITHDRAWN are untouched, the class becomes FINISHED, every PASSED
student gets a certificate, and for a candidates' class the development case's training step is
recorded (each in its own savepoint: a refusal keeps the result and is noted on the enrolment).
All in one transaction; one audit event for the class with counts and one per enrolment.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Prefetch
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.services import audit_bulk, audit_event, audit_record
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.notifications.choices import Category
from cloudbranch.notifications.services import notify

from . import access, certificates
from .choices import ClassKind, ClassStatus, EnrolmentStatus, SubmissionStatus
from .models import Assignment, Attendance, Enrolment, Submission, TrainingClass

#: Enrolments evaluated against the rules before the class is finalized.
STUDYING = (EnrolmentStatus.ENROLLED, EnrolmentStatus.WITHDRAWAL_REQUESTED)
#: Enrolments shown on the results page.
RESULT_STATUSES = (*STUDYING, EnrolmentStatus.PASSED, EnrolmentStatus.FAILED)
PASS_NOTE = "考核合格"
DEV_OK = "已记录发展程序“集中培训”步骤"
DEV_REFUSED = "发展程序未记录培训："
DEV_NO_CASE = "发展程序未记录培训：未找到进行中的发展党员档案"


def num(value) -> str:
    """Decimal → the shortest Chinese-page figure: 24 → "24", 18.5 → "18.5", None → "—"."""
    if value is None:
        return "—"
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Condition:
    key: str  # "hours", "assignment:<id>", "exam"
    label: str
    met: bool
    text: str  # with the figures, e.g. "学时 18.5/24"


@dataclass
class ClassRules:
    """What a class requires, loaded once for a whole results page."""

    training_class: TrainingClass
    required: list[Assignment]
    exam_pass: Decimal | None

    @classmethod
    def of(cls, training_class: TrainingClass) -> ClassRules:
        required = list(
            Assignment.objects.filter(training_class=training_class, required=True).order_by("due_at", "id")
        )
        return cls(training_class, required, exam_pass_score(training_class))


def exam_pass_score(training_class: TrainingClass) -> Decimal | None:
    if training_class.exam_paper_id is None:
        return None
    if training_class.exam_pass_score is not None:
        return training_class.exam_pass_score
    return training_class.exam_paper.pass_score


def _submissions_by_assignment(enrolment: Enrolment) -> dict[int, Submission]:
    cache = getattr(enrolment, "_prefetched_objects_cache", {})
    rows = cache["submissions"] if "submissions" in cache else enrolment.submissions.all()
    return {s.assignment_id: s for s in rows}


def conditions(enrolment: Enrolment, rules: ClassRules | None = None) -> list[Condition]:
    """Each passing condition of ``enrolment`` with whether it is met, in order."""
    rules = rules or ClassRules.of(enrolment.training_class)
    tc = rules.training_class
    out = [
        Condition(
            "hours",
            "学时",
            enrolment.hours >= tc.pass_hours,
            f"学时 {num(enrolment.hours)}/{num(tc.pass_hours)}",
        )
    ]
    subs = _submissions_by_assignment(enrolment)
    for a in rules.required:
        s = subs.get(a.pk)
        if s is None:
            met, state = False, "未提交"
        elif s.status == SubmissionStatus.SUBMITTED:
            met, state = False, "待批阅"
        elif s.status == SubmissionStatus.RETURNED:
            met, state = False, "退回修改"
        else:
            met, state = s.score >= a.pass_score, f"{s.score}/{a.pass_score}"
        out.append(Condition(f"assignment:{a.pk}", f"作业《{a.title}》", met, f"作业《{a.title}》 {state}"))
    if rules.exam_pass is not None:
        score = enrolment.exam_score
        met = score is not None and score >= rules.exam_pass
        shown = (
            f"{num(score)}/{num(rules.exam_pass)}" if score is not None else f"未参加（合格 {num(rules.exam_pass)}）"
        )
        out.append(Condition("exam", "结业考试", met, f"考试 {shown}"))
    return out


def evaluate(enrolment: Enrolment, rules: ClassRules | None = None) -> list[str]:
    """The unmet conditions, in Chinese with the figures (["学时 18.5/24", "考试 55/60"]); [] passes."""
    return [c.text for c in conditions(enrolment, rules) if not c.met]


def results_rows(training_class: TrainingClass, *, status: str = ""):
    """Enrolments of the results page, submissions and certificate loaded (page + 1 prefetch query)."""
    qs = (
        Enrolment.objects.filter(training_class=training_class, status__in=RESULT_STATUSES)
        .select_related("person__unit", "certificate")
        .prefetch_related(
            Prefetch(
                "submissions",
                queryset=Submission.objects.only("id", "assignment_id", "enrolment_id", "status", "score"),
            )
        )
        .order_by("person__unit__path", "person__name", "id")
    )
    if status:
        qs = qs.filter(status=status)
    return qs


def visible_results(user, training_class: TrainingClass, *, status: str = ""):
    """(may_manage, rows the user may see): managers every student; a student their own row;
    someone following students of the class (``school.view_enrolment``, e.g. their branch
    secretary) those students. Anyone else who sees the class: PermissionDenied."""
    from django.core.exceptions import PermissionDenied

    from cloudbranch.orgs.scoping import granted_prefixes, scope_q

    qs = results_rows(training_class, status=status)
    if access.may_manage(user, training_class):
        return True, qs
    followed = granted_prefixes(user, access.VIEW_ENROLMENT)
    mine = access.enrolment_of(user, training_class)
    if not followed and mine is None:
        raise PermissionDenied
    q = scope_q("person__unit__path", followed) if followed else None
    if mine is not None:
        from django.db.models import Q

        q = (q | Q(pk=mine.pk)) if q is not None else Q(pk=mine.pk)
    return False, qs.filter(q)


def annotate_rows(rows, rules: ClassRules) -> list[Enrolment]:
    rows = list(rows)
    for e in rows:
        e.training_class = rules.training_class
        e.conditions = conditions(e, rules)
        e.unmet = [c.text for c in e.conditions if not c.met]
    return rows


def summary(training_class: TrainingClass) -> dict:
    """Counts by status (one query)."""
    from django.db.models import Count

    rows = Enrolment.objects.filter(training_class=training_class).values("status").annotate(n=Count("id")).order_by()
    return {r["status"]: r["n"] for r in rows}


# --- the exam hook ---------------------------------------------------------------------------


def on_attempt_graded(*, attempt) -> None:
    """learning's attempt hook: when the paper is the final exam of a class the person studies
    in, keep the best score on the enrolment (runs inside the grading transaction)."""
    if attempt.score is None:
        return
    enrolments = list(
        Enrolment.objects.select_for_update()
        .filter(person_id=attempt.person_id, training_class__exam_paper_id=attempt.paper_id, status__in=STUDYING)
        .order_by("id")
    )
    events = []
    for e in enrolments:
        if e.exam_score is not None and e.exam_score >= attempt.score:
            continue
        before = e.exam_score
        e.exam_score = attempt.score
        e.save(update_fields=["exam_score"])
        events.append(
            audit_event(
                getattr(attempt.person, "user", None),
                action="school.enrolment.exam_score",
                target=e,
                changes={
                    "exam_score": {"old": None if before is None else str(before), "new": str(attempt.score)},
                    "attempt": {"new": attempt.pk},
                },
            )
        )
    if events:
        audit_bulk(events)


# --- finalize --------------------------------------------------------------------------------


def attendance_days(enrolment: Enrolment) -> int:
    return (
        Attendance.objects.filter(enrolment=enrolment)
        .annotate(day=TruncDate("checked_in_at"))
        .values("day")
        .distinct()
        .count()
    )


def record_training_step(*, actor, enrolment: Enrolment, serial: str, today: datetime.date) -> str:
    """Record the development case's training step for a passed candidate; the note to keep."""
    from cloudbranch.development import cases as dev_cases
    from cloudbranch.development.choices import CaseStatus
    from cloudbranch.development.models import Case

    tc = enrolment.training_class
    case = Case.objects.filter(person_id=enrolment.person_id, status=CaseStatus.OPEN).order_by("-id").first()
    if case is None:
        return DEV_NO_CASE
    occurred_on = min(tc.ends_on, today)
    data = {"days": attendance_days(enrolment), "hours": float(enrolment.hours), "certificate": serial}
    try:
        with transaction.atomic():
            dev_cases.step_record(
                actor=actor,
                case_id=case.pk,
                code="training",
                occurred_on=occurred_on,
                data=data,
                note=f"网上党校《{tc.title}》结业（证书编号 {serial}）",
                authorized=True,
            )
    except DomainError as exc:
        return (DEV_REFUSED + exc.message)[:300]
    return DEV_OK


def class_finalize(*, actor, class_id, now=None) -> dict:
    """Decide every ENROLLED student's result, finish the class, issue certificates (see module
    docstring). Returns counts {"passed", "failed", "certificates", "development"}."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        tc = access.class_for_manager(actor, class_id)
        tc = TrainingClass.objects.select_for_update(of=("self",)).select_related("unit", "exam_paper").get(pk=tc.pk)
        if tc.status != ClassStatus.RUNNING:
            raise ConflictError(f"培训班{tc.get_status_display()}，只有培训中的班次才能结业。")
        if today < tc.ends_on:
            raise ConflictError(f"结业日期为 {tc.ends_on:%Y-%m-%d}，此前不能办理结业。")
        pending = Enrolment.objects.filter(training_class=tc, status=EnrolmentStatus.WITHDRAWAL_REQUESTED).count()
        if pending:
            raise ConflictError(f"还有 {pending} 份退学申请未处理，请先审批后再办理结业。")
        rules = ClassRules.of(tc)
        enrolments = list(
            Enrolment.objects.select_for_update(of=("self",))
            .filter(training_class=tc, status=EnrolmentStatus.ENROLLED)
            .select_related("person")
            .prefetch_related("submissions")
            .order_by("person__unit__path", "person__name", "id")
        )
        passed, failed = [], []
        for e in enrolments:
            e.training_class = tc
            unmet = evaluate(e, rules)
            e.status = EnrolmentStatus.FAILED if unmet else EnrolmentStatus.PASSED
            e.result_at = now
            e.result_note = ("未达到：" + "；".join(unmet))[:300] if unmet else PASS_NOTE
            (failed if unmet else passed).append(e)
        Enrolment.objects.bulk_update(enrolments, ["status", "result_at", "result_note"])
        issued = certificates.issue_certificates(actor=actor, training_class=tc, enrolments=passed, issued_on=today)
        serial_of = {c.enrolment_id: c.serial for c in issued}
        dev_recorded = 0
        if tc.kind == ClassKind.CANDIDATE:
            for e in passed:
                e.development_note = record_training_step(actor=actor, enrolment=e, serial=serial_of[e.pk], today=today)
                dev_recorded += e.development_note == DEV_OK
            Enrolment.objects.bulk_update(passed, ["development_note"])
        tc.status = ClassStatus.FINISHED
        tc.save(update_fields=["status"])
        counts = {
            "passed": len(passed),
            "failed": len(failed),
            "certificates": len(issued),
            "development": dev_recorded,
        }
        audit_record(
            actor=actor,
            action="school.class.finalize",
            target=tc,
            changes={"status": {"old": ClassStatus.RUNNING, "new": ClassStatus.FINISHED}, "counts": {"new": counts}},
        )
        events = []
        for e in enrolments:
            changes = {
                "status": {"old": EnrolmentStatus.ENROLLED, "new": e.status},
                "result_note": {"new": e.result_note},
            }
            if e.pk in serial_of:
                changes["certificate"] = {"new": serial_of[e.pk]}
            if e.development_note:
                changes["development_note"] = {"new": e.development_note}
            events.append(audit_event(actor, action="school.enrolment.result", target=e, changes=changes))
        audit_bulk(events)
        passed_users = [e.person.user_id for e in passed if e.person.user_id]
        failed_users = [e.person.user_id for e in failed if e.person.user_id]
        url = reverse("school:class", args=[tc.pk])

        def _notify():
            if passed_users:
                notify(
                    recipients=passed_users,
                    category=Category.LEARNING,
                    title=f"{tc.title}：考核合格，准予结业",
                    body="结业证书已颁发，可在“我的党校”中查看和下载。",
                    url=url,
                    actor=actor,
                )
            if failed_users:
                notify(
                    recipients=failed_users,
                    category=Category.LEARNING,
                    title=f"{tc.title}：未达到结业要求",
                    body="未结业的原因请在培训班页面查看，或联系班主任。",
                    url=url,
                    actor=actor,
                )

        transaction.on_commit(_notify)
    return counts
