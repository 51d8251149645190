"""Training classes and their syllabus: create/update/advance/cancel a class; offline sessions,
live lectures and online courses built from library resources, with class-hour defaults.

Every write: keyword-only arguments, ``actor``, the permission check inside (``access``),
``transaction.atomic()``, ``audit_record`` in the same transaction.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, Sum
from django.http import Http404

from cloudbranch.accounts.models import User
from cloudbranch.audit.services import audit_record, field_changes
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.learning.audience import audience_q
from cloudbranch.learning.choices import PublishStatus, ResourceKind
from cloudbranch.learning.models import Paper, Resource
from cloudbranch.notifications.choices import Category
from cloudbranch.notifications.services import notify
from cloudbranch.orgs.models import OrgUnit, RoleAssignment
from cloudbranch.orgs.scoping import can, holds
from cloudbranch.people.choices import RosterStatus
from cloudbranch.people.models import Person

from . import access
from .choices import ClassKind, ClassStatus, EnrolmentStatus, SessionKind
from .models import ClassSession, CourseItem, Enrolment, TrainingClass

# --- rules as data ---------------------------------------------------------------------------

#: Class hours needed to pass, per kind, with where the figure comes from. Only the candidates'
#: figure is set by regulation; the others are this product's defaults (editable per class).
PASS_HOURS_DEFAULTS: dict[str, tuple[Decimal, str]] = {
    ClassKind.ACTIVIST: (Decimal("16"), "产品默认值（可在班次中修改）"),
    ClassKind.CANDIDATE: (
        Decimal("24"),
        "《中国共产党发展党员工作细则》第十七条：对发展对象进行短期集中培训，时间一般不少于三天（或不少于24个学时）",
    ),
    ClassKind.PROBATIONARY: (Decimal("16"), "产品默认值（可在班次中修改）"),
    ClassKind.SECRETARY: (Decimal("32"), "产品默认值（可在班次中修改）"),
}
DEFAULT_PERIOD_MINUTES = 45  # one class hour (学时) = one 45-minute period

#: Forward transitions a manager may take; FINISHED is set by the results area's finalize.
ADVANCE = {ClassStatus.DRAFT: ClassStatus.ENROLLING, ClassStatus.ENROLLING: ClassStatus.RUNNING}
CANCELLABLE = {ClassStatus.DRAFT, ClassStatus.ENROLLING, ClassStatus.RUNNING}
EDITABLE = {ClassStatus.DRAFT, ClassStatus.ENROLLING, ClassStatus.RUNNING}

CLASS_FIELDS = (
    "kind",
    "title",
    "year",
    "term",
    "starts_on",
    "ends_on",
    "capacity",
    "pass_hours",
    "period_minutes",
    "head_teacher_id",
    "lecturers",
    "description",
    "enrolment_rule",
    "exam_paper_id",
    "exam_pass_score",
)
SESSION_FIELDS = (
    "kind",
    "title",
    "lecturer",
    "position",
    "starts_at",
    "ends_at",
    "place",
    "stream_url",
    "hours",
    "replay_id",
)
MEDIA_KINDS = (ResourceKind.VIDEO, ResourceKind.AUDIO)
HALF = Decimal("0.5")


def default_pass_hours(kind: str) -> Decimal:
    return PASS_HOURS_DEFAULTS.get(kind, (Decimal("24"), ""))[0]


def hours_for_minutes(minutes: float, period_minutes: int) -> Decimal:
    """Offline/live: the session's length in periods, rounded DOWN to a half hour (90 → 2.0, 100 → 2.0, 45 → 1.0)."""
    periods = Decimal(str(minutes)) / Decimal(period_minutes)
    return ((periods * 2).to_integral_value(rounding=ROUND_FLOOR) / 2).quantize(Decimal("0.1"))


