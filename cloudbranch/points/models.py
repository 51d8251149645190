"""Points (积分): an append-only ledger of point events per person, rules as data, and running
tallies per week / month / year so that rankings read one small row per person.

Other apps award points through ``points.services.point_award`` — idempotent per
(person, action, source object) — so a retried check-in or a re-graded quiz never pays twice.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cloudbranch.orgs.scoping import ScopedQuerySet
from cloudbranch.people.models import Person

from .choices import Period


class PointRule(models.Model):
    """What an action is worth. ``daily_cap`` / ``yearly_cap`` limit the points one person can
    earn from this action per day / per calendar year (0 = no cap)."""

    action = models.CharField(_("行为代码"), max_length=40, unique=True)
    label = models.CharField(_("名称"), max_length=100)
    points = models.PositiveIntegerField(_("每次积分"))
    daily_cap = models.PositiveIntegerField(_("每日上限"), default=0)
    yearly_cap = models.PositiveIntegerField(_("每年上限"), default=0)
    active = models.BooleanField(_("启用"), default=True)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("积分规则")
        verbose_name_plural = _("积分规则")
        ordering = ["action"]

    def __str__(self) -> str:
        return self.label


class PointEvent(models.Model):
    """One award. Never updated or deleted; a correction is a new event with negative points
    (action "adjustment")."""

    scope_path = "person__unit__path"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="point_events")
    action = models.CharField(_("行为"), max_length=40)
    points = models.IntegerField(_("积分"))
    source_type = models.CharField(max_length=40)
    source_id = models.CharField(max_length=64)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    occurred_at = models.DateTimeField(_("时间"), default=timezone.now)
    day = models.DateField(_("日期"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("积分记录")
        verbose_name_plural = _("积分记录")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "action", "source_type", "source_id"], name="points_event_once_per_source"
            )
        ]
        indexes = [models.Index(fields=["person", "action", "day"]), models.Index(fields=["person", "-occurred_at"])]


class PointTally(models.Model):
    """A person's points in one week (Monday), month (1st) or year (1 January), kept by the
    award service in the same transaction as the event."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="point_tallies")
    period = models.CharField(max_length=8, choices=Period.choices)
    start = models.DateField()
    points = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "period", "start"], name="points_tally_unique")]
        indexes = [models.Index(fields=["period", "start", "-points"], name="points_tally_rank_idx")]


class ScoreScheme(models.Model):
    """The annual appraisal score built from points, as data (e.g. base 60 + bonus up to 30 from
    points + appraisal up to 10): ``bonus = min(bonus_max, yearly points / points_per_bonus_point)``."""

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    base = models.PositiveSmallIntegerField(_("基础分"), default=60)
    bonus_max = models.PositiveSmallIntegerField(_("积分加分上限"), default=30)
    points_per_bonus_point = models.PositiveIntegerField(_("每 1 分加分所需积分"), default=100)
    appraisal_max = models.PositiveSmallIntegerField(_("民主评议分上限"), default=10)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("年度积分考评方案")
        verbose_name_plural = _("年度积分考评方案")
        ordering = ["-year"]
