"""Test helpers for member development. Other test modules may append functions at the end."""

from __future__ import annotations

import datetime

from cloudbranch.development.choices import CaseStatus, ContactRole
from cloudbranch.development.models import Case, CaseContact, StepRecord
from cloudbranch.development.state import rule_set_for, rule_steps, sync_case
from cloudbranch.people.models import Person
from cloudbranch.testing.factories import PersonFactory

VOTE = {"entitled": 10, "present": 8, "written": 0, "in_favour": 7, "against": 1, "abstain": 0}

# A timeline that satisfies every rule of the 2014 rule set, as offsets in days from the
# application date (activist + 1 year before the candidate, two assessments, ...).
TIMELINE_2014 = [
    ("application", 0, {}),
    ("talk", 20, {}),
    ("activist", 60, {"recommendation": "党员推荐"}),
    ("activist_filing", 70, {}),
    ("sponsors", 70, {}),
    ("activist_assessment", 240, {"result": "合格"}),
    ("activist_assessment", 420, {"result": "合格"}),
    ("candidate", 430, {}),
    ("candidate_filing", 440, {}),
    ("introducers", 440, {}),
    ("political_review", 470, {"conclusion": "passed"}),
    ("training", 480, {"days": 3, "hours": 24}),
    ("branch_review", 500, {}),
    ("pre_review", 520, {}),
    ("admission_form", 525, {}),
    ("admission_vote", 540, VOTE),
    ("committee_talk", 550, {}),
    ("approval", 580, {"decision": "approved"}),
    ("approval_filing", 590, {}),
    ("assign_group", 590, {}),
    ("oath", 600, {}),
    ("probation_assessment", 720, {"result": "合格"}),
    ("probation_assessment", 880, {"result": "合格"}),
    ("confirmation_application", 900, {}),
    ("confirmation_vote", 906, VOTE),
    ("confirmation_approval", 930, {"decision": "approved"}),
    ("archive", 940, {}),
]


def make_case(
    *,
    actor,
    person: Person | None = None,
    unit=None,
    applied_on: datetime.date = datetime.date(2022, 3, 1),
    upto: str | None = "application",
    upto_index: int | None = None,
) -> Case:
    """A case whose records follow ``TIMELINE_2014`` up to and including the first record of
    step ``upto`` (or the first ``upto_index`` rows). Records are written directly (no
    service), the person's status is NOT changed; use the services to test the rules."""
    if person is None:
        person = PersonFactory(
            unit=unit, political_status="applicant", joined_on=None, confirmed_on=None, applied_on=applied_on
        )
    rule_set = rule_set_for(applied_on)
    steps = {s.code: s for s in rule_steps(rule_set.pk)}
    case = Case.objects.create(person=person, rule_set=rule_set, applied_on=applied_on, created_by=actor)
    rows = TIMELINE_2014
    if upto_index is not None:
        rows = rows[:upto_index]
    elif upto is not None:
        end = next(i for i, row in enumerate(rows) if row[0] == upto)
        rows = rows[: end + 1]
    sequence: dict[str, int] = {}
    for code, offset, data in rows:
        sequence[code] = sequence.get(code, 0) + 1
        StepRecord.objects.create(
            case=case,
            step=steps[code],
            sequence=sequence[code],
            occurred_on=applied_on + datetime.timedelta(days=offset),
            data=data,
            recorded_by=actor,
        )
    if rows and rows[-1][0] == "archive":
        case.status = CaseStatus.COMPLETED
        case.completed_on = applied_on + datetime.timedelta(days=930)
        case.save(update_fields=["status", "completed_on"])
    sync_case(case)
    return case


def add_contact(case: Case, role: str = ContactRole.SPONSOR, *, person: Person | None = None, on=None) -> CaseContact:
    person = person or PersonFactory(unit=case.person.unit)
    return CaseContact.objects.create(case=case, person=person, role=role, started_on=on or case.applied_on)


# --- transfers (组织关系转接) -----------------------------------------------------------------


def transfer_roles(world) -> dict:
    """Approvers the ``world`` fixture lacks: committee secretaries of both colleges and a
    branch secretary of branch_b1."""
    from cloudbranch.orgs.roles import Role
    from cloudbranch.testing.factories import UserFactory, grant

    users = {
        "cs_a": UserFactory(username="cs_a", display_name="计算机学院党委书记"),
        "cs_b": UserFactory(username="cs_b", display_name="数学学院党委书记"),
        "sec_b1": UserFactory(username="sec_b1", display_name="数学一支部书记"),
    }
    grant(users["cs_a"], world.college_a, Role.COMMITTEE_SECRETARY)
    grant(users["cs_b"], world.college_b, Role.COMMITTEE_SECRETARY)
    grant(users["sec_b1"], world.branch_b1, Role.BRANCH_SECRETARY)
    return users


# --- cases area helpers (appended) ----------------------------------------------------------


def applicant(unit, **fields) -> Person:
    """A person who has not applied yet (masses), adult."""
    values = {"political_status": "masses", "joined_on": None, "confirmed_on": None, **fields}
    return PersonFactory(unit=unit, **values)


def walk(case: Case, *, actor, committee=None, upto: str | None = None, upto_index: int | None = None):
    """Record TIMELINE_2014 steps through the services (after the application), up to but NOT
    including step ``upto`` (or the first ``upto_index`` rows). Sponsors and introducers are new
    full members of the case's unit; a candidate public notice is put up before the pre-review.
    ``committee`` records the committee's steps (defaults to ``actor``)."""
    from cloudbranch.development import cases
    from cloudbranch.development.models import PublicNotice

    committee = committee or actor
    rows = TIMELINE_2014[1:]
    if upto_index is not None:
        rows = TIMELINE_2014[1:upto_index]
    for code, offset, data in rows:
        if code == upto:
            break
        on = case.applied_on + datetime.timedelta(days=offset)
        data = dict(data)
        if code == "sponsors":
            data["sponsors"] = [PersonFactory(unit=case.person.unit).pk for _ in range(2)]
        if code == "introducers":
            data["introducers"] = list(
                CaseContact.objects.filter(case=case, role=ContactRole.SPONSOR, ended_on__isnull=True).values_list(
                    "person_id", flat=True
                )
            )
        if code == "pre_review":
            PublicNotice.objects.create(
                case=case,
                kind="candidate",
                starts_on=on - datetime.timedelta(days=12),
                ends_on=on - datetime.timedelta(days=6),
                workdays=5,
                text="公示",
                created_by=actor,
            )
        step = next(s for s in rule_steps(case.rule_set_id) if s.code == code)
        who = committee if step.recorder == "committee" else actor
        cases.step_record(actor=who, case_id=case.pk, code=code, occurred_on=on, data=data)
    case.refresh_from_db()
    return case