def hours_for_resource(resource: Resource, period_minutes: int) -> Decimal:
    """Online: the resource's length (media: duration; text: required reading time) in periods,
    rounded to the NEAREST half hour, at least 0.5."""
    seconds = resource.duration_seconds if resource.kind in MEDIA_KINDS else resource.min_seconds
    periods = Decimal(seconds or 0) / Decimal(60 * period_minutes)
    rounded = (periods * 2).to_integral_value(rounding=ROUND_HALF_UP) / 2
    return max(rounded, HALF).quantize(Decimal("0.1"))


# --- helpers ---------------------------------------------------------------------------------


def _snapshot(obj, fields) -> dict:
    return {f: getattr(obj, f) for f in fields}


def _invalid(errors: list[dict], message: str = "信息有误，请检查标注的项目。") -> None:
    if errors:
        raise DomainError(message, errors=errors)


def _locked_class(actor, class_id) -> TrainingClass:
    training_class = access.class_for_manager(actor, class_id)
    return TrainingClass.objects.select_for_update().select_related("unit", "head_teacher").get(pk=training_class.pk)


def _head_teacher_ok(user_id, unit: OrgUnit) -> bool:
    """A user with an on-roster person in the unit's subtree, or an active role at the unit,
    in its subtree or above it."""
    if Person.objects.filter(
        user_id=user_id, roster_status=RosterStatus.ACTIVE, unit__path__startswith=unit.path
    ).exists():
        return True
    ancestors = [p for p in _ancestor_paths(unit.path)]
    return (
        RoleAssignment.objects.active()
        .filter(user_id=user_id)
        .filter(Q(unit__path__startswith=unit.path) | Q(unit__path__in=ancestors))
        .exists()
    )


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def validate_rule(rule, unit: OrgUnit) -> list[dict]:
    """``{"since_months": N, "units": [ids in the class unit's subtree]}``, both optional."""
    if rule in (None, ""):
        return []
    if not isinstance(rule, dict):
        return [{"field": "enrolment_rule", "message": "报名条件格式不正确"}]
    errors = []
    unknown = set(rule) - {"since_months", "units"}
    if unknown:
        errors.append({"field": "enrolment_rule", "message": f"不支持的条件：{'、'.join(sorted(unknown))}"})
    months = rule.get("since_months")
    if months is not None and (not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= 120):
        errors.append({"field": "enrolment_rule", "message": "时间范围应为 1–120 个月"})
    units = rule.get("units") or []
    if not isinstance(units, list) or not all(isinstance(u, int) and not isinstance(u, bool) for u in units):
        errors.append({"field": "enrolment_rule", "message": "组织范围应为组织编号列表"})
    elif units:
        inside = set(
            OrgUnit.objects.filter(pk__in=units, path__startswith=unit.path, status="active").values_list(
                "pk", flat=True
            )
        )
        outside = [u for u in units if u not in inside]
        if outside:
            errors.append({"field": "enrolment_rule", "message": "所选组织不在本班招收范围内"})
    return errors


def exam_papers(unit: OrgUnit):
    """Papers a class of ``unit`` may use as its final exam: the unit's or its subtree's, with an
    audience that covers every person of the unit's subtree (else some students could never
    open the exam and never pass)."""
    return Paper.objects.filter(audience_q(unit.path), unit__path__startswith=unit.path)


