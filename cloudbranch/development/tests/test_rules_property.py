"""Property: whatever sequence of (step, date) attempts a secretary makes, applying only the
ones the engine accepts never produces an out-of-order case."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudbranch.development import rules
from cloudbranch.development.state import rule_set_for, rule_steps
from cloudbranch.development.tests.factories import TIMELINE_2014

START = datetime.date(2022, 3, 1)
TODAY = datetime.date(2030, 1, 1)
DATA = {code: data for code, _, data in TIMELINE_2014}
STATUS_RANK = {"applicant": 1, "activist": 2, "candidate": 3, "probationary": 4, "full": 5}

pytestmark = pytest.mark.django_db


@pytest.fixture
def steps():
    return rule_steps(rule_set_for(START).pk)


attempt = st.tuples(
    st.sampled_from([code for code, _, _ in TIMELINE_2014] + ["extend"]),
    st.integers(min_value=-10, max_value=1200),
    st.booleans(),  # a written late reason is given
)


def _run(steps, attempts):
    by_code = {s.code: s for s in steps}
    records: list = []
    extension = {"extension_months": 0, "extended_on": None}
    statuses: list[int] = []
    for code, offset, reason in attempts:
        on = START + datetime.timedelta(days=offset)
        state = rules.evaluate(steps, records, **extension)
        if code == "extend":
            if (
                not extension["extension_months"]
                and state["approval"].done
                and not state["confirmation_approval"].done
                and on >= state["approval"].last.occurred_on
            ):
                extension = {"extension_months": 6, "extended_on": on}
            continue
        violations = rules.check_recording(
            state, code, on, today=TODAY, birth_date=datetime.date(1990, 1, 1), data=DATA[code]
        )
        if any(not v.soft for v in violations) or (violations and not reason):
            continue
        records.append(
            SimpleNamespace(
                step=by_code[code], occurred_on=on, sequence=len(state[code].records) + 1, id=len(records) + 1
            )
        )
        if by_code[code].sets_status:
            statuses.append(STATUS_RANK[by_code[code].sets_status])
    return records, extension, statuses


def _assert_in_order(steps, records, extension, statuses):
    by_code = {s.code: s for s in steps}
    state = rules.evaluate(steps, records, **extension)
    counted = [r for s in state.steps.values() for r in s.records]
    for r in counted:
        step = r.step
        for p in step.prerequisites:
            earlier = [x for x in state[p].records if x.occurred_on <= r.occurred_on]
            assert earlier, f"{step.code} on {r.occurred_on} without {p} before it"
        for interval in step.intervals or []:
            anchor = interval["from"]
            if anchor == rules.PROBATION_END:
                base = state.probation_end
            elif not by_code[anchor].repeatable and state[anchor].records:
                base = state[anchor].records[-1].occurred_on
            else:
                continue
            if interval.get("min") and not step.repeatable:
                assert r.occurred_on >= rules.add_period(base, interval["min"]), step.code
            if interval.get("limit"):
                assert r.occurred_on <= rules.add_period(base, interval["limit"]), step.code
    for code, s in state.steps.items():
        dates = [r.occurred_on for r in s.records]
        if s.step.repeatable:
            assert dates == sorted(set(dates)), code
        else:
            assert len(dates) <= 1, code
        req = s.step.requirements or {}
        for other, count in (req.get("min_records") or {}).items():
            if s.records:
                assert len([r for r in state[other].records if r.occurred_on <= s.records[0].occurred_on]) >= count
    assert statuses == sorted(statuses)
    # The political status a case reaches follows the order of its records' dates.
    dated = sorted((r.occurred_on, STATUS_RANK[r.step.sets_status]) for r in counted if r.step.sets_status)
    assert [rank for _, rank in dated] == sorted(rank for _, rank in dated)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(attempts=st.lists(attempt, max_size=60))
def test_random_attempts_never_produce_an_out_of_order_case(steps, attempts):
    records, extension, statuses = _run(steps, attempts)
    _assert_in_order(steps, records, extension, statuses)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(jitter=st.lists(st.integers(min_value=-40, max_value=40), min_size=27, max_size=27), reason=st.booleans())
def test_jittered_timeline_is_either_refused_or_in_order(steps, jitter, reason):
    attempts = [(code, offset + j, reason) for (code, offset, _), j in zip(TIMELINE_2014, jitter, strict=True)]
    records, extension, statuses = _run(steps, attempts)
    _assert_in_order(steps, records, extension, statuses)
