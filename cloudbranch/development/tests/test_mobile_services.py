"""Mobile members and lost contact: the rules of mobile.py (registration, activities, yearly
reports, the 第二十四条 deadlines, reminders) and who may do what."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.development import mobile
from cloudbranch.development.models import LostContact, MobileRecord, Reminder
from cloudbranch.notifications.models import Notification
from cloudbranch.orgs.choices import UnitKind
from cloudbranch.orgs.roles import Role
from cloudbranch.people.models import PersonEvent
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant, make_unit

D = datetime.date


@pytest.fixture
def mobile_branch(world):
    return make_unit(parent=world.root, kind=UnitKind.MOBILE_BRANCH, name="深圳流动党员党支部", code="MB01")


def register(world, person=None, actor=None, **kw):
    data = {
        "started_on": D(2026, 3, 1),
        "destination": "广东省深圳市",
        "reason": "internship",
        "contact_phone": "13912345678",
    }
    data.update(kw)
    return mobile.mobile_register(
        actor=actor or world.users["secretary1"], person_id=(person or world.people["member1"]).pk, **data
    )


# --- registration ---------------------------------------------------------------------------


def test_register_sets_flag_with_history_and_audit(world, mobile_branch):
    record = register(world, mobile_branch_id=mobile_branch.pk, card_number="LD-001")
    person = world.people["member1"]
    person.refresh_from_db()
    assert person.is_mobile
    assert record.mobile_branch == mobile_branch
    assert PersonEvent.objects.filter(person=person, kind="flags", effective_on=D(2026, 3, 1)).exists()
    event = AuditEvent.objects.get(action="development.mobilerecord.create")
    assert event.changes["contact_phone"] == {"changed": True}  # phone never in clear
    assert "13912345678" not in str(event.changes)


def test_one_active_record_per_person(world):
    register(world)
    with pytest.raises(ConflictError):
        register(world, started_on=D(2026, 4, 1))
    assert MobileRecord.objects.count() == 1


def test_register_after_return_allowed(world):
    record = register(world)
    mobile.mobile_return(actor=world.users["secretary1"], record_id=record.pk, returned_on=D(2026, 6, 1))
    world.people["member1"].refresh_from_db()
    assert not world.people["member1"].is_mobile
    record.refresh_from_db()
    assert record.status == "returned" and record.returned_on == D(2026, 6, 1)
    with pytest.raises(ConflictError):
        mobile.mobile_return(actor=world.users["secretary1"], record_id=record.pk, returned_on=D(2026, 6, 1))
    register(world, started_on=D(2026, 7, 1))
    assert MobileRecord.objects.filter(status="active").count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("contact_phone", "12345"), ("contact_phone", "1391234567a"), ("destination", ""), ("reason", "holiday")],
)
def test_register_validation(world, field, value):
    with pytest.raises(DomainError) as exc:
        register(world, **{field: value})
    assert exc.value.errors[0]["field"] == field
    assert not MobileRecord.objects.exists()


def test_register_only_party_members(world):
    applicant = PersonFactory(unit=world.branch_a1, political_status="applicant", joined_on=None, confirmed_on=None)
    applicant.applied_on = D(2025, 1, 1)
    applicant.save()
    with pytest.raises(DomainError):
        register(world, person=applicant)


def test_mobile_branch_must_be_an_active_mobile_branch(world):
    with pytest.raises(DomainError) as exc:
        register(world, mobile_branch_id=world.branch_a2.pk)
    assert exc.value.errors[0]["field"] == "mobile_branch"


def test_mobile_branch_anywhere_in_the_system(world):
    elsewhere = make_unit(parent=world.college_b, kind=UnitKind.MOBILE_BRANCH, name="外省流动党支部")
    record = register(world, mobile_branch_id=elsewhere.pk)
    assert record.mobile_branch == elsewhere
    assert elsewhere in mobile.mobile_branch_choices("外省")


def test_register_permissions(world):
    # sibling branch secretary: the person is outside scope → 404
    with pytest.raises(Http404):
        register(world, actor=world.users["secretary2"])
    # a member sees nothing of the roster
    with pytest.raises(Http404):
        register(world, actor=world.users["member1"])
    # visible but not allowed: a study officer reads people but cannot register
    reader = UserFactory()
    grant(reader, world.branch_a1, Role.STUDY_OFFICER)
    with pytest.raises(Http404):  # no view_mobilerecord either: the person is not in that scope
        register(world, actor=reader)
    # the committee secretary above may
    cs = UserFactory()
    grant(cs, world.college_a, Role.COMMITTEE_SECRETARY)
    assert register(world, actor=cs).pk


def test_return_permissions(world):
    record = register(world)
    with pytest.raises(Http404):
        mobile.mobile_return(actor=world.users["secretary2"], record_id=record.pk, returned_on=D(2026, 5, 1))
    with pytest.raises(PermissionDenied):  # the member sees their own record but cannot close it
        mobile.mobile_return(actor=world.users["member1"], record_id=record.pk, returned_on=D(2026, 5, 1))


# --- activities and reports -----------------------------------------------------------------


def test_activity_by_branch_is_confirmed_by_member_waits(world):
    record = register(world)
    by_branch = mobile.mobile_activity_add(
        actor=world.users["secretary1"],
        record_id=record.pk,
        kind="org_life",
        occurred_on=D(2026, 4, 10),
        title="四月主题党日（线上）",
        link="腾讯会议 123-456-789",
    )
    assert by_branch.confirmed_by == world.users["secretary1"]
    assert by_branch.link == "腾讯会议 123-456-789"
    by_member = mobile.mobile_activity_add(
        actor=world.users["member1"], record_id=record.pk, kind="dues", occurred_on=D(2026, 4, 12), title="交纳四月党费"
    )
    assert by_member.confirmed_by is None
    with pytest.raises(PermissionDenied):  # the member cannot confirm their own entry
        mobile.mobile_activity_confirm(actor=world.users["member1"], activity_id=by_member.pk)
    with pytest.raises(Http404):
        mobile.mobile_activity_confirm(actor=world.users["secretary2"], activity_id=by_member.pk)
    mobile.mobile_activity_confirm(actor=world.users["secretary1"], activity_id=by_member.pk)
    by_member.refresh_from_db()
    assert by_member.confirmed_by == world.users["secretary1"]
    with pytest.raises(ConflictError):
        mobile.mobile_activity_confirm(actor=world.users["secretary1"], activity_id=by_member.pk)


def test_activity_refused_for_others_and_before_departure(world):
    record = register(world)
    other = UserFactory()
    with pytest.raises(Http404):
        mobile.mobile_activity_add(
            actor=other, record_id=record.pk, kind="study", occurred_on=D(2026, 4, 1), title="学习"
        )
    with pytest.raises(DomainError):
        mobile.mobile_activity_add(
            actor=world.users["member1"], record_id=record.pk, kind="study", occurred_on=D(2026, 2, 1), title="学习"
        )


def test_yearly_report_member_submits_branch_reviews(world):
    record = register(world)
    with pytest.raises(PermissionDenied):  # the branch does not write the member's report
        mobile.mobile_report_submit(actor=world.users["secretary1"], record_id=record.pk, year=2026, content="x")
    report = mobile.mobile_report_submit(
        actor=world.users["member1"], record_id=record.pk, year=2026, content="实习期间按时参加线上组织生活。"
    )
    assert Notification.objects.filter(recipient=world.users["secretary1"]).exists()
    with pytest.raises(DomainError):
        mobile.mobile_report_submit(actor=world.users["member1"], record_id=record.pk, year=2025, content="x")
    with pytest.raises(PermissionDenied):
        mobile.mobile_report_review(actor=world.users["member1"], report_id=report.pk, comment="好")
    with pytest.raises(Http404):
        mobile.mobile_report_review(actor=world.users["secretary2"], report_id=report.pk, comment="好")
    mobile.mobile_report_review(actor=world.users["secretary1"], report_id=report.pk, comment="表现良好。")
    report.refresh_from_db()
    assert report.reviewed_by == world.users["secretary1"]
    assert Notification.objects.filter(recipient=world.users["member1"]).exists()


def test_missing_yearly_reports(world):
    with_report = register(world)
    without = register(world, person=world.people["a1_other"])
    mobile.mobile_report_submit(actor=world.users["member1"], record_id=with_report.pk, year=2026, content="报告")
    missing = list(mobile.missing_mobile_reports(user=world.users["secretary1"], year=2026))
    assert missing == [without]
    assert list(mobile.missing_mobile_reports(user=world.users["secretary2"], year=2026)) == []


# --- lost contact: 第二十四条 deadlines --------------------------------------------------------


def lost(world, lost_since, person=None):
    return mobile.lost_open(
        actor=world.users["secretary1"], person_id=(person or world.people["a1_other"]).pk, lost_since=lost_since
    )


def test_open_sets_flag_and_one_open_case(world):
    case = lost(world, D(2025, 1, 10))
    person = world.people["a1_other"]
    person.refresh_from_db()
    assert person.is_lost_contact
    with pytest.raises(ConflictError):
        lost(world, D(2025, 2, 1))
    assert case.status == "open"


@pytest.mark.parametrize(
    ("lost_since", "one_day_short", "exact"),
    [
        (D(2025, 1, 15), D(2025, 7, 14), D(2025, 7, 15)),
        (D(2023, 8, 31), D(2024, 2, 28), D(2024, 2, 29)),  # month end into a leap February
        (D(2024, 8, 31), D(2025, 2, 27), D(2025, 2, 28)),  # month end clamped
    ],
)
def test_suspension_after_six_months_exact_day(world, lost_since, one_day_short, exact):
    case = lost(world, lost_since)
    actor = world.users["secretary1"]
    with pytest.raises(DomainError) as exc:
        mobile.lost_suspend(actor=actor, lost_id=case.pk, suspended_on=one_day_short)
    assert "第二十四条" in exc.value.message and "6 个月" in exc.value.message
    case = mobile.lost_suspend(actor=actor, lost_id=case.pk, suspended_on=exact)
    assert case.status == "suspended" and case.suspended_on == exact


def test_removal_two_years_after_suspension_exact_day(world):
    case = lost(world, D(2023, 7, 1))
    actor = world.users["secretary1"]
    mobile.lost_suspend(actor=actor, lost_id=case.pk, suspended_on=D(2024, 2, 29))
    with pytest.raises(DomainError) as exc:
        mobile.lost_remove(actor=actor, lost_id=case.pk, removed_on=D(2026, 2, 27))
    assert "2 年" in exc.value.message
    case = mobile.lost_remove(actor=actor, lost_id=case.pk, removed_on=D(2026, 2, 28))  # leap day + 2y clamps
    assert case.status == "removed"
    person = world.people["a1_other"]
    person.refresh_from_db()
    assert person.roster_status == "left"
    assert AuditEvent.objects.filter(action="development.lostcontact.remove").exists()


def test_removal_needs_suspension_first(world):
    case = lost(world, D(2020, 1, 1))
    with pytest.raises(ConflictError):
        mobile.lost_remove(actor=world.users["secretary1"], lost_id=case.pk, removed_on=D(2026, 1, 1))


def test_attempts_and_restore(world):
    case = lost(world, D(2025, 1, 1))
    actor = world.users["secretary1"]
    mobile.lost_attempt_add(actor=actor, lost_id=case.pk, attempted_on=D(2025, 2, 1), method="phone", note="无人接听")
    with pytest.raises(DomainError):  # no successful attempt yet
        mobile.lost_restore(actor=actor, lost_id=case.pk, restored_on=D(2025, 3, 1))
    mobile.lost_attempt_add(
        actor=actor, lost_id=case.pk, attempted_on=D(2025, 3, 1), method="relatives", succeeded=True
    )
    with pytest.raises(ConflictError):  # reached: restore rather than suspend
        mobile.lost_suspend(actor=actor, lost_id=case.pk, suspended_on=D(2025, 8, 1))
    case = mobile.lost_restore(actor=actor, lost_id=case.pk, restored_on=D(2025, 3, 2))
    assert case.status == "restored"
    person = world.people["a1_other"]
    person.refresh_from_db()
    assert not person.is_lost_contact
    with pytest.raises(ConflictError):
        mobile.lost_attempt_add(actor=actor, lost_id=case.pk, attempted_on=D(2025, 3, 5), method="phone")
    assert case.attempts.count() == 2


def test_lost_permissions(world):
    case = lost(world, D(2025, 1, 1))
    with pytest.raises(Http404):
        mobile.lost_attempt_add(
            actor=world.users["secretary2"], lost_id=case.pk, attempted_on=D(2025, 2, 1), method="phone"
        )
    with pytest.raises(Http404):
        mobile.access_lost(world.users["member1"], case.pk)
    with pytest.raises(Http404):
        lost(world, D(2025, 1, 1), person=world.people["a2_person"])


def test_warnings_list_who_is_due(world):
    today = D(2026, 11, 26)
    due_suspend = lost(world, D(2026, 5, 26))  # exactly 6 months
    not_yet = lost(world, D(2026, 5, 27), person=world.people["member1"])
    p3 = PersonFactory(unit=world.branch_a1)
    suspended = lost(world, D(2024, 1, 1), person=p3)
    mobile.lost_suspend(actor=world.users["secretary1"], lost_id=suspended.pk, suspended_on=D(2024, 11, 26))
    due = list(mobile.lost_warnings(user=world.users["secretary1"], today=today))
    assert due_suspend in due and suspended in due and not_yet not in due
    assert list(mobile.lost_warnings(user=world.users["secretary2"], today=today)) == []


def test_latest_start_matches_add_months():
    from cloudbranch.development.rules import add_months

    day = D(2023, 1, 1)
    while day < D(2025, 1, 1):
        for months in (6, 24):
            start = mobile.latest_start(day, months)
            assert add_months(start, months) <= day
            assert add_months(start + datetime.timedelta(days=1), months) > day
        day += datetime.timedelta(days=1)


# --- reminders ------------------------------------------------------------------------------


def test_send_reminders_idempotent(world, settings):
    settings.DEVELOPMENT_MOBILE_REPORT_REMIND_MONTH = 11
    record = register(world)  # member1 has an account
    no_account = register(world, person=world.people["a1_other"])
    lost(world, D(2026, 1, 1), person=PersonFactory(unit=world.branch_a1))
    # October: no yearly-report reminders yet; the lost-contact deadline is reached
    assert mobile.send_reminders(D(2026, 10, 1)) == 1
    assert mobile.send_reminders(D(2026, 10, 2)) == 0
    # November: both mobile members without a report
    assert mobile.send_reminders(D(2026, 11, 1)) == 2
    assert mobile.send_reminders(D(2026, 11, 2)) == 0
    assert Notification.objects.filter(recipient=world.users["member1"], url__contains="/mobile/mine/").exists()
    assert Notification.objects.filter(
        recipient=world.users["secretary1"], title__contains=world.people["a1_other"].name
    ).exists()
    assert Reminder.objects.filter(key=f"mobile:{record.pk}:report:2026").exists()
    assert Reminder.objects.filter(key=f"mobile:{no_account.pk}:report:2026").exists()
    assert LostContact.objects.count() == 1