def _check_class(data: dict, unit: OrgUnit) -> list[dict]:
    errors = []
    if data.get("kind") not in ClassKind.values:
        errors.append({"field": "kind", "message": "请选择班次类型"})
    if not (data.get("title") or "").strip():
        errors.append({"field": "title", "message": "请填写班次名称"})
    year = data.get("year")
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        errors.append({"field": "year", "message": "年度不正确"})
    starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
    if not isinstance(starts_on, datetime.date):
        errors.append({"field": "starts_on", "message": "请填写开班日期"})
    if not isinstance(ends_on, datetime.date):
        errors.append({"field": "ends_on", "message": "请填写结业日期"})
    elif isinstance(starts_on, datetime.date) and ends_on < starts_on:
        errors.append({"field": "ends_on", "message": "结业日期不能早于开班日期"})
    capacity = data.get("capacity")
    if not isinstance(capacity, int) or capacity < 1:
        errors.append({"field": "capacity", "message": "招收人数至少为 1"})
    pass_hours = data.get("pass_hours")
    if pass_hours is None or Decimal(str(pass_hours)) <= 0 or Decimal(str(pass_hours)) > 999:
        errors.append({"field": "pass_hours", "message": "结业所需学时应大于 0"})
    period = data.get("period_minutes")
    if not isinstance(period, int) or not 10 <= period <= 120:
        errors.append({"field": "period_minutes", "message": "每学时分钟数应为 10–120"})
    head = data.get("head_teacher_id")
    if not head or not User.objects.filter(pk=head, is_active=True, duty="").exists():
        errors.append({"field": "head_teacher", "message": "请选择班主任"})
    elif not _head_teacher_ok(head, unit):
        errors.append({"field": "head_teacher", "message": "班主任须为本单位（含下级）人员或在本单位任职"})
    paper_id = data.get("exam_paper_id")
    if paper_id and not exam_papers(unit).filter(pk=paper_id).exists():
        errors.append(
            {"field": "exam_paper", "message": "结业考试须为本单位（含下级）的试卷，且参加范围覆盖本班全部学员"}
        )
    score = data.get("exam_pass_score")
    if score is not None and Decimal(str(score)) < 0:
        errors.append({"field": "exam_pass_score", "message": "考试合格分不能为负数"})
    errors.extend(validate_rule(data.get("enrolment_rule"), unit))
    return errors


def creatable_units(user):
    """Units where ``user`` may open a class."""
    from cloudbranch.orgs.scoping import granted_prefixes, scope_q

    prefixes = granted_prefixes(user, access.ADD_CLASS)
    if not prefixes:
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(scope_q("path", prefixes), status="active").order_by("path")


# --- classes ---------------------------------------------------------------------------------


def class_create(
    *,
    actor,
    unit_id: int,
    kind: str,
    title: str,
    year: int,
    starts_on: datetime.date,
    ends_on: datetime.date,
    capacity: int,
    head_teacher_id: int,
    term: str = "",
    pass_hours: Decimal | None = None,
    period_minutes: int = DEFAULT_PERIOD_MINUTES,
    lecturers: str = "",
    description: str = "",
    enrolment_rule: dict | None = None,
    exam_paper_id: int | None = None,
    exam_pass_score: Decimal | None = None,
) -> TrainingClass:
    unit = OrgUnit.objects.filter(pk=unit_id, status="active").first()
    if unit is None or not can(actor, access.ADD_CLASS, unit):
        if holds(actor, access.ADD_CLASS):
            raise DomainError("无权在该组织开班。", errors=[{"field": "unit", "message": "无权在该组织开班"}])
        raise PermissionDenied
    data = {
        "kind": kind,
        "title": (title or "").strip(),
        "year": year,
        "term": (term or "").strip(),
        "starts_on": starts_on,
        "ends_on": ends_on,
        "capacity": capacity,
        "pass_hours": default_pass_hours(kind) if pass_hours is None else Decimal(str(pass_hours)),
        "period_minutes": period_minutes or DEFAULT_PERIOD_MINUTES,
        "head_teacher_id": head_teacher_id,
        "lecturers": (lecturers or "").strip(),
        "description": description or "",
        "enrolment_rule": enrolment_rule or {},
        "exam_paper_id": exam_paper_id or None,
        "exam_pass_score": exam_pass_score,
    }
    _invalid(_check_class(data, unit), "培训班信息有误，请检查标注的项目。")
    with transaction.atomic():
        training_class = TrainingClass.objects.create(unit=unit, created_by=actor, **data)
        audit_record(
            actor=actor,
            action="school.class.create",
            target=training_class,
            changes=field_changes({}, training_class, fields=("unit_id", *CLASS_FIELDS)),
        )
    return training_class


