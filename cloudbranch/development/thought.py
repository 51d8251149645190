"""Thought reports (思想汇报): services and selectors.

SPEC §4 / issue 6 item 7. Applicants, activists, candidates and probationary members — people
with an open development ``Case`` — submit reports online; quarterly is the custom, and the
frequency is a ``ReportPolicy`` on the nearest ancestor unit (default 3 months). Periods are
calendar-aligned blocks of ``months`` months (quarters for 3, halves for 6). A report belongs to
the period containing its submission date, or to a chosen past period not yet covered.

Readers: the reporter (their own only), the case's open sponsors (培养联系人, through an open
``CaseContact`` whose person is them) and holders of ``development.view_thoughtreport`` over the
unit; commenting needs a sponsorship or ``development.comment_thoughtreport``. The first read
by a reviewer marks a report read; a comment notifies the reporter.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.services import audit_record
from cloudbranch.core.errors import DomainError
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import access_by_id, can, granted_prefixes, holds, scope_q
from cloudbranch.people.models import Person

from .choices import CaseStatus, ContactRole, ReportStatus
from .mobile import claim_keys, managers_of, notification_category
from .models import Case, CaseContact, ReportPolicy, ThoughtReport, ThoughtReportComment
from .rules import add_months

VIEW_PERM = "development.view_thoughtreport"
COMMENT_PERM = "development.comment_thoughtreport"
POLICY_PERM = "development.change_reportpolicy"

DEFAULT_MONTHS = 3  # quarterly: the custom for 思想汇报 (not fixed by 发展党员工作细则)
ALLOWED_MONTHS = (1, 2, 3, 4, 6, 12)  # divisors of 12: periods stay aligned with the calendar year
TITLE_MAX_LENGTH = 200
CONTENT_MAX_LENGTH = 20000
COMMENT_MAX_LENGTH = 2000
REMIND_DAYS_BEFORE_END = 14


# ---------------------------------------------------------------------------------------------
# Periods and policies


def period_start(d: datetime.date, months: int) -> datetime.date:
    """The first day of the calendar-aligned block of ``months`` months containing ``d``."""
    month = (d.month - 1) // months * months + 1
    return datetime.date(d.year, month, 1)


def period_end(start: datetime.date, months: int) -> datetime.date:
    return add_months(start, months) - datetime.timedelta(days=1)


def previous_period_start(d: datetime.date, months: int) -> datetime.date:
    return add_months(period_start(d, months), -months)


def period_label(start: datetime.date, months: int) -> str:
    if months == 12:
        return f"{start.year} 年"
    if months == 6:
        return f"{start.year} 年{'上' if start.month == 1 else '下'}半年"
    if months == 3:
        return f"{start.year} 年第 {(start.month - 1) // 3 + 1} 季度"
    if months == 1:
        return f"{start.year} 年 {start.month} 月"
    end = period_end(start, months)
    return f"{start.year} 年 {start.month}–{end.month} 月"


def _ancestor_ids(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/") if p]


class PolicyBook:
    """All report policies, loaded once (a small table), answering "how many months for a unit"
    by the nearest ancestor's policy without further queries."""

    def __init__(self):
        self.months = dict(ReportPolicy.objects.values_list("unit_id", "months"))

    def months_for(self, path: str) -> int:
        for unit_id in reversed(_ancestor_ids(path)):
            if unit_id in self.months:
                return self.months[unit_id]
        return DEFAULT_MONTHS


def policy_months(unit: OrgUnit) -> int:
    """The nearest ancestor's (or the unit's own) policy, quarterly when none is set."""
    ids = _ancestor_ids(unit.path)
    rows = dict(ReportPolicy.objects.filter(unit_id__in=ids).values_list("unit_id", "months"))
    return next((rows[i] for i in reversed(ids) if i in rows), DEFAULT_MONTHS)


