"""The figure assessment contributes to the cockpit: each assessed unit's published total.

Not additive (a college's score is not the sum of its branches' scores) and without ``compute``:
``services.set_publish`` writes the rows (own = total = the score) for the set's period (Y or Q),
so the cockpit can colour units by score without importing assessment."""

from cloudbranch.core.metrics import STOCK, Metric, register

register(
    Metric(
        key="assessment.score",
        label="考核得分",
        area="assessment",
        kind=STOCK,
        unit="分",
        additive=False,
        description="已公布的量化考核总分（按考核方案的年度或季度）。",
    )
)