def class_update(*, actor, class_id: int, **changes) -> TrainingClass:
    unknown = set(changes) - set(CLASS_FIELDS)
    if unknown:
        raise DomainError("不能修改这些项目。", errors=[{"field": f, "message": "不能修改"} for f in sorted(unknown)])
    with transaction.atomic():
        training_class = _locked_class(actor, class_id)
        if training_class.status not in EDITABLE:
            raise ConflictError("班次已结束或已取消，不能修改。")
        if "kind" in changes and changes["kind"] != training_class.kind and training_class.status != ClassStatus.DRAFT:
            raise ConflictError("开放报名后不能修改班次类型。")
        before = _snapshot(training_class, CLASS_FIELDS)
        data = before | changes
        if isinstance(data.get("title"), str):
            data["title"] = data["title"].strip()
        if data.get("pass_hours") is not None:
            data["pass_hours"] = Decimal(str(data["pass_hours"]))
        data["enrolment_rule"] = data.get("enrolment_rule") or {}
        data["exam_paper_id"] = data.get("exam_paper_id") or None
        errors = _check_class(data, training_class.unit)
        places = Enrolment.objects.filter(training_class=training_class, status__in=_place_statuses()).count()
        if isinstance(data.get("capacity"), int) and data["capacity"] < places:
            errors.append({"field": "capacity", "message": f"已有 {places} 人占用名额，招收人数不能少于此数"})
        _invalid(errors, "培训班信息有误，请检查标注的项目。")
        for field, value in data.items():
            setattr(training_class, field, value)
        training_class.save()
        promoted = []
        if training_class.capacity > before["capacity"]:
            from .enrolment import promote_waitlisted

            promoted = promote_waitlisted(training_class, actor=actor)
        changed = field_changes(before, training_class, fields=CLASS_FIELDS)
        if promoted:
            changed["promoted_enrolment_ids"] = [e.pk for e in promoted]
        audit_record(actor=actor, action="school.class.update", target=training_class, changes=changed)
    return training_class


def _place_statuses():
    from .choices import PLACE_STATUSES

    return PLACE_STATUSES


def class_advance(*, actor, class_id: int, to: str) -> TrainingClass:
    """DRAFT → ENROLLING (needs at least one session) → RUNNING. An illegal step is a 409."""
    with transaction.atomic():
        training_class = _locked_class(actor, class_id)
        if ADVANCE.get(training_class.status) != to:
            raise ConflictError(
                f"班次当前为“{training_class.get_status_display()}”，不能变更为“{ClassStatus(to).label if to in ClassStatus.values else to}”。"
            )
        if to == ClassStatus.ENROLLING and not training_class.sessions.exists():
            raise ConflictError("请先安排至少一门课程，再开放报名。")
        before = training_class.status
        training_class.status = to
        training_class.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="school.class.advance",
            target=training_class,
            changes={"status": {"old": before, "new": to}},
        )
    return training_class


def class_cancel(*, actor, class_id: int, reason: str) -> TrainingClass:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写取消原因。", errors=[{"field": "reason", "message": "请填写取消原因"}])
    with transaction.atomic():
        training_class = _locked_class(actor, class_id)
        if training_class.status not in CANCELLABLE:
            raise ConflictError(f"班次当前为“{training_class.get_status_display()}”，不能取消。")
        before = training_class.status
        training_class.status = ClassStatus.CANCELLED
        training_class.cancel_reason = reason[:200]
        training_class.save(update_fields=["status", "cancel_reason"])
        recipients = list(
            Enrolment.objects.filter(
                training_class=training_class,
                status__in=[
                    EnrolmentStatus.ENROLLED,
                    EnrolmentStatus.WAITLISTED,
                    EnrolmentStatus.WITHDRAWAL_REQUESTED,
                ],
                person__user__isnull=False,
            ).values_list("person__user_id", flat=True)
        )
        audit_record(
            actor=actor,
            action="school.class.cancel",
            target=training_class,
            changes={
                "status": {"old": before, "new": ClassStatus.CANCELLED},
                "reason": {"new": reason},
                "notified": {"new": len(recipients)},
            },
        )
        if recipients:
            title = f"培训班“{training_class.title}”已取消"
            transaction.on_commit(
                lambda: notify(
                    recipients=recipients,
                    category=Category.LEARNING,
                    title=title,
                    body=f"取消原因：{reason}",
                    url=f"/school/classes/{training_class.pk}/",
                    actor=actor,
                )
            )
    return training_class


