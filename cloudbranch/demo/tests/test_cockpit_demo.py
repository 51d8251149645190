"""The cockpit demo (issue 10 items 2–5), the last part of the seed: the full metrics recompute,
last year's published assessment and this year's in scoring, the warnings with one summary
notification per owner; a second seed recomputes nothing unless a part was seeded. Small scale,
seeded once per module (the heaviest parts are skipped: the store only needs some data)."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from cloudbranch.assessment.choices import ScoringRule, SetStatus
from cloudbranch.assessment.models import IndicatorSet, Result, Score
from cloudbranch.audit.models import AuditEvent
from cloudbranch.audit.services import audit_record
from cloudbranch.cockpit.models import MetricRun, OrgMetric, Warning
from cloudbranch.demo import cockpit_demo, seeding
from cloudbranch.demo.generator import ScaleParams
from cloudbranch.notifications.choices import Category
from cloudbranch.notifications.models import Notification
from cloudbranch.orgs.choices import UnitKind

from .parts import module_seed

PARAMS = ScaleParams(universities=1, colleges=3, branches=12, people=500)
allow_accounts = override_settings(DEBUG=True, DEMO_PASSWORD="demo12345")
KEPT = ("life", "fees", "development", "tasks", "cockpit")


def seed():
    with allow_accounts:
        return seeding.seed(scale="demo", seed=1, params=PARAMS)


_media, _only_these_parts, _seed_of_the_module = module_seed(*KEPT, seed=seed, media="cockpit")


@pytest.fixture
def seeded(_seed_of_the_module, db):
    assert _seed_of_the_module.created and _seed_of_the_module.cockpit and _seed_of_the_module.tasks
    return _seed_of_the_module


def user(name):
    return get_user_model().objects.get(username=name)


def units(seeded):
    return seeding.demo_units(seeded.root, province=False)


def test_recomputed_once_at_the_end(seeded):
    c = seeded.cockpit
    assert c["recomputed"] and not c.get("metric_errors")
    run = MetricRun.objects.get()
    assert run.kind == "full" and run.finished_at and run.rows == c["metric_rows"] > 0
    # After every other part: the store saw the tasks the tasks part wrote just before.
    assert OrgMetric.objects.filter(key="tasks.received", unit=seeded.root, period_kind="Y").exists()
    part_events = AuditEvent.objects.filter(action__startswith="demo.seed.").exclude(action=cockpit_demo.COCKPIT_ACTION)
    assert max(e.occurred_at for e in part_events) <= run.started_at
    assert AuditEvent.objects.get(action=cockpit_demo.COCKPIT_ACTION).changes["seconds_by_step"]["recompute"] >= 0
    assert not cockpit_demo.metrics_stale(seeded.root) and cockpit_demo.up_to_date(seeded.root)


def test_admin_cockpit_of_the_root_shows_figures(seeded, client):
    client.force_login(user("admin"))
    page = client.get(reverse("cockpit:dashboard"), {"unit": seeded.root.pk})
    assert page.status_code == 200
    headline = {h["key"]: h["value"] for h in page.context["headline"]}
    assert headline["structure.party_members"] > 0 and headline["structure.branches"] > 0
    # Early in a month no task has fallen due yet: the page then shows last month's rate, named.
    on_time = next(h for h in page.context["headline"] if h["key"] == "tasks.on_time_rate")
    assert on_time["value"] is not None or (on_time["previous"] is not None and on_time["as_of"])
    assert sum(1 for v in headline.values() if v) >= 5
    # A branch's cockpit of last year shows its published assessment score (not rolled up: branches only).
    branch = units(seeded)["branch1"]
    year = client.get(reverse("cockpit:dashboard"), {"unit": branch.pk, "year": timezone.localdate().year - 1})
    scores = [h["value"] for h in year.context["headline"] if h["key"] == "assessment.score"]
    published = Result.objects.get(unit=branch, indicator_set__status=SetStatus.PUBLISHED)
    assert scores and Decimal(str(scores[0])) == published.total


def test_secretary1_sees_the_warnings_of_their_branch(seeded, client):
    branch1 = units(seeded)["branch1"]
    mine = Warning.objects.filter(unit=branch1, cleared_at__isnull=True)
    assert mine.filter(rule="tasks.targets_overdue").exists()  # the overdue study task
    client.force_login(user("secretary1"))
    page = client.get(reverse("cockpit:warnings"))
    assert page.status_code == 200
    assert "组织党员专题学习并报送学习心得" in page.content.decode()
    # Only their subtree: no warning of the sibling branch.
    branch2 = units(seeded)["branch2"]
    sibling = Warning.objects.filter(unit=branch2, cleared_at__isnull=True).values_list("message", flat=True).first()
    if sibling:
        assert sibling not in page.content.decode()


def test_one_summary_notification_per_owner(seeded):
    per_user = (
        Notification.objects.filter(category=Category.WARNING)
        .values("recipient")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )
    assert per_user and max(per_user) == 1
    assert Notification.objects.filter(category=Category.WARNING, recipient=user("admin")).exists()
    w = seeded.cockpit["warnings"]
    assert w["opened"] == Warning.objects.count() > 0 and w["notified_users"] == len(per_user)
    assert Warning.objects.filter(notified_at__isnull=False).count() == w["notified_warnings"] > 0


def test_last_year_published_with_ranks_this_year_scoring(seeded, client):
    year = timezone.localdate().year
    last = IndicatorSet.objects.get(unit=seeded.root, year=year - 1)
    this = IndicatorSet.objects.get(unit=seeded.root, year=year)
    assert last.status == SetStatus.PUBLISHED and this.status == SetStatus.SCORING
    assert last.unit_kinds == [UnitKind.BRANCH] and last.indicators.count() >= 7
    results = list(Result.objects.filter(indicator_set=last).order_by("rank", "unit__path"))
    assert len(results) >= 10 and all(r.unit.kind == UnitKind.BRANCH for r in results)
    assert results[0].rank == 1 and results[-1].rank > 1
    assert [r.total for r in results] == sorted((r.total for r in results), reverse=True)
    assert len({r.total for r in results}) > 1
    assert not Score.objects.filter(
        indicator__indicator_set=last, indicator__rule=ScoringRule.MANUAL, manual_score__isnull=True
    ).exists()
    assert OrgMetric.objects.filter(key="assessment.score", period_kind="Y", period_start__year=year - 1).count() == (
        len(results)
    )
    manual_now = Score.objects.filter(indicator__indicator_set=this, manual_score__isnull=False)
    assert 0 < manual_now.count() < Result.objects.filter(indicator_set=last).count()
    assert manual_now.filter(scored_by__username="admin").exclude(evidence="").exists()
    assert AuditEvent.objects.filter(action="assessment.score.manual").exists()
    assert AuditEvent.objects.filter(action="assessment.indicatorset.publish").exists()

    client.force_login(user("admin"))
    assert client.get(reverse("assessment:ranking", args=[last.pk])).status_code == 200
    client.force_login(user("secretary1"))
    assert client.get(reverse("assessment:ranking", args=[last.pk])).status_code == 200


def test_second_seed_recomputes_nothing(seeded):
    runs, sets, warnings = MetricRun.objects.count(), IndicatorSet.objects.count(), Notification.objects.count()
    again = seed()
    assert not again.created and again.cockpit is None
    assert (MetricRun.objects.count(), IndicatorSet.objects.count(), Notification.objects.count()) == (
        runs,
        sets,
        warnings,
    )


def test_a_newly_seeded_part_makes_the_store_stale(seeded):
    runs = MetricRun.objects.count()
    audit_record(actor=None, action="demo.seed.something_new", target=seeded.root, changes={})
    assert cockpit_demo.metrics_stale(seeded.root)
    again = seed()
    assert again.cockpit["recomputed"] and "assessment" not in again.cockpit
    assert MetricRun.objects.count() == runs + 1
    assert IndicatorSet.objects.filter(unit=seeded.root).count() == 2
