"""Thought reports: periods and policies, who submits, who reads and comments, missing reports
and reminders (thought.py)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import DomainError
from cloudbranch.development import thought
from cloudbranch.development.models import ThoughtReport
from cloudbranch.development.tests.factories import add_contact, make_case
from cloudbranch.notifications.models import Notification
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import UserFactory, grant

D = datetime.date


def reporter_case(world, unit=None, applied_on=D(2025, 3, 1)):
    case = make_case(actor=world.users["secretary1"], unit=unit or world.branch_a1, applied_on=applied_on)
    user = UserFactory()
    case.person.user = user
    case.person.save(update_fields=["user"])
    return case, user


def sponsor_of(case):
    contact = add_contact(case)
    user = UserFactory()
    contact.person.user = user
    contact.person.save(update_fields=["user"])
    return user


def submit(user, today=D(2026, 5, 10), **kw):
    data = {"title": "第二季度思想汇报", "content": "学习了党章。"}
    data.update(kw)
    return thought.report_submit(actor=user, today=today, **data)


# --- periods and policies -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "start", "end"),
    [
        (D(2026, 5, 10), 3, D(2026, 4, 1), D(2026, 6, 30)),
        (D(2026, 1, 1), 3, D(2026, 1, 1), D(2026, 3, 31)),
        (D(2026, 12, 31), 3, D(2026, 10, 1), D(2026, 12, 31)),
        (D(2026, 7, 1), 6, D(2026, 7, 1), D(2026, 12, 31)),
        (D(2024, 2, 29), 1, D(2024, 2, 1), D(2024, 2, 29)),
        (D(2026, 9, 30), 12, D(2026, 1, 1), D(2026, 12, 31)),
        (D(2026, 9, 30), 4, D(2026, 9, 1), D(2026, 12, 31)),
    ],
)
def test_calendar_aligned_periods(day, months, start, end):
    assert thought.period_start(day, months) == start
    assert thought.period_end(start, months) == end


def test_nearest_ancestor_policy(world):
    cs = UserFactory()
    grant(cs, world.college_a, Role.COMMITTEE_SECRETARY)
    assert thought.policy_months(world.group_a1) == 3
    thought.report_policy_set(actor=world.users["admin"], unit_id=world.root.pk, months=6)
    thought.report_policy_set(actor=cs, unit_id=world.branch_a1.pk, months=1)
    assert thought.policy_months(world.group_a1) == 1
    assert thought.policy_months(world.branch_a2) == 6
    assert thought.PolicyBook().months_for(world.group_a1.path) == 1
    assert AuditEvent.objects.filter(action="development.reportpolicy.update").count() == 2
    with pytest.raises(DomainError):
        thought.report_policy_set(actor=cs, unit_id=world.branch_a1.pk, months=5)
    with pytest.raises(PermissionDenied):  # a branch secretary sees the unit but may not set it
        thought.report_policy_set(actor=world.users["secretary1"], unit_id=world.branch_a1.pk, months=3)
    with pytest.raises(Http404):
        thought.report_policy_set(actor=cs, unit_id=world.branch_b1.pk, months=3)
    thought.report_policy_remove(actor=cs, unit_id=world.branch_a1.pk)
    assert thought.policy_months(world.group_a1) == 6


# --- submitting -----------------------------------------------------------------------------


def test_only_people_with_an_open_case_submit(world):
    with pytest.raises(DomainError):
        submit(world.users["member1"])  # a full member with no case
    case, user = reporter_case(world)
    report = submit(user)
    assert report.case == case and report.period_start == D(2026, 4, 1)
    assert report.status == "submitted"
    event = AuditEvent.objects.get(action="development.thoughtreport.create")
    assert "学习了党章" not in str(event.changes)  # the text itself is not copied into the log


def test_submit_validation(world):
    _case, user = reporter_case(world)
    with pytest.raises(DomainError) as exc:
        submit(user, title="", content="x" * (thought.CONTENT_MAX_LENGTH + 1))
    assert {e["field"] for e in exc.value.errors} == {"title", "content"}
    assert not ThoughtReport.objects.exists()


def test_past_period_not_yet_covered(world):
    _case, user = reporter_case(world, applied_on=D(2025, 11, 20))
    periods = thought.open_past_periods(*thought.own_reporter(user), today=D(2026, 5, 10))
    assert periods == [D(2026, 1, 1), D(2025, 10, 1)]
    report = submit(user, period=D(2026, 1, 1))
    assert report.period_start == D(2026, 1, 1)
    with pytest.raises(DomainError):  # already covered
        submit(user, period=D(2026, 1, 1))
    with pytest.raises(DomainError):  # before the application's period
        submit(user, period=D(2025, 7, 1))
    with pytest.raises(DomainError):  # not a period start
        submit(user, period=D(2025, 10, 2))


# --- reading and commenting -----------------------------------------------------------------


def test_sponsor_reads_and_comments_only_their_own_people(world):
    case, user = reporter_case(world)
    other_case, other_user = reporter_case(world)
    sponsor = sponsor_of(case)
    mine = submit(user)
    not_mine = submit(other_user)
    assert list(thought.reviewable(sponsor)) == [mine]
    with pytest.raises(Http404):
        thought.access_report(sponsor, not_mine.pk)
    with pytest.raises(Http404):
        thought.report_comment(actor=sponsor, report_id=not_mine.pk, body="好")
    access = thought.access_report(sponsor, mine.pk)
    assert access.may_comment and access.reviewer and not access.own
    thought.report_read(actor=sponsor, report_id=mine.pk)
    mine.refresh_from_db()
    assert mine.status == "read"
    thought.report_comment(actor=sponsor, report_id=mine.pk, body="认识深刻，继续努力。")
    note = Notification.objects.get(recipient=user)
    assert "意见" in note.title


def test_ended_sponsorship_reads_nothing(world):
    case, user = reporter_case(world)
    contact = add_contact(case)
    sponsor = UserFactory()
    contact.person.user = sponsor
    contact.person.save()
    contact.ended_on = D(2025, 6, 1)
    contact.save()
    report = submit(user)
    with pytest.raises(Http404):
        thought.access_report(sponsor, report.pk)


def test_reporter_sees_own_only_and_reading_own_does_not_mark_read(world):
    _case, user = reporter_case(world)
    _other_case, other_user = reporter_case(world)
    report = submit(user)
    other = submit(other_user)
    access = thought.access_report(user, report.pk)
    assert access.own and not access.may_comment
    thought.report_read(actor=user, report_id=report.pk)
    report.refresh_from_db()
    assert report.status == "submitted"
    with pytest.raises(Http404):
        thought.access_report(user, other.pk)
    with pytest.raises(PermissionDenied):
        thought.report_comment(actor=user, report_id=report.pk, body="自评")
    assert list(thought.my_reports(user)) == [report]


def test_secretary_scope(world):
    _case, user = reporter_case(world)
    report = submit(user)
    with pytest.raises(Http404):
        thought.access_report(world.users["secretary2"], report.pk)
    assert thought.access_report(world.users["secretary1"], report.pk).may_comment
    reader = UserFactory()
    grant(reader, world.branch_a1, Role.STUDY_OFFICER)
    with pytest.raises(Http404):
        thought.access_report(reader, report.pk)
    assert list(thought.report_list(user=world.users["secretary2"])) == []
    assert list(thought.report_list(user=world.users["secretary1"], filters={"unread": "1"})) == [report]
    assert list(thought.report_list(user=world.users["secretary1"], filters={"period": "2026-01-01"})) == []
    assert list(thought.report_list(user=world.users["secretary1"], filters={"unit": world.branch_a2.pk})) == []


# --- missing reports ------------------------------------------------------------------------


def test_missing_reports_previous_complete_period(world):
    today = D(2026, 5, 10)  # previous complete quarter: 2026-01-01 .. 03-31
    _c1, done = reporter_case(world)
    _c2, _late = reporter_case(world)
    c3, _new = reporter_case(world, applied_on=D(2026, 2, 10))  # applied during Q1: first owes Q2
    _c4, current_only = reporter_case(world)
    submit(done, today=D(2026, 3, 20))
    submit(current_only, today=today)
    rows = thought.missing_reports(user=world.users["secretary1"], today=today)
    people = {r[1] for r in rows}
    assert people == {_c2.person_id, _c4.person_id}
    assert all(r[2] == D(2026, 1, 1) for r in rows)
    assert c3.person_id not in people
    assert thought.missing_reports(user=world.users["secretary2"], today=today) == []


def test_missing_reports_follow_the_unit_policy(world):
    thought.report_policy_set(actor=world.users["admin"], unit_id=world.branch_a1.pk, months=6)
    today = D(2026, 8, 10)  # previous complete half: 2026-01-01 .. 06-30
    _c1, user = reporter_case(world)
    submit(user, today=D(2026, 3, 1))
    assert thought.missing_reports(user=world.users["secretary1"], today=today) == []
    rows = thought.missing_reports(user=world.users["secretary1"], today=D(2027, 1, 5))
    assert [(r[2], r[3]) for r in rows] == [(D(2026, 7, 1), 6)]


def test_missing_reports_constant_queries(world):
    today = D(2026, 5, 10)
    reporter_case(world)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            rows = thought.missing_reports(user=world.users["secretary1"], today=today)
            thought.missing_page(rows[:20])
        return len(ctx), len(rows)

    count()  # the user's grants are loaded once per request (user object)
    small, n_small = count()
    for _ in range(5):
        _c, user = reporter_case(world)
        submit(user, today=D(2026, 2, 1))
        reporter_case(world)
    large, n_large = count()
    assert n_large == n_small + 5
    assert small == large == 4  # cases, policies, grouped reports, one page of people


def test_sponsor_missing_list(world):
    case, _user = reporter_case(world)
    reporter_case(world)
    sponsor = sponsor_of(case)
    rows = thought.missing_reports(user=sponsor, today=D(2026, 5, 10))
    assert [r[1] for r in rows] == [case.person_id]


# --- reminders ------------------------------------------------------------------------------


def test_send_reminders(world):
    case, user = reporter_case(world)
    _c2, user2 = reporter_case(world)
    submit(user2, today=D(2026, 6, 1))
    # 2026-06-16: 15 days before the quarter ends — not yet
    assert thought.send_reminders(D(2026, 6, 16)) >= 0
    assert not Notification.objects.filter(recipient=user).exists()
    # 2026-06-17: the last 14 days → the reporter without a report is reminded once
    before = Notification.objects.filter(recipient=user).count()
    thought.send_reminders(D(2026, 6, 17))
    thought.send_reminders(D(2026, 6, 18))
    assert Notification.objects.filter(recipient=user).count() == before + 1
    assert not Notification.objects.filter(recipient=user2, url__contains="/reports/mine/").exists()
    # after the end: the secretary is warned once about Q2
    thought.send_reminders(D(2026, 7, 1))
    thought.send_reminders(D(2026, 7, 2))
    warnings = Notification.objects.filter(recipient=world.users["secretary1"], title__contains=case.person.name)
    assert warnings.filter(title__contains="第 2 季度").count() == 1
