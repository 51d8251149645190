from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    COMMITTEE = "committee", _("党委")
    SUB_COMMITTEE = "sub_committee", _("二级党委")
    GENERAL_BRANCH = "general_branch", _("党总支")
    BRANCH = "branch", _("党支部")
    MOBILE_BRANCH = "mobile_branch", _("流动党支部")
    GROUP = "group", _("党小组")


# Which kinds may sit directly under which. A group belongs to a branch; a branch does not
# contain branches. Committees may nest (a province-level committee over universities).
ALLOWED_CHILDREN: dict[str, frozenset[str]] = {
    UnitKind.COMMITTEE: frozenset(
        {UnitKind.COMMITTEE, UnitKind.SUB_COMMITTEE, UnitKind.GENERAL_BRANCH, UnitKind.BRANCH, UnitKind.MOBILE_BRANCH}
    ),
    UnitKind.SUB_COMMITTEE: frozenset({UnitKind.GENERAL_BRANCH, UnitKind.BRANCH, UnitKind.MOBILE_BRANCH}),
    UnitKind.GENERAL_BRANCH: frozenset({UnitKind.BRANCH, UnitKind.MOBILE_BRANCH}),
    UnitKind.BRANCH: frozenset({UnitKind.GROUP}),
    UnitKind.MOBILE_BRANCH: frozenset({UnitKind.GROUP}),
    UnitKind.GROUP: frozenset(),
}

BRANCH_KINDS = frozenset({UnitKind.BRANCH, UnitKind.MOBILE_BRANCH})


class UnitStatus(models.TextChoices):
    ACTIVE = "active", _("正常")
    MERGED = "merged", _("已合并")
    DISSOLVED = "dissolved", _("已撤销")


class UnitEventKind(models.TextChoices):
    CREATED = "created", _("成立")
    UPDATED = "updated", _("信息变更")
    MOVED = "moved", _("调整隶属关系")
    MERGED = "merged", _("合并")
    DISSOLVED = "dissolved", _("撤销")
    TERM = "term", _("换届")
