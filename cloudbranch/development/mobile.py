"""Mobile members (流动党员) and lost-contact members (失联党员): services and selectors.

SPEC §4. A mobile member is a Party member who cannot take part in the home branch's life for
6 months or more (中共中央办公厅《关于加强和改进流动党员管理工作的意见》, 2024). The home branch
registers them (where, why, how to reach them, the mobile-member branch they attach to, the
activity card where the university still issues one), keeps their activity record and reads
their report, due at least once a year.

A member out of reach is a lost-contact case: every attempt to reach them is recorded; the
deadlines of 党员教育管理工作条例 第二十四条 decide when the 停止党籍 procedure and the removal
as 自行脱党 become due (constants below).

Who may act: holders of ``development.change_mobilerecord`` over the person's unit (branch
secretary, organization officer, committee secretary, org admin); the member themself
(``Person.user``) for their own record's activities and yearly report. Everyone else: 404.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.services import audit_record, field_changes, snapshot
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.orgs.choices import UnitKind, UnitStatus
from cloudbranch.orgs.models import OrgUnit, RoleAssignment
from cloudbranch.orgs.roles import ROLE_PERMISSIONS
from cloudbranch.orgs.scoping import access_by_id, can, granted_prefixes, holds
from cloudbranch.people.choices import RosterStatus
from cloudbranch.people.models import Person
from cloudbranch.people.services import person_record_change

from .choices import ActivityKind, ContactMethod, LostContactStatus, MobileReason, MobileStatus
from .models import ContactAttempt, LostContact, MobileActivity, MobileRecord, MobileReport, Reminder
from .rules import add_months

VIEW_PERM = "development.view_mobilerecord"
OWN_LOOKUP = "record__person__user_id"  # a member's own activities and reports
CHANGE_PERM = "development.change_mobilerecord"

# 《中国共产党党员教育管理工作条例》(2019) 第二十四条 — the two deadlines of a lost-contact case.
LOST_CONTACT_SOURCE = (
    "《中国共产党党员教育管理工作条例》第二十四条：对与党组织失去联系 6 个月以上、通过各种方式查找"
    "仍然没有取得联系的党员，党组织应当停止其党籍。……党员停止党籍 2 年后确实无法取得联系的，"
    "按照自行脱党予以除名。"
)
SUSPEND_AFTER_MONTHS = 6  # lost_since + 6 months (calendar, month-end clamped) → 停止党籍 due
REMOVE_AFTER_MONTHS = 24  # suspended_on + 2 years → removal as 自行脱党 due

MOBILE_SOURCE = (
    "中共中央办公厅《关于加强和改进流动党员管理工作的意见》（2024）：流动党员每年至少向流出地党组织报告一次情况。"
)
# Members without a report for the current year are reminded from this month on (configurable).
REPORT_REMIND_MONTH_DEFAULT = 11
REPORT_MAX_LENGTH = 20000
ACTIVITY_DETAIL_MAX_LENGTH = 4000


def report_remind_month() -> int:
    return int(getattr(settings, "DEVELOPMENT_MOBILE_REPORT_REMIND_MONTH", REPORT_REMIND_MONTH_DEFAULT))


def notification_category() -> str:
    """The "development" notification category once it exists, "system" until then."""
    from cloudbranch.notifications.choices import Category

    return "development" if "development" in Category.values else "system"


def _today(today=None) -> datetime.date:
    return today or timezone.localdate()


def _err(field: str, message: str) -> dict:
    return {"field": field, "message": message}


def _raise_if(errors: list[dict]) -> None:
    if errors:
        raise DomainError("；".join(e["message"] for e in errors), errors=errors)


def check_phone(value: str, *, field: str = "contact_phone", required: bool = True) -> list[dict]:
    """Phones follow the roster's rule (people.validation): 7 to 15 digits."""
    value = (value or "").strip()
    if not value:
        return [_err(field, "联系电话不能为空")] if required else []
    if not (value.isdigit() and 7 <= len(value) <= 15):
        return [_err(field, "联系电话应为 7 至 15 位数字")]
    return []


def mask_phone(value: str) -> str:
    from cloudbranch.people.crypto import mask_phone as _mask

    return _mask(value) if value else ""


# ---------------------------------------------------------------------------------------------
# Access


_RECORD_QS = MobileRecord.objects.select_related("person__unit", "mobile_branch", "created_by")


def is_own(user, person: Person) -> bool:
    return bool(user.is_authenticated) and person.user_id == user.pk


