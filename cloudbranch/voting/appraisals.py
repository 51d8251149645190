"""民主评议党员 (the yearly democratic appraisal of members): services.

Stages (``AppraisalStatus``), one service per transition, each advanced by an officer holding
``voting.run_appraisal`` at the branch; any other transition is a ConflictError (409):

    self_assessment ──appraisal_open_rating──▶ rating ──appraisal_open_proposal──▶ proposal
        ──appraisal_decide──▶ decided ──appraisal_close──▶ closed

- Participants are the Party members on the roster of the branch's subtree when the appraisal
  opens; probationary members (预备党员) take part (self-assessment, mutual rating) but are not
  graded (``graded`` False) — SPEC §8.
- Mutual rating (民主测评): each participant rates every OTHER graded member once (unique per
  pair, changeable until the stage ends). Officers only ever get totals per grade; nothing
  readable by an officer (pages, API, audit ``changes``) says who rated whom.
- 优秀 is capped at ``excellent_cap_numerator / excellent_cap_denominator`` (one third, 中组部
  guidance) of the GRADED members, rounded down; checked on the proposal and on the decision.
- Every member decided 不合格 needs a handling (党员教育管理工作条例 ch. 7) before closing; 限期改正
  needs a deadline not later than one year after the general meeting.
- Results stay on the entries; a member's results per year are read by
  ``selectors_appraisals.my_results`` (there is no workflow-authorized PersonEvent kind for them).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.services import audit_record
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.notifications.choices import Category
from cloudbranch.notifications.services import notify
from cloudbranch.orgs.choices import UnitKind, UnitStatus
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import access_by_id, can
from cloudbranch.people.choices import PoliticalStatus
from cloudbranch.people.models import Person

from .choices import AppraisalStatus, Grade, UnqualifiedHandling
from .models import Appraisal, AppraisalEntry, AppraisalRating

VIEW_PERM = "voting.view_appraisal"
RUN_PERM = "voting.run_appraisal"

#: Units that hold an appraisal of their members (a branch; a general branch for its direct members).
APPRAISAL_UNIT_KINDS = frozenset({UnitKind.BRANCH, UnitKind.MOBILE_BRANCH, UnitKind.GENERAL_BRANCH})

SELF_ASSESSMENT_MAX = 5000
NOTE_MAX = 300
HANDLING_MAX_DAYS = 366

#: The next stage of each stage (the only legal transitions).
NEXT_STAGE = {
    AppraisalStatus.SELF_ASSESSMENT: AppraisalStatus.RATING,
    AppraisalStatus.RATING: AppraisalStatus.PROPOSAL,
    AppraisalStatus.PROPOSAL: AppraisalStatus.DECIDED,
    AppraisalStatus.DECIDED: AppraisalStatus.CLOSED,
}
STAGE_ORDER = list(AppraisalStatus.values)

_CN_FRACTIONS = {(1, 2): "二分之一", (1, 3): "三分之一", (1, 4): "四分之一", (1, 5): "五分之一"}


# --- the 优秀 cap ------------------------------------------------------------------------------


def excellent_cap(graded: int, numerator: int = 1, denominator: int = 3) -> int:
    """How many graded members may be 优秀: ``graded × numerator / denominator`` rounded down
    (7 → 2, 9 → 3, 2 → 0)."""
    if graded <= 0 or denominator <= 0:
        return 0
    return graded * numerator // denominator


def fraction_label(numerator: int, denominator: int) -> str:
    return _CN_FRACTIONS.get((numerator, denominator), f"{numerator}/{denominator}")


def cap_message(appraisal: Appraisal, *, graded: int, excellent: int) -> str:
    cap = excellent_cap(graded, appraisal.excellent_cap_numerator, appraisal.excellent_cap_denominator)
    frac = fraction_label(appraisal.excellent_cap_numerator, appraisal.excellent_cap_denominator)
    return f"优秀 最多 {cap} 人（参评正式党员 {graded} 人的{frac}），当前 {excellent} 人"


def check_cap(appraisal: Appraisal, *, graded: int, grades, field: str) -> None:
    excellent = sum(1 for g in grades if g == Grade.EXCELLENT)
    cap = excellent_cap(graded, appraisal.excellent_cap_numerator, appraisal.excellent_cap_denominator)
    if excellent > cap:
        message = cap_message(appraisal, graded=graded, excellent=excellent)
        raise DomainError(message, errors=[{"field": field, "message": message}], code="excellent_cap")


# --- access --------------------------------------------------------------------------------------


def access_appraisal(user, appraisal_id, *, action: str = "view") -> Appraisal:
    """An appraisal the officer may see (404 outside scope), 403 when visible but ``action`` is
    not allowed (``"run"`` = voting.run_appraisal)."""
    perm = RUN_PERM if action == "run" else VIEW_PERM
    qs = Appraisal.objects.select_related("unit")
    return access_by_id(user, Appraisal, appraisal_id, action=perm, view=VIEW_PERM, queryset=qs)


def own_entry(user, appraisal_id) -> AppraisalEntry:
    """The user's own entry in the appraisal (they take part as a member of the branch); 404 if
    they are not a participant — a member sees only their own branch's appraisal."""
    if user is None or not user.is_authenticated:
        raise Http404
    try:
        return AppraisalEntry.objects.select_related("appraisal__unit", "person").get(
            appraisal_id=int(appraisal_id), person__user_id=user.pk
        )
    except (AppraisalEntry.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def is_officer(user, appraisal: Appraisal) -> bool:
    return user is not None and user.is_authenticated and can(user, VIEW_PERM, appraisal.unit)


def may_run(user, appraisal: Appraisal) -> bool:
    return user is not None and user.is_authenticated and can(user, RUN_PERM, appraisal.unit)


def _lock(appraisal_id: int) -> Appraisal:
    return Appraisal.objects.select_for_update().select_related("unit").get(pk=appraisal_id)


def _require_stage(appraisal: Appraisal, *stages: str, doing: str) -> None:
    if appraisal.status not in stages:
        labels = "、".join(str(AppraisalStatus(s).label) for s in stages)
        raise ConflictError(
            f"当前阶段为“{appraisal.get_status_display()}”，不能{doing}（须在“{labels}”阶段）。",
            errors=[{"field": "status", "message": f"当前阶段：{appraisal.get_status_display()}"}],
        )


def _entry_id(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise DomainError("评议对象无效。", errors=[{"field": "entry", "message": "无效"}]) from None


# --- open ----------------------------------------------------------------------------------------


def participants_of(unit: OrgUnit):
    """Party members on the roster of the unit's subtree (the people who take part)."""
    return (
        Person.objects.on_roster()
        .party_members()
        .filter(unit__path__startswith=unit.path)
        .order_by("unit__path", "name", "pk")
    )


def appraisal_create(*, actor, unit_id: int, year: int, meeting_on: datetime.date | None = None) -> Appraisal:
    """Open the year's appraisal of a branch (one per unit and year) with an entry for every
    Party member on the roster of its subtree; full members are graded, probationary members not."""
    try:
        unit = OrgUnit.objects.get(pk=int(unit_id))
    except (OrgUnit.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    if not can(actor, VIEW_PERM, unit):
        raise Http404
    if not can(actor, RUN_PERM, unit):
        raise PermissionDenied
    if unit.status != UnitStatus.ACTIVE:
        raise DomainError("该组织已撤销或合并。", errors=[{"field": "unit", "message": "组织不在运行"}])
    if unit.kind not in APPRAISAL_UNIT_KINDS:
        raise DomainError("民主评议党员以党支部为单位进行。", errors=[{"field": "unit", "message": "请选择党支部"}])
    this_year = timezone.localdate().year
    if not isinstance(year, int) or not (2000 <= year <= this_year + 1):
        raise DomainError("年度无效。", errors=[{"field": "year", "message": f"请填写 2000–{this_year + 1}"}])
    with transaction.atomic():
        if Appraisal.objects.filter(unit=unit, year=year).exists():
            raise ConflictError(
                f"{unit.name}{year} 年度的民主评议已开始。",
                errors=[{"field": "year", "message": "该年度已有民主评议"}],
            )
        try:
            with transaction.atomic():
                appraisal = Appraisal.objects.create(unit=unit, year=year, meeting_on=meeting_on, created_by=actor)
        except IntegrityError:
            raise ConflictError(f"{unit.name}{year} 年度的民主评议已开始。") from None
        people = list(participants_of(unit).values_list("pk", "political_status"))
        AppraisalEntry.objects.bulk_create(
            [
                AppraisalEntry(appraisal=appraisal, person_id=pk, graded=status == PoliticalStatus.FULL)
                for pk, status in people
            ]
        )
        audit_record(
            actor=actor,
            action="voting.appraisal.create",
            target=appraisal,
            changes={
                "unit": unit.pk,
                "year": year,
                "participants": len(people),
                "graded": sum(1 for _, s in people if s == PoliticalStatus.FULL),
            },
        )
    _notify_participants(appraisal, actor=actor, title=f"{appraisal.year} 年度民主评议党员开始：请提交个人总结")
    return appraisal


# --- transitions ---------------------------------------------------------------------------------


def _transition(appraisal: Appraisal, *, actor, to: str, extra: dict | None = None) -> None:
    before = appraisal.status
    appraisal.status = to
    appraisal.save(update_fields=["status", *((extra or {}).get("fields", ()))])
    audit_record(
        actor=actor,
        action="voting.appraisal.advance",
        target=appraisal,
        changes={"status": [before, to], **{k: v for k, v in (extra or {}).items() if k != "fields"}},
    )


def _begin(actor, appraisal_id) -> Appraisal:
    access_appraisal(actor, appraisal_id, action="run")
    return _lock(int(appraisal_id))


def appraisal_open_rating(*, actor, appraisal_id: int) -> Appraisal:
    """个人自评 → 民主测评: self-assessments can no longer be changed; mutual rating opens."""
    with transaction.atomic():
        appraisal = _begin(actor, appraisal_id)
        _require_stage(appraisal, AppraisalStatus.SELF_ASSESSMENT, doing="开始民主测评")
        _transition(appraisal, actor=actor, to=AppraisalStatus.RATING)
    _notify_participants(appraisal, actor=actor, title=f"{appraisal.year} 年度民主评议：民主测评开始，请为其他党员评价")
    return appraisal


def appraisal_open_proposal(*, actor, appraisal_id: int) -> Appraisal:
    """民主测评 → 支委会提出意见: ratings are final."""
    with transaction.atomic():
        appraisal = _begin(actor, appraisal_id)
        _require_stage(appraisal, AppraisalStatus.RATING, doing="结束民主测评")
        _transition(appraisal, actor=actor, to=AppraisalStatus.PROPOSAL)
    return appraisal


def _graded_entries(appraisal: Appraisal) -> dict[int, AppraisalEntry]:
    return {e.pk: e for e in AppraisalEntry.objects.filter(appraisal=appraisal, graded=True).select_related("person")}


def _grade(value, *, field: str, required: bool = True) -> str:
    value = (value or "").strip() if isinstance(value, str) else value
    if not value:
        if required:
            raise DomainError("请选择等次。", errors=[{"field": field, "message": "请选择等次"}])
        return ""
    if value not in Grade.values:
        raise DomainError("等次无效。", errors=[{"field": field, "message": "等次无效"}])
    return value


def _collect(appraisal: Appraisal, items: dict, *, kind: str) -> tuple[dict[int, AppraisalEntry], dict[int, tuple]]:
    """Check that ``items`` ({entry id: (grade, note)}) cover exactly the graded members."""
    graded = _graded_entries(appraisal)
    clean: dict[int, tuple] = {}
    errors = []
    for raw_id, value in items.items():
        entry_id = _entry_id(raw_id)
        if entry_id not in graded:
            raise DomainError(
                "只能为参评的正式党员评定等次（预备党员参加评议但不评定等次）。",
                errors=[{"field": f"grade_{entry_id}", "message": "不是参评正式党员"}],
            )
        grade, note = value if isinstance(value, tuple | list) else (value, "")
        grade = (grade or "").strip()
        if grade and grade not in Grade.values:
            errors.append({"field": f"grade_{entry_id}", "message": "等次无效"})
            continue
        clean[entry_id] = (grade, (note or "").strip())
        if len(clean[entry_id][1]) > NOTE_MAX:
            errors.append({"field": f"note_{entry_id}", "message": f"最多 {NOTE_MAX} 字"})
    for entry_id, entry in graded.items():
        if not clean.get(entry_id, ("",))[0]:
            errors.append({"field": f"grade_{entry_id}", "message": f"请为{entry.person.name}选择等次"})
    if errors:
        missing = sum(1 for e in errors if e["message"].startswith("请为"))
        text = f"还有 {missing} 名参评正式党员未{kind}等次。" if missing else "等次或说明填写有误。"
        raise DomainError(text, errors=errors)
    check_cap(appraisal, graded=len(graded), grades=[g for g, _ in clean.values()], field="grades")
    return graded, clean


def appraisal_propose(*, actor, appraisal_id: int, items: dict) -> Appraisal:
    """支委会 proposes a grade (and a note) for every graded member; 优秀 within the cap. May be
    saved again until the general meeting decides."""
    with transaction.atomic():
        appraisal = _begin(actor, appraisal_id)
        _require_stage(appraisal, AppraisalStatus.PROPOSAL, doing="提出支委会意见")
        graded, clean = _collect(appraisal, items, kind="提出")
        changed = []
        for entry_id, (grade, note) in clean.items():
            entry = graded[entry_id]
            if (entry.proposed_grade, entry.proposal_note) != (grade, note):
                entry.proposed_grade, entry.proposal_note = grade, note
                changed.append(entry)
        AppraisalEntry.objects.bulk_update(changed, ["proposed_grade", "proposal_note"])
        audit_record(
            actor=actor,
            action="voting.appraisal.propose",
            target=appraisal,
            changes={"proposals": {str(e.pk): e.proposed_grade for e in changed}},
        )
    return appraisal


def appraisal_decide(*, actor, appraisal_id: int, meeting_on: datetime.date, grades: dict) -> Appraisal:
    """支部大会 decides the final grade of every graded member (支委会意见 → 支部大会确定):
    moves 支委会提出意见 → 支部大会确定; in 支部大会确定 it corrects the recorded decision. 优秀
    within the cap; handlings of members no longer 不合格 are dropped."""
    if not isinstance(meeting_on, datetime.date):
        raise DomainError("请填写支部大会日期。", errors=[{"field": "meeting_on", "message": "请填写日期"}])
    if meeting_on > timezone.localdate():
        raise DomainError("支部大会日期不能晚于今天。", errors=[{"field": "meeting_on", "message": "不能晚于今天"}])
    with transaction.atomic():
        appraisal = _begin(actor, appraisal_id)
        _require_stage(appraisal, AppraisalStatus.PROPOSAL, AppraisalStatus.DECIDED, doing="录入支部大会决定")
        if meeting_on.year < appraisal.year:
            raise DomainError(
                f"支部大会日期应在 {appraisal.year} 年或之后。",
                errors=[{"field": "meeting_on", "message": "早于评议年度"}],
            )
        graded, clean = _collect(appraisal, {k: (v, "") for k, v in grades.items()}, kind="确定")
        changed = []
        for entry_id, (grade, _) in clean.items():
            entry = graded[entry_id]
            if entry.final_grade != grade:
                entry.final_grade = grade
                if grade != Grade.UNQUALIFIED:
                    entry.handling, entry.handling_note, entry.handling_deadline = "", "", None
                changed.append(entry)
        AppraisalEntry.objects.bulk_update(changed, ["final_grade", "handling", "handling_note", "handling_deadline"])
        appraisal.meeting_on = meeting_on
        decisions = {str(e.pk): e.final_grade for e in changed}
        if appraisal.status == AppraisalStatus.PROPOSAL:
            _transition(
                appraisal,
                actor=actor,
                to=AppraisalStatus.DECIDED,
                extra={"fields": ("meeting_on",), "meeting_on": meeting_on.isoformat(), "decisions": decisions},
            )
        else:
            appraisal.save(update_fields=["meeting_on"])
            audit_record(
                actor=actor,
                action="voting.appraisal.decide",
                target=appraisal,
                changes={"meeting_on": meeting_on.isoformat(), "decisions": decisions},
            )
    return appraisal


def entry_handling_record(
    *, actor, entry_id: int, handling: str, note: str, deadline: datetime.date | None = None
) -> AppraisalEntry:
    """Record what the branch decided for a member graded 不合格 (限期改正 needs a deadline within
    one year of the general meeting; the others none)."""
    try:
        entry = AppraisalEntry.objects.select_related("appraisal__unit").get(pk=int(entry_id))
    except (AppraisalEntry.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    with transaction.atomic():
        appraisal = _begin(actor, entry.appraisal_id)
        entry = AppraisalEntry.objects.select_for_update().select_related("person").get(pk=entry.pk)
        _require_stage(appraisal, AppraisalStatus.DECIDED, doing="记录不合格党员处置")
        if entry.final_grade != Grade.UNQUALIFIED:
            raise ConflictError("只有评定为不合格的党员需要记录处置。")
        if handling not in UnqualifiedHandling.values:
            raise DomainError("请选择处置方式。", errors=[{"field": "handling", "message": "请选择"}])
        note = (note or "").strip()
        errors = []
        if not note:
            errors.append({"field": "note", "message": "请填写处置情况"})
        elif len(note) > NOTE_MAX:
            errors.append({"field": "note", "message": f"最多 {NOTE_MAX} 字"})
        start = appraisal.meeting_on or timezone.localdate()
        if handling == UnqualifiedHandling.CORRECT:
            if deadline is None:
                errors.append({"field": "deadline", "message": "限期改正须填写改正期限"})
            elif deadline <= start:
                errors.append({"field": "deadline", "message": "改正期限应晚于支部大会日期"})
            elif deadline > start + datetime.timedelta(days=HANDLING_MAX_DAYS):
                errors.append({"field": "deadline", "message": "改正期限一般不超过一年"})
        else:
            deadline = None
        if errors:
            raise DomainError("；".join(e["message"] for e in errors), errors=errors)
        before = {"handling": entry.handling, "handling_note": entry.handling_note, "deadline": entry.handling_deadline}
        entry.handling, entry.handling_note, entry.handling_deadline = handling, note, deadline
        entry.save(update_fields=["handling", "handling_note", "handling_deadline"])
        audit_record(
            actor=actor,
            action="voting.appraisal.handling",
            target=entry,
            changes={
                "handling": [before["handling"], handling],
                "deadline": [str(before["deadline"] or ""), str(deadline or "")],
            },
        )
    return entry


def appraisal_close(*, actor, appraisal_id: int) -> Appraisal:
    """支部大会确定 → 已归档: every graded member has a final grade and every 不合格 a handling;
    the results are kept per member (``selectors_appraisals.my_results``)."""
    with transaction.atomic():
        appraisal = _begin(actor, appraisal_id)
        _require_stage(appraisal, AppraisalStatus.DECIDED, doing="归档")
        entries = AppraisalEntry.objects.filter(appraisal=appraisal, graded=True)
        if entries.filter(final_grade="").exists():
            raise ConflictError("还有参评正式党员没有评定等次。")
        missing = list(
            entries.filter(final_grade=Grade.UNQUALIFIED, handling="").values_list("person__name", flat=True)
        )
        if missing:
            raise ConflictError(
                f"评定为不合格的党员须先记录处置：{'、'.join(missing)}。",
                errors=[{"field": "handling", "message": name} for name in missing],
            )
        _transition(appraisal, actor=actor, to=AppraisalStatus.CLOSED)
    _notify_participants(
        appraisal, actor=actor, title=f"{appraisal.year} 年度民主评议结果已归档", graded_only=True, results=True
    )
    return appraisal


#: target stage → the service that moves there (the decision needs the grades: its own form).
ADVANCE_SERVICES = {
    AppraisalStatus.RATING: appraisal_open_rating,
    AppraisalStatus.PROPOSAL: appraisal_open_proposal,
    AppraisalStatus.CLOSED: appraisal_close,
}


def appraisal_advance(*, actor, appraisal_id: int, to: str) -> Appraisal:
    """Move to the stage ``to`` through its transition service; skipping or going back is a 409."""
    appraisal = access_appraisal(actor, appraisal_id, action="run")
    if to not in AppraisalStatus.values:
        raise DomainError("阶段无效。", errors=[{"field": "to", "message": "阶段无效"}])
    if NEXT_STAGE.get(appraisal.status) != to:
        raise ConflictError(
            f"不能从“{appraisal.get_status_display()}”转到“{AppraisalStatus(to).label}”。",
            errors=[{"field": "to", "message": "阶段不能跳过或回退"}],
        )
    if to == AppraisalStatus.DECIDED:
        raise ConflictError("请在“支部大会确定”表单中录入每名党员的评定等次。", errors=[{"field": "to", "message": ""}])
    return ADVANCE_SERVICES[to](actor=actor, appraisal_id=appraisal.pk)


# --- members -------------------------------------------------------------------------------------


def self_assessment_save(*, actor, appraisal_id: int, text: str, submit: bool = True) -> AppraisalEntry:
    """A participant writes (and submits) their self-assessment; editable until the stage ends."""
    entry = own_entry(actor, appraisal_id)
    text = (text or "").replace("\x00", "").strip()
    if submit and not text:
        raise DomainError("请填写个人总结。", errors=[{"field": "text", "message": "不能为空"}])
    if len(text) > SELF_ASSESSMENT_MAX:
        raise DomainError(
            f"个人总结最多 {SELF_ASSESSMENT_MAX} 字。",
            errors=[{"field": "text", "message": f"最多 {SELF_ASSESSMENT_MAX} 字（现 {len(text)} 字）"}],
        )
    with transaction.atomic():
        appraisal = _lock(entry.appraisal_id)
        _require_stage(appraisal, AppraisalStatus.SELF_ASSESSMENT, doing="修改个人总结")
        entry = AppraisalEntry.objects.select_for_update().get(pk=entry.pk)
        entry.self_assessment = text
        if submit:
            entry.self_submitted_at = timezone.now()
        entry.save(update_fields=["self_assessment", "self_submitted_at"])
        audit_record(
            actor=actor,
            action="voting.appraisal.self_assessment",
            target=entry,
            changes={"submitted": bool(entry.self_submitted_at), "length": len(text)},
        )
    return entry


def rating_cast(*, actor, appraisal_id: int, entry_id, grade: str) -> AppraisalRating:
    """A participant rates another graded member (one rating per pair; a new rating replaces
    the earlier one while the stage lasts). Not oneself, not a probationary member. The audit
    row names the appraisal only — neither the rated member nor the grade."""
    rater_entry = own_entry(actor, appraisal_id)
    grade = _grade(grade, field="grade")
    target_id = _entry_id(entry_id)
    with transaction.atomic():
        appraisal = _lock(rater_entry.appraisal_id)
        _require_stage(appraisal, AppraisalStatus.RATING, doing="民主测评")
        try:
            target = AppraisalEntry.objects.get(pk=target_id, appraisal=appraisal)
        except AppraisalEntry.DoesNotExist:
            raise Http404 from None
        if target.pk == rater_entry.pk:
            raise DomainError("不能评价自己。", errors=[{"field": "entry", "message": "不能评价自己"}])
        if not target.graded:
            raise DomainError(
                "预备党员参加评议但不评定等次，不能对其测评。", errors=[{"field": "entry", "message": "预备党员不参评"}]
            )
        rating, created = AppraisalRating.objects.update_or_create(
            entry=target, rater_id=rater_entry.person_id, defaults={"grade": grade}
        )
        audit_record(
            actor=actor,
            action="voting.appraisal.rate",
            target=appraisal,
            changes={"changed": not created},
        )
    return rating


# --- reminders -----------------------------------------------------------------------------------


def pending_participants(appraisal: Appraisal) -> list[AppraisalEntry]:
    """Participants who still owe something in the current stage: the self-assessment (个人自评),
    or a rating of every other graded member (民主测评). Two queries."""
    from django.db.models import Count

    entries = list(AppraisalEntry.objects.filter(appraisal=appraisal).select_related("person"))
    if appraisal.status == AppraisalStatus.SELF_ASSESSMENT:
        return [e for e in entries if e.self_submitted_at is None]
    if appraisal.status == AppraisalStatus.RATING:
        graded = sum(1 for e in entries if e.graded)
        counts = dict(
            AppraisalRating.objects.filter(entry__appraisal=appraisal)
            .values("rater_id")
            .annotate(n=Count("id"))
            .order_by()
            .values_list("rater_id", "n")
        )
        return [e for e in entries if counts.get(e.person_id, 0) < graded - (1 if e.graded else 0)]
    return []


def appraisal_remind(*, actor, appraisal_id: int) -> int:
    """Remind participants who have not yet submitted their self-assessment / rated everyone
    (notification category 选举与评议, sent after commit). Returns how many were reminded."""
    with transaction.atomic():
        appraisal = _begin(actor, appraisal_id)
        _require_stage(appraisal, AppraisalStatus.SELF_ASSESSMENT, AppraisalStatus.RATING, doing="发送提醒")
        users = sorted({e.person.user_id for e in pending_participants(appraisal) if e.person.user_id})
        audit_record(
            actor=actor,
            action="voting.appraisal.remind",
            target=appraisal,
            changes={"stage": appraisal.status, "recipients": len(users)},
        )
        if users:
            what = "个人总结" if appraisal.status == AppraisalStatus.SELF_ASSESSMENT else "民主测评"
            url = reverse("voting:self_assessment", args=[appraisal.pk])
            title = f"提醒：请尽快完成 {appraisal.year} 年度民主评议的{what}"
            transaction.on_commit(
                lambda: notify(
                    recipients=users,
                    category=Category.DEMOCRACY,
                    title=title,
                    body=f"{appraisal.unit.name}：{what}阶段即将结束。",
                    url=url,
                    actor=actor,
                )
            )
    return len(users)


def _notify_participants(
    appraisal: Appraisal, *, actor, title: str, graded_only: bool = False, results: bool = False
) -> None:
    entries = AppraisalEntry.objects.filter(appraisal=appraisal, person__user__isnull=False)
    if graded_only:
        entries = entries.filter(graded=True)
    users = list(entries.values_list("person__user_id", flat=True))
    if not users:
        return
    url = reverse("voting:appraisals") if results else reverse("voting:self_assessment", args=[appraisal.pk])
    transaction.on_commit(
        lambda: notify(
            recipients=users, category=Category.DEMOCRACY, title=title, body=appraisal.unit.name, url=url, actor=actor
        )
    )
