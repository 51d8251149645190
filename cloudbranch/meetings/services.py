"""Writes of organizational life: meetings, their lifecycle, and monthly themes.

Each service takes keyword-only arguments and the acting user, checks permission itself, runs
in one transaction and writes its audit row in that transaction. Mail goes through the
notification service (delivered after commit); reminders are enqueued after commit.

Lifecycle (choices.TRANSITIONS): draft → scheduled → held → archived, or cancelled (with a
reason) from draft or scheduled. Every other move is a ``ConflictError`` (HTTP 409).
"""

from __future__ import annotations

import datetime
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.services import audit_record, field_changes, snapshot
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.notifications.choices import Category
from cloudbranch.notifications.services import notify
from cloudbranch.orgs.choices import UnitKind
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import access_by_id, can
from cloudbranch.people.choices import PARTY_MEMBER_STATUSES, RosterStatus
from cloudbranch.people.models import Person
from cloudbranch.people.selectors import unit_committee

from .choices import TRANSITIONS, AttendanceStatus, InviteeScope, MeetingKind, MeetingStatus
from .models import Invitee, Meeting, MonthlyTheme
from .selectors import ADD_MEETING, ADD_THEME, access_meeting_by_id, month_start

logger = logging.getLogger(__name__)

EDITABLE_FIELDS = (
    "kind",
    "title",
    "topic",
    "theme",
    "starts_at",
    "ends_at",
    "place",
    "online_link",
    "host",
    "recorder",
    "agenda",
    "invitee_scope",
    "invitee_group",
    "chosen_people",
)
AUDITED_FIELDS = ("unit", *EDITABLE_FIELDS, "joint_units")
# Service argument → model field, for the foreign keys given as ids.
ID_ARGS = {"theme_id": "theme", "host_id": "host", "recorder_id": "recorder", "invitee_group_id": "invitee_group"}
# Changes that re-resolve the frozen invitee list of a scheduled meeting.
INVITATION_FIELDS = frozenset({"invitee_scope", "invitee_group", "chosen_people", "joint_units"})
BRANCH_LEVEL_KINDS = frozenset(UnitKind.values) - {UnitKind.GROUP}

REMINDERS = {"day": datetime.timedelta(days=1), "hour": datetime.timedelta(hours=1)}
REMINDER_LABELS = {"day": "明天", "hour": "一小时后"}

VERBS = {
    MeetingStatus.SCHEDULED: "发布通知",
    MeetingStatus.HELD: "标记为已召开",
    MeetingStatus.ARCHIVED: "归档",
    MeetingStatus.CANCELLED: "取消",
}


def _error(field: str, message: str) -> dict:
    return {"field": field, "message": message}


def _raise_if(errors: list[dict]) -> None:
    if errors:
        raise DomainError("请检查填写的内容：" + "；".join(e["message"] for e in errors), errors=errors)


def _check_transition(meeting: Meeting, target: str) -> None:
    if target not in TRANSITIONS[meeting.status]:
        raise ConflictError(
            f"{meeting.get_status_display()}的会议不能{VERBS[target]}。", errors=[_error("status", meeting.status)]
        )


def _locked(actor, meeting_id, *, action: str = "change") -> Meeting:
    return access_meeting_by_id(
        actor, meeting_id, action=action, queryset=Meeting.objects.select_for_update(of=("self",))
    )


def detail_url(meeting: Meeting) -> str:
    return reverse("meetings:detail", args=[meeting.pk])


# --- validation ---------------------------------------------------------------------------


