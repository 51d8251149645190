"""Meeting services: field rules, lifecycle (every move and every illegal move), invitee
resolution, notifications and reminders."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import override_settings
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.meetings import services, tasks
from cloudbranch.meetings.choices import TRANSITIONS, AttendanceStatus, InviteeScope, MeetingKind, MeetingStatus
from cloudbranch.meetings.models import Invitee, Meeting
from cloudbranch.notifications.models import Notification
from cloudbranch.orgs.roles import Role
from cloudbranch.people.models import CommitteeMembership
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant

from .factories import make_meeting, make_theme

NOW = timezone.now


def _times(days=3, hours=2):
    start = (timezone.localtime() + datetime.timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    return {"starts_at": start, "ends_at": start + datetime.timedelta(hours=hours)}


def _create(world, actor="secretary1", unit=None, **kw):
    args = {"kind": MeetingKind.GENERAL, "title": "支部党员大会", "place": "活动室", **_times(), **kw}
    return services.meeting_create(actor=world.users[actor], unit_id=(unit or world.branch_a1).pk, **args)


# --- create: rules ---------------------------------------------------------------------------


def test_create_makes_an_audited_draft(world):
    m = _create(world, host_id=world.people["member1"].pk)
    assert m.status == MeetingStatus.DRAFT
    assert m.host == world.people["member1"]
    event = AuditEvent.objects.get(action="meetings.meeting.create", target_id=str(m.pk))
    assert event.changes["title"]["new"] == "支部党员大会"


def test_sibling_secretary_cannot_create_in_other_branch(world):
    with pytest.raises(Http404):
        _create(world, actor="secretary2")


def test_member_sees_branch_but_cannot_create(world):
    with pytest.raises(PermissionDenied):
        _create(world, actor="member1")


@pytest.mark.parametrize(
    ("kind", "unit_name", "ok"),
    [
        (MeetingKind.GROUP, "group_a1", True),
        (MeetingKind.GROUP, "branch_a1", False),
        (MeetingKind.GENERAL, "group_a1", False),
        (MeetingKind.LECTURE, "college_a", True),
        (MeetingKind.THEMED_DAY, "branch_a1", True),
    ],
)
def test_kind_fits_unit(world, kind, unit_name, ok):
    unit = getattr(world, unit_name)
    if ok:
        assert _create(world, actor="admin", unit=unit, kind=kind).unit == unit
    else:
        with pytest.raises(DomainError) as exc:
            _create(world, actor="admin", unit=unit, kind=kind)
        assert exc.value.errors[0]["field"] == "kind"


def test_end_must_follow_start(world):
    t = _times()
    with pytest.raises(DomainError) as exc:
        _create(world, starts_at=t["starts_at"], ends_at=t["starts_at"])
    assert {e["field"] for e in exc.value.errors} == {"ends_at"}
    assert not Meeting.objects.exists()


def test_joint_units_must_be_in_scope(world):
    with pytest.raises(DomainError) as exc:
        _create(world, joint_unit_ids=[world.branch_a2.pk])
    assert exc.value.errors[0]["field"] == "joint_units"
    m = _create(world, actor="admin", joint_unit_ids=[world.branch_a2.pk, world.branch_a1.pk])
    assert list(m.joint_units.all()) == [world.branch_a2]


def test_invitee_group_must_be_a_group_under_the_unit(world):
    m = _create(world, invitee_scope=InviteeScope.GROUP, invitee_group_id=world.group_a1.pk)
    assert m.invitee_group == world.group_a1
    for bad in (world.branch_a2.pk, None):
        with pytest.raises(DomainError) as exc:
            _create(world, actor="admin", invitee_scope=InviteeScope.GROUP, invitee_group_id=bad)
        assert exc.value.errors[0]["field"] == "invitee_group"


def test_chosen_people_must_be_of_the_unit(world):
    with pytest.raises(DomainError) as exc:
        _create(world, invitee_scope=InviteeScope.CHOSEN, chosen_people=[world.people["b1_person"].pk])
    assert exc.value.errors[0]["field"] == "chosen_people"
    with pytest.raises(DomainError):
        _create(world, invitee_scope=InviteeScope.CHOSEN, chosen_people=[])


def test_theme_must_come_from_an_ancestor_and_fit_the_month(world):
    t = _times()
    month = t["starts_at"].date()
    admin = world.users["admin"]
    own = make_theme(unit=world.college_a, created_by=admin, month=month)
    sibling = make_theme(unit=world.college_b, created_by=admin, month=month)
    other_month = make_theme(unit=world.root, created_by=admin, month=month - datetime.timedelta(days=40))
    assert _create(world, kind=MeetingKind.THEMED_DAY, theme_id=own.pk).theme == own
    for bad in (sibling, other_month):
        with pytest.raises(DomainError) as exc:
            _create(world, kind=MeetingKind.THEMED_DAY, theme_id=bad.pk)
        assert exc.value.errors[0]["field"] == "theme"


# --- lifecycle -------------------------------------------------------------------------------

ACTIONS = {
    MeetingStatus.SCHEDULED: lambda w, m: services.meeting_schedule(actor=w.users["secretary1"], meeting_id=m.pk),
    MeetingStatus.HELD: lambda w, m: services.meeting_mark_held(actor=w.users["secretary1"], meeting_id=m.pk),
    MeetingStatus.ARCHIVED: lambda w, m: services.meeting_archive(actor=w.users["secretary1"], meeting_id=m.pk),
    MeetingStatus.CANCELLED: lambda w, m: services.meeting_cancel(
        actor=w.users["secretary1"], meeting_id=m.pk, reason="时间冲突"
    ),
}
ILLEGAL = [(s, t) for s in MeetingStatus.values for t in ACTIONS if t not in TRANSITIONS[s]]
LEGAL = [(s, t) for s in MeetingStatus.values for t in ACTIONS if t in TRANSITIONS[s]]


@pytest.mark.parametrize(("status", "target"), ILLEGAL)
def test_illegal_moves_are_conflicts(world, status, target):
    m = make_meeting(unit=world.branch_a1, created_by=world.users["secretary1"], status=status)
    with pytest.raises(ConflictError) as exc:
        ACTIONS[target](world, m)
    assert "的会议不能" in exc.value.message
    m.refresh_from_db()
    assert m.status == status


@pytest.mark.parametrize(("status", "target"), LEGAL)
def test_legal_moves(world, status, target):
    start = NOW() - datetime.timedelta(hours=1) if target == MeetingStatus.HELD else None
    m = make_meeting(unit=world.branch_a1, created_by=world.users["secretary1"], status=status, starts_at=start)
    ACTIONS[target](world, m)
    m.refresh_from_db()
    assert m.status == target
    assert AuditEvent.objects.filter(target_id=str(m.pk), action__startswith="meetings.meeting.").exists()


def test_full_lifecycle(world):
    m = _create(world)
    services.meeting_schedule(actor=world.users["secretary1"], meeting_id=m.pk)
    Meeting.objects.filter(pk=m.pk).update(starts_at=NOW() - datetime.timedelta(minutes=5))
    services.meeting_mark_held(actor=world.users["secretary1"], meeting_id=m.pk)
    services.meeting_archive(actor=world.users["secretary1"], meeting_id=m.pk)
    m.refresh_from_db()
    assert (m.status, bool(m.notified_at), bool(m.held_at), bool(m.archived_at)) == ("archived", True, True, True)
    actions = list(AuditEvent.objects.filter(target_id=str(m.pk)).order_by("id").values_list("action", flat=True))
    assert actions == [
        "meetings.meeting.create",
        "meetings.meeting.schedule",
        "meetings.meeting.held",
        "meetings.meeting.archive",
    ]


def test_held_only_after_start(world):
    m = make_meeting(unit=world.branch_a1, created_by=world.users["secretary1"], status=MeetingStatus.SCHEDULED)
    with pytest.raises(ConflictError, match="尚未开始"):
        services.meeting_mark_held(actor=world.users["secretary1"], meeting_id=m.pk)


def test_cancel_needs_a_reason(world):
    m = make_meeting(unit=world.branch_a1, created_by=world.users["secretary1"])
    with pytest.raises(DomainError) as exc:
        services.meeting_cancel(actor=world.users["secretary1"], meeting_id=m.pk, reason="  ")
    assert not isinstance(exc.value, ConflictError)
    m.refresh_from_db()
    assert m.status == MeetingStatus.DRAFT


@pytest.mark.parametrize("status", [MeetingStatus.HELD, MeetingStatus.ARCHIVED, MeetingStatus.CANCELLED])
def test_update_refused_after_draft_and_scheduled(world, status):
    m = make_meeting(unit=world.branch_a1, created_by=world.users["secretary1"], status=status)
    with pytest.raises(ConflictError, match="不能修改"):
        services.meeting_update(actor=world.users["secretary1"], meeting_id=m.pk, title="改")


def test_schedule_needs_place_or_link(world):
    m = make_meeting(unit=world.branch_a1, created_by=world.users["secretary1"], place="")
    with pytest.raises(DomainError) as exc:
        services.meeting_schedule(actor=world.users["secretary1"], meeting_id=m.pk)
    assert exc.value.errors[0]["field"] == "place"


def test_sibling_and_member_cannot_act(world):
    m = make_meeting(unit=world.branch_a1, created_by=world.users["secretary1"])
    with pytest.raises(Http404):
        services.meeting_schedule(actor=world.users["secretary2"], meeting_id=m.pk)
    with pytest.raises(PermissionDenied):
        services.meeting_schedule(actor=world.users["member1"], meeting_id=m.pk)


# --- invitees --------------------------------------------------------------------------------


@pytest.fixture
def roster(world):
    a1, g1 = world.branch_a1, world.group_a1
    return {
        "probationary": PersonFactory(unit=a1, political_status="probationary", confirmed_on=None),
        "masses": PersonFactory(unit=a1, political_status="masses", joined_on=None, confirmed_on=None),
        "left": PersonFactory(unit=a1, roster_status="transferred_out"),
        "in_group": PersonFactory(unit=g1),
        "group_activist": PersonFactory(unit=g1, political_status="activist", joined_on=None, confirmed_on=None),
    }


def _invited(m):
    return set(Invitee.objects.filter(meeting=m).values_list("person_id", flat=True))


def _schedule(world, m, actor="secretary1"):
    return services.meeting_schedule(actor=world.users[actor], meeting_id=m.pk)


def test_whole_unit_party_members_of_subtree(world, roster):
    m = _create(world)
    _schedule(world, m)
    expected = {world.people["member1"].pk, world.people["a1_other"].pk, roster["probationary"].pk}
    assert _invited(m) == expected | {roster["in_group"].pk}


def test_whole_unit_with_joint_units(world, roster):
    m = _create(world, actor="admin", joint_unit_ids=[world.branch_a2.pk])
    _schedule(world, m, actor="admin")
    invited = _invited(m)
    assert world.people["a2_person"].pk in invited
    assert world.people["b1_person"].pk not in invited
    assert roster["masses"].pk not in invited and roster["left"].pk not in invited


def test_committee_scope(world, roster):
    CommitteeMembership.objects.create(
        unit=world.branch_a1,
        person=world.people["a1_other"],
        position="secretary",
        started_on=datetime.date(2024, 1, 1),
    )
    CommitteeMembership.objects.create(
        unit=world.branch_a1,
        person=roster["probationary"],
        position="member",
        started_on=datetime.date(2023, 1, 1),
        ended_on=datetime.date(2024, 1, 1),
    )
    m = _create(world, kind=MeetingKind.COMMITTEE, invitee_scope=InviteeScope.COMMITTEE)
    _schedule(world, m)
    assert _invited(m) == {world.people["a1_other"].pk}


def test_group_scope(world, roster):
    m = _create(world, invitee_scope=InviteeScope.GROUP, invitee_group_id=world.group_a1.pk)
    _schedule(world, m)
    assert _invited(m) == {roster["in_group"].pk}


def test_chosen_scope_is_stored_then_frozen(world, roster):
    chosen = [world.people["member1"].pk, roster["masses"].pk]
    m = _create(world, invitee_scope=InviteeScope.CHOSEN, chosen_people=chosen)
    assert Meeting.objects.get(pk=m.pk).chosen_people == chosen
    _schedule(world, m)
    assert _invited(m) == set(chosen)


def test_schedule_with_nobody_to_invite_is_refused(world):
    m = _create(world, actor="admin", unit=world.branch_b1)
    Meeting.objects.filter(pk=m.pk).update(invitee_scope=InviteeScope.COMMITTEE)
    with pytest.raises(DomainError, match="没有可通知"):
        _schedule(world, m, actor="admin")
    assert Meeting.objects.get(pk=m.pk).status == MeetingStatus.DRAFT


# --- notifications -------------------------------------------------------------------------------


@pytest.fixture
def reachable(world):
    member = world.users["member1"]
    member.email = "member1@example.edu.cn"
    member.save(update_fields=["email"])
    return member


def _inbox(user):
    return list(Notification.objects.filter(recipient=user).order_by("id").values_list("title", "category", "url"))


def test_schedule_update_cancel_notify(world, reachable, django_capture_on_commit_callbacks):
    m = _create(world, title="三月党员大会")
    with django_capture_on_commit_callbacks(execute=True):
        _schedule(world, m)
    url = f"/meetings/{m.pk}/"
    assert _inbox(reachable) == [("会议通知：三月党员大会", "meeting", url)]
    assert [e.subject for e in mail.outbox] == ["[云端支部] 会议通知：三月党员大会"]
    assert mail.outbox[0].to == ["member1@example.edu.cn"]

    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_update(actor=world.users["secretary1"], meeting_id=m.pk, place="三楼会议室")
    assert _inbox(reachable)[-1][0] == "会议变更：三月党员大会"
    assert "地点" in Notification.objects.filter(recipient=reachable).last().body

    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_cancel(actor=world.users["secretary1"], meeting_id=m.pk, reason="改期")
    assert _inbox(reachable)[-1][0] == "会议取消：三月党员大会"
    assert len(mail.outbox) == 3


def test_draft_changes_notify_nobody(world, reachable):
    m = _create(world)
    services.meeting_update(actor=world.users["secretary1"], meeting_id=m.pk, title="新标题")
    services.meeting_cancel(actor=world.users["secretary1"], meeting_id=m.pk, reason="不开了")
    assert _inbox(reachable) == []


def test_update_of_scheduled_meeting_refreezes_invitees(world, roster):
    m = _create(world)
    _schedule(world, m)
    Invitee.objects.filter(meeting=m, person=world.people["a1_other"]).update(status=AttendanceStatus.LEAVE_REQUESTED)
    services.meeting_update(
        actor=world.users["secretary1"],
        meeting_id=m.pk,
        invitee_scope=InviteeScope.GROUP,
        invitee_group_id=world.group_a1.pk,
    )
    # the group is invited; who already asked for leave stays on the list
    assert _invited(m) == {roster["in_group"].pk, world.people["a1_other"].pk}


def test_unchanged_update_writes_nothing(world, reachable):
    m = _create(world)
    _schedule(world, m)
    before = Notification.objects.count(), AuditEvent.objects.count()
    services.meeting_update(actor=world.users["secretary1"], meeting_id=m.pk, title=m.title)
    assert (Notification.objects.count(), AuditEvent.objects.count()) == before


# --- reminders ---------------------------------------------------------------------------------

DUMMY_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def test_schedule_queues_day_and_hour_reminders(world, django_capture_on_commit_callbacks):
    with override_settings(TASKS=DUMMY_TASKS):
        from django_tasks import default_task_backend

        default_task_backend.clear()
        m = _create(world)
        with django_capture_on_commit_callbacks(execute=True):
            _schedule(world, m)
        m.refresh_from_db()
        queued = [r for r in default_task_backend.results if r.task.name == "send_meeting_reminder"]
        assert sorted((r.args[1], r.task.run_after) for r in queued) == [
            ("day", m.starts_at - datetime.timedelta(days=1)),
            ("hour", m.starts_at - datetime.timedelta(hours=1)),
        ]
        assert {r.args[2] for r in queued} == {services.reminder_version(m)}


def test_reminders_in_the_past_are_not_queued(world, django_capture_on_commit_callbacks):
    with override_settings(TASKS=DUMMY_TASKS):
        from django_tasks import default_task_backend

        default_task_backend.clear()
        start = NOW() + datetime.timedelta(minutes=90)
        m = _create(world, starts_at=start, ends_at=start + datetime.timedelta(hours=1))
        with django_capture_on_commit_callbacks(execute=True):
            _schedule(world, m)
        kinds = [r.args[1] for r in default_task_backend.results if r.task.name == "send_meeting_reminder"]
        assert kinds == ["hour"]


def test_reminder_sent_when_current(world, reachable, roster):
    m = _create(world, title="四月党员大会")
    _schedule(world, m)
    m.refresh_from_db()
    Invitee.objects.filter(meeting=m, person=world.people["a1_other"]).update(status=AttendanceStatus.LEAVE_APPROVED)
    assert tasks.send_meeting_reminder.call(m.pk, "day", services.reminder_version(m)) is True
    assert _inbox(reachable)[-1][0] == "会议提醒：四月党员大会（明天召开）"


def test_reminder_of_a_moved_meeting_is_stale(world, reachable):
    m = _create(world)
    _schedule(world, m)
    m.refresh_from_db()
    old_version = services.reminder_version(m)
    t = _times(days=5)
    services.meeting_update(actor=world.users["secretary1"], meeting_id=m.pk, **t)
    count = Notification.objects.count()
    assert tasks.send_meeting_reminder.call(m.pk, "day", old_version) is False
    assert Notification.objects.count() == count
    # moving it back does not revive the old reminder either
    services.meeting_update(actor=world.users["secretary1"], meeting_id=m.pk, starts_at=m.starts_at, ends_at=m.ends_at)
    assert tasks.send_meeting_reminder.call(m.pk, "day", old_version) is False


def test_reminder_of_a_cancelled_or_missing_meeting_is_stale(world, reachable):
    m = _create(world)
    _schedule(world, m)
    m.refresh_from_db()
    version = services.reminder_version(m)
    services.meeting_cancel(actor=world.users["secretary1"], meeting_id=m.pk, reason="改期")
    count = Notification.objects.count()
    assert tasks.send_meeting_reminder.call(m.pk, "hour", version) is False
    assert tasks.send_meeting_reminder.call(999999, "hour", version) is False
    assert Notification.objects.count() == count


# --- monthly themes ------------------------------------------------------------------------------


def test_theme_publish_normalizes_month_and_is_unique(world):
    admin = world.users["admin"]
    theme = services.monthly_theme_publish(
        actor=admin, unit_id=world.college_a.pk, month=datetime.date(2026, 3, 17), title="学习条例"
    )
    assert theme.month == datetime.date(2026, 3, 1)
    assert AuditEvent.objects.filter(action="meetings.monthlytheme.create", target_id=str(theme.pk)).exists()
    with pytest.raises(ConflictError):
        services.monthly_theme_publish(
            actor=admin, unit_id=world.college_a.pk, month=datetime.date(2026, 3, 2), title="x"
        )


def test_theme_publish_needs_the_grant(world):
    with pytest.raises(PermissionDenied):
        services.monthly_theme_publish(
            actor=world.users["secretary1"], unit_id=world.branch_a1.pk, month=datetime.date(2026, 3, 1), title="x"
        )
    publicist = UserFactory()
    grant(publicist, world.college_a, Role.PUBLICITY_OFFICER)
    with pytest.raises(Http404):
        services.monthly_theme_publish(
            actor=publicist, unit_id=world.college_b.pk, month=datetime.date(2026, 3, 1), title="x"
        )
    assert (
        services.monthly_theme_publish(
            actor=publicist, unit_id=world.branch_a1.pk, month=datetime.date(2026, 3, 1), title="x"
        ).unit
        == world.branch_a1
    )


def test_joint_unit_cannot_be_inside_or_above_the_host(world):
    starts = timezone.now() + datetime.timedelta(days=2)
    for joint in (world.group_a1, world.college_a):
        with pytest.raises(DomainError) as exc:
            services.meeting_create(
                actor=world.users["admin"],
                unit_id=world.branch_a1.pk,
                kind="themed_day",
                title="联合主题党日",
                starts_at=starts,
                ends_at=starts + datetime.timedelta(hours=2),
                place="活动室",
                joint_unit_ids=[joint.pk],
            )
        assert exc.value.errors[0]["field"] == "joint_units"
