import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import BRANCH_KINDS, UnitEventKind, UnitKind, UnitStatus
from .roles import Role
from .scoping import ScopedQuerySet


class OrgUnitQuerySet(ScopedQuerySet):
    def active(self):
        return self.filter(status=UnitStatus.ACTIVE)

    def subtree(self, unit):
        return self.filter(path__startswith=unit.path)


class OrgUnit(models.Model):
    """A node of the Party organization tree (党组织).

    ``path`` is the materialized path of primary keys, ``/1/7/42/``, with a trailing slash so
    that ``/1/`` does not match ``/12/``. It is written only by ``orgs.services`` under the
    tree lock, and the ``parent`` foreign key is the truth it is derived from.
    Units are never deleted: they are merged or dissolved and keep their history.
    """

    scope_path = "path"

    code = models.CharField(_("组织编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("上级组织")
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    sort_order = models.IntegerField(_("排序"), default=0)
    status = models.CharField(_("状态"), max_length=16, choices=UnitStatus.choices, default=UnitStatus.ACTIVE)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("并入")
    )
    founded_on = models.DateField(_("成立日期"), null=True, blank=True)
    closed_on = models.DateField(_("撤销/合并日期"), null=True, blank=True)
    term_years = models.PositiveSmallIntegerField(
        _("任期（年）"), default=3, help_text=_("支部委员会一般 3 年，村、社区 5 年。")
    )
    term_started_on = models.DateField(_("本届任期开始"), null=True, blank=True)
    description = models.TextField(_("简介"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("党组织")
        verbose_name_plural = _("党组织")
        ordering = ["path"]
        indexes = [models.Index(fields=["parent", "sort_order"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == UnitStatus.ACTIVE

    @property
    def is_branch(self) -> bool:
        return self.kind in BRANCH_KINDS

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/")[:-1] if p]

    @property
    def term_ends_on(self) -> datetime.date | None:
        if not self.term_started_on:
            return None
        start = self.term_started_on
        try:
            return start.replace(year=start.year + self.term_years)
        except ValueError:  # 29 February
            return start.replace(year=start.year + self.term_years, day=28)


class UnitEvent(models.Model):
    """History of a unit: creation, changes, moves, merges, dissolution, new terms."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=16, choices=UnitEventKind.choices)
    occurred_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]


class RoleAssignmentQuerySet(ScopedQuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class RoleAssignment(models.Model):
    """A role held by a user at a unit; it applies to the unit's whole subtree."""

    scope_path = "unit__path"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="role_assignments")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="role_assignments")
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "unit", "role"],
                condition=models.Q(revoked_at__isnull=True),
                name="orgs_roleassignment_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} @ {self.unit}"
