"""The rule engine against the 2014 rule set, with boundary dates for every interval."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest

from cloudbranch.development import rules
from cloudbranch.development.models import RuleSet
from cloudbranch.development.state import rule_set_for, rule_steps
from cloudbranch.development.tests.factories import TIMELINE_2014, VOTE

D = datetime.date
TODAY = D(2030, 1, 1)
pytestmark = pytest.mark.django_db


@pytest.fixture
def steps():
    return rule_steps(rule_set_for(D(2020, 1, 1)).pk)


def rec(steps, code, on, data=None, seq=1):
    step = next(s for s in steps if s.code == code)
    return SimpleNamespace(step=step, occurred_on=on, sequence=seq, id=None, data=data or {})


def timeline(steps, applied: D, upto: str, **dates):
    """Records of TIMELINE_2014 up to ``upto`` (exclusive); ``dates`` override a step's date."""
    out, seq = [], {}
    for code, offset, data in TIMELINE_2014:
        if code == upto:
            break
        seq[code] = seq.get(code, 0) + 1
        on = dates.get(code) or applied + datetime.timedelta(days=offset)
        out.append(rec(steps, code, on, data, seq[code]))
    return out


def check(steps, records, code, on, **kw):
    state = rules.evaluate(steps, records, **{k: kw.pop(k) for k in ("extension_months", "extended_on") if k in kw})
    return rules.check_recording(state, code, on, today=kw.pop("today", TODAY), **kw)


def hard(violations):
    return [v for v in violations if not v.soft]


# --- date arithmetic ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2023, 1, 31), 1, D(2023, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 2, 29), 48, D(2028, 2, 29)),
        (D(2023, 8, 31), 6, D(2024, 2, 29)),
        (D(2024, 3, 31), -1, D(2024, 2, 29)),
        (D(2023, 12, 15), 1, D(2024, 1, 15)),
    ],
)
def test_add_months_clamps_to_month_end(start, months, expected):
    assert rules.add_months(start, months) == expected


def test_workdays_end_skips_weekends_and_holidays():
    # 2025-09-29 is a Monday; 10-01..10-03 are holidays, 10-06..10-08 too, 10-11 (Sat) is a working day.
    overrides = {D(2025, 10, d): False for d in (1, 2, 3, 6, 7, 8)} | {D(2025, 10, 11): True}
    assert rules.workdays_end(D(2025, 9, 29), 4, overrides) == D(2025, 10, 10)
    assert rules.workdays_end(D(2025, 9, 29), 5, overrides) == D(2025, 10, 11)
    assert rules.workdays_end(D(2025, 3, 3), 5, {}) == D(2025, 3, 7)


# --- talk within one month of the application (第七条) ----------------------------------------


def test_talk_exactly_one_month_after_application_is_on_time(steps):
    records = [rec(steps, "application", D(2024, 1, 15))]
    assert check(steps, records, "talk", D(2024, 2, 15)) == []


def test_talk_one_day_late_needs_a_written_reason(steps):
    records = [rec(steps, "application", D(2024, 1, 15))]
    violations = check(steps, records, "talk", D(2024, 2, 16))
    assert len(violations) == 1 and violations[0].soft and violations[0].field == "late_reason"
    assert "2024-02-15" in violations[0].message and "第七条" in violations[0].message


def test_talk_due_date_at_month_end(steps):
    records = [rec(steps, "application", D(2023, 1, 31))]
    assert check(steps, records, "talk", D(2023, 2, 28)) == []
    assert check(steps, records, "talk", D(2023, 3, 1))[0].soft


def test_talk_not_before_the_application(steps):
    records = [rec(steps, "application", D(2024, 1, 15))]
    violations = hard(check(steps, records, "talk", D(2024, 1, 14)))
    assert violations and "最早可在 2024-01-15" in violations[0].message


# --- candidate at least one year after activist (第十三条) --------------------------------------


