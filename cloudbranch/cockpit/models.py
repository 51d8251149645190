"""The cockpit's stores (SPEC §9): precomputed figures per unit and period, rolled up the tree
(``OrgMetric``), the units whose figures are stale (``DirtyUnit``), the history of recomputes
(``MetricRun``), and the early warnings (``Warning``). Pages read these tables only — never the
raw tables of the areas — so they stay fast at the scale of a province."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import ScopedQuerySet


class PeriodKind(models.TextChoices):
    DAY = "D", _("日")
    MONTH = "M", _("月")
    QUARTER = "Q", _("季度")
    YEAR = "Y", _("年")


class OrgMetric(models.Model):
    """One figure of one unit for one period: ``own`` counts what is attached to the unit itself,
    ``total`` the whole subtree (own + the children's totals)."""

    scope_path = "unit__path"

    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    period_kind = models.CharField(max_length=1, choices=PeriodKind.choices)
    period_start = models.DateField()
    own = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    total = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    computed_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "key", "period_kind", "period_start"], name="cockpit_metric_once")
        ]
        indexes = [models.Index(fields=["key", "period_kind", "period_start"])]


class DirtyUnit(models.Model):
    """A unit whose own figures changed since the last recompute (marked when a source model of a
    metric is saved or deleted; cleared by the incremental recompute)."""

    unit_id = models.PositiveIntegerField(primary_key=True)
    since = models.DateTimeField(default=timezone.now)


class RunKind(models.TextChoices):
    FULL = "full", _("全量")
    INCREMENTAL = "incremental", _("增量")


class MetricRun(models.Model):
    kind = models.CharField(max_length=16, choices=RunKind.choices)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    units = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0)
    seconds = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]


class Warning(models.Model):
    """An early warning (预警): open while its rule still finds its subject, closed (never
    deleted) when the cause is fixed."""

    scope_path = "unit__path"

    rule = models.CharField(_("规则"), max_length=64)
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=120)
    severity = models.CharField(_("级别"), max_length=8)
    message = models.CharField(_("内容"), max_length=500)
    url = models.CharField(max_length=300, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    cleared_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("预警")
        verbose_name_plural = _("预警")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject"], condition=Q(cleared_at__isnull=True), name="cockpit_warning_open_once"
            )
        ]
        indexes = [models.Index(fields=["cleared_at", "rule"]), models.Index(fields=["unit", "cleared_at"])]
