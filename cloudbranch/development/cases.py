"""Development cases (发展党员): services and selectors of the cases area.

Every write is a service here: keyword-only arguments, ``actor``, the permission check inside,
one transaction with its audit row, then ``state.sync_case``. The rules themselves live in
``rules.py`` (pure) and the rule set's data; this module adds the checks that need rows
(sponsors and introducers are full members, the public-notice period is over) and applies a
step's consequences to the person through ``people.services.person_record_change``.
"""

from __future__ import annotations

import dataclasses
import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.services import audit_record, field_changes, snapshot
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.notifications.choices import Category
from cloudbranch.notifications.services import notify
from cloudbranch.orgs.models import OrgUnit, RoleAssignment
from cloudbranch.orgs.roles import Role
from cloudbranch.orgs.scoping import access_by_id, can
from cloudbranch.people.choices import STAGE_DATES, PoliticalStatus
from cloudbranch.people.models import Person
from cloudbranch.people.services import person_record_change

from . import rules, state
from .choices import CaseStatus, ContactRole, DocumentKind, NoticeKind, Recorder, RecordStatus, TerminationReason
from .models import Case, CaseContact, CaseDocument, PublicNotice, Reminder, RuleSet, StepRecord

VIEW = "development.view_case"
RECORD = "development.record_step"
APPROVE = "development.approve_step"
STATUS_DATE_FIELDS = [field for _, field in STAGE_DATES]
# Where the undo information of a record is kept in its ``data``.
PREVIOUS = "_previous"
CASE_FIELDS = (
    "status",
    "extension_months",
    "extended_on",
    "extension_reason",
    "terminated_on",
    "termination_reason",
    "termination_note",
    "completed_on",
    "expected_leave_on",
)


def _refuse(message: str, violations=(), *, field: str = "") -> DomainError:
    errors = [{"field": v.field, "message": v.message} for v in violations]
    if not errors and field:
        errors = [{"field": field, "message": message}]
    return DomainError(message, errors=errors)


def step_permission(step) -> str:
    """The permission recording (or voiding) ``step`` needs at the case person's unit."""
    return APPROVE if step.recorder == Recorder.COMMITTEE else RECORD


def _today() -> datetime.date:
    return timezone.localdate()


def _category() -> str:
    return "development" if "development" in Category.values else Category.REMINDER


# ---------------------------------------------------------------------------------------------
# Access


def _case_queryset():
    return Case.objects.select_related("person", "person__unit", "rule_set")


def access_case_by_id(user, case_id, *, action: str = VIEW, queryset=None) -> Case:
    """The case if ``user`` sees it (404 otherwise) and may ``action`` at its unit (403 otherwise)."""
    return access_by_id(
        user, Case, case_id, action=action, queryset=queryset if queryset is not None else _case_queryset()
    )


def viewable_case(user, case_id) -> tuple[Case, bool]:
    """A case for reading: managers in scope (``manager`` true), or a sponsor of it (read only).
    Anyone else: 404."""
    qs = _case_queryset()
    case = qs.restrict(user, VIEW).filter(pk=case_id).first() if str(case_id).isdigit() else None
    if case is not None:
        return case, True
    if user.is_authenticated and str(case_id).isdigit():
        case = (
            qs.filter(
                pk=case_id,
                contacts__role=ContactRole.SPONSOR,
                contacts__ended_on__isnull=True,
                contacts__person__user=user,
            )
            .distinct()
            .first()
        )
        if case is not None:
            return case, False
    raise Http404


def _require(user, perm: str, case: Case) -> None:
    if not can(user, perm, case.person.unit):
        raise PermissionDenied


def _locked_case(actor, case_id, perm: str = VIEW) -> Case:
    case = access_case_by_id(actor, case_id, queryset=_case_queryset().select_for_update(of=("self",)))
    if perm != VIEW:
        _require(actor, perm, case)
    return case


def _require_open(case: Case) -> None:
    if case.status != CaseStatus.OPEN:
        raise ConflictError(f"该发展过程已{case.get_status_display()}，不能再记录或修改。")


def _access_record(user, record_id) -> StepRecord:
    qs = StepRecord.objects.select_related("case", "case__person", "case__person__unit", "case__rule_set", "step")
    record = qs.restrict(user, VIEW).filter(pk=record_id).first() if str(record_id).isdigit() else None
    if record is None:
        raise Http404
    return record


