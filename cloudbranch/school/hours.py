"""Class hours (学时): what earns them, credited once per student and content.

The rules are data (``HOUR_RULES``, shown on the hours page). Every credit is one ``HourEntry``
whose ``content_key`` names the content; the database constraint (enrolment, content_key) makes
double counting impossible, even when two requests race: the loser's insert fails with an
IntegrityError inside a savepoint and is simply not counted. ``Enrolment.hours`` is then
recomputed from the entries (one aggregate UPDATE) in the same transaction.

Decisions (SPEC §3, issue 13 item 2):

* A live lecture and its replay are the same content ("session:<id>"): whichever comes first
  counts; attending live after watching the replay (or the reverse) never adds.
* The same library resource used in two online sessions of a class counts once
  ("resource:<id>"), with the hours of its first item in syllabus order.
* A live lecture's replay is the lecture's content, not an online item: the syllabus refuses a
  replay that is also an online course item of the class (or the replay of another lecture),
  and crediting skips such a pair should one exist anyway (``_credits_for``).
* Hours are earned only while the student is enrolled (enrolled / withdrawal requested) in a
  RUNNING class. A resource completed earlier (before enrolment, or before the class started) is
  credited when the student opens the course session (``catch_up``, called by the session page):
  the study was done, it only was not yet counted. Catch-up never double counts either.
* Manual credit (补记) by the head teacher or an officer needs a reason and is audited; each one
  is its own content ("manual:<uuid>").
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import DecimalField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.services import audit_record
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.learning.models import StudyProgress
from cloudbranch.orgs.scoping import can

from . import access
from .choices import ClassStatus, EnrolmentStatus, HourSource, SessionKind
from .models import ClassSession, CourseItem, Enrolment, HourEntry

#: Enrolments that are studying: they check in and earn hours.
ACTIVE_STATUSES = (EnrolmentStatus.ENROLLED, EnrolmentStatus.WITHDRAWAL_REQUESTED)
MAX_MANUAL_HOURS = Decimal("99")


@dataclass(frozen=True)
class HourRule:
    source: str
    content_key: str
    hours: str
    when: str
    basis: str


#: The class-hour rules, one row per source (shown to students and officers on the hours page).
HOUR_RULES: tuple[HourRule, ...] = (
    HourRule(
        HourSource.OFFLINE,
        "session:<课程编号>",
        "该课程设定的学时（默认按时长折算：每 45 分钟 1 学时，向下取整到 0.5）",
        "在签到时间内（开始前 30 分钟至结束）扫码或输入签到码签到，或班主任补记签到",
        "议题要求：线下面授以签到计学时；折算规则见 classes.hours_for_minutes",
    ),
    HourRule(
        HourSource.LIVE,
        "session:<课程编号>",
        "该直播讲座设定的学时",
        "直播进行中（开始至结束）签到",
        "议题要求：直播讲座以直播时段内签到计出勤",
    ),
    HourRule(
        HourSource.REPLAY,
        "session:<课程编号>（与直播签到相同）",
        "该直播讲座设定的学时",
        "看完直播回放（学习资源的完成规则：音视频观看达到要求比例）",
        "议题要求：回放计为网络学习，且至多计一次——与直播签到为同一内容，先记者为准，不重复计",
    ),
    HourRule(
        HourSource.ONLINE,
        "resource:<资源编号>",
        "课程条目设定的学时（同一资源在本班多次出现只计一次，取课表中第一次出现的学时）",
        "按学习资源自身的完成规则完成该资源（文章阅读时长、音视频观看比例）；开班前已完成的，在打开该网络课程时补计",
        "议题要求：网络课程以学习资源的学习时长记录为准",
    ),
    HourRule(
        HourSource.MANUAL,
        "manual:<随机编号>",
        "班主任填写的学时（0.5–99）",
        "班主任或举办单位补记，须填写原因，记入审计日志",
        "特殊情况补记（如因公缺席后补课）",
    ),
)


def session_key(session_id: int) -> str:
    return f"session:{session_id}"


def resource_key(resource_id: int) -> str:
    return f"resource:{resource_id}"


def _sum_subquery():
    total = (
        HourEntry.objects.filter(enrolment=OuterRef("pk"))
        .order_by()
        .values("enrolment")
        .annotate(s=Sum("hours"))
        .values("s")
    )
    return Coalesce(Subquery(total), Value(Decimal("0")), output_field=DecimalField(max_digits=5, decimal_places=1))


def recompute(enrolment_ids) -> None:
    """Enrolment.hours = the sum of its entries (one UPDATE, inside the caller's transaction)."""
    ids = list({int(i) for i in enrolment_ids})
    if ids:
        Enrolment.objects.filter(pk__in=ids).update(hours=_sum_subquery())


def _insert(entry: HourEntry) -> bool:
    try:
        with transaction.atomic():
            entry.save(force_insert=True)
    except IntegrityError:
        return False
    return True


def credit(
    *,
    actor,
    enrolment: Enrolment,
    content_key: str,
    source: str,
    hours: Decimal,
    session: ClassSession | None = None,
    resource=None,
    note: str = "",
    now: datetime.datetime | None = None,
) -> HourEntry | None:
    """Credit ``hours`` once per (enrolment, content_key). Returns the entry, or None when that
    content was already counted. Must run inside the caller's transaction; audited."""
    entry = HourEntry(
        enrolment=enrolment,
        content_key=content_key,
        source=source,
        session=session,
        resource=resource,
        hours=hours,
        credited_at=now or timezone.now(),
        note=note[:200],
    )
    if not _insert(entry):
        return None
    recompute([enrolment.pk])
    audit_record(
        actor=actor,
        action="school.hours.credit",
        target=entry,
        changes={
            "enrolment": {"new": enrolment.pk},
            "content_key": {"new": content_key},
            "source": {"new": source},
            "hours": {"new": str(hours)},
            **({"note": {"new": note}} if note else {}),
        },
    )
    return entry


def credit_session(*, actor, enrolment: Enrolment, session: ClassSession, now=None) -> HourEntry | None:
    """Hours for attending an offline session or a live lecture (called by check-in)."""
    source = HourSource.LIVE if session.kind == SessionKind.LIVE else HourSource.OFFLINE
    return credit(
        actor=actor,
        enrolment=enrolment,
        content_key=session_key(session.pk),
        source=source,
        hours=session.hours,
        session=session,
        now=now,
    )


def _credits_for(enrolments: list[Enrolment], resource_ids: set[int]) -> list[dict]:
    """What completing ``resource_ids`` earns in ``enrolments`` (two queries): online items
    (first in syllabus order per class and resource) and live replays. A resource that is the
    replay of a live lecture of the class earns that lecture's hours only ("session:<id>", shared
    with the live check-in), never an online item's as well."""
    if not enrolments or not resource_ids:
        return []
    by_class = {e.training_class_id: e for e in enrolments}
    out: list[dict] = []
    seen: set[tuple[int, str]] = set()
    lives = list(
        ClassSession.objects.filter(
            kind=SessionKind.LIVE, replay_id__in=resource_ids, training_class_id__in=list(by_class)
        )
        .select_related("replay")
        .order_by("position", "starts_at", "id")
    )
    # A live lecture's replay is that lecture's content: never also an online item, and one
    # replay shown under two lectures counts for the first of them only.
    replays = {(s.training_class_id, s.replay_id) for s in lives}
    items = (
        CourseItem.objects.filter(
            resource_id__in=resource_ids,
            session__kind=SessionKind.ONLINE,
            session__training_class_id__in=list(by_class),
        )
        .select_related("session", "resource")
        .order_by("session__position", "session__starts_at", "session_id", "position", "id")
    )
    for item in items:
        if (item.session.training_class_id, item.resource_id) in replays:
            continue
        enrolment = by_class[item.session.training_class_id]
        key = resource_key(item.resource_id)
        if (enrolment.pk, key) in seen:
            continue
        seen.add((enrolment.pk, key))
        out.append(
            {
                "enrolment": enrolment,
                "content_key": key,
                "source": HourSource.ONLINE,
                "hours": item.hours,
                "session": item.session,
                "resource": item.resource,
            }
        )
    for session in lives:
        enrolment = by_class[session.training_class_id]
        key = session_key(session.pk)
        replay_seen = (enrolment.pk, f"replay:{session.replay_id}")
        if (enrolment.pk, key) in seen or replay_seen in seen:
            continue
        seen.update({(enrolment.pk, key), replay_seen})
        out.append(
            {
                "enrolment": enrolment,
                "content_key": key,
                "source": HourSource.REPLAY,
                "hours": session.hours,
                "session": session,
                "resource": session.replay,
            }
        )
    return out


def _apply(credits: list[dict], *, actor, now, note: str = "") -> list[HourEntry]:
    """Insert the entries that are not there yet; one aggregate UPDATE per call."""
    if not credits:
        return []
    existing = set(
        HourEntry.objects.filter(
            enrolment_id__in={c["enrolment"].pk for c in credits},
            content_key__in={c["content_key"] for c in credits},
        ).values_list("enrolment_id", "content_key")
    )
    created = []
    for c in credits:
        if (c["enrolment"].pk, c["content_key"]) in existing:
            continue
        entry = HourEntry(credited_at=now, note=note, **c)
        if _insert(entry):
            created.append(entry)
    if created:
        recompute(e.enrolment_id for e in created)
        for entry in created:
            audit_record(
                actor=actor,
                action="school.hours.credit",
                target=entry,
                changes={
                    "enrolment": {"new": entry.enrolment_id},
                    "content_key": {"new": entry.content_key},
                    "source": {"new": entry.source},
                    "hours": {"new": str(entry.hours)},
                    **({"note": {"new": note}} if note else {}),
                },
            )
    return created


def on_resource_completed(*, person, resource, progress=None, now=None) -> list[HourEntry]:
    """learning completion hook (runs inside the transaction that completes the resource): credit
    the person's running classes that use the resource as an online course item or as a live
    lecture's replay. Three queries to find out, plus the writes of what is credited."""
    now = now or timezone.now()
    enrolments = list(
        Enrolment.objects.filter(person=person, status__in=ACTIVE_STATUSES, training_class__status=ClassStatus.RUNNING)
        .filter(
            Q(training_class__sessions__items__resource=resource, training_class__sessions__kind=SessionKind.ONLINE)
            | Q(training_class__sessions__replay=resource, training_class__sessions__kind=SessionKind.LIVE)
        )
        .distinct()
    )
    return _apply(_credits_for(enrolments, {resource.pk}), actor=getattr(person, "user", None), now=now)


def catch_up(*, enrolment: Enrolment, session: ClassSession, actor=None, now=None) -> list[HourEntry]:
    """Credit what the student completed before the hook could count it (completed before
    enrolment or before the class was running): called when the student opens ``session``. Only
    for an active enrolment in a running class; a no-op (two queries) when nothing is missing."""
    if enrolment.status not in ACTIVE_STATUSES or enrolment.training_class.status != ClassStatus.RUNNING:
        return []
    if session.kind == SessionKind.ONLINE:
        resource_ids = set(session.items.values_list("resource_id", flat=True))
    elif session.kind == SessionKind.LIVE and session.replay_id:
        resource_ids = {session.replay_id}
    else:
        return []
    done = set(
        StudyProgress.objects.filter(
            person_id=enrolment.person_id, resource_id__in=resource_ids, completed_at__isnull=False
        ).values_list("resource_id", flat=True)
    )
    if not done:
        return []
    with transaction.atomic():
        credits = [c for c in _credits_for([enrolment], done) if c["session"].pk == session.pk]
        return _apply(credits, actor=actor, now=now or timezone.now(), note="补计：打开课程时发现此前已完成")


# --- manual credit ---------------------------------------------------------------------------


def _parse_hours(value) -> Decimal:
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError, TypeError):
        hours = None
    if hours is None or not Decimal("0.5") <= hours <= MAX_MANUAL_HOURS:
        message = "学时应在 0.5–99 之间"
        raise DomainError(message, errors=[{"field": "hours", "message": message}])
    return hours


