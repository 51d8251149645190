"""Loading a case's state and keeping the denormalized fields of ``Case`` in step with it.

``case_state(case)`` evaluates the rules for one case (two queries: records, and the rule
set's steps, cached per process). ``sync_case(case)`` writes ``stage``, ``last_step_number``,
``next_step_code``, ``next_due_on`` and ``next_earliest_on`` after any change to the case;
pipeline views read only these columns.
"""

from __future__ import annotations

import datetime
import functools

from .choices import CaseStatus, RecordStatus
from .models import Case, RuleSet, RuleStep, StepRecord
from .rules import CaseState, evaluate

SYNC_FIELDS = (
    "stage",
    "last_step_number",
    "next_step_code",
    "next_due_on",
    "next_earliest_on",
    "activist_on",
    "candidate_on",
    "admitted_on",
    "confirmed_on",
)
# Case milestone field -> the step whose first valid record dates it.
MILESTONE_STEPS = {
    "activist_on": "activist",
    "candidate_on": "candidate",
    "admitted_on": "approval",
    "confirmed_on": "confirmation_approval",
}


@functools.lru_cache(maxsize=16)
def _steps(rule_set_id: int) -> tuple[RuleStep, ...]:
    return tuple(RuleStep.objects.filter(rule_set_id=rule_set_id).order_by("number"))


def rule_steps(rule_set_id: int) -> tuple[RuleStep, ...]:
    """The steps of a rule set (rule data changes only by migration; tests reloading the data
    call ``forget_rules``)."""
    return _steps(rule_set_id)


def forget_rules() -> None:
    _steps.cache_clear()


def step_by_code(rule_set_id: int, code: str) -> RuleStep:
    return next(s for s in rule_steps(rule_set_id) if s.code == code)


def rule_set_for(applied_on: datetime.date) -> RuleSet | None:
    """The rule set a case applying on ``applied_on`` starts under: the latest one in force."""
    return RuleSet.objects.filter(valid_from__lte=applied_on).order_by("-valid_from").first()


def evaluate_case(case: Case, records) -> CaseState:
    return evaluate(
        rule_steps(case.rule_set_id),
        records,
        probation_months=case.rule_set.probation_months,
        extension_months=case.extension_months,
        extended_on=case.extended_on,
        closed=case.status != CaseStatus.OPEN,
    )


def case_state(case: Case) -> CaseState:
    records = list(StepRecord.objects.filter(case=case, status=RecordStatus.VALID).order_by("occurred_on", "id"))
    return evaluate_case(case, records)


def apply_state(case: Case, state: CaseState) -> None:
    """Copy the state's summary onto ``case`` (unsaved)."""
    case.stage = state.stage
    case.last_step_number = state.last_number
    nxt = state.next if case.status == CaseStatus.OPEN else None
    case.next_step_code = nxt.code if nxt else ""
    case.next_due_on = nxt.due if nxt else None
    case.next_earliest_on = nxt.earliest if nxt else None
    for field, code in MILESTONE_STEPS.items():
        step = state.steps.get(code)
        setattr(case, field, step.records[0].occurred_on if step and step.records else None)


def sync_case(case: Case, state: CaseState | None = None) -> CaseState:
    state = state or case_state(case)
    apply_state(case, state)
    case.save(update_fields=[*SYNC_FIELDS, "updated_at"])
    return state