# --- sessions --------------------------------------------------------------------------------


def replay_choices(training_class: TrainingClass):
    return usable_resources(training_class).filter(kind__in=MEDIA_KINDS)


def usable_resources(training_class: TrainingClass):
    """Library resources a class may use: published, visible to the whole of the class's unit subtree."""
    return Resource.objects.filter(audience_q(training_class.unit.path), status=PublishStatus.PUBLISHED)


def _check_session(data: dict, training_class: TrainingClass, session_id: int | None = None) -> list[dict]:
    errors = []
    kind = data.get("kind")
    if kind not in SessionKind.values:
        errors.append({"field": "kind", "message": "请选择课程形式"})
    if not (data.get("title") or "").strip():
        errors.append({"field": "title", "message": "请填写课程名称"})
    starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
    if kind in (SessionKind.OFFLINE, SessionKind.LIVE):
        if not starts_at:
            errors.append({"field": "starts_at", "message": "请填写开始时间"})
        if not ends_at:
            errors.append({"field": "ends_at", "message": "请填写结束时间"})
    if starts_at and ends_at and ends_at <= starts_at:
        errors.append({"field": "ends_at", "message": "结束时间须晚于开始时间"})
    if kind == SessionKind.OFFLINE and not (data.get("place") or "").strip():
        errors.append({"field": "place", "message": "请填写上课地点"})
    if kind == SessionKind.LIVE and not (data.get("stream_url") or "").strip():
        errors.append({"field": "stream_url", "message": "请填写直播或会议链接"})
    replay_id = data.get("replay_id")
    if replay_id:
        if kind != SessionKind.LIVE:
            errors.append({"field": "replay", "message": "只有直播讲座可以设置回放"})
        elif not replay_choices(training_class).filter(pk=replay_id).exists():
            errors.append({"field": "replay", "message": "回放须为本班可见的已发布音视频资源"})
        elif message := _replay_taken(training_class, replay_id, session_id):
            errors.append({"field": "replay", "message": message})
    hours = data.get("hours")
    if hours is not None and not Decimal("0") <= Decimal(str(hours)) <= Decimal("99"):
        errors.append({"field": "hours", "message": "学时应在 0–99 之间"})
    return errors


def _replay_taken(training_class: TrainingClass, resource_id, session_id: int | None) -> str:
    """Why ``resource_id`` cannot be a replay in the class, or "": the same content must not earn
    class hours twice (hours.py: a replay counts as its lecture, "session:<id>")."""
    others = ClassSession.objects.filter(training_class=training_class, kind=SessionKind.LIVE, replay_id=resource_id)
    if session_id is not None:
        others = others.exclude(pk=session_id)
    if others.exists():
        return "该资源已是本班另一场直播讲座的回放"
    if CourseItem.objects.filter(session__training_class=training_class, resource_id=resource_id).exists():
        return "该资源已是本班网络课程的学习内容，不能再作为回放（同一内容不重复计学时）"
    return ""


def _default_session_hours(data: dict, period_minutes: int) -> Decimal:
    if data["kind"] in (SessionKind.OFFLINE, SessionKind.LIVE) and data.get("starts_at") and data.get("ends_at"):
        minutes = (data["ends_at"] - data["starts_at"]).total_seconds() / 60
        return hours_for_minutes(minutes, period_minutes)
    return Decimal("0")