def manual_credit(*, actor, enrolment_id: int, hours, reason: str, now=None) -> HourEntry:
    """The head teacher (or an officer of the class's unit) credits hours with a reason (audited)."""
    reason = (reason or "").strip()
    with transaction.atomic():
        enrolment = enrolment_for_viewer(actor, enrolment_id)
        training_class = enrolment.training_class
        if not access.may_manage(actor, training_class):
            raise PermissionDenied
        enrolment = (
            Enrolment.objects.select_for_update().select_related("training_class", "person").get(pk=enrolment.pk)
        )
        if training_class.status != ClassStatus.RUNNING:
            raise ConflictError("只有培训中的班次可以补记学时。")
        if enrolment.status not in ACTIVE_STATUSES:
            raise ConflictError(f"该学员状态为“{enrolment.get_status_display()}”，不能补记学时。")
        errors = []
        try:
            value = _parse_hours(hours)
        except DomainError as exc:
            errors += exc.errors
            value = None
        if not reason:
            errors.append({"field": "reason", "message": "请填写补记原因"})
        if errors:
            raise DomainError("补记信息有误，请检查标注的项目。", errors=errors)
        entry = credit(
            actor=actor,
            enrolment=enrolment,
            content_key=f"manual:{uuid.uuid4().hex}",
            source=HourSource.MANUAL,
            hours=value,
            note=reason,
            now=now,
        )
    return entry


