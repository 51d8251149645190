"""Minutes, decisions and the read-only archive with amendments; who reads the record."""

import datetime
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.meetings import records
from cloudbranch.meetings.choices import AttendanceStatus, MeetingKind, MeetingStatus
from cloudbranch.meetings.models import Invitee, Meeting, MinutesAmendment
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant

HTMX = {"HTTP_HX_REQUEST": "true"}


def make_meeting(world, *, status=MeetingStatus.HELD, unit=None, kind=MeetingKind.GENERAL, when=None, **fields):
    starts = when or (timezone.now() - datetime.timedelta(days=1))
    return Meeting.objects.create(
        unit=unit or world.branch_a1,
        kind=kind,
        title=fields.pop("title", "第一季度支部党员大会"),
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        place="党员活动室",
        agenda="1. 学习\n2. 讨论",
        status=status,
        created_by=world.users["secretary1"],
        **fields,
    )


def invite(meeting, person, status=AttendanceStatus.PRESENT):
    return Invitee.objects.create(meeting=meeting, person=person, status=status)


@pytest.fixture
def recorder(world):
    """A plain member of branch a1 who is the recorder of meetings."""
    user = UserFactory(username="recorder1", display_name="记录人")
    grant(user, world.branch_a1, Role.MEMBER)
    return PersonFactory(unit=world.branch_a1, name="记录员", user=user)


# --- services -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [MeetingStatus.SCHEDULED, MeetingStatus.HELD])
def test_minutes_saved_while_scheduled_or_held_and_audited(world, status):
    meeting = make_meeting(world, status=status)
    records.minutes_save(actor=world.users["secretary1"], meeting_id=meeting.pk, minutes=" 记录 ", decisions="决议一")
    meeting.refresh_from_db()
    assert (meeting.minutes, meeting.decisions) == ("记录", "决议一")
    event = AuditEvent.objects.get(action="meetings.minutes.save")
    assert event.target_id == str(meeting.pk)
    assert event.changes["minutes"] == {"old": "", "new": "记录"}


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (MeetingStatus.ARCHIVED, "已归档的会议记录只能通过更正追加"),
        (MeetingStatus.CANCELLED, "会议已取消，不能填写会议记录"),
        (MeetingStatus.DRAFT, "会议尚未发出通知，暂不能填写会议记录"),
    ],
)
def test_minutes_refused_in_other_states(world, status, message):
    meeting = make_meeting(world, status=status, minutes="原记录")
    with pytest.raises(ConflictError) as exc:
        records.minutes_save(actor=world.users["secretary1"], meeting_id=meeting.pk, minutes="改", decisions="")
    assert exc.value.message == message
    meeting.refresh_from_db()
    assert meeting.minutes == "原记录"
    assert not AuditEvent.objects.filter(action="meetings.minutes.save").exists()


def test_recorder_may_write_other_members_may_not(world, recorder):
    meeting = make_meeting(world, recorder=recorder)
    records.minutes_save(actor=recorder.user, meeting_id=meeting.pk, minutes="记录人写的", decisions="")
    assert Meeting.objects.get(pk=meeting.pk).minutes == "记录人写的"
    with pytest.raises(PermissionDenied):
        records.minutes_save(actor=world.users["member1"], meeting_id=meeting.pk, minutes="x", decisions="")
    with pytest.raises(Http404):
        records.minutes_save(actor=world.users["secretary2"], meeting_id=meeting.pk, minutes="x", decisions="")