def session_create(
    *,
    actor,
    class_id: int,
    kind: str,
    title: str,
    lecturer: str = "",
    position: int | None = None,
    starts_at: datetime.datetime | None = None,
    ends_at: datetime.datetime | None = None,
    place: str = "",
    stream_url: str = "",
    hours: Decimal | None = None,
    replay_id: int | None = None,
) -> ClassSession:
    with transaction.atomic():
        training_class = _locked_class(actor, class_id)
        if training_class.status not in EDITABLE:
            raise ConflictError("班次已结束或已取消，不能安排课程。")
        data = {
            "kind": kind,
            "title": (title or "").strip(),
            "lecturer": (lecturer or "").strip(),
            "starts_at": starts_at,
            "ends_at": ends_at,
            "place": (place or "").strip(),
            "stream_url": (stream_url or "").strip(),
            "hours": hours,
            "replay_id": replay_id or None,
        }
        _invalid(_check_session(data, training_class), "课程信息有误，请检查标注的项目。")
        if kind == SessionKind.ONLINE:
            data["hours"] = Decimal("0")  # the sum of its items, kept up to date as items change
        elif data["hours"] is None:
            data["hours"] = _default_session_hours(data, training_class.period_minutes)
        if position is None:
            last = training_class.sessions.order_by("-position").values_list("position", flat=True).first()
            position = (last or 0) + 1
        session = ClassSession.objects.create(training_class=training_class, position=position, **data)
        audit_record(
            actor=actor,
            action="school.session.create",
            target=session,
            changes=field_changes({}, session, fields=("training_class_id", *SESSION_FIELDS)),
        )
    return session


def _session_for_manager(actor, session_id) -> ClassSession:
    session = (
        ClassSession.objects.select_related("training_class")
        .filter(training_class__in=access.visible_classes(actor))
        .filter(pk=session_id)
        .first()
        if str(session_id).isdigit()
        else None
    )
    if session is None:
        raise Http404
    training_class = _locked_class(actor, session.training_class_id)
    session = ClassSession.objects.select_for_update().get(pk=session.pk)
    session.training_class = training_class
    return session


def session_update(*, actor, session_id: int, **changes) -> ClassSession:
    allowed = set(SESSION_FIELDS) - {"kind"}
    unknown = set(changes) - allowed
    if unknown:
        raise DomainError("不能修改这些项目。", errors=[{"field": f, "message": "不能修改"} for f in sorted(unknown)])
    with transaction.atomic():
        session = _session_for_manager(actor, session_id)
        training_class = session.training_class
        if training_class.status not in EDITABLE:
            raise ConflictError("班次已结束或已取消，不能修改课程。")
        before = _snapshot(session, SESSION_FIELDS)
        data = before | changes
        for key in ("title", "lecturer", "place", "stream_url"):
            data[key] = (data.get(key) or "").strip()
        data["replay_id"] = data.get("replay_id") or None
        times_changed = "starts_at" in changes or "ends_at" in changes
        if session.kind == SessionKind.ONLINE:
            data["hours"] = before["hours"]
        elif "hours" not in changes or changes["hours"] is None:
            data["hours"] = (
                _default_session_hours(data, training_class.period_minutes) if times_changed else before["hours"]
            )
        _invalid(_check_session(data, training_class, session.pk), "课程信息有误，请检查标注的项目。")
        for field, value in data.items():
            setattr(session, field, value)
        session.save()
        audit_record(
            actor=actor,
            action="school.session.update",
            target=session,
            changes=field_changes(before, session, fields=SESSION_FIELDS),
        )
    return session


