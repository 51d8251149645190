"""Case services: the person follows the steps, voids undo, extension, termination, contacts,
permissions and reminders."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.development import cases, rules
from cloudbranch.development.choices import CaseStatus, ContactRole, RecordStatus
from cloudbranch.development.models import Case, CaseContact, PublicNotice, Reminder, RuleSet, RuleStep, StepRecord
from cloudbranch.development.tests.factories import TIMELINE_2014, VOTE, applicant, walk
from cloudbranch.notifications.models import Notification
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant

D = datetime.date
APPLIED = D(2022, 3, 1)


def day(offset: int) -> D:
    return APPLIED + datetime.timedelta(days=offset)


def offset_of(code: str) -> int:
    return next(o for c, o, _ in TIMELINE_2014 if c == code)


@pytest.fixture
def committee(world):
    return grant(UserFactory(display_name="学院党委书记"), world.college_a, Role.COMMITTEE_SECRETARY).user


@pytest.fixture
def sec(world):
    return world.users["secretary1"]


@pytest.fixture
def person(world):
    return applicant(world.branch_a1, name="申请人甲", birth_date=D(2002, 5, 20))


@pytest.fixture
def case(sec, person):
    return cases.case_open(actor=sec, person_id=person.pk, applied_on=APPLIED)


def record(actor, case, code, on, data=None, **kw):
    return cases.step_record(actor=actor, case_id=case.pk, code=code, occurred_on=on, data=data or {}, **kw)


# --- opening ----------------------------------------------------------------------------------


def test_open_records_the_application_and_sets_the_person(case, person, sec):
    person.refresh_from_db()
    assert person.political_status == "applicant" and person.applied_on == APPLIED
    assert case.rule_set.code == "2014" and case.status == CaseStatus.OPEN
    assert case.next_step_code == "talk" and case.next_due_on == D(2022, 4, 1)
    assert StepRecord.objects.get(case=case).step.code == "application"
    assert AuditEvent.objects.filter(action="development.case.create", target_id=str(case.pk)).exists()
    assert person.events.filter(kind="status").exists()


def test_open_refuses_a_second_open_case(case, person, sec):
    with pytest.raises(ConflictError):
        cases.case_open(actor=sec, person_id=person.pk, applied_on=APPLIED)


def test_open_refuses_under_18_on_the_application_date(world, sec):
    young = applicant(world.branch_a1, birth_date=D(2006, 5, 20))
    with pytest.raises(DomainError) as exc:
        cases.case_open(actor=sec, person_id=young.pk, applied_on=D(2024, 5, 19))
    assert "第五条" in exc.value.message and exc.value.errors[0]["field"] == "applied_on"
    assert not Case.objects.filter(person=young).exists()
    cases.case_open(actor=sec, person_id=young.pk, applied_on=D(2024, 5, 20))


def test_open_without_a_rule_set_is_refused(world, sec):
    p = applicant(world.branch_a1, birth_date=D(1990, 1, 1))
    with pytest.raises(DomainError) as exc:
        cases.case_open(actor=sec, person_id=p.pk, applied_on=D(2014, 6, 9))
    assert "规则版本" in exc.value.message


def test_case_keeps_its_rule_set_and_new_cases_take_the_new_one(world, sec, case):
    new = RuleSet.objects.create(code="2026", title="2026 版", valid_from=D(2026, 6, 1), source="测试")
    for step in RuleStep.objects.filter(rule_set=case.rule_set):
        step.pk, step.rule_set = None, new
        step.save()
    p = applicant(world.branch_a1, birth_date=D(1990, 1, 1))
    later = cases.case_open(actor=sec, person_id=p.pk, applied_on=D(2026, 6, 1))
    assert later.rule_set_id == new.pk
    case.refresh_from_db()
    assert case.rule_set.code == "2014"


def test_open_outside_scope_is_404_and_member_is_refused(world, person):
    with pytest.raises(Http404):
        cases.case_open(actor=world.users["secretary2"], person_id=person.pk, applied_on=APPLIED)
    with pytest.raises(Http404):
        cases.case_open(actor=world.users["member1"], person_id=person.pk, applied_on=APPLIED)


# --- the person follows the steps -------------------------------------------------------------------


def test_person_status_and_dates_follow_the_whole_pipeline(case, sec, committee, person):
    walk(case, actor=sec, committee=committee, upto="candidate")
    person.refresh_from_db()
    assert person.political_status == "activist" and person.activist_on == day(offset_of("activist"))
    case.refresh_from_db()
    assert case.stage == 2 and case.next_step_code in ("candidate", "activist_assessment")


def test_full_pipeline_through_services(case, sec, committee, person):
    case = walk(case, actor=sec, committee=committee)
    person.refresh_from_db()
    vote_on = day(offset_of("admission_vote"))
    assert person.political_status == "full"
    assert person.joined_on == vote_on
    assert person.confirmed_on == rules.add_months(vote_on, 12)
    assert person.candidate_on == day(offset_of("candidate"))
    assert case.status == CaseStatus.COMPLETED and case.completed_on == rules.add_months(vote_on, 12)
    assert case.next_step_code == "" and case.last_step_number == 25
    assert CaseContact.objects.filter(case=case, role=ContactRole.SPONSOR).count() == 2
    assert CaseContact.objects.filter(case=case, role=ContactRole.INTRODUCER).count() == 2
    assert StepRecord.objects.filter(case=case).count() == len(TIMELINE_2014)


def test_approval_sets_probationary_with_the_vote_date(case, sec, committee, person):
    walk(case, actor=sec, committee=committee, upto="approval_filing")
    person.refresh_from_db()
    assert person.political_status == "probationary" and person.joined_on == day(offset_of("admission_vote"))
    case.refresh_from_db()
    assert case.stage == 5


# --- void -------------------------------------------------------------------------------------------


def test_void_restores_the_previous_status(case, sec, committee, person):
    walk(case, actor=sec, committee=committee, upto="approval_filing")
    approval = StepRecord.objects.get(case=case, step__code="approval")
    cases.record_void(actor=committee, record_id=approval.pk, reason="日期录错")
    person.refresh_from_db()
    assert person.political_status == "candidate" and person.joined_on is None
    approval.refresh_from_db()
    assert approval.status == RecordStatus.VOIDED and approval.voided_by == committee
    case.refresh_from_db()
    assert case.next_step_code == "approval"
    assert AuditEvent.objects.filter(action="development.step.void").exists()
    # Recorded again, correctly.
    record(committee, case, "approval", day(offset_of("approval")), {"decision": "approved"})
    person.refresh_from_db()
    assert person.political_status == "probationary"


def test_only_the_latest_record_may_be_voided(case, sec):
    walk(case, actor=sec, upto="activist_filing")
    talk = StepRecord.objects.get(case=case, step__code="talk")
    with pytest.raises(ConflictError):
        cases.record_void(actor=sec, record_id=talk.pk, reason="x")
    activist = StepRecord.objects.get(case=case, step__code="activist")
    with pytest.raises(DomainError):
        cases.record_void(actor=sec, record_id=activist.pk, reason="  ")
    cases.record_void(actor=sec, record_id=activist.pk, reason="录错")
    case.person.refresh_from_db()
    assert case.person.political_status == "applicant" and case.person.activist_on is None
    with pytest.raises(ConflictError):
        cases.record_void(actor=sec, record_id=activist.pk, reason="again")


def test_void_of_sponsors_ends_the_contacts(case, sec):
    walk(case, actor=sec, upto="activist_assessment")
    rec = StepRecord.objects.get(case=case, step__code="sponsors")
    cases.record_void(actor=sec, record_id=rec.pk, reason="人选有误")
    assert not CaseContact.objects.filter(case=case, ended_on__isnull=True).exists()
    assert CaseContact.objects.filter(case=case).count() == 2


def test_void_of_committee_step_needs_committee(case, sec, committee):
    walk(case, actor=sec, committee=committee, upto="approval_filing")
    approval = StepRecord.objects.get(case=case, step__code="approval")
    with pytest.raises(PermissionDenied):
        cases.record_void(actor=sec, record_id=approval.pk, reason="x")


def test_void_reopens_a_completed_case(case, sec, committee):
    case = walk(case, actor=sec, committee=committee)
    archive = StepRecord.objects.get(case=case, step__code="archive")
    cases.record_void(actor=sec, record_id=archive.pk, reason="材料未齐")
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and case.completed_on is None and case.next_step_code == "archive"


# --- checks that need rows --------------------------------------------------------------------------


def _at_sponsors(case, sec):
    walk(case, actor=sec, upto="sponsors")
    return day(offset_of("sponsors"))


def test_sponsors_one_or_two_full_members(world, case, sec, person):
    on = _at_sponsors(case, sec)
    full = [PersonFactory(unit=world.branch_a1) for _ in range(3)]
    probationary = PersonFactory(unit=world.branch_a1, political_status="probationary", confirmed_on=None)
    refused = {
        "none": [],
        "three": [p.pk for p in full],
        "probationary": [probationary.pk],
        "themself": [person.pk],
        "duplicate": [full[0].pk, full[0].pk],
    }
    for label, ids in refused.items():
        with pytest.raises(DomainError) as exc:
            record(sec, case, "sponsors", on, {"sponsors": ids})
        assert exc.value.errors and exc.value.errors[0]["field"] in ("sponsors", "step"), label
    assert "第九条" in str(
        pytest.raises(DomainError, record, sec, case, "sponsors", on, {"sponsors": [probationary.pk]}).value.message
    )
    assert not StepRecord.objects.filter(case=case, step__code="sponsors").exists()
    record(sec, case, "sponsors", on, {"sponsors": [full[0].pk]})
    assert list(CaseContact.objects.filter(case=case).values_list("person_id", flat=True)) == [full[0].pk]


def test_sponsors_two_accepted(world, case, sec):
    on = _at_sponsors(case, sec)
    ids = [PersonFactory(unit=world.branch_a1).pk for _ in range(2)]
    r = record(sec, case, "sponsors", on, {"sponsors": ids})
    assert r.data["sponsors"] == ids and len(r.data["sponsors_names"]) == 2


def test_sponsor_outside_scope_refused(world, case, sec):
    on = _at_sponsors(case, sec)
    other = PersonFactory(unit=world.branch_b1)
    with pytest.raises(DomainError):
        record(sec, case, "sponsors", on, {"sponsors": [other.pk]})


def test_introducers_exactly_two(world, case, sec):
    walk(case, actor=sec, upto="introducers")
    on = day(offset_of("introducers"))
    full = [PersonFactory(unit=world.branch_a1) for _ in range(3)]
    for ids in ([full[0].pk], [p.pk for p in full], []):
        with pytest.raises(DomainError) as exc:
            record(sec, case, "introducers", on, {"introducers": ids})
        assert "第十四条" in exc.value.message
    record(sec, case, "introducers", on, {"introducers": [full[0].pk, full[1].pk]})
    assert CaseContact.objects.filter(case=case, role=ContactRole.INTRODUCER).count() == 2


def test_pre_review_waits_for_the_public_notice(case, sec, committee):
    walk(case, actor=sec, committee=committee, upto="pre_review")
    on = day(offset_of("pre_review"))
    with pytest.raises(DomainError) as exc:
        record(committee, case, "pre_review", on)
    assert "尚未发布" in exc.value.message
    PublicNotice.objects.create(
        case=case, kind="candidate", starts_on=on - datetime.timedelta(days=6), ends_on=on, workdays=5, text="公示",
        created_by=sec,
    )  # fmt: skip
    with pytest.raises(DomainError) as exc:
        record(committee, case, "pre_review", on)
    assert f"公示期 {on - datetime.timedelta(days=6):%Y-%m-%d} 至 {on:%Y-%m-%d} 尚未结束" in exc.value.message
    record(committee, case, "pre_review", on + datetime.timedelta(days=1))


def test_every_hard_violation_is_listed(case, sec, committee):
    walk(case, actor=sec, committee=committee, upto="admission_vote")
    bad = {**VOTE, "present": 5, "in_favour": 5, "against": 0}
    with pytest.raises(DomainError) as exc:
        record(sec, case, "admission_vote", D(2099, 1, 1), bad)
    messages = [e["message"] for e in exc.value.errors]
    assert any("晚于今天" in m for m in messages) and any("到会人数不足" in m for m in messages)
    assert any("表决未通过" in m for m in messages)
    assert all(m in exc.value.message for m in messages)


def test_late_step_needs_a_reason(case, sec):
    with pytest.raises(DomainError) as exc:
        record(sec, case, "talk", D(2022, 4, 2))
    assert exc.value.errors[0]["field"] == "late_reason"
    r = record(sec, case, "talk", D(2022, 4, 2), late_reason="申请人在外实习")
    assert r.late_reason == "申请人在外实习"


def test_too_early_refused_with_nothing_written(case, sec):
    walk(case, actor=sec, upto="candidate")
    count = StepRecord.objects.count()
    activist_on = day(offset_of("activist"))
    with pytest.raises(DomainError) as exc:
        record(sec, case, "candidate", rules.add_months(activist_on, 12) - datetime.timedelta(days=1))
    assert "最早可在" in exc.value.message
    assert StepRecord.objects.count() == count
    case.person.refresh_from_db()
    assert case.person.political_status == "activist"


# --- permissions ---------------------------------------------------------------------------------


def test_committee_steps_refused_for_a_branch_secretary(case, sec, committee):
    walk(case, actor=sec, committee=committee, upto="committee_talk")
    with pytest.raises(PermissionDenied):
        record(sec, case, "committee_talk", day(offset_of("committee_talk")))
    record(committee, case, "committee_talk", day(offset_of("committee_talk")))
    with pytest.raises(PermissionDenied):
        record(sec, case, "approval", day(offset_of("approval")), {"decision": "approved"})


def test_sibling_secretary_gets_404(world, case):
    with pytest.raises(Http404):
        record(world.users["secretary2"], case, "talk", day(10))
    with pytest.raises(Http404):
        cases.case_terminate(actor=world.users["secretary2"], case_id=case.pk, reason="withdrawn")
    rec = StepRecord.objects.get(case=case)
    with pytest.raises(Http404):
        cases.record_void(actor=world.users["secretary2"], record_id=rec.pk, reason="x")


def test_committee_of_another_college_gets_404(world, case):
    other = grant(UserFactory(), world.college_b, Role.COMMITTEE_SECRETARY).user
    with pytest.raises(Http404):
        record(other, case, "talk", day(10))


# --- extension ----------------------------------------------------------------------------------


def test_extension_once_within_six_to_twelve_months(case, sec, committee, person):
    walk(case, actor=sec, committee=committee, upto="confirmation_application")
    decided = day(offset_of("probation_assessment") + 200)
    with pytest.raises(PermissionDenied):
        cases.case_extend_probation(actor=sec, case_id=case.pk, months=6, decided_on=decided, reason="x")
    for months in (5, 13, 0):
        with pytest.raises(DomainError) as exc:
            cases.case_extend_probation(actor=committee, case_id=case.pk, months=months, decided_on=decided, reason="x")
        assert "第三十二条" in exc.value.message
    cases.case_extend_probation(actor=committee, case_id=case.pk, months=6, decided_on=decided, reason="需继续考察")
    case.refresh_from_db()
    vote_on = day(offset_of("admission_vote"))
    assert case.extension_months == 6
    with pytest.raises(ConflictError):
        cases.case_extend_probation(actor=committee, case_id=case.pk, months=6, decided_on=decided, reason="again")
    # The confirmation is applied for against the new end of probation.
    end = rules.add_months(vote_on, 18)
    with pytest.raises(DomainError):
        record(sec, case, "confirmation_vote", end, VOTE)
    record(sec, case, "confirmation_application", end - datetime.timedelta(days=10))
    with pytest.raises(DomainError):
        record(sec, case, "confirmation_vote", end - datetime.timedelta(days=1), VOTE)
    record(sec, case, "confirmation_vote", end, VOTE)
    record(committee, case, "confirmation_approval", end + datetime.timedelta(days=20), {"decision": "approved"})
    person.refresh_from_db()
    assert person.political_status == "full" and person.confirmed_on == end


def test_extension_resets_a_recorded_confirmation(case, sec, committee):
    walk(case, actor=sec, committee=committee, upto="confirmation_approval")
    decided = day(offset_of("confirmation_vote"))
    cases.case_extend_probation(actor=committee, case_id=case.pk, months=12, decided_on=decided, reason="表决延长")
    case.refresh_from_db()
    assert case.next_step_code in ("confirmation_application", "probation_assessment")
    from cloudbranch.development.state import case_state

    st = case_state(case)
    assert not st["confirmation_vote"].done and not st["confirmation_application"].done


def test_extension_before_approval_refused(case, sec, committee):
    walk(case, actor=sec, committee=committee, upto="admission_form")
    with pytest.raises(ConflictError):
        cases.case_extend_probation(actor=committee, case_id=case.pk, months=6, decided_on=day(600), reason="x")


# --- termination -------------------------------------------------------------------------------


def test_terminate_returns_the_person_to_masses(case, sec, committee, person):
    walk(case, actor=sec, committee=committee, upto="approval")
    cases.case_terminate(
        actor=committee, case_id=case.pk, reason="not_admitted", note="党委未通过", terminated_on=day(590)
    )
    case.refresh_from_db()
    person.refresh_from_db()
    assert case.status == CaseStatus.TERMINATED and case.termination_reason == "not_admitted"
    assert case.next_step_code == ""
    assert person.political_status == "masses"
    assert person.applied_on is None and person.candidate_on is None
    assert not CaseContact.objects.filter(case=case, ended_on__isnull=True).exists()
    with pytest.raises(ConflictError):
        record(committee, case, "approval", day(590), {"decision": "approved"})
    # A new application may be opened later.
    cases.case_open(actor=sec, person_id=person.pk, applied_on=D(2025, 1, 1))


def test_terminate_needs_a_valid_reason(case, sec):
    with pytest.raises(DomainError):
        cases.case_terminate(actor=sec, case_id=case.pk, reason="bogus")
    with pytest.raises(DomainError):
        cases.case_terminate(actor=sec, case_id=case.pk, reason="other", note="")
    with pytest.raises(DomainError):
        cases.case_terminate(actor=sec, case_id=case.pk, reason="withdrawn", terminated_on=D(2020, 1, 1))


# --- contacts ----------------------------------------------------------------------------------


def test_replace_a_sponsor_keeps_history(world, case, sec):
    walk(case, actor=sec, upto="activist_assessment")
    old = CaseContact.objects.filter(case=case, role=ContactRole.SPONSOR).first()
    new_person = PersonFactory(unit=world.branch_a1)
    with pytest.raises(DomainError):
        cases.contact_replace(
            actor=sec, case_id=case.pk, role="sponsor", old_contact_id=old.pk, new_person_id=case.person_id, reason="x"
        )
    new = cases.contact_replace(
        actor=sec,
        case_id=case.pk,
        role="sponsor",
        old_contact_id=old.pk,
        new_person_id=new_person.pk,
        reason="毕业离校",
    )
    old.refresh_from_db()
    assert old.ended_on is not None and old.end_reason == "毕业离校"
    assert new.person == new_person and new.ended_on is None
    assert CaseContact.objects.filter(case=case, role="sponsor", ended_on__isnull=True).count() == 2
    assert AuditEvent.objects.filter(action="development.contact.replace").exists()


# --- reminders ---------------------------------------------------------------------------------


def test_reminders_go_to_secretary_and_sponsors_once(world, sec, committee):
    sponsor_user = UserFactory()
    p = applicant(world.branch_a1, birth_date=D(1995, 1, 1))
    case = cases.case_open(actor=sec, person_id=p.pk, applied_on=D(2026, 11, 20))
    # Not yet within the 14 days of the talk's due date (2026-12-20).
    assert cases.send_reminders(D(2026, 12, 1)) == 0
    sponsor = PersonFactory(unit=world.branch_a1, user=sponsor_user)
    CaseContact.objects.create(case=case, person=sponsor, role="sponsor", started_on=D(2026, 11, 20))
    assert cases.send_reminders(D(2026, 12, 10)) == 1
    assert cases.send_reminders(D(2026, 12, 11)) == 0  # idempotent
    recipients = set(Notification.objects.values_list("recipient_id", flat=True))
    assert recipients == {sec.pk, sponsor_user.pk}
    assert Reminder.objects.filter(key=f"case:{case.pk}:talk:2026-12-20:before").exists()
    # Overdue: the committee above is warned too.
    assert cases.send_reminders(D(2026, 12, 21)) == 1
    assert committee.pk in set(Notification.objects.values_list("recipient_id", flat=True))
    assert world.users["secretary2"].pk not in set(Notification.objects.values_list("recipient_id", flat=True))
    assert cases.send_reminders(D(2026, 12, 22)) == 0


def test_no_reminders_for_closed_cases(world, sec):
    p = applicant(world.branch_a1, birth_date=D(1995, 1, 1))
    case = cases.case_open(actor=sec, person_id=p.pk, applied_on=D(2026, 11, 20))
    cases.case_terminate(actor=sec, case_id=case.pk, reason="withdrawn")
    assert cases.send_reminders(D(2027, 1, 1)) == 0