def _validate(meeting: Meeting, *, actor, joint_units: list[OrgUnit]) -> None:
    """Every rule of a meeting's fields; raises one DomainError listing all broken rules."""
    errors: list[dict] = []
    unit = meeting.unit
    if meeting.kind not in MeetingKind.values:
        errors.append(_error("kind", "请选择会议类型"))
    elif meeting.kind == MeetingKind.GROUP and unit.kind != UnitKind.GROUP:
        errors.append(_error("kind", "党小组会只能由党小组召开"))
    elif meeting.kind != MeetingKind.GROUP and unit.kind == UnitKind.GROUP:
        errors.append(_error("kind", f"党小组只能召开党小组会，不能召开{MeetingKind(meeting.kind).label}"))
    if not (meeting.title or "").strip():
        errors.append(_error("title", "请填写标题"))
    if meeting.starts_at is None or meeting.ends_at is None:
        errors.append(_error("starts_at", "请填写开始和结束时间"))
    elif meeting.ends_at <= meeting.starts_at:
        errors.append(_error("ends_at", "结束时间必须晚于开始时间"))
    if meeting.online_link:
        try:
            URLValidator(schemes=["http", "https"])(meeting.online_link)
        except ValidationError:
            errors.append(_error("online_link", "线上会议链接不是有效的网址"))
    paths = [unit.path, *(u.path for u in joint_units)]
    for field in ("host", "recorder"):
        person = getattr(meeting, field)
        if person is not None and (
            person.roster_status != RosterStatus.ACTIVE or not person.unit.path.startswith(tuple(paths))
        ):
            label = "主持人" if field == "host" else "记录人"
            errors.append(_error(field, f"{label}须为本组织在册人员"))
    scope = meeting.invitee_scope
    if scope not in InviteeScope.values:
        errors.append(_error("invitee_scope", "请选择参会范围"))
    if scope == InviteeScope.GROUP:
        group = meeting.invitee_group
        if group is None:
            errors.append(_error("invitee_group", "请选择参会的党小组"))
        elif group.kind != UnitKind.GROUP or not group.path.startswith(unit.path) or not group.is_active:
            errors.append(_error("invitee_group", f"{group.name}不是{unit.name}下的党小组"))
    elif meeting.invitee_group_id is not None:
        meeting.invitee_group = None
    if scope == InviteeScope.CHOSEN:
        chosen = meeting.chosen_people or []
        if not chosen:
            errors.append(_error("chosen_people", "请选择参会人员"))
        else:
            found = set(
                Person.objects.filter(pk__in=chosen, roster_status=RosterStatus.ACTIVE)
                .filter(_subtree_q("unit__path", paths))
                .values_list("pk", flat=True)
            )
            if missing := [pk for pk in chosen if pk not in found]:
                errors.append(_error("chosen_people", f"有 {len(missing)} 名指定人员不是本组织在册人员"))
    elif meeting.chosen_people:
        meeting.chosen_people = []
    theme = meeting.theme
    if theme is not None:
        if theme.unit_id not in (*unit.ancestor_ids, unit.pk):
            errors.append(_error("theme", "只能选用本组织或上级组织发布的月度主题"))
        elif meeting.starts_at is not None and theme.month != month_start(meeting.starts_at):
            errors.append(_error("theme", f"所选主题是 {theme.month:%Y 年 %m 月} 的主题，与会议月份不符"))
    _raise_if(errors)


def _subtree_q(lookup: str, paths) -> Q:
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{lookup}__startswith": path})
    return q


def _joint_units(actor, unit: OrgUnit, ids) -> list[OrgUnit]:
    """The joint units, each active and where the actor may create meetings (same message for
    units that do not exist and units outside the scope: nothing is revealed)."""
    ids = [i for i in dict.fromkeys(_ints(ids or [], "joint_units")) if i != unit.pk]
    if not ids:
        return []
    units = {u.pk: u for u in OrgUnit.objects.restrict(actor, ADD_MEETING).filter(pk__in=ids, status="active")}
    if missing := [i for i in ids if i not in units]:
        raise DomainError(
            "联合组织须为您有权组织会议的党组织",
            errors=[_error("joint_units", f"有 {len(missing)} 个联合组织不在您的管理范围内")],
        )
    # A unit inside the host (its own Party group) or above it already takes part through the
    # host: counting the meeting again for it would double its compliance.
    related = [u for u in units.values() if u.path.startswith(unit.path) or unit.path.startswith(u.path)]
    if related:
        names = "、".join(u.name for u in related)
        raise DomainError(
            "联合组织须为主办组织以外的其他组织",
            errors=[_error("joint_units", f"{names}是主办组织的上级或下级组织，不能作为联合组织")],
        )
    return [units[i] for i in ids]


def _ints(values, field: str) -> list[int]:
    try:
        return [int(v) for v in values]
    except (TypeError, ValueError):
        raise DomainError("请检查填写的内容", errors=[_error(field, "格式不正确")]) from None