def report_policy_set(*, actor, unit_id: int, months: int) -> ReportPolicy:
    """Set how often the people under ``unit`` submit thought reports (audited)."""
    with transaction.atomic():
        unit = access_by_id(actor, OrgUnit, unit_id)
        if not can(actor, POLICY_PERM, unit):
            raise PermissionDenied
        if months not in ALLOWED_MONTHS:
            message = "提交周期应为 1、2、3、4、6 或 12 个月（与自然年对齐）"
            raise DomainError(message, errors=[{"field": "months", "message": message}])
        policy = ReportPolicy.objects.select_for_update().filter(unit=unit).first()
        old = policy.months if policy else None
        if policy is None:
            policy = ReportPolicy.objects.create(unit=unit, months=months, updated_by=actor)
        else:
            policy.months = months
            policy.updated_by = actor
            policy.save(update_fields=["months", "updated_by", "updated_at"])
        if old != months:
            audit_record(
                actor=actor,
                action="development.reportpolicy.update",
                target=policy,
                changes={"unit": {"old": unit.pk, "new": unit.pk}, "months": {"old": old, "new": months}},
            )
    return policy


def report_policy_remove(*, actor, unit_id: int) -> None:
    """Drop a unit's own policy: the nearest ancestor's (or quarterly) applies again."""
    with transaction.atomic():
        unit = access_by_id(actor, OrgUnit, unit_id)
        if not can(actor, POLICY_PERM, unit):
            raise PermissionDenied
        policy = ReportPolicy.objects.filter(unit=unit).first()
        if policy is None:
            return
        audit_record(
            actor=actor,
            action="development.reportpolicy.delete",
            target=policy,
            changes={"months": {"old": policy.months, "new": None}},
        )
        policy.delete()


def policy_units(user, *, limit: int = 300):
    """Units where the user may set the policy, with their own policy (if any)."""
    return (
        OrgUnit.objects.restrict(user, POLICY_PERM)
        .active()
        .exclude(kind="group")
        .select_related("report_policy")
        .order_by("path")[:limit]
    )


# ---------------------------------------------------------------------------------------------
# Reporter


def open_case_of(person: Person) -> Case | None:
    return Case.objects.filter(person=person, status=CaseStatus.OPEN).first()


def own_reporter(user) -> tuple[Person | None, Case | None]:
    if not user.is_authenticated:
        return None, None
    person = Person.objects.select_related("unit").filter(user_id=user.pk).first()
    if person is None:
        return None, None
    return person, open_case_of(person)


def first_owed_start(applied_on: datetime.date, months: int) -> datetime.date:
    """The first period a person owes a report for: the first one that starts after the
    application (the application letter stands for the period it was written in)."""
    start = period_start(applied_on, months)
    return start if start == applied_on else add_months(start, months)


def open_past_periods(person: Person, case: Case, *, today=None, limit: int = 8) -> list[datetime.date]:
    """Past periods (newest first) since the case's application that have no report yet."""
    today = today or timezone.localdate()
    months = policy_months(person.unit)
    current = period_start(today, months)
    first = period_start(case.applied_on, months)
    covered = set(ThoughtReport.objects.filter(person=person).values_list("period_start", flat=True))
    out = []
    start = add_months(current, -months)
    while start >= first and len(out) < limit:
        if start not in covered:
            out.append(start)
        start = add_months(start, -months)
    return out


def report_submit(*, actor, title: str, content: str, period: datetime.date | None = None, today=None) -> ThoughtReport:
    """Submit one's own report. Only people with an open development case; the report links to
    it. ``period`` (a past period's first day, not yet covered) or the current period."""
    today = today or timezone.localdate()
    with transaction.atomic():
        person, case = own_reporter(actor)
        if person is None or case is None:
            raise DomainError("只有正在发展过程中的入党申请人、积极分子、发展对象和预备党员可以提交思想汇报")
        errors = []
        title = (title or "").strip()
        content = (content or "").strip()
        if not title:
            errors.append({"field": "title", "message": "请填写标题"})
        elif len(title) > TITLE_MAX_LENGTH:
            errors.append({"field": "title", "message": f"标题最多 {TITLE_MAX_LENGTH} 个字符"})
        if not content:
            errors.append({"field": "content", "message": "请填写正文"})
        elif len(content) > CONTENT_MAX_LENGTH:
            errors.append({"field": "content", "message": f"正文最多 {CONTENT_MAX_LENGTH} 个字符"})
        months = policy_months(person.unit)
        start = period_start(today, months)
        if period is not None and period != start:
            if period not in open_past_periods(person, case, today=today, limit=1000):
                errors.append({"field": "period", "message": "所选周期无效或已提交过思想汇报"})
            else:
                start = period
        if errors:
            raise DomainError("；".join(e["message"] for e in errors), errors=errors)
        report = ThoughtReport.objects.create(
            person=person, case=case, period_start=start, title=title, content=content
        )
        audit_record(
            actor=actor,
            action="development.thoughtreport.create",
            target=report,
            changes={
                "case": {"new": case.pk},
                "period_start": {"new": start.isoformat()},
                "title": {"new": title},
                "length": {"new": len(content)},
            },
        )
        sponsors = list(
            CaseContact.objects.filter(
                case=case, role=ContactRole.SPONSOR, ended_on__isnull=True, person__user__isnull=False
            ).values_list("person__user_id", flat=True)
        )
        if sponsors:
            from cloudbranch.notifications.services import notify

            notify(
                recipients=sponsors,
                category=notification_category(),
                title=f"{person.name} 提交了思想汇报：{title[:60]}",
                url=reverse("development:thought_report_detail", args=[report.pk]),
                actor=actor,
            )
    return report