def _activist_records(steps, activist: D):
    return [
        rec(steps, "application", activist - datetime.timedelta(days=60)),
        rec(steps, "talk", activist - datetime.timedelta(days=40)),
        rec(steps, "activist", activist, {"recommendation": "党员推荐"}),
        rec(steps, "activist_filing", activist + datetime.timedelta(days=10)),
        rec(steps, "sponsors", activist + datetime.timedelta(days=10)),
        rec(steps, "activist_assessment", activist + datetime.timedelta(days=150), {"result": "合格"}, 1),
        rec(steps, "activist_assessment", activist + datetime.timedelta(days=300), {"result": "合格"}, 2),
    ]


def test_candidate_exactly_one_year_after_activist(steps):
    records = _activist_records(steps, D(2023, 3, 10))
    assert check(steps, records, "candidate", D(2024, 3, 10)) == []


def test_candidate_one_day_short_of_a_year_is_refused(steps):
    records = _activist_records(steps, D(2023, 3, 10))
    violations = check(steps, records, "candidate", D(2024, 3, 9))
    assert len(violations) == 1 and not violations[0].soft
    assert "最早可在 2024-03-10" in violations[0].message and "第十三条" in violations[0].message


def test_candidate_after_leap_day_activist(steps):
    records = _activist_records(steps, D(2024, 2, 29))
    assert check(steps, records, "candidate", D(2025, 2, 28)) == []
    assert hard(check(steps, records, "candidate", D(2025, 2, 27)))


def test_candidate_needs_two_assessments(steps):
    records = _activist_records(steps, D(2023, 3, 10))[:-1]
    violations = check(steps, records, "candidate", D(2024, 3, 10))
    assert any("至少需要 2 次" in v.message for v in violations)


def test_assessment_after_becoming_candidate_is_refused(steps):
    records = [*_activist_records(steps, D(2023, 3, 10)), rec(steps, "candidate", D(2024, 3, 10))]
    violations = check(steps, records, "activist_assessment", D(2024, 4, 1))
    assert violations and violations[0].field == "step"


def test_assessment_dates_must_increase(steps):
    records = _activist_records(steps, D(2023, 3, 10))
    violations = check(steps, records, "activist_assessment", D(2023, 3, 10) + datetime.timedelta(days=300))
    assert any("须晚于上一次" in v.message for v in violations)


def test_assessment_due_every_six_months_from_the_last(steps):
    records = _activist_records(steps, D(2023, 3, 10))
    state = rules.evaluate(steps, records)
    last = D(2023, 3, 10) + datetime.timedelta(days=300)
    assert state["activist_assessment"].due == rules.add_months(last, 6)


def test_late_assessment_needs_a_written_reason(steps):
    """Half-yearly assessments (第十一条): on the due date it is on time, a day later it is
    recorded only with a reason."""
    records = _activist_records(steps, D(2023, 3, 10))
    due = rules.add_months(D(2023, 3, 10) + datetime.timedelta(days=300), 6)
    assert check(steps, records, "activist_assessment", due) == []
    late = check(steps, records, "activist_assessment", due + datetime.timedelta(days=1))
    assert len(late) == 1 and late[0].soft and late[0].field == "late_reason" and "第十一条" in late[0].message


# --- approval within 3 months, never beyond 6 (第四章) ------------------------------------------


APPLIED = D(2022, 3, 1)


def _vote_date():
    return APPLIED + datetime.timedelta(days=540)


def test_approval_at_three_months_ok_one_day_later_needs_reason_beyond_six_refused(steps):
    records = timeline(steps, APPLIED, "approval")
    vote = _vote_date()
    ok = check(steps, records, "approval", rules.add_months(vote, 3), data={"decision": "approved"})
    assert ok == []
    late = check(
        steps,
        records,
        "approval",
        rules.add_months(vote, 3) + datetime.timedelta(days=1),
        data={"decision": "approved"},
    )
    assert len(late) == 1 and late[0].soft
    at_limit = check(steps, records, "approval", rules.add_months(vote, 6), data={"decision": "approved"})
    assert at_limit and all(v.soft for v in at_limit)
    beyond = check(
        steps,
        records,
        "approval",
        rules.add_months(vote, 6) + datetime.timedelta(days=1),
        data={"decision": "approved"},
    )
    assert hard(beyond) and "不得超过六个月" in beyond[0].message


