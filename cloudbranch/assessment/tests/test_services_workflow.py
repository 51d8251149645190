"""services: sets as data, start scoring from stored figures, recompute, manual scores (evidence,
audit, never one's own unit), publish (Result rows, ranks, the "assessment.score" figure)."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied

from cloudbranch.assessment import services
from cloudbranch.assessment.choices import SetStatus
from cloudbranch.assessment.defaults import DEFAULT_INDICATORS
from cloudbranch.assessment.models import IndicatorSet, Result, Score
from cloudbranch.audit.models import AuditEvent
from cloudbranch.cockpit.models import OrgMetric
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.notifications.models import Notification
from cloudbranch.orgs.choices import UnitKind, UnitStatus
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import UserFactory, grant, make_unit

from .factories import YEAR, make_set, put_ratio


def _score(s, unit, name):
    return Score.objects.get(indicator__indicator_set=s, indicator__name=name, unit=unit)


def test_default_template_and_validation(world):
    admin = world.users["admin"]
    s = services.set_create(actor=admin, unit_id=world.root.pk, title="2024年度考核", year=YEAR, unit_kinds=["branch"])
    inds = list(s.indicators.all())
    assert [i.name for i in inds] == [r["name"] for r in DEFAULT_INDICATORS]
    assert sum(i.max_score for i in inds) == D(100)
    assert inds[1].params["bands"][0] == {"min": "95", "share": "1"}
    assert AuditEvent.objects.filter(action="assessment.indicatorset.create").count() == 1
    with pytest.raises(DomainError) as exc:
        services.indicator_add(
            actor=admin, set_id=s.pk, name="x", metric_key="nope", rule="linear", params={"target": 1}, max_score=0
        )
    assert {e["field"] for e in exc.value.errors} == {"metric_key", "max_score"}
    with pytest.raises(DomainError):
        services.set_create(actor=admin, unit_id=world.root.pk, title="", year=YEAR, period_kind="Q", unit_kinds=[])


def test_only_managers_create_and_edit(world):
    with pytest.raises(PermissionDenied):
        services.set_create(
            actor=world.users["secretary1"], unit_id=world.branch_a1.pk, title="x", year=YEAR, unit_kinds=["group"]
        )
    s = make_set(world.users["admin"], world.root)
    from django.http import Http404

    with pytest.raises(Http404):
        services.indicator_delete(actor=world.users["secretary2"], indicator_id=s.indicators.first().pk)


def test_copy_last_year(world):
    admin = world.users["admin"]
    old = make_set(admin, world.root, year=YEAR - 1)
    s = services.set_create(
        actor=admin, unit_id=world.root.pk, title="新", year=YEAR, unit_kinds=["branch"], template="last_year"
    )
    assert [i.name for i in s.indicators.all()] == [i.name for i in old.indicators.all()]
    with pytest.raises(DomainError):
        services.set_create(
            actor=admin, unit_id=world.root.pk, title="x", year=YEAR + 5, unit_kinds=["branch"], template="last_year"
        )
    nxt = services.set_copy(actor=admin, set_id=s.pk)
    assert nxt.year == YEAR + 1 and nxt.status == SetStatus.DRAFT and nxt.indicators.count() == 3


def test_start_scoring_computes_from_figures(world):
    admin = world.users["admin"]
    s = make_set(admin, world.root)
    put_ratio(world.branch_a1, "life.compliance_rate", 4, 5)  # 80 % → 20 of 25
    put_ratio(world.branch_a1, "dues.payment_rate", 96, 100)  # 96 % → band 95 → 12 of 15
    put_ratio(world.branch_a2, "life.compliance_rate", 5, 5)  # 100 % → 25; dues: no data → 0
    dissolved = make_unit(parent=world.college_a, status=UnitStatus.DISSOLVED)
    services.set_start_scoring(actor=admin, set_id=s.pk)
    s.refresh_from_db()
    assert s.status == SetStatus.SCORING
    units = set(Score.objects.filter(indicator__indicator_set=s).values_list("unit_id", flat=True))
    assert units == {world.branch_a1.pk, world.branch_a2.pk, world.branch_b1.pk}  # no group, no dissolved
    assert dissolved.pk not in units
    a1 = _score(s, world.branch_a1, "组织生活")
    assert (a1.value, a1.auto_score) == (D("80.00"), D("20.00"))
    assert _score(s, world.branch_a1, "党费").auto_score == D("12.00")
    nodata = _score(s, world.branch_a2, "党费")
    assert nodata.value is None and nodata.auto_score == D("0.00")
    manual = _score(s, world.branch_a1, "人工评价")
    assert manual.auto_score is None and manual.final is None
    with pytest.raises(ConflictError):
        services.indicator_add(actor=admin, set_id=s.pk, name="x", rule="manual", max_score=1)
    with pytest.raises(ConflictError):
        services.set_start_scoring(actor=admin, set_id=s.pk)

    # recompute refreshes the automatic scores, keeps manual ones
    services.score_manual(actor=admin, score_id=manual.pk, manual_score="4.5", evidence="材料齐全")
    put_ratio(world.branch_a2, "dues.payment_rate", 90, 100)
    services.set_recompute(actor=admin, set_id=s.pk)
    assert _score(s, world.branch_a2, "党费").auto_score == D("7.50")
    assert _score(s, world.branch_a1, "人工评价").manual_score == D("4.50")


def test_quarter_set_reads_quarter_figures(world):
    admin = world.users["admin"]
    s = make_set(admin, world.root, quarter=2)
    put_ratio(world.branch_a1, "life.compliance_rate", 1, 2, kind="Q", start=datetime.date(YEAR, 4, 1))
    put_ratio(world.branch_a1, "life.compliance_rate", 2, 2)  # the year: not read
    services.set_start_scoring(actor=admin, set_id=s.pk)
    assert _score(s, world.branch_a1, "组织生活").value == D("50.00")


def test_manual_scoring_rules(world):
    admin = world.users["admin"]
    s = make_set(admin, world.root)
    services.set_start_scoring(actor=admin, set_id=s.pk)
    sc = _score(s, world.branch_a1, "人工评价")
    with pytest.raises(DomainError) as exc:
        services.score_manual(actor=admin, score_id=sc.pk, manual_score="6", evidence="")
    assert {e["field"] for e in exc.value.errors} == {"manual_score", "evidence"}
    # an automatic indicator may be corrected: the manual score overrides
    auto = _score(s, world.branch_a1, "组织生活")
    services.score_manual(actor=admin, score_id=auto.pk, manual_score="3", evidence="会议记录不全")
    auto.refresh_from_db()
    assert auto.final == D("3.00") and auto.scored_by == admin
    ev = AuditEvent.objects.get(action="assessment.score.manual")
    assert ev.changes["manual_score"]["new"] in ("3.00", 3.0, "3")


def test_assessors_never_score_their_own_unit(world):
    admin = world.users["admin"]
    s = make_set(admin, world.root)
    services.set_start_scoring(actor=admin, set_id=s.pk)
    both = UserFactory()
    grant(both, world.college_a, Role.COMMITTEE_SECRETARY)
    grant(both, world.branch_a1, Role.BRANCH_SECRETARY)
    # the set is the root's: a college's committee secretary does not score it
    with pytest.raises(PermissionDenied):
        services.score_manual(
            actor=both, score_id=_score(s, world.branch_a2, "人工评价").pk, manual_score=1, evidence="x"
        )
    s2 = make_set(admin, world.college_a)
    services.set_start_scoring(actor=admin, set_id=s2.pk)
    services.score_manual(actor=both, score_id=_score(s2, world.branch_a2, "人工评价").pk, manual_score=1, evidence="x")
    with pytest.raises(PermissionDenied):
        services.score_manual(
            actor=both, score_id=_score(s2, world.branch_a1, "人工评价").pk, manual_score=1, evidence="x"
        )
    # a branch secretary holds no assessment.score: 403 on their own unit's score
    with pytest.raises(PermissionDenied):
        services.score_manual(
            actor=world.users["secretary1"],
            score_id=_score(s2, world.branch_a1, "人工评价").pk,
            manual_score=1,
            evidence="x",
        )
    # and 404 on a sibling's
    from django.http import Http404

    with pytest.raises(Http404):
        services.score_manual(
            actor=world.users["secretary2"],
            score_id=_score(s2, world.branch_a1, "人工评价").pk,
            manual_score=1,
            evidence="x",
        )


def test_publish_results_ranks_metric_and_notifications(world):
    admin = world.users["admin"]
    extra = make_unit(parent=world.college_b, name="数学第二党支部")
    gb = make_unit(parent=world.college_b, kind=UnitKind.GENERAL_BRANCH, name="数学总支")
    s = make_set(admin, world.root, kinds=("branch", "general_branch"))
    # totals: a1 90, a2 80, b1 80, extra 70 → ranks 1, 2, 2, 4; the general branch ranks alone
    for unit, rate in ((world.branch_a1, 90), (world.branch_a2, 80), (world.branch_b1, 80), (extra, 70), (gb, 10)):
        put_ratio(unit, "life.compliance_rate", rate, 100)
    services.set_start_scoring(actor=admin, set_id=s.pk)
    with pytest.raises(DomainError):
        services.set_publish(actor=admin, set_id=s.pk)  # manual scores missing
    for sc in Score.objects.filter(indicator__indicator_set=s, indicator__rule="manual"):
        services.score_manual(actor=admin, score_id=sc.pk, manual_score=0, evidence="无特色")
    services.set_publish(actor=admin, set_id=s.pk)
    s.refresh_from_db()
    assert s.status == SetStatus.PUBLISHED and s.published_at
    ranks = {r.unit_id: (r.total, r.rank) for r in Result.objects.filter(indicator_set=s)}
    assert ranks == {
        world.branch_a1.pk: (D("22.50"), 1),
        world.branch_a2.pk: (D("20.00"), 2),
        world.branch_b1.pk: (D("20.00"), 2),
        extra.pk: (D("17.50"), 4),
        gb.pk: (D("2.50"), 1),
    }
    rows = OrgMetric.objects.filter(key="assessment.score", period_kind="Y", period_start=datetime.date(YEAR, 1, 1))
    assert {r.unit_id: (r.own, r.total) for r in rows} == {u: (t, t) for u, (t, _r) in ranks.items()}
    assert Notification.objects.filter(recipient=world.users["secretary1"], category="task").count() == 1
    assert Notification.objects.filter(recipient=world.users["member1"]).count() == 0
    with pytest.raises(ConflictError):
        services.set_publish(actor=admin, set_id=s.pk)
    assert IndicatorSet.objects.get(pk=s.pk).status == SetStatus.PUBLISHED


def test_publish_upserts_existing_metric(world):
    admin = world.users["admin"]
    s = make_set(admin, world.root, indicators=[{"name": "评价", "rule": "manual", "max_score": 10}])
    OrgMetric.objects.create(
        unit=world.branch_a1,
        key="assessment.score",
        period_kind="Y",
        period_start=datetime.date(YEAR, 1, 1),
        own=1,
        total=1,
    )
    services.set_start_scoring(actor=admin, set_id=s.pk)
    for sc in Score.objects.filter(indicator__indicator_set=s):
        services.score_manual(actor=admin, score_id=sc.pk, manual_score=8, evidence="好")
    services.set_publish(actor=admin, set_id=s.pk)
    row = OrgMetric.objects.get(unit=world.branch_a1, key="assessment.score", period_kind="Y")
    assert row.total == D("8.00") and row.own == D("8.00")