def access_record(user, record_id, *, action: str = "view") -> MobileRecord:
    """A mobile record the user may see: their own, or one in their ``view_mobilerecord`` scope
    (404 otherwise). ``action="change"`` also requires ``change_mobilerecord`` over the unit (403)."""
    if user.is_authenticated:
        try:
            own = _RECORD_QS.filter(pk=record_id, person__user_id=user.pk).first()
        except (ValueError, TypeError):
            raise Http404 from None
        if own is not None:
            if action == "view":
                return own
            if not can(user, CHANGE_PERM, own.person.unit):
                raise PermissionDenied
            return own
    return access_by_id(
        user, MobileRecord, record_id, action=CHANGE_PERM if action == "change" else "view", queryset=_RECORD_QS
    )


def access_scoped(
    user, model, pk, *, queryset, view: str = VIEW_PERM, action: str | None = None, own: str | None = None
):
    """``access_by_id`` for related models whose view permission is another model's (a mobile
    activity is seen with ``view_mobilerecord``): 404 outside the ``view`` scope, 403 when seen
    but ``action`` is not held over the object's unit. ``own`` names the lookup of the owning
    user (e.g. ``record__person__user_id``): the owner sees the object too."""
    try:
        obj = queryset.restrict(user, view).get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        obj = None
        if own and user.is_authenticated:
            try:
                obj = queryset.filter(pk=pk, **{own: user.pk}).first()
            except (ValueError, TypeError):
                obj = None
        if obj is None:
            raise Http404 from None
    if action:
        path = obj
        for part in model.scope_path.split("__"):
            path = getattr(path, part)
        if not path.startswith(granted_prefixes(user, action) or ("\0",)):
            raise PermissionDenied
    return obj


def may_manage(user, record: MobileRecord) -> bool:
    return can(user, CHANGE_PERM, record.person.unit)


def _person_for_change(actor, person_id) -> Person:
    """A person the actor may register as mobile or lost-contact (change_mobilerecord over the unit)."""
    qs = Person.objects.select_related("unit")
    try:
        person = qs.restrict(actor, VIEW_PERM).get(pk=person_id)
    except (Person.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not can(actor, CHANGE_PERM, person.unit):
        raise PermissionDenied
    return person


def _check_member(person: Person) -> list[dict]:
    if not person.is_party_member:
        return [_err("person", f"{person.name} 不是党员（{person.get_political_status_display()}）")]
    if person.roster_status != RosterStatus.ACTIVE:
        return [_err("person", f"{person.name} 不在册（{person.get_roster_status_display()}）")]
    return []


def mobile_branch_choices(q: str = "", *, limit: int = 50) -> list[OrgUnit]:
    """Active mobile-member branches anywhere in the system (a member may attach to one run by
    another university or a local Party committee), searched by name or code."""
    qs = OrgUnit.objects.filter(kind=UnitKind.MOBILE_BRANCH, status=UnitStatus.ACTIVE)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return list(qs.order_by("name", "id")[:limit])


def candidate_people(user, q: str = "", *, limit: int = 20) -> list[Person]:
    """Party members on the roster the user may register (for the pickers)."""
    prefixes = granted_prefixes(user, CHANGE_PERM)
    if not prefixes:
        return []
    qs = Person.objects.restrict(user, CHANGE_PERM).on_roster().party_members().select_related("unit")
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(staff_number=q))
    return list(qs.order_by("name", "id")[:limit])


# ---------------------------------------------------------------------------------------------
# Mobile records: services

RECORD_FIELDS = (
    "person",
    "status",
    "started_on",
    "expected_return_on",
    "returned_on",
    "destination",
    "reason",
    "reason_note",
    "contact_phone",
    "contact_other",
    "mobile_branch",
    "card_number",
)
RECORD_SENSITIVE = frozenset({"contact_phone", "contact_other"})


