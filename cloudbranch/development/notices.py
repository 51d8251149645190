"""Public notices (公示) and the holiday calendar that counts their working days.

* A **candidate** notice (发展对象公示) follows the branch committee's review (支部委员会审查,
  step ``branch_review``) and must end before the committee's pre-review (第十九条; the period is
  not fixed by the 2014 text: ``RuleSet.public_notice_workdays``, 5 working days by default,
  editable per notice). A **confirmation** notice (预备党员转正公示) is for a probationary
  member (step ``approval`` recorded, not yet confirmed) from one month before the end of
  probation.
* ``ends_on`` = ``rules.workdays_end(starts_on, workdays, overrides)``; overrides are the
  ``CalendarDay`` rows (weekday holidays, weekend make-up working days). Changing the calendar
  later does not move the end of notices already published: the period was announced.
* Who sees a notice: public notices are for the masses and members around the candidate —
  everyone whose own ``Person.unit`` lies in the subtree of the PARENT of the candidate's unit
  (the college level), plus managers holding ``development.view_case`` over the candidate. The
  board never shows an ID number or a phone number.
* Who publishes and edits: ``development.record_step`` at the candidate's unit.
* The calendar is one for the whole university, so changing it needs ``development.approve_step``
  granted at a ROOT unit (the organization department's administrator); a college committee
  secretary holding the same permission over one college may not change everyone's holidays.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.services import audit_record, field_changes, snapshot
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.orgs.scoping import can, granted_prefixes, scope_q
from cloudbranch.people.selectors import own_person

from .choices import CaseStatus, ContactRole, NoticeKind, RecordStatus
from .documents import RECORD, VIEW, access_case, cn_date
from .models import CalendarDay, Case, CaseContact, PublicNotice, StepRecord
from .rules import add_months, probation_end, workdays_end

MAX_WORKDAYS = 30
RECENT_DAYS = 30  # the board shows notices that ended at most this many days ago
CALENDAR_PERM = "development.approve_step"


# --- calendar ---------------------------------------------------------------------------


def calendar_overrides(start: datetime.date, end: datetime.date) -> dict[datetime.date, bool]:
    """{date: is_workday} for the CalendarDay rows between ``start`` and ``end`` inclusive."""
    return dict(CalendarDay.objects.filter(date__range=(start, end)).values_list("date", "is_workday"))


def notice_ends_on(starts_on: datetime.date, workdays: int) -> datetime.date:
    """The last day of a period of ``workdays`` working days starting on ``starts_on`` (which
    counts when it is a working day), skipping weekends and holidays, counting make-up days."""
    # Even the Spring Festival takes no more than ~9 days off; 2 calendar days per working day
    # plus a month is a window no real period leaves.
    window = starts_on + datetime.timedelta(days=workdays * 2 + 31)
    return workdays_end(starts_on, workdays, calendar_overrides(starts_on, window))


def may_change_calendar(user) -> bool:
    """``development.approve_step`` granted at a root of the tree (path "/<id>/")."""
    return any(p.count("/") == 2 for p in granted_prefixes(user, CALENDAR_PERM))


def _require_calendar_admin(user) -> None:
    if not may_change_calendar(user):
        raise PermissionDenied


def calendar_days(year: int):
    return CalendarDay.objects.filter(date__year=year).order_by("date")


def calendar_day_add(*, actor, date: datetime.date, is_workday: bool, note: str = "") -> CalendarDay:
    """Add a holiday on a weekday or a make-up working day on a weekend (audited)."""
    _require_calendar_admin(actor)
    if date is None:
        raise DomainError("请填写日期。", errors=[{"field": "date", "message": "请填写日期。"}])
    weekday = date.weekday() < 5
    if is_workday and weekday:
        message = f"{date:%Y-%m-%d} 是周一至周五，本来就是工作日，无须设置调休上班。"
        raise DomainError(message, errors=[{"field": "is_workday", "message": message}])
    if not is_workday and not weekday:
        message = f"{date:%Y-%m-%d} 是周末，本来就是休息日，无须设置为节假日。"
        raise DomainError(message, errors=[{"field": "is_workday", "message": message}])
    note = (note or "").strip()[:100] or ("调休上班" if is_workday else "法定节假日")
    try:
        with transaction.atomic():
            day = CalendarDay.objects.create(date=date, is_workday=is_workday, note=note)
            audit_record(
                actor=actor,
                action="development.calendar.add",
                target=day,
                changes={"date": {"new": date.isoformat()}, "is_workday": {"new": is_workday}, "note": {"new": note}},
            )
    except IntegrityError:
        raise ConflictError(f"{date:%Y-%m-%d} 已有设置，如需修改请先删除。") from None
    return day


def calendar_day_delete(*, actor, day_id: int) -> None:
    _require_calendar_admin(actor)
    with transaction.atomic():
        day = CalendarDay.objects.select_for_update().filter(pk=day_id).first()
        if day is None:
            raise Http404
        audit_record(
            actor=actor,
            action="development.calendar.delete",
            target=day,
            changes={
                "date": {"old": day.date.isoformat()},
                "is_workday": {"old": day.is_workday},
                "note": {"old": day.note},
            },
        )
        day.delete()


# --- notice text ------------------------------------------------------------------------


def _first_dates(case: Case) -> dict[str, datetime.date]:
    out: dict[str, datetime.date] = {}
    rows = (
        StepRecord.objects.filter(case=case, status=RecordStatus.VALID)
        .order_by("occurred_on", "id")
        .values_list("step__code", "occurred_on")
    )
    for code, day in rows:
        out.setdefault(code, day)
        out[code + ":last"] = day
    return out


def notice_text(
    case: Case, *, kind: str, starts_on: datetime.date, ends_on: datetime.date, workdays: int, contact: str
) -> str:
    """The text of a notice: 姓名、性别、出生年月、民族、学历、所在支部、申请入党时间、确定积极分子
    时间、确定发展对象时间、培养联系人 / 入党介绍人、公示期、意见反映渠道. No ID number, no phone."""
    person = case.person
    unit = person.unit
    dates = _first_dates(case)
    contacts = list(CaseContact.objects.filter(case=case, ended_on__isnull=True).select_related("person"))
    sponsors = "、".join(c.person.name for c in contacts if c.role == ContactRole.SPONSOR) or "—"
    introducers = "、".join(c.person.name for c in contacts if c.role == ContactRole.INTRODUCER) or "—"
    publisher = unit.parent.name if unit.parent else unit.name
    birth = f"{person.birth_date.year}年{person.birth_date.month}月"
    lines = [
        f"姓名：{person.name}",
        f"性别：{person.get_gender_display()}",
        f"出生年月：{birth}",
        f"民族：{person.ethnicity or '—'}",
        f"学历：{person.education or '—'}",
        f"所在支部：{unit.name}",
        f"申请入党时间：{cn_date(case.applied_on)}",
        f"确定入党积极分子时间：{cn_date(dates.get('activist'))}",
        f"确定发展对象时间：{cn_date(dates.get('candidate'))}",
        f"培养联系人：{sponsors}",
        f"入党介绍人：{introducers}",
    ]
    if kind == NoticeKind.CANDIDATE:
        title = f"关于{person.name}同志拟发展为中共预备党员的公示"
        intro = (
            f"经{unit.name}支部委员会审查，{person.name}同志已基本具备党员条件，拟发展为中共预备党员。"
            "根据《中国共产党发展党员工作细则》和本校有关规定，现将有关情况公示如下："
        )
    else:
        admission = dates.get("admission_vote:last")
        p_end = probation_end(admission, case.rule_set.probation_months, case.extension_months)
        title = f"关于预备党员{person.name}同志拟按期转为中共正式党员的公示"
        intro = (
            f"{person.name}同志于{cn_date(admission)}被接收为中共预备党员，预备期至{cn_date(p_end)}期满。"
            f"经{unit.name}研究，拟讨论其转为中共正式党员。现将有关情况公示如下："
        )
        lines.append(f"接收为预备党员时间：{cn_date(admission)}")
    period = f"公示期：{cn_date(starts_on)}至{cn_date(ends_on)}（{workdays} 个工作日）。"
    channel = (
        "公示期间，如对公示对象有意见，可通过来信、来电、来访等方式向"
        f"{publisher}反映{f'（{contact}）' if contact else ''}。反映情况应实事求是，以个人名义反映的请署真实姓名。"
    )
    return "\n".join([title, "", intro, "", *lines, "", period, channel, "", publisher, cn_date(timezone.localdate())])


# --- notices ----------------------------------------------------------------------------


def _check_kind(case: Case, kind: str, starts_on: datetime.date) -> None:
    if case.status != CaseStatus.OPEN:
        raise ConflictError("该发展过程已结束，不能再发布公示。")
    dates = _first_dates(case)
    if kind == NoticeKind.CANDIDATE:
        if "branch_review" not in dates:
            raise ConflictError("发展对象公示须在“支部委员会审查”记录之后发布（发展党员工作细则 第十八条、第十九条）。")
        if starts_on < dates["branch_review"]:
            raise DomainError(
                "公示开始日期不能早于支部委员会审查日期。",
                errors=[{"field": "starts_on", "message": "不能早于支部委员会审查日期。"}],
            )
        if "pre_review" in dates:
            raise ConflictError("上级党委已经预审，不能再发布发展对象公示。")
    elif kind == NoticeKind.CONFIRMATION:
        if "approval" not in dates:
            raise ConflictError("转正公示只能为预备党员发布（须在“上级党委审批”记录之后）。")
        if "confirmation_approval" in dates:
            raise ConflictError("该预备党员的转正已经审批，不能再发布转正公示。")
        p_end = probation_end(dates.get("admission_vote:last"), case.rule_set.probation_months, case.extension_months)
        if p_end and starts_on < add_months(p_end, -1):
            message = (
                f"转正公示在预备期满前一个月内发布：预备期至 {p_end:%Y-%m-%d}，最早 {add_months(p_end, -1):%Y-%m-%d}。"
            )
            raise DomainError(message, errors=[{"field": "starts_on", "message": message}])
    else:
        raise DomainError("请选择公示类型。", errors=[{"field": "kind", "message": "请选择公示类型。"}])


def notice_create(
    *,
    actor,
    case_id: int,
    kind: str,
    starts_on: datetime.date | None = None,
    workdays: int | None = None,
    contact: str = "",
    text: str = "",
) -> PublicNotice:
    """Publish a public notice for a case; its end is computed from working days and the
    holiday calendar; its text is generated unless given. One running notice of a kind per case."""
    case = access_case(actor, case_id, action=RECORD)
    starts_on = starts_on or timezone.localdate()
    workdays = case.rule_set.public_notice_workdays if workdays in (None, "") else int(workdays)
    if not 1 <= workdays <= MAX_WORKDAYS:
        message = f"公示期须为 1 至 {MAX_WORKDAYS} 个工作日。"
        raise DomainError(message, errors=[{"field": "workdays", "message": message}])
    contact = (contact or "").strip()[:200]
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("person__unit__parent", "rule_set").get(pk=case.pk)
        _check_kind(case, kind, starts_on)
        ends_on = notice_ends_on(starts_on, workdays)
        running = PublicNotice.objects.filter(case=case, kind=kind, ends_on__gte=starts_on).first()
        if running is not None:
            raise ConflictError(
                f"该对象已有公示（{running.starts_on:%Y-%m-%d} 至 {running.ends_on:%Y-%m-%d}），不能重复发布。"
            )
        text = (text or "").strip() or notice_text(
            case, kind=kind, starts_on=starts_on, ends_on=ends_on, workdays=workdays, contact=contact
        )
        notice = PublicNotice.objects.create(
            case=case,
            kind=kind,
            starts_on=starts_on,
            ends_on=ends_on,
            workdays=workdays,
            text=text,
            contact=contact,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="development.notice.create",
            target=notice,
            changes={
                "case": {"new": case.pk},
                "kind": {"new": kind},
                "starts_on": {"new": starts_on.isoformat()},
                "ends_on": {"new": ends_on.isoformat()},
                "workdays": {"new": workdays},
            },
        )
    return notice


NOTICE_EDITABLE = ("text", "contact", "objections")


def notice_update(*, actor, notice_id: int, text=None, contact=None, objections=None) -> PublicNotice:
    """Edit the text or the channel of a notice, or record the objections received (audited).
    The period itself is not editable: publish a new notice instead."""
    notice = access_notice(actor, notice_id)
    _require_record(actor, notice)
    with transaction.atomic():
        notice = PublicNotice.objects.select_for_update().get(pk=notice.pk)
        before = snapshot(notice, NOTICE_EDITABLE)
        if text is not None:
            if not text.strip():
                raise DomainError("公示内容不能为空。", errors=[{"field": "text", "message": "公示内容不能为空。"}])
            notice.text = text.strip()
        if contact is not None:
            notice.contact = contact.strip()[:200]
        if objections is not None:
            notice.objections = objections.strip()
        changes = field_changes(before, notice, fields=NOTICE_EDITABLE)
        if changes:
            notice.save(update_fields=list(changes))
            audit_record(actor=actor, action="development.notice.update", target=notice, changes=changes)
    return notice


def _require_record(user, notice: PublicNotice) -> None:
    if not can(user, RECORD, notice.case.person.unit):
        raise PermissionDenied


# --- who sees a notice ------------------------------------------------------------------


def _ancestor_paths(path: str) -> list[str]:
    """ "/1/7/42/" → ["/1/", "/1/7/", "/1/7/42/"]."""
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def visible_notices_q(user) -> Q | None:
    """Managers' scope OR the masses around the candidate (the viewer's own unit lies under the
    parent of the candidate's unit). ``None`` when the user may see no notice at all."""
    parts: list[Q] = []
    prefixes = granted_prefixes(user, VIEW)
    if prefixes:
        parts.append(scope_q(PublicNotice.scope_path, prefixes))
    own = own_person(user)
    if own is not None and own.unit_id:
        ancestors = _ancestor_paths(own.unit.path)
        parts.append(Q(case__person__unit__parent__path__in=ancestors))
        parts.append(Q(case__person__unit__parent__isnull=True, case__person__unit__path__in=ancestors))
    if not parts:
        return None
    q = parts[0]
    for p in parts[1:]:
        q |= p
    return q


def _notices():
    return PublicNotice.objects.select_related("case__person__unit", "case__person__unit__parent")


def notice_board(user, *, today: datetime.date | None = None, include_old: bool = False):
    """Current and recent notices the user may see, newest first (ended at most ``RECENT_DAYS`` ago)."""
    q = visible_notices_q(user)
    if q is None:
        return PublicNotice.objects.none()
    qs = _notices().filter(q)
    if not include_old:
        today = today or timezone.localdate()
        qs = qs.filter(ends_on__gte=today - datetime.timedelta(days=RECENT_DAYS))
    return qs.order_by("-starts_on", "-id")


def access_notice(user, notice_id) -> PublicNotice:
    q = visible_notices_q(user)
    if q is None:
        raise Http404
    try:
        return _notices().filter(q).get(pk=int(notice_id))
    except (PublicNotice.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def case_notices(case: Case):
    return PublicNotice.objects.filter(case=case).order_by("-starts_on", "-id")


def may_manage_notice(user, notice: PublicNotice) -> bool:
    return can(user, RECORD, notice.case.person.unit)
