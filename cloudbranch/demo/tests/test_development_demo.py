"""Member development in the demo seed (issue 6 item 9), at a small scale."""

import copy
import datetime
from collections import Counter, defaultdict

import pytest
from django.db import transaction
from django.test.utils import override_settings

from cloudbranch.audit.models import AuditEvent
from cloudbranch.demo import development_demo, seeding
from cloudbranch.demo.generator import ScaleParams
from cloudbranch.development import rules
from cloudbranch.development.choices import CaseStatus, ContactRole, NoticeKind, RecordStatus, TransferStatus
from cloudbranch.development.models import (
    Case,
    CaseContact,
    LostContact,
    MobileRecord,
    PublicNotice,
    StepRecord,
    ThoughtReport,
    ThoughtReportComment,
    Transfer,
    TransferApproval,
    TransferBatch,
)
from cloudbranch.development.state import apply_state, case_state, rule_steps
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.people.choices import PoliticalStatus
from cloudbranch.people.models import Person
from cloudbranch.people.validation import check_person

from .parts import keep_only

PARAMS = ScaleParams(universities=1, colleges=4, branches=16, people=900)
TODAY = datetime.date(2026, 11, 26)
allow_accounts = override_settings(DEBUG=True, DEMO_PASSWORD="demo12345")
MODELS = (Case, StepRecord, CaseContact, PublicNotice, ThoughtReport, Transfer, MobileRecord, LostContact)
STATUS_OF_STAGE_STEP = {"application": "applicant", "activist": "activist", "candidate": "candidate"}


@pytest.fixture(autouse=True)
def _no_meetings_or_dues(monkeypatch):
    """Only development is seeded here: the other parts are tested in their own modules and are most
    of a seed's time."""
    keep_only(monkeypatch, "development")


def seed(**kwargs):
    with allow_accounts:
        return seeding.seed(scale="demo", seed=kwargs.pop("seed", 1), params=PARAMS, today=TODAY, **kwargs)


def counts() -> dict:
    return {m.__name__: m.objects.count() for m in MODELS}


def _skip_later_parts(m):
    """Learning and communication are tested in their own modules: the tests that need a database of
    their own leave them out (they are most of a seed's time)."""
    keep_only(m, "development")


@pytest.fixture(scope="class")
def _seeded_once(django_db_setup, django_db_blocker):
    """One seed for the tests that only read it (rolled back after the class; each test runs in a
    savepoint of its own, so the idempotency check's second seed cannot leak)."""
    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as m:
        keep_only(m, "development")
        with transaction.atomic():
            yield seed()
            transaction.set_rollback(True)


@pytest.fixture
def seeded(_seeded_once, db):
    assert _seeded_once.created and _seeded_once.development and not _seeded_once.development_skipped
    return _seeded_once


def category(case: Case) -> str:
    if case.next_due_on is None or case.next_due_on > TODAY + datetime.timedelta(days=30):
        return "on_time"
    return "overdue" if case.next_due_on < TODAY else "due_soon"


def person_rank(status: str) -> int:
    return list(PoliticalStatus.values).index(status)