def test_amendment_only_for_archived_and_archive_text_unchanged(world):
    meeting = make_meeting(world, status=MeetingStatus.HELD, minutes="原文")
    with pytest.raises(ConflictError):
        records.minutes_amend(actor=world.users["secretary1"], meeting_id=meeting.pk, text="补", reason="漏记")
    Meeting.objects.filter(pk=meeting.pk).update(status=MeetingStatus.ARCHIVED, archived_at=timezone.now())
    with pytest.raises(DomainError) as exc:
        records.minutes_amend(actor=world.users["secretary1"], meeting_id=meeting.pk, text="补", reason=" ")
    assert exc.value.errors == [{"field": "reason", "message": "请填写更正原因"}]
    amendment = records.minutes_amend(
        actor=world.users["secretary1"], meeting_id=meeting.pk, text="第二项决议应为……", reason="记录有误"
    )
    meeting.refresh_from_db()
    assert meeting.minutes == "原文"
    assert list(MinutesAmendment.objects.filter(meeting=meeting)) == [amendment]
    event = AuditEvent.objects.get(action="meetings.minutes.amend")
    assert event.changes["reason"] == {"new": "记录有误"}
    with pytest.raises(Http404):
        records.minutes_amend(actor=world.users["secretary2"], meeting_id=meeting.pk, text="x", reason="y")


def test_who_reads_the_record(world, recorder):
    meeting = make_meeting(world, recorder=recorder, minutes="内容")
    member = world.people["member1"]
    assert records.may_read(world.users["secretary1"], meeting)
    assert records.may_read(world.users["admin"], meeting)
    assert records.may_read(recorder.user, meeting)  # the recorder, even without a present invitee row
    assert not records.may_read(world.users["member1"], meeting)  # not invited
    invitee = invite(meeting, member, AttendanceStatus.ABSENT)
    assert not records.may_read(world.users["member1"], meeting)
    Invitee.objects.filter(pk=invitee.pk).update(status=AttendanceStatus.PRESENT)
    assert records.may_read(world.users["member1"], meeting)


def test_joint_unit_invitee_sees_meeting_of_other_branch(world):
    """A member of a joint unit is invited though the holding unit is outside their scope."""
    meeting = make_meeting(world, unit=world.branch_a2)
    meeting.joint_units.add(world.branch_a1)
    with pytest.raises(Http404):
        records.access_meeting(world.users["member1"], meeting.pk + 1000)
    assert records.access_meeting(world.users["secretary1"], meeting.pk) == meeting  # joint unit in scope
    other = make_meeting(world, unit=world.branch_b1)
    with pytest.raises(Http404):
        records.access_meeting(world.users["member1"], other.pk)
    invite(other, world.people["member1"])
    assert records.access_meeting(world.users["member1"], other.pk) == other
    assert records.may_read(world.users["member1"], other)


# --- pages --------------------------------------------------------------------------------


