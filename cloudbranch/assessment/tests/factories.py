"""Shared test helpers of assessment (APPEND only).

The tests run against a catalogue of the contract's keys used by the default set (ratios with
their numerators and denominators, computes returning nothing) and figures written straight into
``cockpit.OrgMetric`` (``put``), so nothing depends on the areas' own metric definitions."""

from __future__ import annotations

import contextlib
import datetime
from decimal import Decimal

from cloudbranch.assessment import services
from cloudbranch.cockpit.models import OrgMetric
from cloudbranch.core import metrics as catalogue_mod
from cloudbranch.core.metrics import FLOW, STOCK, Metric

YEAR = 2024

# ratio key → (numerator, denominator, scale)
RATIOS = {
    "life.compliance_rate": ("life.meetings_met", "life.meetings_required", 100),
    "life.attendance_rate": ("life.attendance_present", "life.attendance_expected", 100),
    "learning.task_completion_rate": ("learning.task_completed", "learning.task_assignments", 100),
    "development.on_time_rate": ("development.steps_on_time", "development.steps_recorded", 100),
    "dues.payment_rate": ("dues.paid_fen", "dues.expected_fen", 100),
    "tasks.on_time_rate": ("tasks.completed_on_time", "tasks.received", 100),
    "service.hours_per_member": ("service.hours", "structure.party_members", 1),
}


def _nothing(units, period):
    return {}


def catalogue_metrics() -> list[Metric]:
    out = []
    for key, (num, den, scale) in RATIOS.items():
        area = key.split(".")[0]
        for part in (num, den):
            out.append(
                Metric(
                    key=part,
                    label=part.split(".")[1],
                    area=part.split(".")[0],
                    kind=STOCK if part.startswith("structure") else FLOW,
                    compute=_nothing,
                )  # fmt: skip
            )
        out.append(
            Metric(
                key=key,
                label=key.split(".")[1],
                area=area,
                kind=FLOW,
                numerator=num,
                denominator=den,
                scale=scale,
                unit="%" if scale == 100 else "小时",
            )  # fmt: skip
        )
    out.append(
        catalogue_mod.Metric(key="assessment.score", label="考核得分", area="assessment", kind=STOCK, additive=False)
    )
    return out


@contextlib.contextmanager
def assessment_catalogue():
    saved = catalogue_mod._catalogue.copy()
    catalogue_mod._catalogue.clear()
    try:
        for m in catalogue_metrics():
            catalogue_mod.register(m)
        yield
    finally:
        catalogue_mod._catalogue.clear()
        catalogue_mod._catalogue.update(saved)


def put(unit, key: str, value, *, kind: str = "Y", start: datetime.date | None = None) -> OrgMetric:
    """A stored figure (own = total = value) of ``unit`` for the period."""
    start = start or datetime.date(YEAR, 1, 1)
    obj, _ = OrgMetric.objects.update_or_create(
        unit=unit, key=key, period_kind=kind, period_start=start,
        defaults={"own": Decimal(str(value)), "total": Decimal(str(value))},
    )  # fmt: skip
    return obj


def put_ratio(unit, key: str, numerator, denominator, **kw) -> None:
    num, den, _scale = RATIOS[key]
    put(unit, num, numerator, **kw)
    put(unit, den, denominator, **kw)


LINEAR_COMPLIANCE = {
    "name": "组织生活",
    "metric_key": "life.compliance_rate",
    "rule": "linear",
    "params": {"target": 100, "floor": 0},
    "max_score": 25,
}
DUES_BANDS = {
    "name": "党费",
    "metric_key": "dues.payment_rate",
    "rule": "thresholds",
    "params": {"bands": [{"min": 90, "share": "0.5"}, {"min": 100, "share": 1}, {"min": 95, "share": "0.8"}]},
    "max_score": 15,
}
MANUAL = {"name": "人工评价", "metric_key": "", "rule": "manual", "params": {}, "max_score": 5}


def make_set(
    actor, unit, *, indicators=(LINEAR_COMPLIANCE, DUES_BANDS, MANUAL), year=YEAR, quarter=None, kinds=("branch",)
):
    s = services.set_create(
        actor=actor, unit_id=unit.pk, title=f"{year}年度支部考核", year=year,
        period_kind="Q" if quarter else "Y", quarter=quarter, unit_kinds=list(kinds), template="empty",
    )  # fmt: skip
    for ind in indicators:
        services.indicator_add(actor=actor, set_id=s.pk, **ind)
    return s
