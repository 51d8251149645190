"""Development metrics (发展党员): the funnel's flows and the on-time rate of recorded steps (SPEC §9).

* ``development.applications`` … ``development.confirmed``: people whose stage date on ``Person``
  (``applied_on``, ``activist_on``, ``candidate_on``, ``joined_on``, ``confirmed_on`` — kept by the
  development engine when a step is recorded, and by imports for older members) falls in the
  period, counted in the person's CURRENT unit, whatever their roster status today (the event
  happened). One grouped query over ``people_person`` each.
* ``development.steps_recorded`` / ``steps_on_time``: valid ``StepRecord`` rows by ``occurred_on``,
  in the unit of the case's person (current unit). A record is late exactly when it was recorded
  after its step's due date — the engine then requires a written ``late_reason`` (rules.py, soft
  violation) — so on time = no ``late_reason``; a step without a due date is always on time.
"""

from __future__ import annotations

from django.db.models import Count, Q

from cloudbranch.core.metric_queries import flow
from cloudbranch.core.metrics import FLOW, Metric, register
from cloudbranch.people.models import Person

from .choices import RecordStatus
from .models import StepRecord

PERSON_SOURCES = {"people.Person": "unit_id"}
STEP_SOURCES = {"development.StepRecord": "case.person.unit_id"}

for _key, _field, _label in (
    ("development.applications", "applied_on", "入党申请"),
    ("development.activists_new", "activist_on", "新确定入党积极分子"),
    ("development.candidates_new", "candidate_on", "新确定发展对象"),
    ("development.admitted", "joined_on", "新发展党员"),
    ("development.confirmed", "confirmed_on", "预备党员转正"),
):
    register(
        Metric(
            key=_key,
            label=_label,
            area="development",
            kind=FLOW,
            unit="人",
            sources=PERSON_SOURCES,
            description=f"期内{_label}人数：人员的“{Person._meta.get_field(_field).verbose_name}”落在期内，"
            "计入该人员当前所在党组织（不论现在是否在册）。",
            **flow(Person.objects.all, unit="unit_id", day=_field),
        )
    )


def _steps():
    return StepRecord.objects.filter(status=RecordStatus.VALID)


register(
    Metric(
        key="development.steps_recorded",
        label="记录发展步骤",
        area="development",
        kind=FLOW,
        unit="次",
        sources=STEP_SOURCES,
        description="期内记录的有效发展步骤数（按步骤日期），计入发展对象当前所在党组织；已撤销的记录不计。",
        **flow(_steps, unit="case__person__unit_id", day="occurred_on"),
    )
)

register(
    Metric(
        key="development.steps_on_time",
        label="按期完成发展步骤",
        area="development",
        kind=FLOW,
        unit="次",
        sources=STEP_SOURCES,
        description="期内记录的有效发展步骤中未逾期的次数：步骤日期不晚于该步骤的期限"
        "（逾期记录须填写逾期说明，据此判断；没有期限的步骤视为按期），计入发展对象当前所在党组织。",
        **flow(
            _steps,
            unit="case__person__unit_id",
            day="occurred_on",
            value=lambda: Count("pk", filter=Q(late_reason="")),
        ),
    )
)

register(
    Metric(
        key="development.on_time_rate",
        label="发展步骤按期率",
        area="development",
        kind=FLOW,
        unit="%",
        numerator="development.steps_on_time",
        denominator="development.steps_recorded",
        description="按期完成的发展步骤 ÷ 记录的发展步骤。",
    )
)