def my_reports(user):
    if not user.is_authenticated:
        return ThoughtReport.objects.none()
    return (
        ThoughtReport.objects.filter(person__user_id=user.pk)
        .annotate(comment_count=Count("comments"))
        .order_by("-submitted_at", "-id")
    )


# ---------------------------------------------------------------------------------------------
# Reviewers


def _sponsor_exists(user, case_ref: str = "case_id"):
    return Exists(
        CaseContact.objects.filter(
            case_id=OuterRef(case_ref),
            role=ContactRole.SPONSOR,
            ended_on__isnull=True,
            case__status=CaseStatus.OPEN,
            person__user_id=user.pk,
        )
    )


def is_sponsor_anywhere(user) -> bool:
    if not user.is_authenticated:
        return False
    cached = getattr(user, "_cb_is_sponsor", None)
    if cached is None:
        cached = CaseContact.objects.filter(
            role=ContactRole.SPONSOR, ended_on__isnull=True, case__status=CaseStatus.OPEN, person__user_id=user.pk
        ).exists()
        user._cb_is_sponsor = cached
    return cached


def may_review_anything(user) -> bool:
    return holds(user, VIEW_PERM) or is_sponsor_anywhere(user)


def reviewable(user):
    """Reports a reviewer may read: in the ``view_thoughtreport`` scope, or of a case the user
    is an open sponsor of. The reporter's own reports are not in this list (see my_reports)."""
    if not user.is_authenticated:
        return ThoughtReport.objects.none()
    prefixes = granted_prefixes(user, VIEW_PERM)
    cond = _sponsor_exists(user)
    if prefixes:
        cond = cond | scope_q("person__unit__path", prefixes)
    return ThoughtReport.objects.filter(cond)


@dataclass
class ReportAccess:
    report: ThoughtReport
    own: bool
    reviewer: bool
    may_comment: bool