def _resolve_refs(fields: dict) -> dict:
    """Turn ``*_id`` arguments into objects; an unknown id is a field error."""
    out = dict(fields)
    models = {"theme": MonthlyTheme, "host": Person, "recorder": Person, "invitee_group": OrgUnit}
    errors = []
    for arg, field in ID_ARGS.items():
        if arg not in out:
            continue
        value = out.pop(arg)
        if value in (None, ""):
            out[field] = None
            continue
        qs = models[field].objects.all()
        if models[field] is Person:
            qs = qs.select_related("unit")
        obj = qs.filter(pk=value).first() if str(value).isdigit() else None
        if obj is None:
            errors.append(_error(field, "所选项不存在"))
        out[field] = obj
    _raise_if(errors)
    if "chosen_people" in out:
        out["chosen_people"] = list(dict.fromkeys(_ints(out["chosen_people"] or [], "chosen_people")))
    return out


def _audit_snapshot(meeting: Meeting, joint_ids: list[int]) -> dict:
    data = snapshot(meeting, AUDITED_FIELDS[:-1])
    data["starts_at"] = meeting.starts_at.isoformat() if meeting.starts_at else None
    data["ends_at"] = meeting.ends_at.isoformat() if meeting.ends_at else None
    data["joint_units"] = sorted(joint_ids)
    return data


# --- meetings -------------------------------------------------------------------------------


def meeting_create(
    *,
    actor,
    unit_id: int,
    kind: str,
    title: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    joint_unit_ids=(),
    **fields,
) -> Meeting:
    """Plan a meeting (a draft) of a unit where the actor holds ``meetings.add_meeting``.

    A 党小组会 belongs to a party group; every other kind to a branch or a unit above it.
    Joint units must each be in the actor's scope; an optional monthly theme must be published
    at the unit or an ancestor for the month of the meeting.
    """
    unknown = set(fields) - set(EDITABLE_FIELDS) - set(ID_ARGS)
    if unknown:
        raise DomainError(f"不能设置这些字段：{', '.join(sorted(unknown))}")
    with transaction.atomic():
        unit = access_by_id(actor, OrgUnit, unit_id)
        if not can(actor, ADD_MEETING, unit):
            raise PermissionDenied
        if not unit.is_active:
            raise DomainError(f"{unit.name}已撤销或合并", errors=[_error("unit", "党组织已撤销或合并")])
        values = _resolve_refs(fields)
        meeting = Meeting(
            unit=unit, kind=kind, title=(title or "").strip(), starts_at=starts_at, ends_at=ends_at, created_by=actor
        )
        for key, value in values.items():
            setattr(meeting, key, value.strip() if isinstance(value, str) else value)
        joint = _joint_units(actor, unit, joint_unit_ids)
        _validate(meeting, actor=actor, joint_units=joint)
        meeting.save()
        meeting.joint_units.set(joint)
        audit_record(
            actor=actor,
            action="meetings.meeting.create",
            target=meeting,
            changes=field_changes({}, _audit_snapshot(meeting, [u.pk for u in joint]), fields=AUDITED_FIELDS),
        )
    return meeting


def meeting_update(*, actor, meeting_id: int, joint_unit_ids=None, **changes) -> Meeting:
    """Change a draft or scheduled meeting. A scheduled meeting's invitees are told of the change
    (and the invitee list is re-resolved if the invitation changed); reminders follow a new time.
    Held, archived and cancelled meetings are read-only."""
    unknown = set(changes) - set(EDITABLE_FIELDS) - set(ID_ARGS)
    if unknown:
        raise DomainError(f"不能修改这些字段：{', '.join(sorted(unknown))}")
    with transaction.atomic():
        meeting = _locked(actor, meeting_id)
        if meeting.status not in (MeetingStatus.DRAFT, MeetingStatus.SCHEDULED):
            raise ConflictError(
                f"{meeting.get_status_display()}的会议不能修改。", errors=[_error("status", meeting.status)]
            )
        old_joint = list(meeting.joint_units.all())
        before = _audit_snapshot(meeting, [u.pk for u in old_joint])
        values = _resolve_refs(changes)
        for key, value in values.items():
            setattr(meeting, key, value.strip() if isinstance(value, str) else value)
        joint = old_joint if joint_unit_ids is None else _joint_units(actor, meeting.unit, joint_unit_ids)
        _validate(meeting, actor=actor, joint_units=joint)
        after = _audit_snapshot(meeting, [u.pk for u in joint])
        diff = field_changes(before, after, fields=AUDITED_FIELDS)
        if not diff:
            return meeting
        if meeting.status == MeetingStatus.SCHEDULED and not (meeting.place or meeting.online_link):
            raise DomainError("已通知的会议须有地点或线上会议链接", errors=[_error("place", "请填写地点或线上链接")])
        if meeting.status == MeetingStatus.SCHEDULED:
            meeting.notified_at = timezone.now()
        meeting.save()
        if "joint_units" in diff:
            meeting.joint_units.set(joint)
        if meeting.status == MeetingStatus.SCHEDULED:
            if set(diff) & INVITATION_FIELDS:
                _refreeze_invitees(meeting, joint)
            _notify_invitees(
                meeting,
                actor=actor,
                title=f"会议变更：{meeting.title}",
                body=_summary(meeting) + "\n变更内容：" + "、".join(_field_label(f) for f in diff),
            )
            _schedule_reminders(meeting)
        audit_record(actor=actor, action="meetings.meeting.update", target=meeting, changes=diff)
    return meeting


