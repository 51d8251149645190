"""Quantified assessment (量化考核, SPEC §9): indicator sets per period as data, automatic scores
from the cockpit's stored figures, manual scores by the upper unit, totals, ranking of units of
the same kind, publication and export."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import ScopedQuerySet

from .choices import PeriodKind, ScoringRule, SetStatus


class IndicatorSet(models.Model):
    """The indicators an upper unit applies to the units of one kind in its subtree for a period."""

    scope_path = "unit__path"

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("考核单位"))
    title = models.CharField(_("名称"), max_length=120)
    year = models.PositiveSmallIntegerField(_("年度"))
    period_kind = models.CharField(_("周期"), max_length=1, choices=PeriodKind.choices, default=PeriodKind.YEAR)
    quarter = models.PositiveSmallIntegerField(_("季度"), null=True, blank=True)
    unit_kinds = models.JSONField(_("被考核组织类型"), default=list)
    status = models.CharField(_("状态"), max_length=16, choices=SetStatus.choices, default=SetStatus.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")
        ordering = ["-year", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_kind="Y", quarter__isnull=True) | Q(period_kind="Q", quarter__gte=1, quarter__lte=4),
                name="assessment_set_period",
            )
        ]

    def __str__(self) -> str:
        return self.title


class Indicator(models.Model):
    indicator_set = models.ForeignKey(IndicatorSet, on_delete=models.CASCADE, related_name="indicators")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("指标"), max_length=120)
    metric_key = models.CharField(_("数据来源"), max_length=64, blank=True, help_text=_("人工评分项留空"))
    rule = models.CharField(_("计分规则"), max_length=16, choices=ScoringRule.choices)
    params = models.JSONField(_("规则参数"), default=dict, blank=True)
    max_score = models.DecimalField(_("分值"), max_digits=6, decimal_places=2)
    description = models.CharField(_("评分说明"), max_length=300, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.CheckConstraint(condition=Q(max_score__gt=0), name="assessment_indicator_positive")]


class Score(models.Model):
    """One unit's score on one indicator: the figure behind it, the automatic score, the manual
    score (with evidence and the assessor) where the rule is manual or an assessor corrects it."""

    scope_path = "unit__path"

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="scores")
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    value = models.DecimalField(_("数据"), max_digits=16, decimal_places=2, null=True, blank=True)
    auto_score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    manual_score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    evidence = models.TextField(_("评分依据"), blank=True)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    scored_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["indicator", "unit"], name="assessment_score_once")]

    @property
    def final(self):
        return self.manual_score if self.manual_score is not None else self.auto_score


class Result(models.Model):
    """A unit's total in a set and its rank among the units of the same kind (ties share a rank)."""

    scope_path = "unit__path"

    indicator_set = models.ForeignKey(IndicatorSet, on_delete=models.CASCADE, related_name="results")
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    total = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    rank = models.PositiveIntegerField(null=True, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["rank", "unit__path"]
        constraints = [models.UniqueConstraint(fields=["indicator_set", "unit"], name="assessment_result_once")]