def test_panel_shows_edit_form_to_secretary(world, login):
    meeting = make_meeting(world, minutes="已有记录")
    response = login(world.users["secretary1"]).get(reverse("meetings:records_panel", args=[meeting.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="minutes"' in html and "已有记录" in html
    assert 'hx-encoding="multipart/form-data"' in html
    assert reverse("meetings:print", args=[meeting.pk]) in html


def test_panel_for_members(world, login):
    meeting = make_meeting(world, minutes="机密讨论内容")
    client = login(world.users["member1"])
    html = client.get(reverse("meetings:records_panel", args=[meeting.pk])).content.decode()
    assert "本次会议已有会议记录" in html and "机密讨论内容" not in html and 'name="minutes"' not in html
    invite(meeting, world.people["member1"])
    html = client.get(reverse("meetings:records_panel", args=[meeting.pk])).content.decode()
    assert "机密讨论内容" in html and 'name="minutes"' not in html


def test_panel_of_sibling_branch_is_not_found(world, login):
    meeting = make_meeting(world)
    client = login(world.users["secretary2"])
    assert client.get(reverse("meetings:records_panel", args=[meeting.pk])).status_code == 404
    response = client.post(reverse("meetings:minutes_save", args=[meeting.pk]), {"minutes": "x"}, **HTMX)
    assert response.status_code == 404


def test_panel_saves_minutes_by_htmx(world, login):
    meeting = make_meeting(world)
    response = login(world.users["secretary1"]).post(
        reverse("meetings:minutes_save", args=[meeting.pk]), {"minutes": "新记录", "decisions": "通过"}, **HTMX
    )
    assert response.status_code == 200
    assert 'id="records-panel"' in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.decisions == "通过"


def test_panel_refuses_archived_minutes_with_message(world, login):
    meeting = make_meeting(world, status=MeetingStatus.ARCHIVED, minutes="归档原文")
    client = login(world.users["secretary1"])
    response = client.post(reverse("meetings:minutes_save", args=[meeting.pk]), {"minutes": "改写"}, **HTMX)
    assert response.status_code == 409
    assert "已归档的会议记录只能通过更正追加" in response.content.decode()
    assert Meeting.objects.get(pk=meeting.pk).minutes == "归档原文"
    html = client.get(reverse("meetings:records_panel", args=[meeting.pk])).content.decode()
    assert 'name="minutes"' not in html and 'name="reason"' in html
    response = client.post(reverse("meetings:amendment_add", args=[meeting.pk]), {"text": "补充", "reason": ""}, **HTMX)
    assert response.status_code == 422 and "请填写更正原因" in response.content.decode()
    response = client.post(
        reverse("meetings:amendment_add", args=[meeting.pk]), {"text": "补充一句", "reason": "漏记"}, **HTMX
    )
    assert response.status_code == 200 and "补充一句" in response.content.decode()


def test_print_page(world, login, recorder):
    meeting = make_meeting(world, recorder=recorder, host=world.people["a1_other"], minutes="讨论了发展工作")
    meeting.joint_units.add(world.branch_a2)
    invite(meeting, world.people["member1"], AttendanceStatus.PRESENT)
    invite(meeting, world.people["a1_other"], AttendanceStatus.PRESENT)
    invite(meeting, recorder, AttendanceStatus.LEAVE_APPROVED)
    invite(meeting, PersonFactory(unit=world.branch_a1, name="缺席者"), AttendanceStatus.ABSENT)
    response = login(world.users["secretary1"]).get(reverse("meetings:print", args=[meeting.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "计算机本科第一党支部",
        "支部党员大会会议记录",
        "党员活动室",
        "应到 4 人，实到 2 人，请假 1 人，缺席 1 人",
        "党员一、张一",
        "缺席者",
        "讨论了发展工作",
        "计算机本科第二党支部",
        "@media print",
    ):
        assert text in html, text


def test_print_page_permissions(world, login):
    meeting = make_meeting(world)
    url = reverse("meetings:print", args=[meeting.pk])
    assert login(world.users["secretary2"]).get(url).status_code == 404
    assert login(world.users["member1"]).get(url).status_code == 403
    invite(meeting, world.people["member1"])
    assert login(world.users["member1"]).get(url).status_code == 200


# --- API ----------------------------------------------------------------------------------


def test_api_minutes(world, login):
    meeting = make_meeting(world)
    client = login(world.users["secretary1"])
    url = f"/api/meetings/{meeting.pk}/minutes"
    response = client.put(
        url, json.dumps({"minutes": "API 记录", "decisions": "决议"}), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["minutes"] == "API 记录" and response.json()["can_edit"] is True
    assert client.get(url).json()["decisions"] == "决议"
    Meeting.objects.filter(pk=meeting.pk).update(status=MeetingStatus.ARCHIVED)
    response = client.put(url, json.dumps({"minutes": "改"}), content_type="application/json")
    assert response.status_code == 409
    assert response.json()["detail"] == "已归档的会议记录只能通过更正追加"
    response = client.post(
        f"/api/meetings/{meeting.pk}/amendments",
        json.dumps({"text": "更正", "reason": "笔误"}),
        content_type="application/json",
    )
    assert response.status_code == 201
    assert [a["text"] for a in client.get(url).json()["amendments"]] == ["更正"]
    assert login(world.users["secretary2"]).get(url).status_code == 404
    assert login(world.users["member1"]).get(url).status_code == 403