def mobile_register(
    *,
    actor,
    person_id: int,
    started_on: datetime.date,
    destination: str,
    reason: str,
    contact_phone: str,
    reason_note: str = "",
    contact_other: str = "",
    expected_return_on: datetime.date | None = None,
    mobile_branch_id: int | None = None,
    card_number: str = "",
) -> MobileRecord:
    """Register a Party member of the actor's scope as a mobile member. One active record per
    person (409 for a second); sets ``Person.is_mobile`` with a history event."""
    with transaction.atomic():
        person = _person_for_change(actor, person_id)
        errors = _check_member(person)
        destination = (destination or "").strip()
        if not destination:
            errors.append(_err("destination", "请填写流入地"))
        elif len(destination) > 200:
            errors.append(_err("destination", "流入地最多 200 个字符"))
        if reason not in MobileReason.values:
            errors.append(_err("reason", "请选择外出原因"))
        if len(reason_note or "") > 500:
            errors.append(_err("reason_note", "原因说明最多 500 个字符"))
        errors += check_phone(contact_phone)
        if len(contact_other or "") > 200:
            errors.append(_err("contact_other", "其他联系方式最多 200 个字符"))
        if len(card_number or "") > 64:
            errors.append(_err("card_number", "活动证编号最多 64 个字符"))
        if started_on is None:
            errors.append(_err("started_on", "请填写外出日期"))
        elif expected_return_on is not None and expected_return_on < started_on:
            errors.append(_err("expected_return_on", "预计返回日期不能早于外出日期"))
        branch = None
        if mobile_branch_id:
            branch = OrgUnit.objects.filter(
                pk=mobile_branch_id, kind=UnitKind.MOBILE_BRANCH, status=UnitStatus.ACTIVE
            ).first()
            if branch is None:
                errors.append(_err("mobile_branch", "所选组织不是正常运行的流动党支部"))
        _raise_if(errors)
        if MobileRecord.objects.filter(person=person, status=MobileStatus.ACTIVE).exists():
            raise ConflictError(f"{person.name} 已登记为流动党员，请先办理返回再重新登记")
        record = MobileRecord(
            person=person,
            started_on=started_on,
            expected_return_on=expected_return_on,
            destination=destination,
            reason=reason,
            reason_note=(reason_note or "").strip(),
            contact_phone=contact_phone.strip(),
            contact_other=(contact_other or "").strip(),
            mobile_branch=branch,
            card_number=(card_number or "").strip(),
            created_by=actor,
        )
        _save_and_flag(
            record,
            actor=actor,
            flag="is_mobile",
            key="mobile_record",
            effective_on=started_on,
            reason="登记为流动党员",
            conflict=f"{person.name} 已登记为流动党员，请先办理返回再重新登记",
        )
        audit_record(
            actor=actor,
            action="development.mobilerecord.create",
            target=record,
            changes=field_changes({}, record, fields=RECORD_FIELDS, sensitive=RECORD_SENSITIVE),
        )
    return record


def mobile_return(*, actor, record_id: int, returned_on: datetime.date) -> MobileRecord:
    """The member is back (or transferred): the record closes and ``is_mobile`` is cleared."""
    with transaction.atomic():
        record = access_record(actor, record_id, action="change")
        record = MobileRecord.objects.select_for_update().select_related("person__unit").get(pk=record.pk)
        if record.status != MobileStatus.ACTIVE:
            raise ConflictError("该流动党员登记已办理返回")
        if returned_on is None or returned_on < record.started_on:
            raise DomainError("返回日期不能早于外出日期", errors=[_err("returned_on", "返回日期不能早于外出日期")])
        if returned_on > _today():
            raise DomainError("返回日期不能晚于今天", errors=[_err("returned_on", "返回日期不能晚于今天")])
        before = snapshot(record, RECORD_FIELDS)
        record.status = MobileStatus.RETURNED
        record.returned_on = returned_on
        record.save(update_fields=["status", "returned_on"])
        person_record_change(
            actor=actor,
            person=record.person,
            changes={"is_mobile": False},
            effective_on=returned_on,
            reason="流动党员返回",
            details={"mobile_record": record.pk},
        )
        audit_record(
            actor=actor,
            action="development.mobilerecord.return",
            target=record,
            changes=field_changes(before, record, fields=("status", "returned_on")),
        )
    return record


def mobile_activity_add(
    *,
    actor,
    record_id: int,
    kind: str,
    occurred_on: datetime.date,
    title: str,
    detail: str = "",
    link: str = "",
) -> MobileActivity:
    """An entry of the activity record (活动证). Entered by the branch it is confirmed at once;
    entered by the member for their own record it waits for the branch's confirmation.
    For online organizational life ``title`` is the meeting's title and ``link`` its link text."""
    with transaction.atomic():
        record = access_record(actor, record_id)
        managed = may_manage(actor, record)
        if not managed and not is_own(actor, record.person):
            raise PermissionDenied
        if record.status != MobileStatus.ACTIVE:
            raise ConflictError("该流动党员已返回，不能再登记活动")
        errors = []
        if kind not in ActivityKind.values:
            errors.append(_err("kind", "请选择活动类型"))
        title = (title or "").strip()
        if not title:
            errors.append(_err("title", "请填写活动内容" if kind != ActivityKind.ORG_LIFE else "请填写会议名称"))
        elif len(title) > 200:
            errors.append(_err("title", "内容最多 200 个字符"))
        if occurred_on is None:
            errors.append(_err("occurred_on", "请填写日期"))
        elif occurred_on > _today():
            errors.append(_err("occurred_on", "日期不能晚于今天"))
        elif occurred_on < record.started_on:
            errors.append(_err("occurred_on", "日期不能早于外出日期"))
        link = (link or "").strip()
        detail = (detail or "").strip()
        if len(link) > 500:
            errors.append(_err("link", "会议链接最多 500 个字符"))
        if len(detail) > ACTIVITY_DETAIL_MAX_LENGTH:
            errors.append(_err("detail", f"详情最多 {ACTIVITY_DETAIL_MAX_LENGTH} 个字符"))
        _raise_if(errors)
        activity = MobileActivity.objects.create(
            record=record,
            kind=kind,
            occurred_on=occurred_on,
            title=title,
            link=link,
            detail=detail,
            confirmed_by=actor if managed else None,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="development.mobileactivity.create",
            target=activity,
            changes={
                "record": {"new": record.pk},
                "kind": {"new": kind},
                "occurred_on": {"new": occurred_on.isoformat()},
                "title": {"new": title},
                "confirmed": {"new": managed},
            },
        )
    return activity


