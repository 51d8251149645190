"""Enrolment in a training class: by rule (preview → confirm), by list (.xlsx of staff numbers,
every row checked, all-or-nothing), one person; places up to capacity, the rest on the waiting
list in order; withdrawal requested by the student and decided by the head teacher / officer
(the freed place goes to the first on the waiting list, in the same transaction).

Eligibility is data (``ELIGIBILITY``); only people on the roster of the class unit's subtree.
"""

from __future__ import annotations

import datetime
import hashlib
import io
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.services import audit_bulk, audit_event, audit_record
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.notifications.choices import Category
from cloudbranch.notifications.services import notify
from cloudbranch.orgs.choices import UnitKind
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.people.choices import PoliticalStatus, RosterStatus
from cloudbranch.people.models import CommitteeMembership, Person

from . import access
from .choices import PLACE_STATUSES, ClassKind, ClassStatus, EnrolmentSource, EnrolmentStatus
from .models import Enrolment, TrainingClass

# --- eligibility as data ---------------------------------------------------------------------

BRANCH_KINDS = (UnitKind.BRANCH, UnitKind.MOBILE_BRANCH)

#: Who may attend each kind of class. ``status``: the political status required; ``since``: the
#: Person date field that ``since_months`` counts from; ``seat``: a current committee seat
#: (CommitteeMembership with ended_on null) at a branch, counted from the seat's ``started_on``.
ELIGIBILITY: dict[str, dict] = {
    ClassKind.ACTIVIST: {"status": PoliticalStatus.ACTIVIST, "since": "activist_on", "label": "入党积极分子"},
    ClassKind.CANDIDATE: {"status": PoliticalStatus.CANDIDATE, "since": "candidate_on", "label": "发展对象"},
    ClassKind.PROBATIONARY: {"status": PoliticalStatus.PROBATIONARY, "since": "joined_on", "label": "预备党员"},
    ClassKind.SECRETARY: {"seat": True, "label": "党支部委员会成员"},
}
SINCE_LABELS = {"activist_on": "确定积极分子日期", "candidate_on": "确定发展对象日期", "joined_on": "入党日期"}
ENROLLABLE = {ClassStatus.DRAFT, ClassStatus.ENROLLING, ClassStatus.RUNNING}
# Enrolments that hold a place in a class still under way (a second class of the kind is barred).
HOLDING = (EnrolmentStatus.ENROLLED, EnrolmentStatus.WITHDRAWAL_REQUESTED)
CHANGED_MESSAGE = "名单已变化，请重新预览"
MAX_LIST_ROWS = 2000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LIST_HEADER = "学号工号"