def access_report(user, report_id) -> ReportAccess:
    """The report with what the user may do (404 if they may not read it)."""
    qs = ThoughtReport.objects.select_related("person__unit", "case")
    try:
        report = qs.get(pk=report_id)
    except (ThoughtReport.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    own = user.is_authenticated and report.person.user_id == user.pk
    in_scope = can(user, VIEW_PERM, report.person.unit)
    sponsor = (
        user.is_authenticated
        and report.case_id is not None
        and CaseContact.objects.filter(
            case_id=report.case_id,
            role=ContactRole.SPONSOR,
            ended_on__isnull=True,
            case__status=CaseStatus.OPEN,
            person__user_id=user.pk,
        ).exists()
    )
    if not (own or in_scope or sponsor):
        raise Http404
    may_comment = sponsor or can(user, COMMENT_PERM, report.person.unit)
    return ReportAccess(report=report, own=own, reviewer=in_scope or sponsor, may_comment=may_comment)


def report_read(*, actor, report_id: int, access: ReportAccess | None = None) -> ThoughtReport:
    """The first read by a reviewer (not the reporter) marks the report read. ``access`` (from
    ``access_report`` of the same user and report) saves looking it up again."""
    if access is None or access.report.pk != report_id:
        access = access_report(actor, report_id)
    report = access.report
    if access.reviewer and not access.own and report.status == ReportStatus.SUBMITTED:
        with transaction.atomic():
            updated = ThoughtReport.objects.filter(pk=report.pk, status=ReportStatus.SUBMITTED).update(
                status=ReportStatus.READ
            )
            if updated:
                report.status = ReportStatus.READ
                audit_record(
                    actor=actor,
                    action="development.thoughtreport.read",
                    target=report,
                    changes={"status": {"old": ReportStatus.SUBMITTED, "new": ReportStatus.READ}},
                )
    return report


def report_comment(*, actor, report_id: int, body: str) -> ThoughtReportComment:
    """A sponsor's or secretary's comment; marks the report read and notifies the reporter."""
    with transaction.atomic():
        access = access_report(actor, report_id)
        if not access.may_comment:
            raise PermissionDenied
        body = (body or "").strip()
        if not body:
            raise DomainError("请填写意见", errors=[{"field": "body", "message": "请填写意见"}])
        if len(body) > COMMENT_MAX_LENGTH:
            message = f"意见最多 {COMMENT_MAX_LENGTH} 个字符"
            raise DomainError(message, errors=[{"field": "body", "message": message}])
        report = access.report
        comment = ThoughtReportComment.objects.create(report=report, author=actor, body=body)
        if report.status != ReportStatus.READ:
            ThoughtReport.objects.filter(pk=report.pk).update(status=ReportStatus.READ)
            report.status = ReportStatus.READ
        audit_record(
            actor=actor,
            action="development.thoughtreport.comment",
            target=report,
            changes={"comment": {"new": comment.pk}, "length": {"new": len(body)}},
        )
        if report.person.user_id and report.person.user_id != actor.pk:
            from cloudbranch.notifications.services import notify

            notify(
                recipients=[report.person.user_id],
                category=notification_category(),
                title=f"您的思想汇报《{report.title[:60]}》收到了意见",
                body=body[:500],
                url=reverse("development:my_reports"),
                actor=actor,
            )
    return comment


def report_comments(report: ThoughtReport):
    return report.comments.select_related("author").order_by("created_at", "id")


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _unit_path(unit_id) -> str | None:
    try:
        unit_id = int(unit_id)
    except (TypeError, ValueError):
        return None
    return OrgUnit.objects.filter(pk=unit_id).values_list("path", flat=True).first()


def report_list(*, user, filters: dict | None = None):
    """Reviewers' list, scoped (scope or sponsorship); filters unread, unit (subtree), period."""
    filters = filters or {}
    qs = reviewable(user).select_related("person__unit").annotate(comment_count=Count("comments"))
    if filters.get("unread") in (True, "1", "true", "on"):
        qs = qs.filter(status=ReportStatus.SUBMITTED)
    if filters.get("unit"):
        path = _unit_path(filters["unit"])
        qs = qs.filter(person__unit__path__startswith=path) if path else qs.none()
    period = filters.get("period")
    if period:
        if isinstance(period, str):
            try:
                period = datetime.date.fromisoformat(period)
            except ValueError:
                period = None
        if period:
            qs = qs.filter(period_start=period)
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(person__name__icontains=q) | Q(title__icontains=q))
    return qs.order_by("-submitted_at", "-id")


@dataclass
class MissingReport:
    person: Person
    case_id: int
    period_start: datetime.date
    period_end: datetime.date
    months: int

    @property
    def period_label(self) -> str:
        return period_label(self.period_start, self.months)


def _open_case_rows(cases_qs):
    return list(
        cases_qs.filter(status=CaseStatus.OPEN)
        .order_by("person__unit__path", "person__name", "id")
        .values_list("id", "person_id", "person__unit__path", "applied_on")
    )