def session_delete(*, actor, session_id: int) -> None:
    with transaction.atomic():
        session = _session_for_manager(actor, session_id)
        if session.training_class.status != ClassStatus.DRAFT:
            raise ConflictError("开放报名后不能删除课程，可修改其安排。")
        audit_record(
            actor=actor,
            action="school.session.delete",
            target=session,
            changes={"title": session.title, "kind": session.kind, "training_class_id": session.training_class_id},
        )
        session.delete()


# --- course items ----------------------------------------------------------------------------


def _online_session(actor, session_id) -> ClassSession:
    session = _session_for_manager(actor, session_id)
    if session.kind != SessionKind.ONLINE:
        raise ConflictError("只有网络课程可以选择学习资源。")
    if session.training_class.status not in EDITABLE:
        raise ConflictError("班次已结束或已取消，不能修改课程。")
    return session


def _resum(session: ClassSession) -> Decimal:
    total = session.items.aggregate(total=Sum("hours"))["total"] or Decimal("0")
    session.hours = total
    session.save(update_fields=["hours"])
    return total


def _check_item_hours(hours) -> None:
    if hours is not None and not HALF <= Decimal(str(hours)) <= Decimal("99"):
        raise DomainError("学时应在 0.5–99 之间。", errors=[{"field": "hours", "message": "学时应在 0.5–99 之间"}])


def item_add(*, actor, session_id: int, resource_id: int, hours: Decimal | None = None) -> CourseItem:
    _check_item_hours(hours)
    with transaction.atomic():
        session = _online_session(actor, session_id)
        resource = usable_resources(session.training_class).filter(pk=resource_id).first()
        if resource is None:
            raise DomainError(
                "该资源不存在，或未发布，或本班学员不可见。",
                errors=[{"field": "resource", "message": "请选择本班学员可见的已发布资源"}],
            )
        if session.items.filter(resource=resource).exists():
            raise ConflictError("该资源已在本课程中。")
        if session.training_class.sessions.filter(kind=SessionKind.LIVE, replay=resource).exists():
            raise ConflictError("该资源是本班直播讲座的回放，观看回放已计该讲座的学时，不能再加入网络课程。")
        if hours is None:
            hours = hours_for_resource(resource, session.training_class.period_minutes)
        last = session.items.order_by("-position").values_list("position", flat=True).first()
        item = CourseItem.objects.create(
            session=session, resource=resource, hours=Decimal(str(hours)), position=(last or 0) + 1
        )
        total = _resum(session)
        audit_record(
            actor=actor,
            action="school.item.create",
            target=session,
            changes={"resource_id": resource.pk, "hours": str(item.hours), "session_hours": str(total)},
        )
    return item


def _item_for_manager(actor, item_id) -> CourseItem:
    item = (
        CourseItem.objects.filter(pk=item_id).values_list("session_id", flat=True).first()
        if str(item_id).isdigit()
        else None
    )
    if item is None:
        raise Http404
    session = _online_session(actor, item)
    found = CourseItem.objects.select_related("resource").get(pk=item_id)
    found.session = session
    return found


def item_update(*, actor, item_id: int, hours: Decimal) -> CourseItem:
    if hours is None:
        raise DomainError("请填写学时。", errors=[{"field": "hours", "message": "请填写学时"}])
    _check_item_hours(hours)
    with transaction.atomic():
        item = _item_for_manager(actor, item_id)
        old = item.hours
        item.hours = Decimal(str(hours))
        item.save(update_fields=["hours"])
        total = _resum(item.session)
        audit_record(
            actor=actor,
            action="school.item.update",
            target=item.session,
            changes={
                "resource_id": item.resource_id,
                "hours": {"old": str(old), "new": str(item.hours)},
                "session_hours": str(total),
            },
        )
    return item


def item_remove(*, actor, item_id: int) -> None:
    with transaction.atomic():
        item = _item_for_manager(actor, item_id)
        session = item.session
        audit_record(
            actor=actor,
            action="school.item.delete",
            target=session,
            changes={"resource_id": item.resource_id, "hours": str(item.hours)},
        )
        item.delete()
        _resum(session)
