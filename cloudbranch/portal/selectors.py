"""What the home page shows: the things the user can act on, in a constant number of queries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from cloudbranch.development.apps import in_pipeline
from cloudbranch.development.choices import CaseStatus
from cloudbranch.development.models import Case
from cloudbranch.notifications import selectors as notification_selectors
from cloudbranch.orgs.scoping import holds
from cloudbranch.people import selectors as people_selectors

#: The platform duties' own tools (三员分立): URL name, label, icon, explanation.
DUTY_TOOLS = {
    "system": [("accounts:users", "账号管理", "bi-person-gear", "创建、停用、解锁账号，重置密码，分配平台职责。")],
    "security": [("orgs:roles", "角色授权", "bi-shield-lock", "在组织树上授予和收回党组织角色。")],
    "audit": [("audit:list", "审计日志", "bi-journal-text", "查询、导出全部操作记录。")],
}


@dataclass
class ManagedUnit:
    unit: object
    headcount: dict
    warnings: list = field(default_factory=list)


@dataclass
class Home:
    duty: str = ""
    tools: list = field(default_factory=list)
    units: list[ManagedUnit] = field(default_factory=list)
    warning_units: int | None = None
    notifications: list = field(default_factory=list)
    unread: int = 0
    own_person: object = None
    links: dict = field(default_factory=dict)
    development: dict | None = None


def home_for(user) -> Home:
    """Platform duty holders get their tools and no Party data at all. Everyone else gets the
    units they manage with headcounts and warnings (computed in bulk), the number of units with
    warnings in their scope, their latest unread notifications and their own record."""
    home = Home(
        notifications=notification_selectors.latest_unread(user, limit=5),
        unread=notification_selectors.unread_count(user),
    )
    if user.duty:
        home.duty = user.duty
        home.tools = [
            {"url_name": n, "label": label, "icon": icon, "help": help_text}
            for n, label, icon, help_text in DUTY_TOOLS.get(user.duty, [])
        ]
        return home
    units = people_selectors.managed_units(user)
    if units:
        counts = people_selectors.cached_unit_headcounts([u.pk for u in units])
        warnings = people_selectors.unit_warnings(units)
        home.units = [
            ManagedUnit(u, counts.get(u.pk, {"full": 0, "members": 0, "people": 0}), warnings.get(u.pk, []))
            for u in units
        ]
    if holds(user, "cockpit.view_warning"):
        home.warning_units = open_warning_count(user)
    home.own_person = people_selectors.own_person(user)
    if holds(user, "development.view_case"):
        home.development = development_due(user)
    home.links = {
        "roster": holds(user, "people.view_person"),
        "tree": holds(user, "orgs.view_orgunit"),
        "import": holds(user, "people.import_person"),
        "create": holds(user, "people.add_person"),
        "meeting": holds(user, "meetings.add_meeting"),
        "bills": holds(user, "fees.view_bill"),
        "mine": home.own_person is not None,
        "development": holds(user, "development.view_case"),
        "my_case": in_pipeline(user),
    }
    return home


def open_warning_count(user) -> int:
    """Open early warnings in the user's scope, cached for a minute per user (the list is on the
    warnings page)."""
    from django.core.cache import cache

    from cloudbranch.cockpit.models import Warning

    return cache.get_or_set(
        f"portal:open-warnings:{user.pk}",
        lambda: Warning.objects.restrict(user, "cockpit.view_warning").filter(cleared_at__isnull=True).count(),
        60,
    )


def development_due(user, *, within: int = 30) -> dict:
    """Open development cases in scope with a step due within ``within`` days, and overdue (one query)."""
    today = timezone.localdate()
    return (
        Case.objects.restrict(user, "development.view_case")
        .filter(status=CaseStatus.OPEN, next_due_on__lte=today + datetime.timedelta(days=within))
        .aggregate(
            due=Count("pk", filter=Q(next_due_on__gte=today)),
            overdue=Count("pk", filter=Q(next_due_on__lt=today)),
        )
    )