def mobile_activity_confirm(*, actor, activity_id: int) -> MobileActivity:
    """The branch confirms an entry the member added themself."""
    with transaction.atomic():
        activity = access_scoped(
            actor,
            MobileActivity,
            activity_id,
            action=CHANGE_PERM,
            own=OWN_LOOKUP,
            queryset=MobileActivity.objects.select_related("record__person__unit"),
        )
        if activity.confirmed_by_id is not None:
            raise ConflictError("该活动记录已确认")
        activity.confirmed_by = actor
        activity.save(update_fields=["confirmed_by"])
        audit_record(
            actor=actor,
            action="development.mobileactivity.confirm",
            target=activity,
            changes={"confirmed_by": {"old": None, "new": actor.pk}},
        )
    return activity


def mobile_report_submit(*, actor, record_id: int, year: int, content: str, today=None) -> MobileReport:
    """The member's report to the home branch (at least yearly), for their own record only."""
    today = _today(today)
    with transaction.atomic():
        record = access_record(actor, record_id)
        if not is_own(actor, record.person):
            raise PermissionDenied
        errors = []
        content = (content or "").strip()
        if not content:
            errors.append(_err("content", "请填写汇报内容"))
        elif len(content) > REPORT_MAX_LENGTH:
            errors.append(_err("content", f"汇报内容最多 {REPORT_MAX_LENGTH} 个字符"))
        if not isinstance(year, int) or not (record.started_on.year <= year <= today.year):
            errors.append(_err("year", f"年度应在 {record.started_on.year} 至 {today.year} 年之间"))
        _raise_if(errors)
        report = MobileReport.objects.create(record=record, year=year, content=content, submitted_by=actor)
        audit_record(
            actor=actor,
            action="development.mobilereport.create",
            target=report,
            changes={"record": {"new": record.pk}, "year": {"new": year}, "length": {"new": len(content)}},
        )
        _notify_managers(
            [record.person],
            title=f"流动党员 {record.person.name} 提交了 {year} 年度情况报告",
            url=reverse("development:mobile_detail", args=[record.pk]),
            actor=actor,
        )
    return report


def mobile_report_review(*, actor, report_id: int, comment: str) -> MobileReport:
    """The branch's comment on a yearly report (may be updated; every version is audited)."""
    with transaction.atomic():
        report = access_scoped(
            actor,
            MobileReport,
            report_id,
            action=CHANGE_PERM,
            own=OWN_LOOKUP,
            queryset=MobileReport.objects.select_related("record__person__unit"),
        )
        comment = (comment or "").strip()
        if not comment:
            raise DomainError("请填写支部意见", errors=[_err("comment", "请填写支部意见")])
        if len(comment) > 4000:
            raise DomainError("支部意见最多 4000 个字符", errors=[_err("comment", "支部意见最多 4000 个字符")])
        before = snapshot(report, ("comment", "reviewed_by"))
        report.comment = comment
        report.reviewed_by = actor
        report.reviewed_at = timezone.now()
        report.save(update_fields=["comment", "reviewed_by", "reviewed_at"])
        audit_record(
            actor=actor,
            action="development.mobilereport.review",
            target=report,
            changes=field_changes(before, report, fields=("comment", "reviewed_by")),
        )
        person = report.record.person
        if person.user_id:
            from cloudbranch.notifications.services import notify

            notify(
                recipients=[person.user_id],
                category=notification_category(),
                title=f"支部对您 {report.year} 年度情况报告提出了意见",
                body=comment[:500],
                url=reverse("development:my_mobile"),
                actor=actor,
            )
    return report


# ---------------------------------------------------------------------------------------------
# Mobile records: selectors