def test_approval_refused_decision_is_not_recorded(steps):
    records = timeline(steps, APPLIED, "approval")
    violations = check(
        steps, records, "approval", _vote_date() + datetime.timedelta(days=40), data={"decision": "rejected"}
    )
    assert [v.field for v in violations] == ["decision"]


# --- probation and confirmation (第三十二条, 第三十三条) -----------------------------------------


def test_probation_ends_twelve_months_after_the_vote(steps):
    records = timeline(steps, APPLIED, "approval_filing")
    state = rules.evaluate(steps, records)
    assert state.probation_end == rules.add_months(_vote_date(), 12)
    extended = rules.evaluate(
        steps, records, extension_months=6, extended_on=_vote_date() + datetime.timedelta(days=300)
    )
    assert extended.probation_end == rules.add_months(_vote_date(), 18)


def test_confirmation_vote_refused_the_day_before_probation_ends(steps):
    records = timeline(steps, APPLIED, "confirmation_vote")
    end = rules.add_months(_vote_date(), 12)
    before = check(steps, records, "confirmation_vote", end - datetime.timedelta(days=1), data=VOTE)
    assert hard(before) and f"最早可在 {end:%Y-%m-%d}" in before[0].message
    assert check(steps, records, "confirmation_vote", end, data=VOTE) == []


def test_extension_resets_confirmation_steps(steps):
    records = timeline(steps, APPLIED, "confirmation_approval")
    extended_on = APPLIED + datetime.timedelta(days=906)
    state = rules.evaluate(steps, records, extension_months=6, extended_on=extended_on)
    assert not state["confirmation_application"].done and not state["confirmation_vote"].done
    assert state["confirmation_vote"].earliest == rules.add_months(_vote_date(), 18)
    assert "confirmation_application" in {s.code for s in state.active()}


# --- age 18 on the application date (第五条) ---------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "applied", "allowed"),
    [
        (D(2006, 5, 20), D(2024, 5, 20), True),
        (D(2006, 5, 20), D(2024, 5, 19), False),
        (D(2004, 2, 29), D(2022, 3, 1), True),
        (D(2004, 2, 29), D(2022, 2, 28), False),
        (D(2004, 2, 29), D(2024, 2, 29), True),
    ],
)
def test_minimum_age_on_the_application_date(steps, birth, applied, allowed):
    violations = check(steps, [], "application", applied, birth_date=birth)
    assert (violations == []) is allowed
    if not allowed:
        assert "第五条" in violations[0].message


def test_no_recording_in_the_future(steps):
    violations = check(steps, [], "application", D(2030, 1, 2), birth_date=D(1990, 1, 1))
    assert "晚于今天" in violations[0].message


# --- training (第十七条) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "hours", "allowed"),
    [(3, 0, True), (0, 24, True), (2, 23, False), (2.5, 23.5, False), (3, 24, True), (None, None, False)],
)
def test_training_three_days_or_24_hours(steps, days, hours, allowed):
    records = timeline(steps, APPLIED, "political_review")
    on = APPLIED + datetime.timedelta(days=480)
    violations = check(steps, records, "training", on, data={"days": days, "hours": hours})
    assert (violations == []) is allowed
    if not allowed:
        assert violations[0].field == "days" and "第十七条" in violations[0].message


# --- votes (第二十条) ----------------------------------------------------------------------------


def vote(**kw):
    base = {"entitled": 10, "present": 8, "written": 0, "in_favour": 7, "against": 1, "abstain": 0}
    return rules.Vote(**{**base, **kw})


def test_vote_passes_with_more_than_half_of_entitled():
    assert rules.check_vote(vote()) == []
    assert rules.check_vote(vote(present=6, in_favour=6, against=0)) == []


def test_in_favour_must_exceed_half_of_entitled_not_of_present():
    errors = rules.check_vote(vote(present=6, in_favour=5, against=1))
    assert len(errors) == 1 and "应到会" in errors[0] and "第二十条" in errors[0]


def test_quorum_present_must_exceed_half():
    errors = rules.check_vote(vote(present=5, in_favour=5, against=0))
    assert any("到会人数不足" in e for e in errors)
    assert rules.check_vote(vote(present=6, in_favour=6, against=0)) == []


