from django.db import models
from django.utils.translation import gettext_lazy as _


class SetStatus(models.TextChoices):
    """draft (indicators edited) → scoring (automatic scores computed, manual scores entered) →
    published (totals and ranking visible to the assessed units); archived afterwards."""

    DRAFT = "draft", _("草稿")
    SCORING = "scoring", _("评分中")
    PUBLISHED = "published", _("已公布")


class PeriodKind(models.TextChoices):
    YEAR = "Y", _("年度")
    QUARTER = "Q", _("季度")


class ScoringRule(models.TextChoices):
    """How an indicator turns its figure into points:
    linear: 0 at ``floor`` (default 0), full marks at ``target`` and above, straight line between;
    thresholds: the first band whose ``min`` the figure reaches gives its share of full marks
    ([{"min": 95, "share": 1}, {"min": 80, "share": 0.8}, ...]);
    manual: scored by the assessors with evidence."""

    LINEAR = "linear", _("线性达标")
    THRESHOLDS = "thresholds", _("分档计分")
    MANUAL = "manual", _("人工评分")