def mobile_list(*, user, filters: dict | None = None):
    """Scoped mobile records, filtered by status (default: active), mobile branch, reason, name."""
    filters = filters or {}
    qs = MobileRecord.objects.restrict(user, VIEW_PERM).select_related("person__unit", "mobile_branch")
    status = filters.get("status", MobileStatus.ACTIVE)
    if status in MobileStatus.values:
        qs = qs.filter(status=status)
    branch = _int(filters.get("mobile_branch"))
    if branch:
        qs = qs.filter(mobile_branch_id=branch)
    if filters.get("reason") in MobileReason.values:
        qs = qs.filter(reason=filters["reason"])
    unit = _int(filters.get("unit"))
    if unit:
        path = OrgUnit.objects.filter(pk=unit).values_list("path", flat=True).first()
        qs = qs.filter(person__unit__path__startswith=path) if path else qs.none()
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(person__name__icontains=q) | Q(destination__icontains=q))
    return qs.order_by("-started_on", "-id")


def missing_mobile_reports(*, user, year: int):
    """Active mobile records in scope with no yearly report for ``year``."""
    has_report = MobileReport.objects.filter(record_id=OuterRef("pk"), year=year)
    return (
        MobileRecord.objects.restrict(user, VIEW_PERM)
        .filter(status=MobileStatus.ACTIVE)
        .filter(~Exists(has_report))
        .select_related("person__unit", "mobile_branch")
        .order_by("started_on", "id")
    )


def own_records(user):
    if not user.is_authenticated:
        return MobileRecord.objects.none()
    return _RECORD_QS.filter(person__user_id=user.pk).order_by("-started_on", "-id")


def record_activities(record: MobileRecord):
    return record.activities.select_related("created_by", "confirmed_by").order_by("-occurred_on", "-id")


def record_reports(record: MobileRecord):
    return record.reports.select_related("submitted_by", "reviewed_by").order_by("-year", "-id")


def record_timeline(record: MobileRecord, activities, reports) -> list[dict]:
    """Registration, activities, reports and return in date order (newest first)."""
    items = [{"date": record.started_on, "icon": "box-arrow-right", "text": f"外出至{record.destination}（登记）"}]
    for a in activities:
        items.append({"date": a.occurred_on, "icon": "calendar-check", "text": f"{a.get_kind_display()}：{a.title}"})
    for r in reports:
        items.append(
            {"date": timezone.localdate(r.submitted_at), "icon": "file-text", "text": f"提交 {r.year} 年度报告"}
        )
    if record.returned_on:
        items.append({"date": record.returned_on, "icon": "box-arrow-in-left", "text": "返回"})
    return sorted(items, key=lambda i: i["date"], reverse=True)


# ---------------------------------------------------------------------------------------------
# Lost contact (失联党员)


def suspension_due_on(lost: LostContact) -> datetime.date:
    """第二十四条: 6 months without contact → the 停止党籍 procedure (this day is allowed)."""
    return add_months(lost.lost_since, SUSPEND_AFTER_MONTHS)


def removal_due_on(lost: LostContact) -> datetime.date | None:
    """第二十四条: 2 years after suspension, still unreachable → removal as 自行脱党."""
    return add_months(lost.suspended_on, REMOVE_AFTER_MONTHS) if lost.suspended_on else None


def latest_start(today: datetime.date, months: int) -> datetime.date:
    """The latest start date whose ``start + months`` (month-end clamped) is on or before ``today``:
    a date filter equivalent to ``add_months(start, months) <= today`` for queries."""
    d = add_months(today, -months)
    while add_months(d + datetime.timedelta(days=1), months) <= today:
        d += datetime.timedelta(days=1)
    while add_months(d, months) > today:  # pragma: no cover - add_months(add_months(t,-m),m) <= t
        d -= datetime.timedelta(days=1)
    return d


_LOST_QS = LostContact.objects.select_related("person__unit", "created_by")
LOST_FIELDS = ("status", "lost_since", "suspended_on", "removed_on", "restored_on", "note")


def access_lost(user, lost_id, *, action: str = "view") -> LostContact:
    return access_scoped(
        user, LostContact, lost_id, queryset=_LOST_QS, action=CHANGE_PERM if action == "change" else None
    )


def _lock_lost(actor, lost_id) -> LostContact:
    lost = access_lost(actor, lost_id, action="change")
    return LostContact.objects.select_for_update().select_related("person__unit").get(pk=lost.pk)


def lost_open(*, actor, person_id: int, lost_since: datetime.date, note: str = "") -> LostContact:
    """Open a lost-contact case for a Party member; sets ``Person.is_lost_contact``."""
    with transaction.atomic():
        person = _person_for_change(actor, person_id)
        errors = _check_member(person)
        if lost_since is None:
            errors.append(_err("lost_since", "请填写失去联系日期"))
        elif lost_since > _today():
            errors.append(_err("lost_since", "失去联系日期不能晚于今天"))
        if len(note or "") > 4000:
            errors.append(_err("note", "说明最多 4000 个字符"))
        _raise_if(errors)
        open_statuses = [LostContactStatus.OPEN, LostContactStatus.SUSPENDED]
        if LostContact.objects.filter(person=person, status__in=open_statuses).exists():
            raise ConflictError(f"{person.name} 已有未结束的失联登记")
        lost = LostContact(person=person, lost_since=lost_since, note=(note or "").strip(), created_by=actor)
        _save_and_flag(
            lost,
            actor=actor,
            flag="is_lost_contact",
            key="lost_contact",
            effective_on=lost_since,
            reason="登记为失联党员",
            conflict=f"{person.name} 已有未结束的失联登记",
        )
        audit_record(
            actor=actor,
            action="development.lostcontact.create",
            target=lost,
            changes=field_changes({}, lost, fields=("person", *LOST_FIELDS)),
        )
    return lost