def _missing_rows(rows, *, today: datetime.date, book: PolicyBook, previous: bool) -> list[tuple]:
    """(case id, person id, period start, months) of the rows owing a report for the previous
    complete period (``previous``) or the current one. One grouped query for all reports."""
    wanted = []
    for case_id, person_id, path, applied_on in rows:
        months = book.months_for(path)
        start = previous_period_start(today, months) if previous else period_start(today, months)
        if first_owed_start(applied_on, months) <= start:
            wanted.append((case_id, person_id, start, months))
    if not wanted:
        return []
    earliest = min(w[2] for w in wanted)
    have = set(
        ThoughtReport.objects.filter(person_id__in={w[1] for w in wanted}, period_start__gte=earliest)
        .values_list("person_id", "period_start")
        .distinct()
    )
    return [w for w in wanted if (w[1], w[2]) not in have]


def missing_reports(*, user, today: datetime.date | None = None, unit_id=None) -> list[tuple]:
    """People with an open case in the reviewer's view and no report for the previous complete
    period (their unit's policy), as (case id, person id, period start, months), in roster order.
    Three queries whatever the number of people: cases, policies, and one grouped query of reports."""
    today = today or timezone.localdate()
    if not user.is_authenticated:
        return []
    prefixes = granted_prefixes(user, VIEW_PERM)
    cond = _sponsor_exists(user, "pk")
    if prefixes:
        cond = cond | scope_q("person__unit__path", prefixes)
    cases = Case.objects.filter(cond)
    if unit_id:
        path = _unit_path(unit_id)
        cases = cases.filter(person__unit__path__startswith=path) if path else cases.none()
    return _missing_rows(_open_case_rows(cases), today=today, book=PolicyBook(), previous=True)


def missing_page(rows: list[tuple]) -> list[MissingReport]:
    """The people of one page of ``missing_reports`` rows (one query)."""
    people = Person.objects.select_related("unit").in_bulk([r[1] for r in rows])
    return [
        MissingReport(
            person=people[person_id],
            case_id=case_id,
            period_start=start,
            period_end=period_end(start, months),
            months=months,
        )
        for case_id, person_id, start, months in rows
        if person_id in people
    ]


# ---------------------------------------------------------------------------------------------
# Reminders


def send_reminders(today: datetime.date) -> int:
    """Daily: within the last ``REMIND_DAYS_BEFORE_END`` days of a period, remind people with an
    open case and no report for it; after a period ended without a report, warn the secretary
    (holders of comment_thoughtreport at the nearest level). Once each (``Reminder`` keys)."""
    from cloudbranch.notifications.services import notify

    book = PolicyBook()
    rows = _open_case_rows(Case.objects.all())
    category = notification_category()
    sent = 0

    # Before the end of the current period: the reporter.
    due_rows = []
    for row in rows:
        months = book.months_for(row[2])
        end = period_end(period_start(today, months), months)
        if (end - today).days < REMIND_DAYS_BEFORE_END:
            due_rows.append(row)
    current_missing = _missing_rows(due_rows, today=today, book=book, previous=False)
    keys = {f"thought:{m[1]}:{m[2].isoformat()}:remind": m for m in current_missing}
    fresh = claim_keys(list(keys))
    people = Person.objects.select_related("unit").in_bulk([keys[k][1] for k in fresh])
    for key in fresh:
        _case_id, person_id, start, months = keys[key]
        person = people.get(person_id)
        if person is not None and person.user_id:
            notify(
                recipients=[person.user_id],
                category=category,
                title=f"请在 {period_end(start, months).isoformat()} 前提交{period_label(start, months)}思想汇报",
                url=reverse("development:my_reports"),
            )
        sent += 1

    # After the previous period ended: the secretary.
    past_missing = _missing_rows(rows, today=today, book=book, previous=True)
    keys = {f"thought:{m[1]}:{m[2].isoformat()}:missing": m for m in past_missing}
    fresh = claim_keys(list(keys))
    people = Person.objects.select_related("unit").in_bulk([keys[k][1] for k in fresh])
    managers = managers_of(list({p.unit_id: p.unit for p in people.values()}.values()), COMMENT_PERM)
    for key in fresh:
        _case_id, person_id, start, months = keys[key]
        person = people.get(person_id)
        if person is not None and managers.get(person.unit_id):
            notify(
                recipients=managers[person.unit_id],
                category=category,
                title=f"{person.name} 未提交{period_label(start, months)}思想汇报",
                url=reverse("development:thought_reports") + "?tab=missing",
            )
        sent += 1
    return sent