# ---------------------------------------------------------------------------------------------
# Applying a step to the person


def _person_changes(case: Case, step, occurred_on: datetime.date, st: rules.CaseState) -> dict:
    """What recording ``step`` writes onto the person: its political status and the date of it."""
    changes: dict = {}
    if step.sets_status:
        changes["political_status"] = step.sets_status
    if step.sets_date_field:
        source = step.date_from_step
        if not source:
            value = occurred_on
        elif source == rules.PROBATION_END:
            value = st.probation_end
        else:
            last = st[source].last if source in st.steps else None
            value = last.occurred_on if last else occurred_on
        changes[step.sets_date_field] = value
    return changes


def _apply_person(actor, person: Person, changes: dict, *, effective_on, reason: str) -> dict:
    """Apply ``changes`` and return what they replaced (JSON-ready), for a later void."""
    if not changes:
        return {}
    previous = {}
    for key in changes:
        old = getattr(person, key)
        previous[key] = old.isoformat() if isinstance(old, datetime.date) else old
    person_record_change(actor=actor, person=person, changes=changes, effective_on=effective_on, reason=reason)
    return previous


def _restore_person(actor, person: Person, previous: dict, *, reason: str) -> None:
    if not previous:
        return
    changes = {}
    for key, value in previous.items():
        if key in STATUS_DATE_FIELDS:
            value = datetime.date.fromisoformat(value) if value else None
        changes[key] = value
    person_record_change(actor=actor, person=person, changes=changes, effective_on=_today(), reason=reason)


# ---------------------------------------------------------------------------------------------
# Checks that need rows


def picker_unit(unit: OrgUnit) -> OrgUnit:
    """The unit whose full members are offered as sponsors/introducers: the branch (a group's parent)."""
    if unit.kind == "group" and unit.parent_id:
        return OrgUnit.objects.filter(pk=unit.parent_id).first() or unit
    return unit


def full_members_qs(unit: OrgUnit | None = None):
    """Full members on the roster (candidates for sponsor or introducer), optionally in a subtree."""
    qs = Person.objects.on_roster().filter(political_status=PoliticalStatus.FULL)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    return qs


def _contact_people(actor, case: Case, ids, *, role: str, counts) -> tuple[list[Person], list[rules.Violation]]:
    """Check the chosen sponsors/introducers: ``counts`` (allowed numbers of people), distinct,
    full members, not the person, visible to the actor."""
    label = ContactRole(role).label
    field = "sponsors" if role == ContactRole.SPONSOR else "introducers"
    try:
        raw = [int(i) for i in (ids or [])]
    except (TypeError, ValueError):
        return [], [rules.Violation(f"{label}选择有误。", field=field)]
    distinct = list(dict.fromkeys(raw))
    out: list[rules.Violation] = []
    if len(distinct) != len(raw):
        out.append(rules.Violation(f"{label}不能重复选择同一人。", field=field))
    if len(distinct) not in counts:
        if role == ContactRole.SPONSOR:
            text = f"培养联系人应为一至两名正式党员（发展党员工作细则 第九条），现选择了 {len(distinct)} 名。"
        else:
            text = f"发展对象应当有两名正式党员作入党介绍人（发展党员工作细则 第十四条），现选择了 {len(distinct)} 名。"
        out.append(rules.Violation(text, field=field))
    people = {p.pk: p for p in Person.objects.restrict(actor, "people.view_person").filter(pk__in=distinct)}
    for pk in distinct:
        person = people.get(pk)
        if person is None:
            out.append(rules.Violation(f"所选{label}不存在或不在您的管理范围内。", field=field))
        elif pk == case.person_id:
            out.append(rules.Violation(f"本人不能担任自己的{label}。", field=field))
        elif person.political_status != PoliticalStatus.FULL or person.roster_status != "active":
            out.append(
                rules.Violation(
                    f"{person.name}是{person.get_political_status_display()}，{label}须为正式党员"
                    f"（发展党员工作细则 {'第九条' if role == ContactRole.SPONSOR else '第十四条'}）。",
                    field=field,
                )
            )
    return [people[pk] for pk in distinct if pk in people], out