def _field_label(field: str) -> str:
    if field == "joint_units":
        return str(Meeting._meta.get_field("joint_units").verbose_name)
    return str(Meeting._meta.get_field(field).verbose_name)


def resolve_invitees(meeting: Meeting, joint_units: list[OrgUnit] | None = None) -> list[Person]:
    """Who is invited, by the meeting's invitee scope:
    whole unit — Party members (probationary and full) on the roster of the unit's subtree and of
    the joint units' subtrees; committee — the current committee seats of the unit (and of the
    joint units); group — Party members of the chosen group; chosen — the chosen people on the roster."""
    joint_units = list(meeting.joint_units.all()) if joint_units is None else joint_units
    units = [meeting.unit, *joint_units]
    scope = meeting.invitee_scope
    on_roster = Person.objects.filter(roster_status=RosterStatus.ACTIVE)
    if scope == InviteeScope.COMMITTEE:
        seen: dict[int, Person] = {}
        for unit in units:
            for seat in unit_committee(unit):
                if seat.person.roster_status == RosterStatus.ACTIVE:
                    seen.setdefault(seat.person_id, seat.person)
        return list(seen.values())
    if scope == InviteeScope.GROUP:
        if meeting.invitee_group is None:
            return []
        qs = on_roster.filter(unit__path__startswith=meeting.invitee_group.path)
        return list(qs.filter(political_status__in=PARTY_MEMBER_STATUSES).order_by("name", "id"))
    if scope == InviteeScope.CHOSEN:
        return list(on_roster.filter(pk__in=meeting.chosen_people or []).order_by("name", "id"))
    qs = on_roster.filter(_subtree_q("unit__path", [u.path for u in units]))
    return list(qs.filter(political_status__in=PARTY_MEMBER_STATUSES).order_by("name", "id"))


def _freeze_invitees(meeting: Meeting, people: list[Person]) -> None:
    Invitee.objects.bulk_create([Invitee(meeting=meeting, person=p) for p in people], ignore_conflicts=True)


def _refreeze_invitees(meeting: Meeting, joint_units: list[OrgUnit]) -> None:
    """A changed invitation of a scheduled meeting: add the newly invited; drop those no longer
    invited unless they already did something (asked for leave, checked in)."""
    wanted = {p.pk: p for p in resolve_invitees(meeting, joint_units)}
    if not wanted:
        raise DomainError("按所选参会范围没有可通知的人员", errors=[_error("invitee_scope", "参会范围内没有人员")])
    current = set(meeting.invitees.values_list("person_id", flat=True))
    meeting.invitees.exclude(person_id__in=wanted).filter(status=AttendanceStatus.INVITED).delete()
    _freeze_invitees(meeting, [p for pk, p in wanted.items() if pk not in current])


def _invitee_user_ids(meeting: Meeting, *, exclude_leave: bool = False) -> list[int]:
    qs = Invitee.objects.filter(meeting=meeting, person__user__isnull=False)
    if exclude_leave:
        qs = qs.exclude(status=AttendanceStatus.LEAVE_APPROVED)
    return list(qs.values_list("person__user_id", flat=True))


def _summary(meeting: Meeting) -> str:
    start = timezone.localtime(meeting.starts_at)
    end = timezone.localtime(meeting.ends_at)
    where = meeting.place or ""
    if meeting.online_link:
        where = f"{where} 线上：{meeting.online_link}".strip()
    return (
        f"{meeting.unit.name} {meeting.get_kind_display()}\n"
        f"时间：{start:%Y-%m-%d %H:%M} 至 {end:%H:%M}\n"
        f"地点：{where or '待定'}"
    )