def lost_attempt_add(
    *, actor, lost_id: int, attempted_on: datetime.date, method: str, succeeded: bool = False, note: str = ""
) -> ContactAttempt:
    """Record one attempt to reach the member, whatever its outcome (SPEC §4: every attempt)."""
    with transaction.atomic():
        lost = _lock_lost(actor, lost_id)
        if lost.status not in (LostContactStatus.OPEN, LostContactStatus.SUSPENDED):
            raise ConflictError(f"该失联登记已结束（{lost.get_status_display()}），不能再记录联系")
        errors = []
        if method not in ContactMethod.values:
            errors.append(_err("method", "请选择联系方式"))
        if attempted_on is None:
            errors.append(_err("attempted_on", "请填写日期"))
        elif attempted_on > _today():
            errors.append(_err("attempted_on", "日期不能晚于今天"))
        elif attempted_on < lost.lost_since:
            errors.append(_err("attempted_on", "日期不能早于失去联系日期"))
        if len(note or "") > 500:
            errors.append(_err("note", "情况最多 500 个字符"))
        _raise_if(errors)
        attempt = ContactAttempt.objects.create(
            lost_contact=lost,
            attempted_on=attempted_on,
            method=method,
            succeeded=bool(succeeded),
            note=(note or "").strip(),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="development.contactattempt.create",
            target=attempt,
            changes={
                "lost_contact": {"new": lost.pk},
                "attempted_on": {"new": attempted_on.isoformat()},
                "method": {"new": method},
                "succeeded": {"new": bool(succeeded)},
            },
        )
    return attempt


def _lost_change(actor, lost: LostContact, before: dict, action: str, fields: tuple[str, ...]) -> None:
    lost.save(update_fields=list(fields))
    audit_record(actor=actor, action=action, target=lost, changes=field_changes(before, lost, fields=fields))


def lost_suspend(*, actor, lost_id: int, suspended_on: datetime.date) -> LostContact:
    """停止党籍 (第二十四条): only when the member has been out of contact for at least
    ``SUSPEND_AFTER_MONTHS`` months on ``suspended_on`` and no attempt has reached them."""
    with transaction.atomic():
        lost = _lock_lost(actor, lost_id)
        if lost.status != LostContactStatus.OPEN:
            raise ConflictError(f"只有失联中的登记可以停止党籍（当前：{lost.get_status_display()}）")
        if suspended_on is None:
            raise DomainError("请填写停止党籍日期", errors=[_err("suspended_on", "请填写停止党籍日期")])
        if suspended_on > _today():
            raise DomainError("停止党籍日期不能晚于今天", errors=[_err("suspended_on", "停止党籍日期不能晚于今天")])
        due = suspension_due_on(lost)
        if suspended_on < due:
            message = (
                f"失去联系满 {SUSPEND_AFTER_MONTHS} 个月（{due.isoformat()} 起）方可停止党籍。"
                f"依据：《中国共产党党员教育管理工作条例》第二十四条"
            )
            raise DomainError(message, errors=[_err("suspended_on", message)])
        if lost.attempts.filter(succeeded=True).exists():
            raise ConflictError("已有联系成功的记录，应恢复联系而不是停止党籍")
        before = snapshot(lost, LOST_FIELDS)
        lost.status = LostContactStatus.SUSPENDED
        lost.suspended_on = suspended_on
        _lost_change(actor, lost, before, "development.lostcontact.suspend", ("status", "suspended_on"))
    return lost