def _notice_violations(case: Case, step, occurred_on: datetime.date, kind: str) -> list[rules.Violation]:
    label = NoticeKind(kind).label if kind in NoticeKind.values else "公示"
    notice = PublicNotice.objects.filter(case=case, kind=kind).order_by("-ends_on", "-id").first()
    if notice is None:
        return [
            rules.Violation(
                f"“{step.name}”须在{label}期满后进行，尚未发布{label}"
                f"（公示期 {case.rule_set.public_notice_workdays} 个工作日）。",
                field="step",
            )
        ]
    if notice.ends_on >= occurred_on:
        return [
            rules.Violation(
                f"公示期 {notice.starts_on:%Y-%m-%d} 至 {notice.ends_on:%Y-%m-%d} 尚未结束，"
                f"“{step.name}”最早可在 {notice.ends_on + datetime.timedelta(days=1):%Y-%m-%d} 记录。"
            )
        ]
    return []


# ---------------------------------------------------------------------------------------------
# Services


def _save_document(actor, case: Case, record: StepRecord | None, document, kind: str, title: str) -> None:
    if not document:
        return
    CaseDocument.objects.create(
        case=case,
        record=record,
        kind=kind,
        title=title,
        file=document,
        original_name=getattr(document, "name", "")[:200],
        content_type=getattr(document, "content_type", "") or "",
        size=getattr(document, "size", 0) or 0,
        created_by=actor,
    )


def case_open(
    *,
    actor,
    person_id,
    applied_on: datetime.date,
    expected_leave_on: datetime.date | None = None,
    note: str = "",
    document=None,
) -> Case:
    """Open a case by recording the application (step 1)."""
    with transaction.atomic():
        person = access_by_id(
            actor, Person, person_id, action=RECORD, queryset=Person.objects.select_related("unit").select_for_update()
        )
        rule_set = state.rule_set_for(applied_on)
        if rule_set is None:
            raise _refuse(f"没有适用于 {applied_on:%Y-%m-%d} 申请的发展党员规则版本。", field="applied_on")
        if Case.objects.filter(person=person, status=CaseStatus.OPEN).exists():
            raise ConflictError(f"{person.name}已有进行中的发展过程，不能重复发起。")
        if person.political_status not in (PoliticalStatus.MASSES, PoliticalStatus.APPLICANT):
            raise _refuse(
                f"{person.name}的政治面貌是{person.get_political_status_display()}，只有群众或入党申请人可以发起发展。",
                field="person",
            )
        steps = state.rule_steps(rule_set.pk)
        if not steps:
            raise _refuse(f"规则版本“{rule_set.title}”尚未录入步骤，不能发起发展。", field="applied_on")
        first = steps[0]
        st = rules.evaluate(steps, [], probation_months=rule_set.probation_months)
        violations = rules.check_recording(
            st,
            first.code,
            applied_on,
            today=_today(),
            birth_date=person.birth_date,
            expected_leave_on=expected_leave_on,
        )
        violations = [dataclasses.replace(v, field="applied_on") if v.field == "occurred_on" else v for v in violations]
        if any(not v.soft for v in violations):
            raise _refuse("不能发起发展：" + "；".join(v.message for v in violations), violations)
        case = Case.objects.create(
            person=person,
            rule_set=rule_set,
            applied_on=applied_on,
            expected_leave_on=expected_leave_on,
            created_by=actor,
        )
        changes = _person_changes(case, first, applied_on, st)
        previous = _apply_person(actor, person, changes, effective_on=applied_on, reason=first.name)
        record = StepRecord.objects.create(
            case=case,
            step=first,
            occurred_on=applied_on,
            note=note,
            data={PREVIOUS: previous} if previous else {},
            recorded_by=actor,
        )
        _save_document(actor, case, record, document, DocumentKind.APPLICATION, "入党申请书")
        audit_record(
            actor=actor,
            action="development.case.create",
            target=case,
            changes={
                "person": {"old": None, "new": person.pk},
                "rule_set": {"old": None, "new": rule_set.code},
                "applied_on": {"old": None, "new": applied_on.isoformat()},
            },
        )
        state.sync_case(case)
    return case


