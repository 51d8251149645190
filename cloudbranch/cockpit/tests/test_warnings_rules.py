"""The alert rules of every area: each finds its case, stops finding it once fixed, and runs a
constant number of queries as rows grow (hand-built fixtures on the ``world`` tree)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cloudbranch.core.alerts import DANGER, WARNING, rules
from cloudbranch.development import alerts as development_alerts
from cloudbranch.development.choices import LostContactStatus
from cloudbranch.development.models import LostContact, ThoughtReport
from cloudbranch.development.tests.factories import make_case
from cloudbranch.fees import alerts as fees_alerts
from cloudbranch.fees.choices import BillStatus
from cloudbranch.fees.models import ArrearsCase, Bill
from cloudbranch.learning import alerts as learning_alerts
from cloudbranch.learning.models import StudyTask, TaskAssignee
from cloudbranch.meetings import alerts as meetings_alerts
from cloudbranch.meetings.choices import MeetingKind, MeetingStatus
from cloudbranch.meetings.tests.factories import make_meeting
from cloudbranch.orgs.choices import UnitKind
from cloudbranch.people import alerts as people_alerts
from cloudbranch.testing.factories import PersonFactory, make_unit
from cloudbranch.worktasks import alerts as worktasks_alerts
from cloudbranch.worktasks.choices import TargetStatus
from cloudbranch.worktasks.tests.factories import in_days, issue_task, target_of

D = datetime.date
pytestmark = pytest.mark.django_db

EXPECTED_RULES = {
    "structure.branch_size": "people.change_person",
    "structure.committee_term": "orgs.change_orgunit",
    "structure.lost_contact": "people.change_person",
    "life.meetings_behind": "meetings.add_meeting",
    "development.steps_overdue": "development.record_step",
    "development.approvals_overdue": "development.approve_step",
    "development.thought_missing": "development.comment_thoughtreport",
    "development.lost_contact_due": "development.change_mobilerecord",
    "dues.arrears": "fees.approve_dues",
    "dues.arrears_cases": "fees.change_arrearscase",
    "learning.low_completion": "learning.view_studytask",
    "tasks.targets_overdue": "worktasks.handle_tasktarget",
}


def by_subject(findings):
    return {f.subject: f for f in findings}


def count_queries(fn, *args):
    with CaptureQueriesContext(connection) as ctx:
        result = list(fn(*args))
    return len(ctx.captured_queries), result


def test_catalogue_holds_every_rule_with_its_owner():
    found = rules()
    for key, perm in EXPECTED_RULES.items():
        assert key in found, key
        assert found[key].owner_perm == perm
        assert found[key].label


# --- people ---------------------------------------------------------------------------------


def test_branch_too_few_found_then_cleared_by_a_third_member(world):
    a1 = world.branch_a1
    subject = f"unit:{a1.pk}:too_few"
    found = by_subject(people_alerts.find_branch_size(D(2026, 5, 15)))
    assert subject in found
    f = found[subject]
    assert f.unit_id == a1.pk and f.severity == DANGER
    assert "正式党员仅 2 名" in f.message and "支部工作条例第四条" in f.message and a1.name in f.message
    assert f.url == f"/people/?unit={a1.pk}"
    PersonFactory(unit=world.group_a1)  # a group's members count toward its branch
    assert subject not in by_subject(people_alerts.find_branch_size(D(2026, 5, 15)))


def test_committee_term_expiring_and_renewed(world):
    a2 = world.branch_a2
    a2.term_started_on = D(2023, 6, 1)
    a2.save()
    found = by_subject(people_alerts.find_committee_term(D(2026, 5, 15)))
    assert found[f"unit:{a2.pk}:term_expiring"].severity == WARNING
    assert found[f"unit:{a2.pk}:term_expiring"].url == f"/orgs/{a2.pk}/"
    assert f"unit:{a2.pk}:term_expired" in by_subject(people_alerts.find_committee_term(D(2026, 6, 2)))
    a2.term_started_on = D(2026, 6, 1)
    a2.save()
    assert not [
        s for s in by_subject(people_alerts.find_committee_term(D(2026, 6, 2))) if s.startswith(f"unit:{a2.pk}")
    ]


def test_lost_contact_flag(world):
    person = world.people["a1_other"]
    person.is_lost_contact = True
    person.save()
    found = by_subject(people_alerts.find_lost_contact(D(2026, 5, 15)))
    assert f"person:{person.pk}:lost_contact" in found
    person.is_lost_contact = False
    person.save()
    assert not people_alerts.find_lost_contact(D(2026, 5, 15))


@pytest.mark.parametrize("fn", [people_alerts.find_branch_size, people_alerts.find_lost_contact])
def test_people_rules_constant_queries(world, fn):
    today = D(2026, 5, 15)
    first, _ = count_queries(fn, today)
    for _ in range(5):
        branch = make_unit(parent=world.college_b)
        PersonFactory(unit=branch, is_lost_contact=True)
    second, found = count_queries(fn, today)
    assert first == second
    assert first <= 4


# --- meetings ---------------------------------------------------------------------------------


def _at(day: D, hour: int = 10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def test_meetings_behind_warning_then_held_then_missed(world):
    meetings_alerts.compliance.clear_rules_cache()
    a1, a2 = world.branch_a1, world.branch_a2
    day = D(2026, 3, 28)  # 3 days before the end of Q1 (warn 14 days before)
    found = by_subject(meetings_alerts.find_meetings_behind(day))
    key = f"unit:{a1.pk}:general:2026-Q1"
    assert found[key].severity == WARNING
    assert "支部党员大会" in found[key].message and "第十一条" in found[key].message
    assert found[key].url == f"/meetings/new/?unit={a1.pk}"
    make_meeting(
        unit=a1,
        created_by=world.users["secretary1"],
        kind=MeetingKind.GENERAL,
        status=MeetingStatus.HELD,
        starts_at=_at(D(2026, 3, 10)),
    )
    found = by_subject(meetings_alerts.find_meetings_behind(day))
    assert key not in found
    # after the quarter closed: a2 missed it (same subject, now danger); a1 stays clear
    found = by_subject(meetings_alerts.find_meetings_behind(D(2026, 4, 3)))
    assert found[f"unit:{a2.pk}:general:2026-Q1"].severity == DANGER
    assert key not in found
    # a week later the red flag is over
    assert f"unit:{a2.pk}:general:2026-Q1" not in by_subject(meetings_alerts.find_meetings_behind(D(2026, 4, 10)))


def test_meetings_behind_constant_queries(world):
    meetings_alerts.compliance.rule_sets()  # warm the per-process rules cache
    day = D(2026, 3, 28)
    first, _ = count_queries(meetings_alerts.find_meetings_behind, day)
    for _ in range(6):
        branch = make_unit(parent=world.college_b)
        make_meeting(
            unit=branch, created_by=world.users["admin"], status=MeetingStatus.HELD, starts_at=_at(D(2026, 2, 3))
        )
    second, _ = count_queries(meetings_alerts.find_meetings_behind, day)
    assert first == second == 5  # roots + the roll-up's four


# --- development ------------------------------------------------------------------------------


def test_step_overdue_found_then_cleared_by_recording_it(world):
    actor = world.users["secretary1"]
    case = make_case(actor=actor, unit=world.branch_a1, applied_on=D(2025, 1, 6), upto="application")
    case.refresh_from_db()
    assert case.next_step_code and case.next_due_on
    today = case.next_due_on + datetime.timedelta(days=3)
    subject = f"case:{case.pk}:{case.next_step_code}"
    found = by_subject(development_alerts.find_steps_overdue(today))
    assert found[subject].severity == DANGER and found[subject].unit_id == world.branch_a1.pk
    assert "逾期 3 天" in found[subject].message and case.person.name in found[subject].message
    assert found[subject].url == f"/development/cases/{case.pk}/"
    assert subject not in by_subject(development_alerts.find_approvals_overdue(today))
    assert subject not in by_subject(development_alerts.find_steps_overdue(case.next_due_on))  # not yet overdue
    later = make_case(actor=actor, person=PersonFactory(unit=world.branch_a2, political_status="applicant"))
    assert later  # another case in another branch does not disturb the first
    case.delete()
    assert subject not in by_subject(development_alerts.find_steps_overdue(today))


def test_step_recorded_moves_the_subject(world):
    actor = world.users["secretary1"]
    from cloudbranch.development.models import StepRecord
    from cloudbranch.development.state import step_by_code, sync_case

    case = make_case(actor=actor, unit=world.branch_a1, applied_on=D(2025, 1, 6), upto="application")
    case.refresh_from_db()
    first_code = case.next_step_code
    today = case.next_due_on + datetime.timedelta(days=1)
    assert f"case:{case.pk}:{first_code}" in by_subject(development_alerts.find_steps_overdue(today))
    StepRecord.objects.create(
        case=case,
        step=step_by_code(case.rule_set_id, first_code),
        occurred_on=case.next_due_on,
        recorded_by=actor,
    )
    sync_case(case)
    assert f"case:{case.pk}:{first_code}" not in by_subject(development_alerts.find_steps_overdue(today))


def test_development_rules_constant_queries(world):
    actor = world.users["secretary1"]
    make_case(actor=actor, unit=world.branch_a1, applied_on=D(2024, 1, 8))
    today = D(2026, 5, 15)
    counts = {}
    for fn in (development_alerts.find_steps_overdue, development_alerts.find_thought_missing):
        counts[fn.__name__], _ = count_queries(fn, today)
    for _ in range(4):
        make_case(actor=actor, unit=world.branch_b1, applied_on=D(2024, 1, 8))
    for fn in (development_alerts.find_steps_overdue, development_alerts.find_thought_missing):
        n, found = count_queries(fn, today)
        assert n == counts[fn.__name__], fn.__name__
        assert len(found) >= 5
    assert counts == {"find_steps_overdue": 2, "find_thought_missing": 4}


def test_thought_report_missing_then_submitted(world):
    case = make_case(actor=world.users["secretary1"], unit=world.branch_a1, applied_on=D(2025, 1, 6))
    today = D(2026, 5, 15)  # previous complete quarter: 2026 Q1
    subject = f"thought:{case.person_id}:2026-01-01"
    found = by_subject(development_alerts.find_thought_missing(today))
    assert "2026 年第 1 季度" in found[subject].message
    ThoughtReport.objects.create(
        person=case.person, case=case, period_start=D(2026, 1, 1), title="汇报", content="内容"
    )
    assert subject not in by_subject(development_alerts.find_thought_missing(today))


def test_lost_contact_due(world):
    person = world.people["a1_other"]
    lost = LostContact.objects.create(
        person=person, lost_since=D(2025, 9, 1), created_by=world.users["secretary1"], status=LostContactStatus.OPEN
    )
    assert f"lost:{lost.pk}:suspend" not in by_subject(development_alerts.find_lost_contact_due(D(2026, 2, 28)))
    found = by_subject(development_alerts.find_lost_contact_due(D(2026, 3, 2)))
    assert found[f"lost:{lost.pk}:suspend"].url == f"/development/lost/{lost.pk}/"
    lost.status = LostContactStatus.RESTORED
    lost.restored_on = D(2026, 3, 2)
    lost.save()
    assert not development_alerts.find_lost_contact_due(D(2026, 3, 3))


# --- dues ----------------------------------------------------------------------------------------


def _bills(person, months, status=BillStatus.OPEN):
    for m in months:
        Bill.objects.create(person=person, unit=person.unit, month=m, amount_due=Decimal("10.00"), status=status)


def test_arrears_three_months_then_paid(world):
    person = world.people["a1_other"]
    _bills(person, [D(2026, 2, 1), D(2026, 3, 1), D(2026, 4, 1)])
    today = D(2026, 5, 15)
    subject = f"arrears:{person.pk}:2026-02"
    found = by_subject(fees_alerts.find_arrears(today))
    assert found[subject].severity == WARNING and "连续 3 个月" in found[subject].message
    assert found[subject].url == f"/fees/arrears/?person={person.pk}"
    # two months only: not yet a warning
    other = world.people["a2_person"]
    _bills(other, [D(2026, 3, 1), D(2026, 4, 1)])
    assert not [s for s in by_subject(fees_alerts.find_arrears(today)) if s.startswith(f"arrears:{other.pk}:")]
    Bill.objects.filter(person=person, month=D(2026, 4, 1)).update(status=BillStatus.PAID)
    assert subject not in by_subject(fees_alerts.find_arrears(today))


def test_arrears_case_open_then_decided(world):
    person = world.people["a1_other"]
    case = ArrearsCase.objects.create(person=person, unit=person.unit, first_month=D(2025, 10, 1), months=6)
    found = by_subject(fees_alerts.find_arrears_cases(D(2026, 5, 15)))
    assert found[f"arrearscase:{case.pk}"].severity == DANGER
    case.status = "decided"
    case.save()
    assert not fees_alerts.find_arrears_cases(D(2026, 5, 15))


def test_fees_rules_constant_queries(world):
    today = D(2026, 5, 15)
    _bills(world.people["a1_other"], [D(2026, 2, 1), D(2026, 3, 1), D(2026, 4, 1)])
    first, _ = count_queries(fees_alerts.find_arrears, today)
    for _ in range(5):
        _bills(PersonFactory(unit=world.branch_b1), [D(2025, 11, 1), D(2026, 2, 1), D(2026, 3, 1), D(2026, 4, 1)])
    second, found = count_queries(fees_alerts.find_arrears, today)
    assert first == second == 2  # the runs (one query with its subquery) and the people
    assert len(found) == 6


# --- learning ------------------------------------------------------------------------------------


def _study_task(world, unit, deadline, people, done=0):
    task = StudyTask.objects.create(unit=unit, title="学习党章", deadline=deadline, created_by=world.users["admin"])
    for i, p in enumerate(people):
        TaskAssignee.objects.create(task=task, person=p, unit=p.unit, completed_at=timezone.now() if i < done else None)
    return task


def test_low_completion_per_unit(world):
    a1_people = [
        world.people["member1"],
        world.people["a1_other"],
        *[PersonFactory(unit=world.branch_a1) for _ in range(3)],
    ]
    a2_people = [world.people["a2_person"]]
    task = _study_task(world, world.college_a, D(2026, 5, 10), a1_people + a2_people, done=3)
    today = D(2026, 5, 15)
    found = by_subject(learning_alerts.find_low_completion(today))
    a1_key = f"studytask:{task.pk}:unit:{world.branch_a1.pk}"
    a2_key = f"studytask:{task.pk}:unit:{world.branch_a2.pk}"
    assert found[a1_key].severity == WARNING and "60%" in found[a1_key].message  # 3/5
    assert found[a2_key].severity == DANGER  # 0/1
    assert f"?unit={world.branch_a1.pk}" in found[a1_key].url
    assert not learning_alerts.find_low_completion(D(2026, 5, 10))  # not past the deadline yet
    TaskAssignee.objects.filter(task=task, person=a1_people[3]).update(completed_at=timezone.now())  # 4/5 = 80 %
    found = by_subject(learning_alerts.find_low_completion(today))
    assert a1_key not in found and a2_key in found
    task.status = "closed"
    task.save()
    assert not learning_alerts.find_low_completion(today)


def test_low_completion_constant_queries(world):
    today = D(2026, 5, 15)
    _study_task(world, world.college_a, D(2026, 5, 1), [world.people["a1_other"]])
    first, _ = count_queries(learning_alerts.find_low_completion, today)
    for _ in range(4):
        _study_task(world, world.root, D(2026, 5, 1), [PersonFactory(unit=make_unit(parent=world.college_b))])
    second, found = count_queries(learning_alerts.find_low_completion, today)
    assert first == second == 1 and len(found) == 5


# --- worktasks -----------------------------------------------------------------------------------


def test_target_overdue_then_submitted(world):
    task = issue_task(world.users["admin"], world.root, [world.branch_a1, world.branch_a2], deadline=in_days(2))
    t1, t2 = target_of(task, world.branch_a1), target_of(task, world.branch_a2)
    assert not worktasks_alerts.find_targets_overdue(timezone.localdate())
    later = timezone.localdate() + datetime.timedelta(days=4)
    found = by_subject(worktasks_alerts.find_targets_overdue(later))
    assert set(found) == {f"target:{t1.pk}", f"target:{t2.pk}"}
    assert found[f"target:{t1.pk}"].url == f"/tasks/targets/{t1.pk}/"
    assert task.title in found[f"target:{t1.pk}"].message
    t1.status = TargetStatus.SUBMITTED
    t1.save()
    assert set(by_subject(worktasks_alerts.find_targets_overdue(later))) == {f"target:{t2.pk}"}


def test_target_overdue_constant_queries(world):
    later = timezone.localdate() + datetime.timedelta(days=4)
    issue_task(world.users["admin"], world.root, [world.branch_a1], deadline=in_days(2))
    first, _ = count_queries(worktasks_alerts.find_targets_overdue, later)
    units = [make_unit(parent=world.college_b) for _ in range(5)]
    issue_task(world.users["admin"], world.root, units, deadline=in_days(2))
    second, found = count_queries(worktasks_alerts.find_targets_overdue, later)
    assert first == second == 1 and len(found) == 6


def test_group_units_are_not_branches(world):
    # a group never gets a branch-size warning of its own
    found = people_alerts.find_branch_size(D(2026, 5, 15))
    assert not [f for f in found if f.unit_id == world.group_a1.pk]
    assert world.group_a1.kind == UnitKind.GROUP


def test_approval_overdue_at_the_committee_then_recorded(world):
    """A step the upper committee records (审批) past its deadline: the committee's warning, not
    the branch's; recording it clears the warning."""
    from cloudbranch.development.models import StepRecord
    from cloudbranch.development.state import step_by_code, sync_case

    actor = world.users["secretary1"]
    case = make_case(actor=actor, unit=world.branch_a1, applied_on=D(2025, 1, 6), upto_index=17)
    case.refresh_from_db()
    assert case.next_step_code == "approval" and case.next_due_on
    today = case.next_due_on + datetime.timedelta(days=5)
    subject = f"case:{case.pk}:approval"
    found = by_subject(development_alerts.find_approvals_overdue(today))
    assert found[subject].severity == DANGER and found[subject].unit_id == world.branch_a1.pk
    assert "逾期 5 天" in found[subject].message and case.person.name in found[subject].message
    assert found[subject].url == f"/development/cases/{case.pk}/"
    assert subject not in by_subject(development_alerts.find_steps_overdue(today))  # not the branch's step
    assert subject not in by_subject(development_alerts.find_approvals_overdue(case.next_due_on))
    StepRecord.objects.create(
        case=case, step=step_by_code(case.rule_set_id, "approval"), occurred_on=case.next_due_on, recorded_by=actor
    )
    sync_case(case)
    assert subject not in by_subject(development_alerts.find_approvals_overdue(today))


def test_branch_too_many_found_then_cleared_when_it_splits(world):
    """More than 50 full members in a branch (支部工作条例第四条): a warning until some move out."""
    from cloudbranch.people.models import Person

    b1 = world.branch_b1
    PersonFactory.create_batch(50, unit=b1)  # + the one already there = 51
    subject = f"unit:{b1.pk}:too_many"
    found = by_subject(people_alerts.find_branch_size(D(2026, 5, 15)))
    assert subject in found and "51" in found[subject].message
    assert found[subject].url == f"/orgs/{b1.pk}/"
    new_branch = make_unit(parent=world.college_b)
    Person.objects.filter(pk__in=Person.objects.filter(unit=b1).values("pk")[:20]).update(unit=new_branch)
    assert subject not in by_subject(people_alerts.find_branch_size(D(2026, 5, 15)))
