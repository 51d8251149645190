"""Cockpit, assessment and warnings demo (issue 10 items 2–5) for the seeded demo tree: the LAST
part of the seed, so that the figures, scores and warnings cover every other part.

``seed_cockpit(root, seed=..., today=..., now=..., creator=..., demo=...)`` runs, in this order:

1. **the full metrics recompute** (``cockpit.engine.recompute_all``) when the store is stale: no
   finished full run yet, or the last one started before the latest ``demo.seed.*`` part was
   written (so a second ``seed_demo`` that seeds nothing does not recompute; a database seeded
   before a part existed gets the part and a fresh store). The assessment needs these figures.
2. **quantified assessment**, once (through the real services, ``assessment.services``): the
   university's indicator set for branches of LAST year from the default template — automatic
   scores from the stored figures, the manual item scored (a few branches of the demo college
   through ``score_manual``, the others in bulk with the assessor and the evidence, one summary
   in this part's audit row) — PUBLISHED (results, ranks, the ``assessment.score`` figure written
   back to the store); and THIS year's set (a copy of last year's) in SCORING with a few manual
   scores entered.
3. **the warnings refresh** (``cockpit.warnings.refresh_warnings``, owners notified: ONE summary
   notification per user) whenever step 1 or 2 ran.

The assessment writes only its own figure (``assessment.score``, which the engine never
recomputes), so the store is complete once this part ends. One audit row ``demo.seed.cockpit``
holds the counts and each step's seconds.
"""

from __future__ import annotations

import random
import time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Max
from django.utils import timezone

from cloudbranch.assessment import services as assessment
from cloudbranch.assessment.choices import ScoringRule
from cloudbranch.assessment.models import IndicatorSet, Score
from cloudbranch.audit.models import AuditEvent
from cloudbranch.audit.services import audit_record
from cloudbranch.cockpit import engine
from cloudbranch.cockpit.models import MetricRun, OrgMetric, RunKind
from cloudbranch.cockpit.warnings import refresh_warnings
from cloudbranch.orgs.choices import UnitKind
from cloudbranch.orgs.models import OrgUnit

COCKPIT_ACTION = "demo.seed.cockpit"
PART_ACTIONS = "demo.seed."  # every part's summary row starts so
SHOWCASE_SCORES = 4  # manual scores entered through the service per set
MANUAL_EVIDENCE = (
    "支部组织生活规范，主题党日活动有特色，党员教育管理扎实。",
    "支部班子团结有力，服务师生成效明显，宣传工作积极主动。",
    "基础工作总体规范，个别台账记录不够完整，需进一步加强。",
    "结合专业特点开展党建活动，“双带头人”作用发挥较好。",
    "支部活动形式较单一，党员参与度有待提高。",
)


def has_assessment(root: OrgUnit) -> bool:
    return IndicatorSet.objects.filter(unit=root).exists()