def lost_remove(*, actor, lost_id: int, removed_on: datetime.date) -> LostContact:
    """Removal as 自行脱党 (第二十四条): only ``REMOVE_AFTER_MONTHS`` months or more after the
    suspension; the person leaves the roster (``roster_status`` left) with a history event."""
    with transaction.atomic():
        lost = _lock_lost(actor, lost_id)
        if lost.status != LostContactStatus.SUSPENDED:
            raise ConflictError(f"只有已停止党籍的登记可以按自行脱党除名（当前：{lost.get_status_display()}）")
        if removed_on is None:
            raise DomainError("请填写除名日期", errors=[_err("removed_on", "请填写除名日期")])
        if removed_on > _today():
            raise DomainError("除名日期不能晚于今天", errors=[_err("removed_on", "除名日期不能晚于今天")])
        due = removal_due_on(lost)
        if removed_on < due:
            message = (
                f"停止党籍满 2 年（{due.isoformat()} 起）仍无法取得联系的，方可按自行脱党除名。"
                f"依据：《中国共产党党员教育管理工作条例》第二十四条"
            )
            raise DomainError(message, errors=[_err("removed_on", message)])
        if lost.attempts.filter(succeeded=True, attempted_on__gte=lost.suspended_on).exists():
            raise ConflictError("停止党籍后已有联系成功的记录，不能按自行脱党除名")
        before = snapshot(lost, LOST_FIELDS)
        lost.status = LostContactStatus.REMOVED
        lost.removed_on = removed_on
        _lost_change(actor, lost, before, "development.lostcontact.remove", ("status", "removed_on"))
        person_record_change(
            actor=actor,
            person=lost.person,
            changes={"roster_status": RosterStatus.LEFT},
            effective_on=removed_on,
            reason="失联党员按自行脱党除名（党员教育管理工作条例第二十四条）",
            details={"lost_contact": lost.pk},
        )
    return lost


def lost_restore(*, actor, lost_id: int, restored_on: datetime.date) -> LostContact:
    """Contact is back: allowed once an attempt on or before ``restored_on`` succeeded; the
    ``is_lost_contact`` flag is cleared."""
    with transaction.atomic():
        lost = _lock_lost(actor, lost_id)
        if lost.status not in (LostContactStatus.OPEN, LostContactStatus.SUSPENDED):
            raise ConflictError(f"该失联登记已结束（{lost.get_status_display()}）")
        if restored_on is None or restored_on > _today():
            raise DomainError("恢复联系日期不能晚于今天", errors=[_err("restored_on", "恢复联系日期不能晚于今天")])
        if not lost.attempts.filter(succeeded=True, attempted_on__lte=restored_on).exists():
            message = "请先记录一次联系成功的联系记录，再恢复联系"
            raise DomainError(message, errors=[_err("restored_on", message)])
        before = snapshot(lost, LOST_FIELDS)
        lost.status = LostContactStatus.RESTORED
        lost.restored_on = restored_on
        _lost_change(actor, lost, before, "development.lostcontact.restore", ("status", "restored_on"))
        person_record_change(
            actor=actor,
            person=lost.person,
            changes={"is_lost_contact": False},
            effective_on=restored_on,
            reason="失联党员恢复联系",
            details={"lost_contact": lost.pk},
        )
    return lost


def lost_list(*, user, filters: dict | None = None):
    filters = filters or {}
    qs = LostContact.objects.restrict(user, VIEW_PERM).select_related("person__unit")
    status = filters.get("status", "")
    if status == "current":
        qs = qs.filter(status__in=[LostContactStatus.OPEN, LostContactStatus.SUSPENDED])
    elif status in LostContactStatus.values:
        qs = qs.filter(status=status)
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(person__name__icontains=q)
    return qs.order_by("lost_since", "id")


def _due_q(today: datetime.date) -> Q:
    return Q(status=LostContactStatus.OPEN, lost_since__lte=latest_start(today, SUSPEND_AFTER_MONTHS)) | Q(
        status=LostContactStatus.SUSPENDED, suspended_on__lte=latest_start(today, REMOVE_AFTER_MONTHS)
    )


def lost_warnings(*, user, today: datetime.date | None = None):
    """Who is due: open cases 6 months after ``lost_since`` (停止党籍), suspended cases 2 years
    after ``suspended_on`` (除名). Cases with a successful attempt are left out (restore them)."""
    today = _today(today)
    succeeded = ContactAttempt.objects.filter(lost_contact_id=OuterRef("pk"), succeeded=True)
    return (
        LostContact.objects.restrict(user, VIEW_PERM)
        .filter(_due_q(today))
        .filter(~Exists(succeeded))
        .select_related("person__unit")
        .order_by("lost_since", "id")
    )


def lost_attempts(lost: LostContact):
    return lost.attempts.select_related("created_by").order_by("-attempted_on", "-id")


# ---------------------------------------------------------------------------------------------
# Reminders