def step_record(
    *,
    actor,
    case_id,
    code: str,
    occurred_on: datetime.date,
    data: dict | None = None,
    note: str = "",
    decided_by: str = "",
    late_reason: str = "",
    document=None,
    authorized: bool = False,
) -> StepRecord:
    """Record step ``code`` of a case after checking every rule. ``data`` carries the step's
    inputs: vote counts, training days/hours, ``sponsors`` / ``introducers`` (person ids),
    ``conclusion``, ``decision``, ``recommendation``, ``result``.

    ``authorized``: a workflow above this app has already decided that ``actor`` may record the
    step (the Party school's class results complete the training step); the scope and
    permission checks are skipped, every rule of the step still applies."""
    data = dict(data or {})
    data.pop(PREVIOUS, None)
    late_reason = (late_reason or "").strip()
    with transaction.atomic():
        if authorized:
            case = _case_queryset().select_for_update(of=("self",)).filter(pk=case_id).first()
            if case is None:
                raise Http404
        else:
            case = _locked_case(actor, case_id)
        try:
            step = state.step_by_code(case.rule_set_id, code)
        except StopIteration:
            raise Http404 from None
        if not authorized:
            _require(actor, step_permission(step), case)
        _require_open(case)
        st = state.case_state(case)
        violations = rules.check_recording(
            st,
            code,
            occurred_on,
            today=_today(),
            birth_date=case.person.birth_date,
            expected_leave_on=case.expected_leave_on,
            data=data,
        )
        blocked = any(v.field == "step" and not v.soft for v in violations)
        req = step.requirements or {}
        contacts: list[tuple[str, list[Person]]] = []
        if not blocked:
            if "sponsors" in req:
                counts = range(req["sponsors"][0], req["sponsors"][1] + 1)
                people, extra = _contact_people(
                    actor, case, data.get("sponsors"), role=ContactRole.SPONSOR, counts=counts
                )
                violations += extra
                contacts.append((ContactRole.SPONSOR, people))
            if "introducers" in req:
                people, extra = _contact_people(
                    actor, case, data.get("introducers"), role=ContactRole.INTRODUCER, counts=(int(req["introducers"]),)
                )
                violations += extra
                contacts.append((ContactRole.INTRODUCER, people))
            if req.get("public_notice"):
                violations += _notice_violations(case, step, occurred_on, req["public_notice"])
        hard = [v for v in violations if not v.soft]
        soft = [v for v in violations if v.soft]
        if hard or (soft and not late_reason):
            raise _refuse(f"不能记录“{step.name}”：" + "；".join(v.message for v in violations), violations)
        for role, people in contacts:
            key = "sponsors" if role == ContactRole.SPONSOR else "introducers"
            data[key] = [p.pk for p in people]
            data[f"{key}_names"] = [p.name for p in people]
        sequence = len(st[code].records) + 1
        changes = _person_changes(case, step, occurred_on, st)
        previous = _apply_person(actor, case.person, changes, effective_on=occurred_on, reason=step.name)
        if previous:
            data[PREVIOUS] = previous
        record = StepRecord.objects.create(
            case=case,
            step=step,
            sequence=sequence,
            occurred_on=occurred_on,
            decided_by=decided_by,
            note=note,
            late_reason=late_reason if soft else "",
            data=data,
            recorded_by=actor,
        )
        for role, people in contacts:
            current = set(
                CaseContact.objects.filter(case=case, role=role, ended_on__isnull=True).values_list(
                    "person_id", flat=True
                )
            )
            for person in people:
                if person.pk not in current:
                    CaseContact.objects.create(case=case, person=person, role=role, started_on=occurred_on)
        if step.documents and document:
            _save_document(actor, case, record, document, step.documents[0], step.name)
        before = snapshot(case, CASE_FIELDS)
        if step.completes_case:
            case.status = CaseStatus.COMPLETED
            case.completed_on = st.probation_end or occurred_on
            case.save(update_fields=["status", "completed_on", "updated_at"])
        audit_record(
            actor=actor,
            action="development.step.record",
            target=record,
            changes={
                "case": {"old": None, "new": case.pk},
                "step": {"old": None, "new": code},
                "occurred_on": {"old": None, "new": occurred_on.isoformat()},
                **({"late_reason": {"old": "", "new": late_reason}} if soft else {}),
                **field_changes(before, case, fields=CASE_FIELDS),
            },
        )
        state.sync_case(case)
    return record


def latest_record(case: Case) -> StepRecord | None:
    return StepRecord.objects.filter(case=case, status=RecordStatus.VALID).order_by("-occurred_on", "-id").first()


