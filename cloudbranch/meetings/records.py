"""Records of organizational life: minutes, decisions, attachments, amendments of the archive, talks.

Who may do what with a meeting's record:

* **write** minutes, decisions and attachments: whoever holds ``meetings.change_meeting`` at the
  meeting's unit, or the meeting's recorder (记录人: ``recorder.user`` is the actor); while the
  meeting is scheduled or held. Once archived the record is read-only and corrections are
  appended as audited ``MinutesAmendment`` rows; a cancelled meeting has no record.
* **read** minutes, decisions, attachments and amendments: the host side (``change_meeting`` at
  the meeting's unit or at one of its joint units, or the host/recorder themselves), or an
  invitee who was present (SPEC §2 / issue 4 item 8: members read minutes of meetings they
  attended). Other members who may see the meeting learn only that a record exists.
* a meeting outside every scope of the user (and where they are not invited) is not found (404).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.services import audit_record, field_changes, snapshot
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.orgs.choices import UnitStatus
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import access_by_id, can, granted_prefixes, scope_q
from cloudbranch.people.choices import PARTY_MEMBER_STATUSES, RosterStatus
from cloudbranch.people.models import CommitteeMembership, Person

from . import images
from .choices import AttendanceStatus, MeetingStatus
from .models import Invitee, Meeting, MeetingAttachment, MinutesAmendment, Talk

EDITABLE_STATUSES = (MeetingStatus.SCHEDULED, MeetingStatus.HELD)
ATTACHABLE_STATUSES = (MeetingStatus.DRAFT, MeetingStatus.SCHEDULED, MeetingStatus.HELD)
ARCHIVED_MESSAGE = "已归档的会议记录只能通过更正追加"


# --- access -------------------------------------------------------------------------------


def visible_meetings(user):
    """Meetings the user may see: in a subtree where they hold ``meetings.view_meeting`` (as the
    holding unit or a joint unit), or where they are an invitee."""
    prefixes = granted_prefixes(user, "meetings.view_meeting")
    invited = Invitee.objects.filter(meeting=OuterRef("pk"), person__user_id=user.pk)
    cond = Q(Exists(invited))
    if prefixes:
        joint = Meeting.joint_units.through.objects.filter(meeting_id=OuterRef("pk")).filter(
            scope_q("orgunit__path", prefixes)
        )
        cond |= scope_q("unit__path", prefixes) | Q(Exists(joint))
    return Meeting.objects.filter(cond)


def access_meeting(user, meeting_id) -> Meeting:
    """The meeting if the user may see it (with unit, host and recorder loaded), else Http404."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    try:
        return visible_meetings(user).select_related("unit", "host", "recorder").get(pk=int(meeting_id))
    except (Meeting.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _is_person_of(person: Person | None, user) -> bool:
    return person is not None and person.user_id is not None and person.user_id == user.pk


def may_write(user, meeting: Meeting) -> bool:
    """Permission (not state) to write the record: change_meeting at the unit, or the recorder."""
    return can(user, "meetings.change_meeting", meeting.unit) or _is_person_of(meeting.recorder, user)


def _host_side(user, meeting: Meeting) -> bool:
    if may_write(user, meeting) or _is_person_of(meeting.host, user):
        return True
    prefixes = granted_prefixes(user, "meetings.change_meeting")
    return bool(prefixes) and meeting.joint_units.filter(scope_q("path", prefixes)).exists()


def may_read(user, meeting: Meeting) -> bool:
    """Host side, or an invitee who was present."""
    if _host_side(user, meeting):
        return True
    return Invitee.objects.filter(meeting=meeting, person__user_id=user.pk, status=AttendanceStatus.PRESENT).exists()


def _require_write(user, meeting: Meeting) -> None:
    if not may_write(user, meeting):
        raise PermissionDenied


def _lock(meeting_id: int) -> Meeting:
    return Meeting.objects.select_for_update().select_related("unit", "recorder").get(pk=meeting_id)


# --- minutes ------------------------------------------------------------------------------


def minutes_save(*, actor, meeting_id: int, minutes: str, decisions: str) -> Meeting:
    """Write the minutes (会议记录) and decisions (决议事项) of a scheduled or held meeting.

    Archived meetings are read-only (corrections through ``minutes_amend``); cancelled and draft
    meetings have no record."""
    meeting = access_meeting(actor, meeting_id)
    _require_write(actor, meeting)
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        if meeting.status == MeetingStatus.ARCHIVED:
            raise ConflictError(ARCHIVED_MESSAGE)
        if meeting.status == MeetingStatus.CANCELLED:
            raise ConflictError("会议已取消，不能填写会议记录")
        if meeting.status not in EDITABLE_STATUSES:
            raise ConflictError("会议尚未发出通知，暂不能填写会议记录")
        fields = ("minutes", "decisions")
        before = snapshot(meeting, fields)
        meeting.minutes = (minutes or "").strip()
        meeting.decisions = (decisions or "").strip()
        changes = field_changes(before, meeting, fields=fields)
        if changes:
            meeting.save(update_fields=[*fields, "updated_at"])
            audit_record(actor=actor, action="meetings.minutes.save", target=meeting, changes=changes)
    return meeting


def minutes_amend(*, actor, meeting_id: int, text: str, reason: str) -> MinutesAmendment:
    """Append a correction to the record of an archived meeting; the archived text never changes."""
    meeting = access_meeting(actor, meeting_id)
    _require_write(actor, meeting)
    text, reason = (text or "").strip(), (reason or "").strip()
    errors = []
    if not text:
        errors.append({"field": "text", "message": "请填写更正内容"})
    if not reason:
        errors.append({"field": "reason", "message": "请填写更正原因"})
    elif len(reason) > 500:
        errors.append({"field": "reason", "message": "更正原因不能超过 500 字"})
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        if meeting.status != MeetingStatus.ARCHIVED:
            raise ConflictError("只有已归档的会议才需要更正，未归档的会议记录可以直接修改")
        if errors:
            raise DomainError(errors[0]["message"], errors=errors)
        amendment = MinutesAmendment.objects.create(meeting=meeting, text=text, reason=reason, created_by=actor)
        audit_record(
            actor=actor,
            action="meetings.minutes.amend",
            target=meeting,
            changes={"amendment": {"new": amendment.pk}, "reason": {"new": reason}},
        )
    return amendment


# --- attachments --------------------------------------------------------------------------


def attachment_add(*, actor, meeting_id: int, uploaded_file) -> MeetingAttachment:
    """Store a photo or document of a meeting (not once archived or cancelled). Type and size
    checks and the clean re-encoding of images are in ``images.clean_upload``."""
    meeting = access_meeting(actor, meeting_id)
    _require_write(actor, meeting)
    if uploaded_file is None:
        raise DomainError("请选择要上传的文件", errors=[{"field": "file", "message": "请选择要上传的文件"}])
    _check_attachable(meeting)
    clean = images.clean_upload(uploaded_file)
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _check_attachable(meeting)
        attachment = MeetingAttachment(
            meeting=meeting,
            kind=clean.kind,
            original_name=clean.name[-200:],
            content_type=clean.content_type,
            size=len(clean.data),
            uploaded_by=actor,
        )
        attachment.file.save(clean.name, ContentFile(clean.data), save=False)
        stored = attachment.file.name
        try:
            attachment.save(force_insert=True)
            audit_record(
                actor=actor,
                action="meetings.attachment.add",
                target=attachment,
                changes={"meeting": {"new": meeting.pk}, "name": {"new": attachment.original_name}},
            )
        except Exception:
            attachment.file.storage.delete(stored)
            raise
    return attachment


def _check_attachable(meeting: Meeting) -> None:
    if meeting.status == MeetingStatus.ARCHIVED:
        raise ConflictError("会议已归档，附件不能再增删")
    if meeting.status not in ATTACHABLE_STATUSES:
        raise ConflictError("会议已取消，不能上传或删除附件")


def access_attachment(user, attachment_id) -> MeetingAttachment:
    """An attachment of a meeting the user may see (404 otherwise), with its meeting loaded."""
    try:
        attachment = MeetingAttachment.objects.only("id", "meeting_id").get(pk=int(attachment_id))
    except (MeetingAttachment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    meeting = access_meeting(user, attachment.meeting_id)
    attachment = MeetingAttachment.objects.get(pk=attachment.pk)
    attachment.meeting = meeting
    return attachment


def attachment_for_download(user, attachment_id) -> MeetingAttachment:
    """404 outside scope; 403 for those who see the meeting but may not read its record."""
    attachment = access_attachment(user, attachment_id)
    if not may_read(user, attachment.meeting):
        raise PermissionDenied
    return attachment


def attachment_delete(*, actor, attachment_id: int) -> None:
    attachment = access_attachment(actor, attachment_id)
    _require_write(actor, attachment.meeting)
    with transaction.atomic():
        meeting = _lock(attachment.meeting_id)
        _check_attachable(meeting)
        name, storage = attachment.file.name, attachment.file.storage
        audit_record(
            actor=actor,
            action="meetings.attachment.delete",
            target=attachment,
            changes={"meeting": {"old": meeting.pk}, "name": {"old": attachment.original_name}},
        )
        attachment.delete()
        transaction.on_commit(lambda: storage.delete(name))


# --- reading the record -------------------------------------------------------------------


@dataclass
class Record:
    meeting: Meeting
    can_read: bool
    can_edit: bool  # minutes and decisions may be changed now
    can_attach: bool
    can_amend: bool
    attachments: list
    amendments: list
    attachment_count: int


def meeting_record(user, meeting: Meeting) -> Record:
    """What the records panel shows to ``user``: everything for readers; counts only for others."""
    readable = may_read(user, meeting)
    writer = may_write(user, meeting)
    attachments = list(MeetingAttachment.objects.filter(meeting=meeting).select_related("uploaded_by"))
    amendments = list(MinutesAmendment.objects.filter(meeting=meeting).select_related("created_by")) if readable else []
    return Record(
        meeting=meeting,
        can_read=readable,
        can_edit=writer and meeting.status in EDITABLE_STATUSES,
        can_attach=writer and meeting.status in ATTACHABLE_STATUSES,
        can_amend=writer and meeting.status == MeetingStatus.ARCHIVED,
        attachments=attachments if readable else [],
        amendments=amendments,
        attachment_count=len(attachments),
    )


def attendance_by_status(meeting: Meeting) -> dict:
    """Invitees grouped by attendance: ``{"expected": n, "groups": [(label, status, [names])], counts}``."""
    rows = list(Invitee.objects.filter(meeting=meeting).select_related("person").order_by("person__name", "person_id"))
    groups = {s: [] for s in AttendanceStatus.values}
    for row in rows:
        groups[row.status].append(row.person.name)
    return {
        "expected": len(rows),
        "present": len(groups[AttendanceStatus.PRESENT]),
        "leave": len(groups[AttendanceStatus.LEAVE_APPROVED]),
        "absent": len(rows) - len(groups[AttendanceStatus.PRESENT]) - len(groups[AttendanceStatus.LEAVE_APPROVED]),
        "groups": [(AttendanceStatus(s).label, s, names) for s, names in groups.items() if names],
    }


# --- talks (谈心谈话) -----------------------------------------------------------------------


def _ancestor_ids(unit: OrgUnit) -> list[int]:
    return [int(part) for part in unit.path.strip("/").split("/") if part]


def talk_record(
    *,
    actor,
    unit_id: int,
    interviewer_id: int,
    interviewee_id: int,
    held_on: datetime.date,
    topic: str,
    summary: str = "",
) -> Talk:
    """Record a heart-to-heart talk (支部工作条例 2018 第十九条: at least once a year between
    committee members and members). The interviewer sits on the committee of the unit or of an
    ancestor unit today; the interviewee is a Party member on the roster of the unit's subtree;
    the date is not in the future."""
    unit = access_by_id(actor, OrgUnit, unit_id, action="meetings.add_talk")
    errors: list[dict] = []
    if unit.status != UnitStatus.ACTIVE:
        errors.append({"field": "unit_id", "message": "该组织已撤销或合并，不能登记谈话"})
    interviewer_ok = CommitteeMembership.objects.filter(
        person_id=interviewer_id, unit_id__in=_ancestor_ids(unit), ended_on__isnull=True
    ).exists()
    if not interviewer_ok:
        errors.append({"field": "interviewer_id", "message": "谈话人须为本组织或上级组织的在任委员"})
    interviewee = (
        Person.objects.filter(
            pk=interviewee_id,
            unit__path__startswith=unit.path,
            roster_status=RosterStatus.ACTIVE,
            political_status__in=PARTY_MEMBER_STATUSES,
        )
        .only("id", "name")
        .first()
    )
    if interviewee is None:
        errors.append({"field": "interviewee_id", "message": "谈话对象须为本组织在册的党员（含预备党员）"})
    if interviewer_id == interviewee_id:
        errors.append({"field": "interviewee_id", "message": "谈话人和谈话对象不能是同一人"})
    if held_on is None:
        errors.append({"field": "held_on", "message": "请填写谈话日期"})
    elif held_on > timezone.localdate():
        errors.append({"field": "held_on", "message": "谈话日期不能晚于今天"})
    topic = (topic or "").strip()
    if not topic:
        errors.append({"field": "topic", "message": "请填写谈话主题"})
    elif len(topic) > 200:
        errors.append({"field": "topic", "message": "谈话主题不能超过 200 字"})
    if errors:
        raise DomainError(errors[0]["message"], errors=errors)
    with transaction.atomic():
        talk = Talk.objects.create(
            unit=unit,
            interviewer_id=interviewer_id,
            interviewee_id=interviewee_id,
            held_on=held_on,
            topic=topic,
            summary=(summary or "").strip(),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="meetings.talk.create",
            target=talk,
            # The summary may be personal: the log says it was written, not what it says.
            changes={
                "unit": {"new": unit.pk},
                "interviewer": {"new": interviewer_id},
                "interviewee": {"new": interviewee_id},
                "held_on": {"new": held_on.isoformat()},
                "topic": {"new": topic},
                "summary": {"changed": True},
            },
        )
    return talk


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def talk_list(*, user, filters: dict | None = None):
    """Talks the user may see (``meetings.view_talk``), newest first. Filters: ``unit`` (its
    subtree), ``year``, ``person`` (name of the interviewer or the interviewee, or a person id)."""
    filters = filters or {}
    qs = Talk.objects.restrict(user, "view").select_related("unit", "interviewer", "interviewee")
    unit_id = _int(filters.get("unit"))
    if unit_id:
        unit = OrgUnit.objects.restrict(user, "meetings.view_talk").filter(pk=unit_id).only("path").first()
        qs = qs.filter(unit__path__startswith=unit.path) if unit else qs.none()
    year = _int(filters.get("year"))
    if year:
        qs = qs.filter(held_on__year=year)
    person = str(filters.get("person") or "").strip()
    if person:
        pid = _int(person)
        if pid:
            qs = qs.filter(Q(interviewer_id=pid) | Q(interviewee_id=pid))
        else:
            qs = qs.filter(Q(interviewer__name__contains=person) | Q(interviewee__name__contains=person))
    return qs.order_by("-held_on", "-id")


def talk_units(user, *, perm: str = "meetings.view_talk", limit: int = 200) -> list[OrgUnit]:
    """Active units where the user holds ``perm``, for pickers."""
    return list(
        OrgUnit.objects.restrict(user, perm)
        .filter(status=UnitStatus.ACTIVE)
        .only("id", "name", "code", "path", "depth")
        .order_by("path")[:limit]
    )


def talk_coverage(unit: OrgUnit, year: int) -> tuple[int, list[Person]]:
    """支部工作条例 2018 第十九条 (at least one talk a year): of the Party members (probationary or
    full) on the roster of the unit's subtree, how many had a talk in ``year`` (the interviewer is
    checked to be a committee member when the talk is recorded), and the list of those who had
    none yet. One query whatever the number of members."""
    talked = Talk.objects.filter(interviewee_id=OuterRef("pk"), held_on__year=year)
    rows = (
        Person.objects.filter(
            unit__path__startswith=unit.path,
            roster_status=RosterStatus.ACTIVE,
            political_status__in=PARTY_MEMBER_STATUSES,
        )
        .annotate(has_talk=Exists(talked))
        .select_related("unit")
        .only("id", "name", "political_status", "unit__id", "unit__name")
        .order_by("unit__path", "name", "id")
    )
    covered = 0
    missing: list[Person] = []
    for person in rows:
        if person.has_talk:
            covered += 1
        else:
            missing.append(person)
    return covered, missing


def interviewer_choices(unit: OrgUnit) -> list[CommitteeMembership]:
    """Sitting committee members of the unit and its ancestors (who may lead a talk)."""
    return list(
        CommitteeMembership.objects.filter(unit_id__in=_ancestor_ids(unit), ended_on__isnull=True)
        .select_related("person", "unit")
        .order_by("-unit__depth", "position", "id")
    )


def interviewee_choices(unit: OrgUnit, *, limit: int = 500) -> list[Person]:
    return list(
        Person.objects.filter(
            unit__path__startswith=unit.path,
            roster_status=RosterStatus.ACTIVE,
            political_status__in=PARTY_MEMBER_STATUSES,
        )
        .only("id", "name")
        .order_by("name", "id")[:limit]
    )