# --- reading ---------------------------------------------------------------------------------


def may_view_enrolment(user, enrolment: Enrolment) -> bool:
    """The student, the class's managers and viewers, and whoever follows the student's unit."""
    if not access._authenticated(user):
        return False
    if enrolment.person.user_id == user.pk:
        return True
    if access.may_view_all_students(user, enrolment.training_class):
        return True
    return can(user, access.VIEW_ENROLMENT, enrolment.person.unit)


def enrolment_for_viewer(user, enrolment_id) -> Enrolment:
    """The enrolment if ``user`` may see its hours, else 404."""
    try:
        enrolment = Enrolment.objects.select_related(
            "training_class__unit", "training_class__head_teacher", "person__unit"
        ).get(pk=int(enrolment_id))
    except (Enrolment.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None
    if not may_view_enrolment(user, enrolment):
        raise Http404
    return enrolment


def hour_entries(enrolment: Enrolment):
    return (
        HourEntry.objects.filter(enrolment=enrolment)
        .select_related("session", "resource")
        .order_by("-credited_at", "-id")
    )


def hours_by_source(enrolment: Enrolment) -> list[tuple[str, Decimal]]:
    rows = dict(
        HourEntry.objects.filter(enrolment=enrolment)
        .order_by()
        .values("source")
        .annotate(s=Sum("hours"))
        .values_list("source", "s")
    )
    return [(label, rows[value]) for value, label in HourSource.choices if rows.get(value)]