def record_void(*, actor, record_id, reason: str) -> StepRecord:
    """Void the latest valid record of a case and undo what it did to the person."""
    reason = (reason or "").strip()
    record = _access_record(actor, record_id)
    with transaction.atomic():
        case = _locked_case(actor, record.case_id)
        record = StepRecord.objects.select_related("step").select_for_update().get(pk=record.pk)
        _require(actor, step_permission(record.step), case)
        if not reason:
            raise _refuse("请填写撤销原因。", field="reason")
        if record.status != RecordStatus.VALID:
            raise ConflictError("该记录已撤销。")
        if case.status == CaseStatus.TERMINATED:
            raise ConflictError("发展过程已终止，记录不能再撤销。")
        latest = latest_record(case)
        if latest is None or latest.pk != record.pk:
            raise ConflictError("只能撤销该发展过程最近的一条有效记录；请先撤销其后的记录。")
        if record.step.number == 1:
            raise ConflictError("入党申请是发展过程的第一条记录，不能撤销；如申请人撤回申请，请终止发展。")
        _restore_person(actor, case.person, (record.data or {}).get(PREVIOUS) or {}, reason=f"撤销“{record.step.name}”")
        for role, key in ((ContactRole.SPONSOR, "sponsors"), (ContactRole.INTRODUCER, "introducers")):
            ids = (record.data or {}).get(key) or []
            if ids:
                CaseContact.objects.filter(
                    case=case, role=role, person_id__in=ids, started_on=record.occurred_on, ended_on__isnull=True
                ).update(ended_on=_today(), end_reason=f"步骤记录撤销：{reason}"[:200])
        record.status = RecordStatus.VOIDED
        record.void_reason = reason[:500]
        record.voided_by = actor
        record.voided_at = timezone.now()
        record.save(update_fields=["status", "void_reason", "voided_by", "voided_at"])
        before = snapshot(case, CASE_FIELDS)
        if case.status == CaseStatus.COMPLETED:
            case.status = CaseStatus.OPEN
            case.completed_on = None
            case.save(update_fields=["status", "completed_on", "updated_at"])
        audit_record(
            actor=actor,
            action="development.step.void",
            target=record,
            changes={
                "status": {"old": RecordStatus.VALID, "new": RecordStatus.VOIDED},
                "void_reason": {"old": "", "new": reason},
                **field_changes(before, case, fields=CASE_FIELDS),
            },
        )
        state.sync_case(case)
    return record


def case_extend_probation(*, actor, case_id, months: int, decided_on: datetime.date, reason: str) -> Case:
    """Extend the probation once, by rule_set.extension_min..max months (第三十二条)."""
    reason = (reason or "").strip()
    with transaction.atomic():
        case = _locked_case(actor, case_id, APPROVE)
        _require_open(case)
        rs = case.rule_set
        st = state.case_state(case)
        errors = []
        if case.extension_months:
            raise ConflictError(f"预备期已于 {case.extended_on:%Y-%m-%d} 延长过一次，只能延长一次（第三十二条）。")
        if "approval" not in st.steps or not st["approval"].done:
            raise ConflictError("尚未经党委审批接收为预备党员，不能延长预备期。")
        if "confirmation_approval" in st.steps and st["confirmation_approval"].done:
            raise ConflictError("已经党委审批转正，不能再延长预备期。")
        try:
            months = int(months)
        except (TypeError, ValueError):
            months = 0
        if not rs.extension_min_months <= months <= rs.extension_max_months:
            errors.append(
                {
                    "field": "months",
                    "message": f"延长预备期不能少于 {rs.extension_min_months} 个月、最长不超过 {rs.extension_max_months} 个月"
                    f"（{rs.extension_source or '发展党员工作细则 第三十二条'}）。",
                }
            )
        approval_on = st["approval"].last.occurred_on
        if decided_on > _today():
            errors.append({"field": "decided_on", "message": "决定日期不能晚于今天。"})
        if decided_on < approval_on:
            errors.append(
                {
                    "field": "decided_on",
                    "message": f"决定日期不能早于党委审批接收预备党员的日期 {approval_on:%Y-%m-%d}。",
                }
            )
        if not reason:
            errors.append({"field": "reason", "message": "请填写延长预备期的原因。"})
        if errors:
            raise DomainError("不能延长预备期：" + "；".join(e["message"] for e in errors), errors=errors)
        before = snapshot(case, CASE_FIELDS)
        case.extension_months = months
        case.extended_on = decided_on
        case.extension_reason = reason
        case.save(update_fields=["extension_months", "extended_on", "extension_reason", "updated_at"])
        audit_record(
            actor=actor,
            action="development.case.extend",
            target=case,
            changes=field_changes(before, case, fields=CASE_FIELDS),
        )
        state.sync_case(case)
    return case