def _notify_invitees(meeting: Meeting, *, actor, title: str, body: str, exclude_leave: bool = False) -> None:
    notify(
        recipients=_invitee_user_ids(meeting, exclude_leave=exclude_leave),
        category=Category.MEETING,
        title=title,
        body=body,
        url=detail_url(meeting),
        actor=actor,
    )


def reminder_version(meeting: Meeting) -> str:
    """What a queued reminder must still match to be sent: the start time and the time of the last
    notice. A moved meeting (even moved back) or a re-notified one makes older reminders stale."""
    notified = meeting.notified_at.isoformat() if meeting.notified_at else ""
    return f"{meeting.starts_at.isoformat()}|{notified}"


def _schedule_reminders(meeting: Meeting, *, now: datetime.datetime | None = None) -> None:
    """Queue the day-before and hour-before reminders once the transaction commits. Reminders whose
    time has passed are not queued (the notice itself just went out)."""
    from .tasks import send_meeting_reminder

    now = now or timezone.now()
    version = reminder_version(meeting)
    due = [(kind, meeting.starts_at - delta) for kind, delta in REMINDERS.items() if meeting.starts_at - delta > now]
    if not due:
        return
    if not send_meeting_reminder.get_backend().supports_defer:
        logger.info("task backend cannot defer; reminders of meeting %s not queued", meeting.pk)
        return
    meeting_id = meeting.pk

    def enqueue():
        for kind, run_after in due:
            send_meeting_reminder.using(run_after=run_after).enqueue(meeting_id, kind, version)

    transaction.on_commit(enqueue)


def meeting_send_reminder(*, meeting_id: int, kind: str, version: str) -> bool:
    """Send a queued reminder if it is still current: the meeting still exists, is still
    scheduled and has the same ``reminder_version``. Invitees on approved leave are skipped.
    Returns whether it was sent."""
    with transaction.atomic():
        meeting = Meeting.objects.select_related("unit").filter(pk=meeting_id).first()
        if meeting is None or meeting.status != MeetingStatus.SCHEDULED or reminder_version(meeting) != version:
            return False
        when = REMINDER_LABELS.get(kind, "即将")
        _notify_invitees(
            meeting,
            actor=None,
            title=f"会议提醒：{meeting.title}（{when}召开）",
            body=_summary(meeting),
            exclude_leave=True,
        )
    return True


def meeting_schedule(*, actor, meeting_id: int) -> Meeting:
    """Send out a draft: resolve the invitees into a frozen list of ``Invitee`` rows, notify them
    (inbox and e-mail) and queue reminders a day and an hour before. Needs a place or an online link
    and at least one invitee."""
    with transaction.atomic():
        meeting = _locked(actor, meeting_id)
        _check_transition(meeting, MeetingStatus.SCHEDULED)
        joint = list(meeting.joint_units.all())
        _validate(meeting, actor=actor, joint_units=joint)
        if not (meeting.place or meeting.online_link):
            raise DomainError("请先填写会议地点或线上会议链接", errors=[_error("place", "请填写地点或线上链接")])
        people = resolve_invitees(meeting, joint)
        if not people:
            raise DomainError("按所选参会范围没有可通知的人员", errors=[_error("invitee_scope", "参会范围内没有人员")])
        _freeze_invitees(meeting, people)
        before = meeting.status
        meeting.status = MeetingStatus.SCHEDULED
        meeting.notified_at = timezone.now()
        meeting.save(update_fields=["status", "notified_at", "updated_at"])
        _notify_invitees(meeting, actor=actor, title=f"会议通知：{meeting.title}", body=_summary(meeting))
        _schedule_reminders(meeting)
        audit_record(
            actor=actor,
            action="meetings.meeting.schedule",
            target=meeting,
            changes={"status": {"old": before, "new": meeting.status}, "invitees": len(people)},
        )
    return meeting


def meeting_cancel(*, actor, meeting_id: int, reason: str) -> Meeting:
    """Cancel a draft or scheduled meeting, with a reason; invitees of a scheduled one are told."""
    reason = (reason or "").strip()
    with transaction.atomic():
        meeting = _locked(actor, meeting_id)
        _check_transition(meeting, MeetingStatus.CANCELLED)
        if not reason:
            raise DomainError("请填写取消原因", errors=[_error("reason", "请填写取消原因")])
        before = meeting.status
        meeting.status = MeetingStatus.CANCELLED
        meeting.cancel_reason = reason[:500]
        meeting.save(update_fields=["status", "cancel_reason", "updated_at"])
        if before == MeetingStatus.SCHEDULED:
            _notify_invitees(
                meeting,
                actor=actor,
                title=f"会议取消：{meeting.title}",
                body=_summary(meeting) + f"\n取消原因：{meeting.cancel_reason}",
            )
        audit_record(
            actor=actor,
            action="meetings.meeting.cancel",
            target=meeting,
            changes={"status": {"old": before, "new": meeting.status}, "cancel_reason": meeting.cancel_reason},
        )
    return meeting