def months_ago(today: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` months earlier (clamped to the month's end: 2024-03-31 − 1 → 2024-02-29)."""
    total = today.year * 12 + (today.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    for day in (today.day, 30, 29, 28):
        try:
            return datetime.date(year, month, min(today.day, day))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _seat_q(since: datetime.date | None = None):
    seats = CommitteeMembership.objects.filter(
        person_id=OuterRef("pk"), ended_on__isnull=True, unit__kind__in=BRANCH_KINDS
    )
    if since is not None:
        seats = seats.filter(started_on__gte=since)
    return Exists(seats)


def eligible_q(kind: str, *, since: datetime.date | None = None) -> Q:
    rule = ELIGIBILITY[kind]
    if rule.get("seat"):
        return Q(_seat_q(since))
    q = Q(political_status=rule["status"])
    if since is not None:
        q &= Q(**{f"{rule['since']}__gte": since})
    return q


def roster_people(training_class: TrainingClass):
    return Person.objects.filter(roster_status=RosterStatus.ACTIVE, unit__path__startswith=training_class.unit.path)


def not_eligible_reason(kind: str) -> str:
    return f"不符合条件（须为{ELIGIBILITY[kind]['label']}）"


# --- the plan shared by the three ways in -----------------------------------------------------


@dataclass
class Plan:
    training_class: TrainingClass
    source: str
    places: list = field(default_factory=list)  # people who get a place, in order
    waitlist: list = field(default_factory=list)  # people put on the waiting list, in order
    skipped: list = field(default_factory=list)  # (person, reason)
    errors: list = field(default_factory=list)  # {row, column, message}
    free: int = 0

    @property
    def people(self) -> list:
        return self.places + self.waitlist

    @property
    def fingerprint(self) -> str:
        ids = ",".join(str(p.pk) for p in self.places) + "|" + ",".join(str(p.pk) for p in self.waitlist)
        return hashlib.sha256(f"{self.training_class.pk}:{self.source}:{ids}".encode()).hexdigest()[:32]

    def counts(self) -> dict:
        return {
            "total": len(self.people),
            "enrolled": len(self.places),
            "waitlisted": len(self.waitlist),
            "skipped": len(self.skipped),
            "free_places": self.free,
        }


def _free_places(training_class: TrainingClass) -> int:
    held = Enrolment.objects.filter(training_class=training_class, status__in=PLACE_STATUSES).count()
    return max(training_class.capacity - held, 0)


def _split(plan: Plan, people: list) -> Plan:
    plan.free = _free_places(plan.training_class)
    plan.places, plan.waitlist = people[: plan.free], people[plan.free :]
    return plan


def _existing(training_class: TrainingClass, person_ids) -> tuple[dict, dict]:
    """{person_id: status in this class}, {person_id: why another class of the same kind bars
    them}: they passed one, or hold a place in one that has not finished (a person studies in
    one class of a kind at a time)."""
    here = dict(
        Enrolment.objects.filter(training_class=training_class, person_id__in=person_ids).values_list(
            "person_id", "status"
        )
    )
    barred: dict[int, str] = {}
    others = (
        Enrolment.objects.filter(person_id__in=person_ids, training_class__kind=training_class.kind)
        .exclude(training_class=training_class)
        .filter(Q(status=EnrolmentStatus.PASSED) | Q(status__in=HOLDING, training_class__status__in=ENROLLABLE))
        .values_list("person_id", "status", "training_class__title")
        .order_by("person_id", "pk")
    )
    for person_id, status, title in others:
        if status == EnrolmentStatus.PASSED:
            barred[person_id] = "已参加过同类培训班并结业"
        else:
            barred.setdefault(person_id, f"正在参加同类培训班“{title}”")
    return here, barred


def _skip_reason(person_id, here: dict, barred: dict) -> str | None:
    if person_id in here:
        status = here[person_id]
        if status == EnrolmentStatus.WITHDRAWN:
            return "已退出本班"
        return f"已在本班（{EnrolmentStatus(status).label}）"
    return barred.get(person_id)


def _check_enrollable(training_class: TrainingClass) -> None:
    if training_class.status not in ENROLLABLE:
        raise ConflictError(f"班次当前为“{training_class.get_status_display()}”，不能报名。")


# --- (a) by rule -----------------------------------------------------------------------------


def rule_plan(training_class: TrainingClass, rule: dict | None = None, *, today: datetime.date | None = None) -> Plan:
    from .classes import validate_rule

    rule = training_class.enrolment_rule if rule is None else rule
    rule = rule or {}
    errors = validate_rule(rule, training_class.unit)
    if errors:
        raise DomainError("报名条件有误。", errors=errors)
    today = today or timezone.localdate()
    kind = training_class.kind
    base = roster_people(training_class)
    unit_ids = rule.get("units") or []
    if unit_ids:
        paths = list(OrgUnit.objects.filter(pk__in=unit_ids).values_list("path", flat=True))
        q = Q()
        for p in paths:
            q |= Q(unit__path__startswith=p)
        base = base.filter(q)
    months = rule.get("since_months")
    since = months_ago(today, months) if months else None
    spec = ELIGIBILITY[kind]
    matched = base.filter(eligible_q(kind, since=since))
    plan = Plan(training_class=training_class, source=EnrolmentSource.RULE)
    people = list(matched.select_related("unit").order_by("unit__path", "name", "pk"))
    if since is not None and not spec.get("seat"):
        # Right status but no date recorded: the rule cannot tell; listed as skipped, not enrolled.
        undated = base.filter(political_status=spec["status"], **{f"{spec['since']}__isnull": True})
        for person in undated.select_related("unit").order_by("unit__path", "name", "pk"):
            plan.skipped.append((person, f"不符合条件（未登记{SINCE_LABELS[spec['since']]}）"))
    here, barred = _existing(training_class, [p.pk for p in people])
    chosen = []
    for person in people:
        reason = _skip_reason(person.pk, here, barred)
        if reason:
            plan.skipped.append((person, reason))
        else:
            chosen.append(person)
    return _split(plan, chosen)


def rule_preview(*, actor, class_id: int, rule: dict | None = None) -> Plan:
    training_class = access.class_for_manager(actor, class_id)
    _check_enrollable(training_class)
    return rule_plan(training_class, rule)


def rule_confirm(*, actor, class_id: int, fingerprint: str, rule: dict | None = None) -> Plan:
    with transaction.atomic():
        training_class = _locked(actor, class_id)
        plan = rule_plan(training_class, rule)
        if plan.fingerprint != fingerprint:
            raise ConflictError(CHANGED_MESSAGE)
        if not plan.people:
            raise DomainError("没有可以编入的人员。")
        _write(plan, actor=actor, rule=rule)
    return plan


# --- (b) by list -----------------------------------------------------------------------------


def list_template() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "学员名单"
    ws.append([LIST_HEADER])
    ws.column_dimensions["A"].width = 20
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def parse_list_file(data: bytes) -> list[str]:
    """The first column below the header row, as text ("" for a blank cell)."""
    from openpyxl import load_workbook

    from cloudbranch.core.documents import spreadsheet_problem

    if problem := spreadsheet_problem(data):
        raise DomainError(problem, errors=[{"field": "file", "message": problem}])
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 — any unreadable upload is the same error for the user
        raise DomainError(
            "无法读取文件，请上传 .xlsx 格式的名单（可下载模板）。",
            errors=[{"field": "file", "message": "文件格式不正确"}],
        ) from None
    ws = wb.worksheets[0]
    numbers = []
    for i, row in enumerate(ws.iter_rows(values_only=True)):
        if i == 0:
            continue
        value = row[0] if row else None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        numbers.append("" if value is None else str(value).strip())
        if len(numbers) > MAX_LIST_ROWS:
            raise DomainError(f"名单最多 {MAX_LIST_ROWS} 行。", errors=[{"field": "file", "message": "行数过多"}])
    while numbers and not numbers[-1]:
        numbers.pop()
    if not numbers:
        raise DomainError("名单为空：请在“学号工号”列下逐行填写。", errors=[{"field": "file", "message": "名单为空"}])
    return numbers


def list_plan(training_class: TrainingClass, numbers: list[str]) -> Plan:
    plan = Plan(training_class=training_class, source=EnrolmentSource.LIST)
    wanted = {n for n in numbers if n}
    found: dict[str, list[Person]] = {}
    for person in (
        Person.objects.filter(staff_number__in=wanted, roster_status=RosterStatus.ACTIVE)
        .select_related("unit")
        .order_by("pk")
    ):
        found.setdefault(person.staff_number, []).append(person)
    ids = [p.pk for group in found.values() for p in group]
    eligible = set(
        roster_people(training_class)
        .filter(pk__in=ids)
        .filter(eligible_q(training_class.kind))
        .values_list("pk", flat=True)
    )
    here, barred = _existing(training_class, ids)
    seen: dict[str, int] = {}
    chosen = []
    for index, number in enumerate(numbers):
        row = index + 2
        message = None
        if not number:
            message = "学号工号为空"
        elif number in seen:
            message = f"与第 {seen[number]} 行重复"
        elif number not in found:
            message = f"学号工号“{number}”不存在（或不在册）"
        elif len(found[number]) > 1:
            message = f"学号工号“{number}”对应多人，请改为逐个添加"
        else:
            person = found[number][0]
            if not person.unit.path.startswith(training_class.unit.path):
                message = f"{person.name}不在本班招收范围内"
            elif person.pk not in eligible:
                message = f"{person.name}{not_eligible_reason(training_class.kind)}"
            else:
                reason = _skip_reason(person.pk, here, barred)
                if reason:
                    message = f"{person.name}{reason}"
                else:
                    chosen.append(person)
        if number and number not in seen:
            seen[number] = row
        if message:
            plan.errors.append({"row": row, "column": LIST_HEADER, "message": f"第 {row} 行：{message}"})
    return _split(plan, chosen)


def list_preview(*, actor, class_id: int, numbers: list[str]) -> Plan:
    training_class = access.class_for_manager(actor, class_id)
    _check_enrollable(training_class)
    return list_plan(training_class, numbers)


def list_confirm(*, actor, class_id: int, numbers: list[str], fingerprint: str) -> Plan:
    with transaction.atomic():
        training_class = _locked(actor, class_id)
        plan = list_plan(training_class, numbers)
        if plan.errors:
            raise DomainError(f"名单有 {len(plan.errors)} 处错误，未导入任何人。", errors=plan.errors)
        if plan.fingerprint != fingerprint:
            raise ConflictError(CHANGED_MESSAGE)
        _write(plan, actor=actor)
    return plan


# --- (c) one person --------------------------------------------------------------------------


def enrol_add(*, actor, class_id: int, person_id: int) -> Enrolment:
    with transaction.atomic():
        training_class = _locked(actor, class_id)
        person = (
            roster_people(training_class).select_related("unit").filter(pk=person_id).first()
            if str(person_id).isdigit()
            else None
        )
        if person is None:
            raise DomainError(
                "该人员不在本班招收范围内。", errors=[{"field": "person", "message": "不在本班招收范围内"}]
            )
        if not roster_people(training_class).filter(pk=person.pk).filter(eligible_q(training_class.kind)).exists():
            raise DomainError(
                f"{person.name}{not_eligible_reason(training_class.kind)}。",
                errors=[{"field": "person", "message": not_eligible_reason(training_class.kind)}],
            )
        here, barred = _existing(training_class, [person.pk])
        reason = _skip_reason(person.pk, here, barred)
        if reason:
            raise ConflictError(f"{person.name}{reason}。")
        plan = _split(Plan(training_class=training_class, source=EnrolmentSource.MANUAL), [person])
        rows = _write(plan, actor=actor)
    return rows[0]


# --- writing ---------------------------------------------------------------------------------


def _locked(actor, class_id) -> TrainingClass:
    training_class = access.class_for_manager(actor, class_id)
    training_class = (
        TrainingClass.objects.select_for_update().select_related("unit", "head_teacher").get(pk=training_class.pk)
    )
    _check_enrollable(training_class)
    return training_class


def _write(plan: Plan, *, actor, rule: dict | None = None) -> list[Enrolment]:
    now = timezone.now()
    rows = [
        Enrolment(
            training_class=plan.training_class,
            person=person,
            status=EnrolmentStatus.ENROLLED if i < len(plan.places) else EnrolmentStatus.WAITLISTED,
            source=plan.source,
            # Microsecond steps keep the waiting-list order of the plan in ``enrolled_at``.
            enrolled_at=now + datetime.timedelta(microseconds=i),
        )
        for i, person in enumerate(plan.people)
    ]
    Enrolment.objects.bulk_create(rows)
    if len(rows) == 1:
        audit_record(
            actor=actor,
            action="school.enrolment.create",
            target=rows[0],
            changes={"person_id": rows[0].person_id, "status": rows[0].status, "source": plan.source},
        )
    else:
        changes = plan.counts() | {
            "source": plan.source,
            "person_ids": [p.pk for p in plan.people],
            "enrolment_ids": [r.pk for r in rows],
        }
        if rule is not None:
            changes["rule"] = rule
        audit_bulk(
            [audit_event(actor, action="school.enrolment.bulk_create", target=plan.training_class, changes=changes)]
        )
    _notify_enrolled(plan.training_class, rows, actor=actor)
    return rows


def _notify_enrolled(training_class, rows, *, actor) -> None:
    placed = [r.person.user_id for r in rows if r.status == EnrolmentStatus.ENROLLED and r.person.user_id]
    waiting = [r.person.user_id for r in rows if r.status == EnrolmentStatus.WAITLISTED and r.person.user_id]
    url = f"/school/classes/{training_class.pk}/"
    title = training_class.title

    def send():
        if placed:
            notify(
                recipients=placed, category=Category.LEARNING, title=f"您已编入培训班“{title}”", url=url, actor=actor
            )
        if waiting:
            notify(
                recipients=waiting,
                category=Category.LEARNING,
                title=f"您已列入培训班“{title}”候补名单",
                body="有名额空出时将按顺序递补并通知您。",
                url=url,
                actor=actor,
            )

    if placed or waiting:
        transaction.on_commit(send)


def promote_waitlisted(training_class: TrainingClass, *, actor) -> list[Enrolment]:
    """Fill free places from the waiting list, first come first served (caller holds the class lock)."""
    free = _free_places(training_class)
    if free <= 0:
        return []
    # Those who meanwhile took a place in another class of the same kind stay on the waiting list.
    studying_elsewhere = Enrolment.objects.filter(
        status__in=HOLDING,
        training_class__kind=training_class.kind,
        training_class__status__in=ENROLLABLE,
    ).exclude(training_class=training_class)
    promoted = list(
        Enrolment.objects.select_related("person")
        .filter(training_class=training_class, status=EnrolmentStatus.WAITLISTED)
        .exclude(person_id__in=studying_elsewhere.values("person_id"))
        .order_by("enrolled_at", "pk")[:free]
    )
    if not promoted:
        return []
    Enrolment.objects.filter(pk__in=[e.pk for e in promoted]).update(status=EnrolmentStatus.ENROLLED)
    for e in promoted:
        e.status = EnrolmentStatus.ENROLLED
    audit_bulk(
        [
            audit_event(
                actor,
                action="school.enrolment.promote",
                target=e,
                changes={"status": {"old": EnrolmentStatus.WAITLISTED, "new": EnrolmentStatus.ENROLLED}},
            )
            for e in promoted
        ]
    )
    users = [e.person.user_id for e in promoted if e.person.user_id]
    if users:
        title = training_class.title
        url = f"/school/classes/{training_class.pk}/"
        transaction.on_commit(
            lambda: notify(
                recipients=users,
                category=Category.LEARNING,
                title=f"候补递补：您已编入培训班“{title}”",
                url=url,
                actor=actor,
            )
        )
    return promoted


# --- withdrawal ------------------------------------------------------------------------------


def _own_enrolment(actor, enrolment_id) -> Enrolment:
    enrolment = (
        Enrolment.objects.select_related("training_class", "person")
        .filter(pk=enrolment_id, person__user_id=actor.pk)
        .first()
        if actor.is_authenticated and str(enrolment_id).isdigit()
        else None
    )
    if enrolment is None:
        raise Http404
    return enrolment


def withdraw_request(*, actor, enrolment_id: int, reason: str) -> Enrolment:
    """The student asks to leave. On the waiting list (no place held) it takes effect at once."""
    reason = (reason or "").strip()
    with transaction.atomic():
        enrolment = _own_enrolment(actor, enrolment_id)
        if not reason:
            raise DomainError("请填写退学原因。", errors=[{"field": "reason", "message": "请填写退学原因"}])
        TrainingClass.objects.select_for_update().filter(pk=enrolment.training_class_id).first()
        enrolment = Enrolment.objects.select_related("training_class", "person").get(pk=enrolment.pk)
        if enrolment.training_class.status not in ENROLLABLE:
            raise ConflictError("班次已结束或已取消。")
        before = enrolment.status
        if before == EnrolmentStatus.WAITLISTED:
            enrolment.status = EnrolmentStatus.WITHDRAWN
            enrolment.withdraw_decided_at = timezone.now()
        elif before == EnrolmentStatus.ENROLLED:
            enrolment.status = EnrolmentStatus.WITHDRAWAL_REQUESTED
        else:
            raise ConflictError(f"当前状态为“{enrolment.get_status_display()}”，不能申请退学。")
        enrolment.withdraw_reason = reason[:200]
        enrolment.save(update_fields=["status", "withdraw_reason", "withdraw_decided_at"])
        audit_record(
            actor=actor,
            action="school.enrolment.withdraw_request",
            target=enrolment,
            changes={"status": {"old": before, "new": enrolment.status}, "reason": {"new": enrolment.withdraw_reason}},
        )
        if enrolment.status == EnrolmentStatus.WITHDRAWAL_REQUESTED:
            tc = enrolment.training_class
            name = enrolment.person.name
            transaction.on_commit(
                lambda: notify(
                    recipients=[tc.head_teacher_id],
                    category=Category.LEARNING,
                    title=f"{name}申请退出培训班“{tc.title}”",
                    body=f"原因：{reason}",
                    url=f"/school/classes/{tc.pk}/students/?status=withdrawal_requested",
                    actor=actor,
                )
            )
    return enrolment


def withdraw_decide(*, actor, enrolment_id: int, approve: bool, comment: str = "") -> tuple[Enrolment, list[Enrolment]]:
    """Approve (WITHDRAWN, the place goes to the first on the waiting list) or refuse (back to ENROLLED)."""
    class_id = (
        Enrolment.objects.filter(pk=enrolment_id).values_list("training_class_id", flat=True).first()
        if str(enrolment_id).isdigit()
        else None
    )
    if class_id is None:
        raise Http404
    with transaction.atomic():
        training_class = access.class_for_manager(actor, class_id)
        training_class = TrainingClass.objects.select_for_update().select_related("unit").get(pk=training_class.pk)
        enrolment = Enrolment.objects.select_related("person").select_for_update().get(pk=enrolment_id)
        if enrolment.status != EnrolmentStatus.WITHDRAWAL_REQUESTED:
            raise ConflictError("该学员没有待审批的退学申请。")
        enrolment.status = EnrolmentStatus.WITHDRAWN if approve else EnrolmentStatus.ENROLLED
        enrolment.withdraw_decided_by = actor
        enrolment.withdraw_decided_at = timezone.now()
        enrolment.save(update_fields=["status", "withdraw_decided_by", "withdraw_decided_at"])
        audit_record(
            actor=actor,
            action="school.enrolment.withdraw_decide",
            target=enrolment,
            changes={
                "status": {"old": EnrolmentStatus.WITHDRAWAL_REQUESTED, "new": enrolment.status},
                "approved": bool(approve),
                "comment": (comment or "")[:200],
            },
        )
        promoted = promote_waitlisted(training_class, actor=actor) if approve else []
        if enrolment.person.user_id:
            user_id = enrolment.person.user_id
            title = (
                f"退学申请已批准：{training_class.title}" if approve else f"退学申请未获批准：{training_class.title}"
            )
            transaction.on_commit(
                lambda: notify(
                    recipients=[user_id],
                    category=Category.LEARNING,
                    title=title,
                    body=comment or "",
                    url=f"/school/classes/{training_class.pk}/",
                    actor=actor,
                )
            )
    return enrolment, promoted