class TestOneSeed:
    """Read what one seed wrote (shared by the tests of this class)."""

    def test_cases_at_every_step_on_time_due_soon_and_overdue(self, seeded):
        cases = list(Case.objects.all())
        assert {c.last_step_number for c in cases} == set(range(1, 26))
        statuses = Counter(c.status for c in cases)
        assert statuses[CaseStatus.COMPLETED] > 10 and statuses[CaseStatus.TERMINATED] == 1
        open_cases = [c for c in cases if c.status == CaseStatus.OPEN]
        spread = Counter(category(c) for c in open_cases)
        n = len(open_cases)
        assert 0.6 < spread["on_time"] / n < 0.85
        assert 0.06 < spread["due_soon"] / n < 0.25
        assert 0.08 < spread["overdue"] / n < 0.25
        assert {c.stage for c in open_cases} == {1, 2, 3, 4, 5}

        extended = Case.objects.get(extension_months__gt=0)
        assert extended.status == CaseStatus.OPEN and extended.extension_months == 6
        assert extended.extended_on and extended.extension_reason
        state = case_state(extended)
        assert state.probation_end == rules.add_months(extended.person.joined_on, 18) > TODAY
        terminated = Case.objects.get(status=CaseStatus.TERMINATED)
        assert terminated.terminated_on and terminated.termination_reason and terminated.termination_note
        assert terminated.person.political_status == PoliticalStatus.MASSES and terminated.person.applied_on is None
        assert not terminated.next_step_code
        voided = StepRecord.objects.filter(status=RecordStatus.VOIDED)
        assert voided.exists() and all(r.void_reason and r.voided_by_id and r.voided_at for r in voided)

        audit = AuditEvent.objects.get(action=development_demo.DEVELOPMENT_ACTION)
        assert audit.changes["cases"] == len(cases) and audit.changes["records"] == StepRecord.objects.count()

    def test_every_record_obeys_the_rules_and_the_summary_is_fresh(self, seeded):
        cases = list(Case.objects.select_related("person", "rule_set"))
        records = defaultdict(list)
        for r in (
            StepRecord.objects.filter(status=RecordStatus.VALID).select_related("step").order_by("occurred_on", "id")
        ):
            records[r.case_id].append(r)
        steps = rule_steps(cases[0].rule_set_id)
        for case in cases:
            person, own = case.person, records[case.pk]
            assert own and own[0].step.code == "application" and own[0].occurred_on == case.applied_on
            for i, record in enumerate(own):
                # The extension only counts for what is recorded after it was decided.
                extended = case.extended_on if case.extended_on and record.occurred_on > case.extended_on else None
                before = rules.evaluate(
                    steps,
                    own[:i],
                    probation_months=case.rule_set.probation_months,
                    extension_months=case.extension_months if extended else 0,
                    extended_on=extended,
                )
                violations = rules.check_recording(
                    before,
                    record.step.code,
                    record.occurred_on,
                    today=TODAY,
                    birth_date=person.birth_date,
                    data=record.data,
                )
                hard = [v.message for v in violations if not v.soft]
                assert not hard, (case.pk, record.step.code, record.occurred_on, hard)
                if any(v.soft for v in violations):
                    assert record.late_reason, (case.pk, record.step.code)
            fresh = copy.copy(case)
            apply_state(fresh, case_state(case))
            for name in ("stage", "last_step_number", "next_step_code", "next_due_on", "next_earliest_on"):
                assert getattr(fresh, name) == getattr(case, name), (case.pk, name)
            # The person's dates and status agree with the case.
            if case.status == CaseStatus.TERMINATED:
                continue
            dates = {r.step.code: r.occurred_on for r in own}
            assert person.applied_on == dates["application"]
            assert person.activist_on == dates.get("activist")
            assert person.candidate_on == dates.get("candidate")
            if "approval" in dates:
                assert person.joined_on == dates["admission_vote"]
                assert person.political_status in (PoliticalStatus.PROBATIONARY, PoliticalStatus.FULL)
            else:
                expected = max((s for code, s in STATUS_OF_STAGE_STEP.items() if code in dates), key=person_rank)
                assert person.political_status == expected, (case.pk, person.political_status, expected)
            if "confirmation_approval" in dates:
                assert person.political_status == PoliticalStatus.FULL
                assert person.confirmed_on == rules.add_months(person.joined_on, 12)
            data = {f.name: getattr(person, f.name) for f in Person._meta.fields}
            data["id_number"] = person.reveal_id_number()
            assert not check_person(data, today=TODAY), case.pk

    def test_sponsors_introducers_and_notices(self, seeded):
        contacts = defaultdict(lambda: defaultdict(list))
        for c in CaseContact.objects.select_related("person", "case__person"):
            contacts[c.case_id][c.role].append(c)
            assert c.person.political_status == PoliticalStatus.FULL and c.person_id != c.case.person_id
        done = defaultdict(set)
        for case_id, code in StepRecord.objects.filter(status=RecordStatus.VALID).values_list("case_id", "step__code"):
            done[case_id].add(code)
        overrides = dict(development_demo.CalendarDay.objects.values_list("date", "is_workday"))
        notices = defaultdict(list)
        for n in PublicNotice.objects.all():
            notices[n.case_id].append(n)
            assert n.ends_on == rules.workdays_end(n.starts_on, n.workdays, overrides) and n.text
        pre_review = dict(
            StepRecord.objects.filter(status=RecordStatus.VALID, step__code="pre_review").values_list(
                "case_id", "occurred_on"
            )
        )
        for case_id, codes in done.items():
            if "sponsors" in codes:
                assert 1 <= len(contacts[case_id][ContactRole.SPONSOR]) <= 2
            if "introducers" in codes:
                assert len(contacts[case_id][ContactRole.INTRODUCER]) == 2
            if "branch_review" in codes:
                candidate = [n for n in notices[case_id] if n.kind == NoticeKind.CANDIDATE]
                assert len(candidate) == 1
                if case_id in pre_review:
                    assert candidate[0].ends_on < pre_review[case_id]

    def test_freshman_funnel(self, seeded):
        year = development_demo.academic_anchor(TODAY).year
        freshmen = Person.objects.filter(
            category="student", staff_number__startswith=str(year), department__endswith="班"
        )
        total = freshmen.count()
        assert total > 30
        applied = freshmen.exclude(political_status=PoliticalStatus.MASSES).count()
        probationary = freshmen.filter(political_status=PoliticalStatus.PROBATIONARY).count()
        assert applied / total > 0.9 and probationary / total < 0.02
        new = Case.objects.filter(person__in=freshmen, applied_on__gte=datetime.date(year, 9, 1))
        assert new.count() > 0.8 * total
        assert set(new.values_list("last_step_number", flat=True)) <= {1, 2}
        assert all(
            rules.age_on(b, a) >= 18 and datetime.date(year, 9, 1) <= a <= datetime.date(year, 10, 31)
            for b, a in new.values_list("person__birth_date", "applied_on")
        )

    def test_demo_logins_see_their_development(self, seeded):
        assert "activist1" in [a.username for a in seeded.accounts]
        person = Person.objects.get(user__username="activist1")
        branch = OrgUnit.objects.get(code="U0101")
        assert person.unit == branch and person.political_status == PoliticalStatus.ACTIVIST
        case = Case.objects.get(person=person, status=CaseStatus.OPEN)
        assert case.stage == 2 and category(case) == "on_time"
        sponsors = CaseContact.objects.filter(case=case, role=ContactRole.SPONSOR)
        assert sponsors.count() == 2 and sponsors.filter(person__user__username="member1").exists()
        assert ThoughtReport.objects.filter(person=person).exists()
        # secretary1's branch: several steps, one due soon, one overdue.
        own = list(Case.objects.filter(person__unit__path__startswith=branch.path, status=CaseStatus.OPEN))
        assert len({c.last_step_number for c in own}) >= 3
        assert {"due_soon", "overdue"} <= {category(c) for c in own}
        assert ThoughtReportComment.objects.filter(author__username="secretary1").exists()

    def test_transfers_mobile_members_and_reports(self, seeded):
        statuses = Counter(Transfer.objects.values_list("kind", "status"))
        assert {s for _k, s in statuses} == set(TransferStatus.values)
        assert {k for k, s in statuses if s == TransferStatus.COMPLETED} == {"internal", "outgoing", "incoming"}
        overdue = Transfer.objects.filter(status=TransferStatus.LETTER_ISSUED, receipt_due_on__lt=TODAY)
        assert overdue.exists() and all(t.letter_number for t in overdue)
        assert TransferApproval.objects.filter(decision="rejected").exists()
        batch = TransferBatch.objects.get()
        assert 5 <= batch.transfers.count() == batch.total_rows <= 10
        moved = Transfer.objects.filter(kind="outgoing", status=TransferStatus.COMPLETED).values_list(
            "person", flat=True
        )
        assert set(Person.objects.filter(pk__in=moved).values_list("roster_status", flat=True)) == {"transferred_out"}

        mobile = MobileRecord.objects.select_related("person", "mobile_branch")
        assert mobile.exists() and all(r.person.is_mobile and r.mobile_branch.kind == "mobile_branch" for r in mobile)
        assert any(r.activities.exists() for r in mobile)
        lost = {lc.status: lc for lc in LostContact.objects.select_related("person")}
        assert set(lost) == {"open", "suspended"} and all(lc.person.is_lost_contact for lc in lost.values())
        assert lost["open"].attempts.exists() and lost["suspended"].suspended_on

        reports = ThoughtReport.objects.all()
        assert reports.exists() and ThoughtReportComment.objects.exists()
        assert all(r.period_start.day == 1 and r.period_start.month in (1, 4, 7, 10) for r in reports[:200])
        assert not reports.filter(case__status=CaseStatus.COMPLETED).exists()

    def test_idempotent(self, seeded):
        before = counts()
        again = seed()
        assert not again.created and again.development is None
        assert counts() == before
        assert AuditEvent.objects.filter(action=development_demo.DEVELOPMENT_ACTION).count() == 1


@pytest.mark.django_db
def test_a_database_seeded_before_development_gets_it_once(monkeypatch):
    _skip_later_parts(monkeypatch)
    with monkeypatch.context() as m:
        m.setattr(seeding, "_seed_development", lambda root, **kw: (None, False))
        assert seed().created
    assert not Case.objects.exists()
    result = seed(seed=9)  # the stored seed (1) wins
    assert not result.created and result.development["cases"] == Case.objects.count() > 0
    assert AuditEvent.objects.get(action=development_demo.DEVELOPMENT_ACTION).changes["seed"] == 1
    before = counts()
    assert seed().development is None and counts() == before


@pytest.mark.django_db
def test_without_an_administrator_account_development_waits(monkeypatch):
    _skip_later_parts(monkeypatch)
    with override_settings(DEBUG=False, DEMO_ALLOW_WITHOUT_DEBUG=False):
        result = seeding.seed(scale="demo", seed=1, params=PARAMS, today=TODAY)
    assert result.development_skipped and not Case.objects.exists()
    assert seed().development and Case.objects.exists()