def meeting_mark_held(*, actor, meeting_id: int, now: datetime.datetime | None = None) -> Meeting:
    """A scheduled meeting took place; only once its start time has passed."""
    now = now or timezone.now()
    with transaction.atomic():
        meeting = _locked(actor, meeting_id)
        _check_transition(meeting, MeetingStatus.HELD)
        if meeting.starts_at > now:
            raise ConflictError("会议尚未开始，不能标记为已召开。", errors=[_error("starts_at", "会议尚未开始")])
        meeting.status = MeetingStatus.HELD
        meeting.held_at = now
        meeting.save(update_fields=["status", "held_at", "updated_at"])
        audit_record(
            actor=actor,
            action="meetings.meeting.held",
            target=meeting,
            changes={"status": {"old": MeetingStatus.SCHEDULED, "new": meeting.status}},
        )
    return meeting


def meeting_archive(*, actor, meeting_id: int) -> Meeting:
    """Archive a held meeting; from then on it is read-only (corrections of the minutes are
    amendments, see records.py)."""
    with transaction.atomic():
        meeting = _locked(actor, meeting_id)
        _check_transition(meeting, MeetingStatus.ARCHIVED)
        meeting.status = MeetingStatus.ARCHIVED
        meeting.archived_at = timezone.now()
        meeting.save(update_fields=["status", "archived_at", "updated_at"])
        audit_record(
            actor=actor,
            action="meetings.meeting.archive",
            target=meeting,
            changes={"status": {"old": MeetingStatus.HELD, "new": meeting.status}},
        )
    return meeting


def allowed_transitions(user, meeting: Meeting) -> list[str]:
    """The lifecycle moves the user may make on the meeting now (for the page's buttons)."""
    if not can(user, "meetings.change_meeting", meeting.unit):
        return []
    started = meeting.starts_at <= timezone.now()
    return [
        s
        for s in (MeetingStatus.SCHEDULED, MeetingStatus.HELD, MeetingStatus.ARCHIVED, MeetingStatus.CANCELLED)
        if s in TRANSITIONS[meeting.status] and (s != MeetingStatus.HELD or started)
    ]


# --- monthly themes -----------------------------------------------------------------------


def monthly_theme_publish(
    *, actor, unit_id: int, month: datetime.date, title: str, description: str = "", materials: str = ""
) -> MonthlyTheme:
    """Publish the theme of a month (一月一主题) at a unit where the actor holds
    ``meetings.add_monthlytheme``; one theme per unit and month. The whole subtree sees it."""
    title = (title or "").strip()
    errors = []
    if not title:
        errors.append(_error("title", "请填写主题"))
    if month is None:
        errors.append(_error("month", "请选择月份"))
    _raise_if(errors)
    month = month_start(month)
    with transaction.atomic():
        unit = access_by_id(actor, OrgUnit, unit_id)
        if not can(actor, ADD_THEME, unit):
            raise PermissionDenied
        if not unit.is_active:
            raise DomainError(f"{unit.name}已撤销或合并", errors=[_error("unit", "党组织已撤销或合并")])
        if MonthlyTheme.objects.filter(unit=unit, month=month).exists():
            raise ConflictError(
                f"{unit.name} {month:%Y 年 %m 月}的主题已经发布", errors=[_error("month", "该月主题已发布")]
            )
        try:
            with transaction.atomic():
                theme = MonthlyTheme.objects.create(
                    unit=unit,
                    month=month,
                    title=title[:200],
                    description=(description or "").strip(),
                    materials=(materials or "").strip(),
                    created_by=actor,
                )
        except IntegrityError:
            raise ConflictError(
                f"{unit.name} {month:%Y 年 %m 月}的主题已经发布", errors=[_error("month", "该月主题已发布")]
            ) from None
        audit_record(
            actor=actor,
            action="meetings.monthlytheme.create",
            target=theme,
            changes={
                "unit": {"old": None, "new": unit.pk},
                "month": {"old": None, "new": month.isoformat()},
                "title": {"old": None, "new": theme.title},
            },
        )
    return theme