def test_written_opinions_count():
    # 6 present (4 in favour) + 2 written opinions in favour = 6 > 10 / 2.
    assert rules.check_vote(vote(present=6, written=2, in_favour=6, against=2)) == []
    # Without them counted, 4 of 10 fails.
    assert rules.check_vote(vote(present=6, written=0, in_favour=4, against=2))


def test_inconsistent_counts_are_refused():
    assert rules.check_vote(vote(present=11))
    assert rules.check_vote(vote(present=8, written=3))
    assert rules.check_vote(vote(in_favour=8, against=1))
    assert rules.check_vote(vote(entitled=0))
    assert rules.check_vote(vote(against=-1))


def test_vote_step_reports_vote_errors(steps):
    records = timeline(steps, APPLIED, "admission_vote")
    on = APPLIED + datetime.timedelta(days=540)
    violations = check(steps, records, "admission_vote", on, data={**VOTE, "present": 6, "in_favour": 5, "against": 1})
    assert [v.field for v in violations] == ["vote"]


def test_leaving_within_three_months_needs_a_reason(steps):
    records = timeline(steps, APPLIED, "admission_vote")
    on = APPLIED + datetime.timedelta(days=540)
    violations = check(
        steps, records, "admission_vote", on, data=VOTE, expected_leave_on=on + datetime.timedelta(days=60)
    )
    assert len(violations) == 1 and violations[0].soft and "第十九条" in violations[0].message
    assert check(steps, records, "admission_vote", on, data=VOTE, expected_leave_on=rules.add_months(on, 3)) == []


# --- prerequisites ------------------------------------------------------------------------------


def test_prerequisites_out_of_order_name_the_missing_steps(steps):
    records = [rec(steps, "application", D(2022, 1, 1)), rec(steps, "talk", D(2022, 1, 10))]
    violations = check(steps, records, "candidate", D(2023, 6, 1))
    assert len(violations) == 1 and violations[0].field == "step"
    assert "上级党委备案" in violations[0].message and "培养教育考察" in violations[0].message


def test_step_recorded_twice_is_refused(steps):
    records = [rec(steps, "application", D(2022, 1, 1)), rec(steps, "talk", D(2022, 1, 10))]
    assert "已经记录过" in check(steps, records, "talk", D(2022, 1, 11))[0].message


def test_every_step_of_the_timeline_is_accepted_in_order(steps):
    records = []
    seq = {}
    for code, offset, data in TIMELINE_2014:
        on = APPLIED + datetime.timedelta(days=offset)
        assert check(steps, records, code, on, data=data, birth_date=D(1990, 1, 1)) == [], code
        seq[code] = seq.get(code, 0) + 1
        records.append(rec(steps, code, on, data, seq[code]))
    state = rules.evaluate(steps, records)
    assert state.next is None and state.last_number == 25 and state.stage == 5


def test_every_step_with_prerequisites_refuses_without_them(steps):
    for step in steps:
        if step.prerequisites:
            violations = check(steps, [], step.code, D(2025, 1, 1))
            assert violations[-1].field == "step", step.code


# --- rule-version selection ---------------------------------------------------------------------


def _rule_set(code, valid_from):
    return RuleSet.objects.create(code=code, title=f"规则 {code}", valid_from=valid_from, source="测试")


def test_rule_set_selected_by_application_date():
    _rule_set("2099", D(2099, 1, 1))
    assert rule_set_for(D(2024, 1, 1)).code == "2014"
    assert rule_set_for(D(2098, 12, 31)).code == "2014"
    assert rule_set_for(D(2099, 1, 1)).code == "2099"


def test_rule_set_boundary_on_valid_from():
    _rule_set("2026", D(2026, 6, 1))
    assert rule_set_for(D(2026, 5, 31)).code == "2014"
    assert rule_set_for(D(2026, 6, 1)).code == "2026"
    assert rule_set_for(D(2014, 6, 10)).code == "2014"
    assert rule_set_for(D(2014, 6, 9)) is None


def test_every_step_quotes_its_source(steps):
    assert len(steps) == 25
    assert all(s.source for s in steps)
    assert [s.number for s in steps] == list(range(1, 26))