def case_terminate(*, actor, case_id, reason: str, note: str = "", terminated_on: datetime.date | None = None) -> Case:
    """End a case with a reason; the person returns to the masses (取消资格), except on death."""
    terminated_on = terminated_on or _today()
    note = (note or "").strip()
    with transaction.atomic():
        case = _locked_case(actor, case_id, RECORD)
        _require_open(case)
        if reason == TerminationReason.DISQUALIFIED_PROBATIONARY:
            _require(actor, APPROVE, case)
        errors = []
        if reason not in TerminationReason.values:
            errors.append({"field": "reason", "message": "请选择终止原因。"})
        if terminated_on > _today():
            errors.append({"field": "terminated_on", "message": "终止日期不能晚于今天。"})
        if terminated_on < case.applied_on:
            errors.append(
                {"field": "terminated_on", "message": f"终止日期不能早于申请日期 {case.applied_on:%Y-%m-%d}。"}
            )
        if reason == TerminationReason.OTHER and not note:
            errors.append({"field": "note", "message": "终止原因为“其他”时请写明说明。"})
        if errors:
            raise DomainError("不能终止发展：" + "；".join(e["message"] for e in errors), errors=errors)
        before = snapshot(case, CASE_FIELDS)
        case.status = CaseStatus.TERMINATED
        case.terminated_on = terminated_on
        case.termination_reason = reason
        case.termination_note = note
        case.save(update_fields=["status", "terminated_on", "termination_reason", "termination_note", "updated_at"])
        CaseContact.objects.filter(case=case, ended_on__isnull=True).update(
            ended_on=terminated_on, end_reason="发展终止"
        )
        if reason != TerminationReason.DECEASED:
            changes = {"political_status": PoliticalStatus.MASSES, **dict.fromkeys(STATUS_DATE_FIELDS)}
            person_record_change(
                actor=actor,
                person=case.person,
                changes=changes,
                effective_on=terminated_on,
                reason=f"{TerminationReason(reason).label}{('：' + note) if note else ''}",
            )
        audit_record(
            actor=actor,
            action="development.case.terminate",
            target=case,
            changes=field_changes(before, case, fields=CASE_FIELDS),
        )
        state.sync_case(case)
    return case


def contact_replace(
    *, actor, case_id, role: str, old_contact_id, new_person_id, reason: str, on: datetime.date | None = None
) -> CaseContact:
    """Replace a sponsor or introducer; the old row is kept with ``ended_on`` and the reason."""
    on = on or _today()
    reason = (reason or "").strip()
    with transaction.atomic():
        case = _locked_case(actor, case_id, RECORD)
        _require_open(case)
        if role not in ContactRole.values:
            raise _refuse("身份选择有误。", field="role")
        old = CaseContact.objects.filter(pk=old_contact_id, case=case, role=role, ended_on__isnull=True).first()
        if old is None:
            raise _refuse(f"没有找到要更换的{ContactRole(role).label}。", field="old_contact")
        if not reason:
            raise _refuse("请填写更换原因。", field="reason")
        if on > _today() or on < old.started_on:
            raise _refuse(f"更换日期须在 {old.started_on:%Y-%m-%d} 至今天之间。", field="on")
        people, violations = _contact_people(actor, case, [new_person_id], role=role, counts=(1,))
        if (
            not violations
            and CaseContact.objects.filter(case=case, role=role, person=people[0], ended_on__isnull=True).exists()
        ):
            violations.append(rules.Violation(f"{people[0].name}已是{ContactRole(role).label}。", field="new_person"))
        if violations:
            violations = [dataclasses.replace(v, field="new_person") for v in violations]
            raise _refuse("不能更换：" + "；".join(v.message for v in violations), violations)
        old.ended_on = on
        old.end_reason = reason[:200]
        old.save(update_fields=["ended_on", "end_reason"])
        new = CaseContact.objects.create(case=case, person=people[0], role=role, started_on=on)
        audit_record(
            actor=actor,
            action="development.contact.replace",
            target=case,
            changes={
                "role": {"old": role, "new": role},
                "person": {"old": old.person_id, "new": new.person_id},
                "reason": {"old": "", "new": reason},
            },
        )
        state.sync_case(case)
    return new