def metrics_stale(root: OrgUnit) -> bool:
    """Whether the metric store must be recomputed for the demo: empty, never fully computed, or
    computed before the latest demo part was seeded (this part's own row does not count)."""
    last = (
        MetricRun.objects.filter(kind=RunKind.FULL, finished_at__isnull=False)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    if last is None or not OrgMetric.objects.exists():
        return True
    seeded = (
        AuditEvent.objects.filter(action__startswith=PART_ACTIONS, target_type="orgs.orgunit", target_id=str(root.pk))
        .exclude(action=COCKPIT_ACTION)
        .aggregate(at=Max("occurred_at"))["at"]
    )
    return seeded is not None and seeded > last


def up_to_date(root: OrgUnit) -> bool:
    """Nothing to do: the assessment exists and the store is not older than the seed."""
    return has_assessment(root) and not metrics_stale(root)


class Seeder:
    def __init__(self, root, *, seed, today, now, creator, demo):
        self.root, self.today, self.now = root, today, now
        self.rng = random.Random(f"cockpit:{seed}:{today.isoformat()}")
        self.college = demo.get("college")
        User = get_user_model()
        self.admin = User.objects.filter(username="admin").first() or User.objects.get(pk=creator)
        self.counts: dict = {}
        self.seconds: dict[str, float] = {}

    def timed(self, name: str, fn):
        started = time.monotonic()
        out = fn()
        self.seconds[name] = round(time.monotonic() - started, 2)
        return out

    # --- 1. the store ---------------------------------------------------------------------------
    def recompute(self) -> None:
        run = self.timed("recompute", lambda: engine.recompute_all(today=self.today))
        self.counts["metric_rows"] = run.rows
        self.counts["metric_units"] = run.units
        if run.error:
            self.counts["metric_errors"] = run.error[:1000]

    # --- 2. assessment --------------------------------------------------------------------------
    def showcase_units(self, s: IndicatorSet) -> list[int]:
        """Branches of the demo college (else the first ones) whose manual score goes through the service."""
        units = list(assessment.assessed_units(s).values_list("id", "path"))
        mine = [u for u, path in units if self.college and path.startswith(self.college.path)]
        return (mine or [u for u, _ in units])[:SHOWCASE_SCORES]

    def manual(self, s: IndicatorSet, unit_ids: list[int]) -> int:
        scores = Score.objects.filter(
            indicator__indicator_set=s, indicator__rule=ScoringRule.MANUAL, unit_id__in=unit_ids
        ).select_related("indicator")
        n = 0
        for sc in sorted(scores, key=lambda sc: (sc.unit_id, sc.indicator_id)):
            value = self.value(sc)
            assessment.score_manual(
                actor=self.admin, score_id=sc.pk, manual_score=value, evidence=self.rng.choice(MANUAL_EVIDENCE)
            )
            n += 1
        return n

    def value(self, sc: Score) -> Decimal:
        share = Decimal(self.rng.choice((60, 70, 80, 80, 90, 90, 100))) / 100
        return (sc.indicator.max_score * share).quantize(Decimal("0.01"))

    def manual_bulk(self, s: IndicatorSet) -> int:
        """Every manual score still empty, with the assessor and evidence (volume; no audit row each)."""
        rows = list(
            Score.objects.filter(
                indicator__indicator_set=s, indicator__rule=ScoringRule.MANUAL, manual_score__isnull=True
            )
            .select_related("indicator")
            .order_by("unit_id", "indicator_id")
        )
        at = timezone.now()
        for sc in rows:
            sc.manual_score = self.value(sc)
            sc.evidence = self.rng.choice(MANUAL_EVIDENCE)
            sc.scored_by, sc.scored_at = self.admin, at
        Score.objects.bulk_update(rows, ["manual_score", "evidence", "scored_by", "scored_at"], batch_size=2000)
        return len(rows)

    def assessment(self) -> None:
        year = self.today.year
        last = assessment.set_create(
            actor=self.admin, unit_id=self.root.pk, title=f"{year - 1}年度党支部工作量化考核", year=year - 1,
            unit_kinds=[UnitKind.BRANCH], template="default",
        )  # fmt: skip
        assessment.set_start_scoring(actor=self.admin, set_id=last.pk)
        showcase = self.manual(last, self.showcase_units(last))
        bulk = self.manual_bulk(last)
        assessment.set_publish(actor=self.admin, set_id=last.pk)
        this = assessment.set_copy(actor=self.admin, set_id=last.pk)
        assessment.set_start_scoring(actor=self.admin, set_id=this.pk)
        showcase += self.manual(this, self.showcase_units(this))
        self.counts["assessment"] = {
            "published_set": last.pk,
            "scoring_set": this.pk,
            "results": last.results.count(),
            "scores": Score.objects.filter(indicator__indicator_set__in=[last, this]).count(),
            "manual_by_service": showcase,
            "manual_bulk": bulk,
        }

    # --- 3. warnings ----------------------------------------------------------------------------
    def warnings(self) -> None:
        result = self.timed("warnings", lambda: refresh_warnings(self.today, notify_owners=True))
        self.counts["warnings"] = {
            "opened": result.opened,
            "cleared": result.cleared,
            "notified_users": result.notified_users,
            "notified_warnings": result.notified_warnings,
            "errors": result.errors,
            "by_rule": {r.key: r.found for r in result.rules if r.found},
        }


def seed_cockpit(root: OrgUnit, *, seed: int, today, now, creator: int, demo: dict[str, OrgUnit]) -> dict:
    """Recompute the store if stale, seed the assessment once, refresh the warnings; call inside a
    transaction, after every other part. Returns counts (with each step's seconds)."""
    started = time.monotonic()
    seeder = Seeder(root, seed=seed, today=today, now=now, creator=creator, demo=demo)
    stale = metrics_stale(root)
    if stale:
        seeder.recompute()  # first: the assessment scores from these figures
    seeded = not has_assessment(root)
    if seeded:
        seeder.timed("assessment", seeder.assessment)
    if stale or seeded:
        seeder.warnings()
    counts = {**seeder.counts, "recomputed": stale, "seconds_by_step": seeder.seconds}
    counts["seconds"] = round(time.monotonic() - started, 1)
    audit_record(actor=None, action=COCKPIT_ACTION, target=root, changes={"seed": seed, **counts})
    return counts