def managers_of(units: list[OrgUnit], perm: str = CHANGE_PERM) -> dict[int, list[int]]:
    """{unit id: [user ids]}: the holders of ``perm`` at the nearest level at or above each unit
    (the branch secretary before the college committee). One query for all units."""
    roles = [role for role, perms in ROLE_PERMISSIONS.items() if perm in perms]
    ancestor_ids = {int(part) for u in units for part in u.path.strip("/").split("/") if part}
    by_unit: dict[int, list[int]] = defaultdict(list)
    for user_id, unit_id in (
        RoleAssignment.objects.active()
        .filter(unit_id__in=ancestor_ids, role__in=roles, unit__status=UnitStatus.ACTIVE)
        .values_list("user_id", "unit_id")
    ):
        if user_id not in by_unit[unit_id]:
            by_unit[unit_id].append(user_id)
    out = {}
    for u in units:
        chain = [int(p) for p in u.path.strip("/").split("/") if p]
        out[u.pk] = next((by_unit[a] for a in reversed(chain) if by_unit.get(a)), [])
    return out


def _notify_managers(people: list[Person], *, title: str, url: str, body: str = "", actor=None) -> None:
    from cloudbranch.notifications.services import notify

    units = {p.unit_id: p.unit for p in people}
    recipients = {uid for ids in managers_of(list(units.values())).values() for uid in ids}
    if recipients:
        notify(
            recipients=sorted(recipients),
            category=notification_category(),
            title=title,
            body=body,
            url=url,
            actor=actor,
        )


def claim_keys(keys: list[str]) -> set[str]:
    """The keys not sent before, now recorded as sent (idempotent daily runs)."""
    if not keys:
        return set()
    existing = set(Reminder.objects.filter(key__in=keys).values_list("key", flat=True))
    new = [k for k in dict.fromkeys(keys) if k not in existing]
    Reminder.objects.bulk_create([Reminder(key=k) for k in new], ignore_conflicts=True)
    return set(new)


def send_reminders(today: datetime.date) -> int:
    """Daily: (1) from ``report_remind_month()`` on, members without a yearly report for the
    current year (the member, or the branch when they have no account); (2) lost-contact cases
    that reached the 停止党籍 or the 除名 deadline (the branch). Each reminder once (``Reminder`` key)."""
    from cloudbranch.notifications.services import notify

    sent = 0
    category = notification_category()
    if today.month >= report_remind_month():
        has_report = MobileReport.objects.filter(record_id=OuterRef("pk"), year=today.year)
        records = list(
            MobileRecord.objects.filter(status=MobileStatus.ACTIVE, person__roster_status=RosterStatus.ACTIVE)
            .filter(~Exists(has_report))
            .select_related("person__unit")
        )
        keys = {f"mobile:{r.pk}:report:{today.year}": r for r in records}
        fresh = claim_keys(list(keys))
        no_account = []
        for key in fresh:
            record = keys[key]
            if record.person.user_id:
                notify(
                    recipients=[record.person.user_id],
                    category=category,
                    title=f"请提交 {today.year} 年度流动党员情况报告",
                    body=MOBILE_SOURCE,
                    url=reverse("development:my_mobile"),
                )
            else:
                no_account.append(record)
            sent += 1
        managers = managers_of([r.person.unit for r in no_account])
        for record in no_account:
            if managers[record.person.unit_id]:
                notify(
                    recipients=managers[record.person.unit_id],
                    category=category,
                    title=f"流动党员 {record.person.name} 尚未提交 {today.year} 年度情况报告",
                    url=reverse("development:mobile_detail", args=[record.pk]),
                )
    succeeded = ContactAttempt.objects.filter(lost_contact_id=OuterRef("pk"), succeeded=True)
    due = list(LostContact.objects.filter(_due_q(today)).filter(~Exists(succeeded)).select_related("person__unit"))
    keys = {}
    for lost in due:
        if lost.status == LostContactStatus.OPEN:
            keys[f"lost:{lost.pk}:suspend:{suspension_due_on(lost).isoformat()}"] = (lost, "停止党籍")
        else:
            keys[f"lost:{lost.pk}:remove:{removal_due_on(lost).isoformat()}"] = (lost, "按自行脱党除名")
    fresh = claim_keys(list(keys))
    managers = managers_of([keys[k][0].person.unit for k in fresh])
    for key in fresh:
        lost, what = keys[key]
        if managers[lost.person.unit_id]:
            notify(
                recipients=managers[lost.person.unit_id],
                category=category,
                title=f"失联党员 {lost.person.name} 已到{what}期限",
                body=LOST_CONTACT_SOURCE,
                url=reverse("development:lost_detail", args=[lost.pk]),
            )
        sent += 1
    return sent


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def may_see_mobile(user) -> bool:
    return holds(user, VIEW_PERM)


def _save_and_flag(obj, *, actor, flag: str, key: str, effective_on, reason: str, conflict: str) -> None:
    """Insert a new registration (a unique constraint allows one open per person: a race is a
    409) and set the person's flag with a history event naming it."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise ConflictError(conflict) from None
    person_record_change(
        actor=actor,
        person=obj.person,
        changes={flag: True},
        effective_on=effective_on,
        reason=reason,
        details={key: obj.pk},
    )