# ---------------------------------------------------------------------------------------------
# Reminders


BRANCH_ROLES = (Role.BRANCH_SECRETARY, Role.ORGANIZATION_OFFICER)
COMMITTEE_ROLES = (Role.COMMITTEE_SECRETARY,)


def _ancestor_ids(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/") if p]


def send_reminders(today: datetime.date) -> int:
    """Remind the branch's secretaries and the case's sponsors before a step's due date and
    warn when it has passed (the committee above is warned too). Once per (case, step, due,
    before|overdue). Returns the number of reminders sent."""
    cases: list[Case] = []
    for rs in RuleSet.objects.all():
        horizon = today + datetime.timedelta(days=rs.reminder_days)
        cases += list(
            Case.objects.filter(
                rule_set=rs, status=CaseStatus.OPEN, next_due_on__isnull=False, next_due_on__lte=horizon
            )
            .exclude(next_step_code="")
            .select_related("person", "person__unit")
        )
    if not cases:
        return 0
    keys = {}
    for case in cases:
        kind = "overdue" if case.next_due_on < today else "before"
        keys[case.pk] = (f"case:{case.pk}:{case.next_step_code}:{case.next_due_on.isoformat()}:{kind}", kind)
    sent = set(Reminder.objects.filter(key__in=[k for k, _ in keys.values()]).values_list("key", flat=True))
    cases = [c for c in cases if keys[c.pk][0] not in sent]
    if not cases:
        return 0
    unit_ids = {uid for c in cases for uid in _ancestor_ids(c.person.unit.path)}
    roles: dict[int, list[tuple[int, str]]] = {}
    for user_id, unit_id, role in (
        RoleAssignment.objects.active()
        .filter(unit_id__in=unit_ids, role__in=(*BRANCH_ROLES, *COMMITTEE_ROLES), user__is_active=True)
        .values_list("user_id", "unit_id", "role")
    ):
        roles.setdefault(unit_id, []).append((user_id, role))
    sponsors: dict[int, set[int]] = {}
    for case_id, user_id in CaseContact.objects.filter(
        case__in=cases, role=ContactRole.SPONSOR, ended_on__isnull=True, person__user__isnull=False
    ).values_list("case_id", "person__user_id"):
        sponsors.setdefault(case_id, set()).add(user_id)
    count = 0
    for case in cases:
        key, kind = keys[case.pk]
        step = state.step_by_code(case.rule_set_id, case.next_step_code)
        wanted = set(BRANCH_ROLES)
        if kind == "overdue" or step.recorder == Recorder.COMMITTEE:
            wanted |= set(COMMITTEE_ROLES)
        recipients = {
            user_id
            for uid in _ancestor_ids(case.person.unit.path)
            for user_id, role in roles.get(uid, [])
            if role in wanted
        }
        recipients |= sponsors.get(case.pk, set())
        with transaction.atomic():
            Reminder.objects.create(key=key)
            if recipients:
                if kind == "overdue":
                    title = f"发展党员逾期：{case.person.name}“{step.name}”已超过期限 {case.next_due_on:%Y-%m-%d}"
                else:
                    title = f"发展党员提醒：{case.person.name}“{step.name}”应在 {case.next_due_on:%Y-%m-%d} 前完成"
                notify(
                    recipients=sorted(recipients),
                    category=_category(),
                    title=title,
                    body=f"{case.person.unit.name} · {case.person.name} · 下一步：{step.name}（期限 {case.next_due_on:%Y-%m-%d}）",
                    url=reverse("development:case_detail", args=[case.pk]),
                )
        count += 1
    return count


# ---------------------------------------------------------------------------------------------
# Selectors


def case_list(*, user, filters: dict | None = None):
    """Cases the user may see, filtered: unit (subtree), stage, status, q (name), due
    ("overdue" | a number of days | "soon")."""
    filters = filters or {}
    qs = Case.objects.restrict(user, VIEW).select_related("person", "person__unit", "rule_set")
    unit = filters.get("unit")
    if unit:
        path = OrgUnit.objects.filter(pk=unit).values_list("path", flat=True).first() if str(unit).isdigit() else None
        qs = qs.filter(person__unit__path__startswith=path) if path else qs.none()
    if filters.get("stage"):
        qs = qs.filter(stage=filters["stage"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(person__name__icontains=q) | Q(person__staff_number__icontains=q))
    due = str(filters.get("due") or "").strip()
    today = _today()
    if due == "overdue":
        qs = qs.filter(status=CaseStatus.OPEN, next_due_on__lt=today)
    elif due.isdigit():
        qs = qs.filter(status=CaseStatus.OPEN, next_due_on__lte=today + datetime.timedelta(days=int(due)))
    if due:
        return qs.order_by("next_due_on", "id")
    return qs.order_by("-applied_on", "-id")


def step_names(cases_) -> None:
    """Set ``next_step_name`` on each case (rule steps are cached per rule set)."""
    for c in cases_:
        names = {s.code: s.name for s in state.rule_steps(c.rule_set_id)}
        c.next_step_name = names.get(c.next_step_code, "")


def own_cases(user):
    if not user.is_authenticated:
        return Case.objects.none()
    return (
        Case.objects.filter(person__user=user)
        .select_related("person", "person__unit", "rule_set")
        .order_by("-applied_on", "-id")
    )


def sponsored_cases(user):
    if not user.is_authenticated:
        return Case.objects.none()
    return (
        Case.objects.filter(
            contacts__role=ContactRole.SPONSOR, contacts__ended_on__isnull=True, contacts__person__user=user
        )
        .select_related("person", "person__unit")
        .distinct()
        .order_by("-applied_on", "-id")
    )


@dataclasses.dataclass
class StepView:
    """One of the rule set's steps as a page shows it."""

    step: object
    state: rules.StepState
    records: list  # valid records (incl. reset ones), oldest first
    voided: list
    can_record: bool
    perm_ok: bool
    is_next: bool

    @property
    def overdue(self) -> bool:
        return self.state.overdue(_today())


@dataclasses.dataclass
class CaseView:
    case: Case
    state: rules.CaseState
    stages: list  # [(stage number, label, [StepView])]
    latest: StepRecord | None
    contacts: list
    notices: list
    next: rules.StepState | None


def case_detail(case: Case, *, user=None) -> CaseView:
    """Everything a case page shows, in a constant number of queries."""
    from .choices import Stage

    records = list(
        StepRecord.objects.filter(case=case)
        .select_related("step", "recorded_by", "voided_by")
        .order_by("occurred_on", "id")
    )
    valid = [r for r in records if r.status == RecordStatus.VALID]
    st = state.evaluate_case(case, valid)
    steps = state.rule_steps(case.rule_set_id)
    by_step: dict[int, list] = {}
    voided: dict[int, list] = {}
    for r in records:
        (by_step if r.status == RecordStatus.VALID else voided).setdefault(r.step_id, []).append(r)
    latest = max(valid, key=lambda r: (r.occurred_on, r.pk), default=None)
    is_open = case.status == CaseStatus.OPEN
    perms = {RECORD: False, APPROVE: False}
    if user is not None:
        perms = {p: can(user, p, case.person.unit) for p in perms}
    stages = []
    for number, label in Stage.choices:
        items = []
        for s in steps:
            if s.stage != number:
                continue
            ss = st[s.code]
            perm_ok = perms[step_permission(s)]
            can_record = is_open and ss.available and (not ss.done or s.repeatable) and (ss.active or not ss.done)
            items.append(
                StepView(
                    step=s,
                    state=ss,
                    records=by_step.get(s.pk, []),
                    voided=voided.get(s.pk, []),
                    can_record=can_record,
                    perm_ok=perm_ok,
                    is_next=bool(st.next and st.next.code == s.code and is_open),
                )
            )
        stages.append((number, label, items))
    contacts = list(CaseContact.objects.filter(case=case).select_related("person").order_by("role", "started_on", "id"))
    notices = list(PublicNotice.objects.filter(case=case).order_by("-starts_on", "-id"))
    return CaseView(
        case=case,
        state=st,
        stages=stages,
        latest=latest,
        contacts=contacts,
        notices=notices,
        next=st.next if is_open else None,
    )
