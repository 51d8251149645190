"""The early-warning engine (预警, issue 10 item 5) and the reads of the warnings page.

``refresh_warnings(today)`` runs every rule of the catalogue (``cloudbranch.core.alerts``; each
app's ``alerts.py`` is discovered in ``CockpitConfig.ready``) and reconciles its findings with
the open ``Warning`` rows of that rule, in one transaction per rule and in bulk:

- a finding whose (rule, subject) has no open row opens a warning (``bulk_create``);
- a finding whose row is open updates it when its unit, severity, message or link changed
  (``bulk_update``);
- an open row no longer found is CLEARED (``cleared_at`` = now; rows are never deleted) with
  one UPDATE per rule (per 500 rows).

A rule that fails is logged and reported; its warnings are left as they were (not cleared).
Open warnings of rules no longer in the catalogue are cleared.

Then the owners of the warnings not yet notified are told once, ONE notification per user per
refresh (Category.WARNING) summarizing their new warnings; ``notified_at`` records it. Owners of
a warning: the active users holding the rule's ``owner_perm`` through a role AT the warning's unit
or, when nobody there does, at the nearest ancestor that has such holders (a group's warning goes
to its branch's secretary; a branch without a secretary to the college). A warning without any
owner stays un-notified and is tried again at the next refresh.

Queries: each rule's own (constant) plus, per rule, one read of the open rows and at most one
insert, one update and one clearing per 500 rows; the notification step runs three reads and
one ``notify`` (two queries) per distinct summary.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from cloudbranch.core import alerts as catalogue
from cloudbranch.core.alerts import SEVERITIES, AlertRule, Finding
from cloudbranch.core.metrics import AREAS
from cloudbranch.orgs.choices import UnitStatus
from cloudbranch.orgs.models import OrgUnit, RoleAssignment
from cloudbranch.orgs.roles import ROLE_PERMISSIONS
from cloudbranch.orgs.scoping import holds

from .models import Warning

logger = logging.getLogger(__name__)

VIEW_PERM = "cockpit.view_warning"
REFRESH_PERM = "cockpit.recompute"
BATCH = 500
MESSAGE_MAX = 500
URL_MAX = 300
SUMMARY_LINES = 10  # warnings listed in one notification's body
BADGES = {catalogue.DANGER: "danger", catalogue.WARNING: "warning", catalogue.INFO: "info"}
SEVERITY_ORDER = {catalogue.DANGER: 0, catalogue.WARNING: 1, catalogue.INFO: 2}


@dataclass
class RuleOutcome:
    key: str
    found: int = 0
    opened: int = 0
    updated: int = 0
    cleared: int = 0
    seconds: float = 0.0
    error: str = ""


@dataclass
class RefreshResult:
    today: datetime.date
    rules: list[RuleOutcome] = field(default_factory=list)
    retired: int = 0  # open warnings of rules no longer in the catalogue, cleared
    notified_users: int = 0
    notified_warnings: int = 0

    @property
    def opened(self) -> int:
        return sum(r.opened for r in self.rules)

    @property
    def cleared(self) -> int:
        return sum(r.cleared for r in self.rules) + self.retired

    @property
    def updated(self) -> int:
        return sum(r.updated for r in self.rules)

    @property
    def errors(self) -> list[str]:
        return [f"{r.key}: {r.error}" for r in self.rules if r.error]

    def as_dict(self) -> dict:
        return {
            "today": self.today.isoformat(),
            "opened": self.opened,
            "updated": self.updated,
            "cleared": self.cleared,
            "notified_users": self.notified_users,
            "notified_warnings": self.notified_warnings,
            "rules": [r.__dict__ for r in self.rules],
            "errors": self.errors,
        }


def _catalogue() -> dict[str, AlertRule]:
    found = catalogue.rules()
    if not found:  # apps not ready through CockpitConfig (e.g. a bare script): discover now
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("alerts")
        found = catalogue.rules()
    return found


# --- refresh -----------------------------------------------------------------------------------


def refresh_warnings(today: datetime.date | None = None, *, notify_owners: bool = True) -> RefreshResult:
    """Run every registered rule and reconcile the warnings (see the module docstring)."""
    today = today or timezone.localdate()
    result = RefreshResult(today=today)
    rules = _catalogue()
    for rule in sorted(rules.values(), key=lambda r: r.key):
        result.rules.append(_refresh_rule(rule, today))
    result.retired = (
        Warning.objects.filter(cleared_at__isnull=True).exclude(rule__in=list(rules)).update(cleared_at=timezone.now())
    )
    if notify_owners:
        result.notified_users, result.notified_warnings = notify_pending(rules)
    return result


def _refresh_rule(rule: AlertRule, today: datetime.date) -> RuleOutcome:
    outcome = RuleOutcome(rule.key)
    started = time.monotonic()
    try:
        findings: dict[str, Finding] = {}
        for f in rule.find(today):
            findings[f.subject] = f
        outcome.found = len(findings)
        with transaction.atomic():
            _reconcile(rule.key, findings, outcome)
    except Exception as exc:  # one broken rule must not stop the others
        logger.exception("warnings: rule %s failed", rule.key)
        outcome.error = f"{type(exc).__name__}: {exc}"[:500]
    outcome.seconds = round(time.monotonic() - started, 3)
    return outcome


def _values(f: Finding) -> tuple:
    return (f.unit_id, f.severity, f.message[:MESSAGE_MAX], f.url[:URL_MAX])


def _reconcile(key: str, findings: dict[str, Finding], outcome: RuleOutcome) -> None:
    now = timezone.now()
    open_rows = {
        subject: (pk, (unit_id, severity, message, url))
        for pk, subject, unit_id, severity, message, url in Warning.objects.filter(
            rule=key, cleared_at__isnull=True
        ).values_list("id", "subject", "unit_id", "severity", "message", "url")
    }
    new, changed = [], []
    for subject, f in findings.items():
        unit_id, severity, message, url = _values(f)
        row = open_rows.get(subject)
        if row is None:
            new.append(
                Warning(
                    rule=key,
                    unit_id=unit_id,
                    subject=subject,
                    severity=severity,
                    message=message,
                    url=url,
                    opened_at=now,
                )
            )
        elif row[1] != (unit_id, severity, message, url):
            changed.append(Warning(pk=row[0], unit_id=unit_id, severity=severity, message=message, url=url))
    gone = [pk for subject, (pk, _v) in open_rows.items() if subject not in findings]
    if new:
        Warning.objects.bulk_create(new, batch_size=BATCH)
    if changed:
        Warning.objects.bulk_update(changed, ["unit_id", "severity", "message", "url"], batch_size=BATCH)
    for i in range(0, len(gone), BATCH):
        Warning.objects.filter(pk__in=gone[i : i + BATCH]).update(cleared_at=now)
    outcome.opened, outcome.updated, outcome.cleared = len(new), len(changed), len(gone)


# --- owners and notifications ---------------------------------------------------------------------


def _roles_with(perm: str) -> set[str]:
    return {str(role) for role, perms in ROLE_PERMISSIONS.items() if perm in perms}


def owners_of(items: list[tuple[int, str]]) -> dict[tuple[int, str], set[int]]:
    """{(unit id, perm): user ids}: the active users holding ``perm`` through a role at the unit
    or, if nobody there does, at its nearest ancestor that has such holders. Two queries."""
    if not items:
        return {}
    paths = dict(OrgUnit.objects.filter(pk__in={u for u, _p in items}).values_list("id", "path"))
    chains = {u: [int(x) for x in reversed(paths[u].strip("/").split("/")) if x] for u in paths}
    perms = {p for _u, p in items}
    roles = {p: _roles_with(p) for p in perms}
    holders: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for user_id, unit_id, role in (
        RoleAssignment.objects.active()
        .filter(
            unit_id__in={a for chain in chains.values() for a in chain},
            role__in=set().union(*roles.values()),
            user__is_active=True,
            unit__status=UnitStatus.ACTIVE,
        )
        .values_list("user_id", "unit_id", "role")
    ):
        holders[unit_id].append((user_id, role))
    out: dict[tuple[int, str], set[int]] = {}
    for unit_id, perm in items:
        wanted = roles[perm]
        out[(unit_id, perm)] = set()
        for ancestor in chains.get(unit_id, []):
            users = {user_id for user_id, role in holders.get(ancestor, ()) if role in wanted}
            if users:
                out[(unit_id, perm)] = users
                break
    return out


def notify_pending(rules: dict[str, AlertRule] | None = None) -> tuple[int, int]:
    """Tell the owners of open, not yet notified warnings: one notification per user (users with
    the same warnings share one ``notify`` call). Returns (users notified, warnings notified)."""
    from cloudbranch.notifications.choices import Category
    from cloudbranch.notifications.services import notify

    rules = rules if rules is not None else _catalogue()
    pending = list(
        Warning.objects.filter(cleared_at__isnull=True, notified_at__isnull=True, rule__in=list(rules))
        .select_related("unit")
        .order_by("unit__path", "id")
    )
    if not pending:
        return 0, 0
    owners = owners_of(sorted({(w.unit_id, rules[w.rule].owner_perm) for w in pending}))
    by_user: dict[int, list[Warning]] = defaultdict(list)
    reached: set[int] = set()
    for w in pending:
        for user_id in owners.get((w.unit_id, rules[w.rule].owner_perm), ()):
            by_user[user_id].append(w)
            reached.add(w.pk)
    if not by_user:
        return 0, 0
    groups: dict[tuple[int, ...], list[int]] = defaultdict(list)
    for user_id, items in by_user.items():
        groups[tuple(sorted(w.pk for w in items))].append(user_id)
    by_pk = {w.pk: w for w in pending}
    url = reverse("cockpit:warnings")
    with transaction.atomic():
        for pks, users in groups.items():
            items = sorted((by_pk[pk] for pk in pks), key=lambda w: (SEVERITY_ORDER.get(w.severity, 9), w.pk))
            title, body = _summary(items, rules)
            link = items[0].url if len(items) == 1 and items[0].url else url
            notify(recipients=sorted(users), category=Category.WARNING, title=title, body=body, url=link)
        Warning.objects.filter(pk__in=reached).update(notified_at=timezone.now())
    return len(by_user), len(reached)


def _summary(items: list[Warning], rules: dict[str, AlertRule]) -> tuple[str, str]:
    if len(items) == 1:
        w = items[0]
        return f"预警（{rules[w.rule].label}）：{w.message}"[:200], w.message
    dangers = sum(1 for w in items if w.severity == catalogue.DANGER)
    title = f"新增预警 {len(items)} 项" + (f"，其中严重 {dangers} 项" if dangers else "")
    lines = [f"【{SEVERITIES.get(w.severity, w.severity)}】{w.message}" for w in items[:SUMMARY_LINES]]
    if len(items) > SUMMARY_LINES:
        lines.append(f"……另有 {len(items) - SUMMARY_LINES} 项，请在预警页查看。")
    return title, "\n".join(lines)


def refresh_now(*, actor, today: datetime.date | None = None) -> RefreshResult:
    """Run the refresh now for an organization-department administrator (``cockpit.recompute``);
    the request is audited (the warnings themselves are system records)."""
    from cloudbranch.audit.services import audit_record

    if not holds(actor, REFRESH_PERM):
        raise PermissionDenied
    audit_record(actor=actor, action="cockpit.warnings.refresh", target=("cockpit.warning", "", "刷新预警"))
    return refresh_warnings(today)


# --- reads -------------------------------------------------------------------------------------


def rule_choices() -> list[tuple[str, str]]:
    return sorted(((r.key, r.label) for r in _catalogue().values()), key=lambda kv: kv[0])


def area_of(rule_key: str) -> str:
    rule = _catalogue().get(rule_key)
    return rule.area if rule else rule_key.split(".")[0]


def rules_of_area(area: str) -> list[str]:
    return [r.key for r in _catalogue().values() if r.area == area]


def warning_list(*, user, filters: dict | None = None):
    """The warnings of the user's subtree (``cockpit.view_warning``), open ones unless
    ``state`` is "cleared" (or "all"); filters ``unit`` (a unit id: its subtree, 404-free: an
    unknown or foreign unit gives nothing), ``area``, ``severity``, ``rule``."""
    filters = filters or {}
    qs = Warning.objects.restrict(user, VIEW_PERM).select_related("unit")
    state = filters.get("state") or "open"
    if state == "cleared":
        qs = qs.filter(cleared_at__isnull=False).order_by("-cleared_at", "-id")
    elif state == "all":
        qs = qs.order_by("-opened_at", "-id")
    else:
        qs = qs.filter(cleared_at__isnull=True).order_by("-opened_at", "-id")
    unit_id = _int(filters.get("unit"))
    if unit_id:
        path = OrgUnit.objects.restrict(user, VIEW_PERM).filter(pk=unit_id).values_list("path", flat=True).first()
        qs = qs.filter(unit__path__startswith=path) if path else qs.none()
    area = filters.get("area")
    if area:
        qs = qs.filter(rule__in=rules_of_area(area))
    severity = filters.get("severity")
    if severity in SEVERITIES:
        qs = qs.filter(severity=severity)
    rule = filters.get("rule")
    if rule:
        qs = qs.filter(rule=rule)
    return qs


def area_counts(qs) -> list[dict]:
    """Counts per area (and of dangers) of a warning queryset: one grouped query."""
    totals: dict[str, dict] = {}
    for rule, n, dangers in (
        qs.order_by().values("rule").annotate(n=Count("id"), d=Count("id", filter=Q(severity=catalogue.DANGER)))
    ).values_list("rule", "n", "d"):
        area = area_of(rule)
        entry = totals.setdefault(area, {"area": area, "label": AREAS.get(area, area), "count": 0, "dangers": 0})
        entry["count"] += n
        entry["dangers"] += dangers
    order = list(AREAS)
    return sorted(totals.values(), key=lambda e: order.index(e["area"]) if e["area"] in order else 99)


def decorate(warnings) -> list:
    """Rule label, area, owner hint and severity label on a page of warnings (no queries)."""
    rules = _catalogue()
    perm_roles = {}
    for w in warnings:
        rule = rules.get(w.rule)
        w.rule_label = rule.label if rule else w.rule
        w.area = rule.area if rule else ""
        w.area_label = AREAS.get(w.area, "")
        w.severity_label = SEVERITIES.get(w.severity, w.severity)
        w.badge = BADGES.get(w.severity, "secondary")
        w.is_open = w.cleared_at is None
        if rule:
            if rule.owner_perm not in perm_roles:
                perm_roles[rule.owner_perm] = owner_hint(rule.owner_perm)
            w.owner_hint = perm_roles[rule.owner_perm]
        else:
            w.owner_hint = ""
    return list(warnings)


def owner_hint(perm: str) -> str:
    """Who must act, in words: the lowest-level roles holding the permission."""
    from cloudbranch.orgs.roles import Role

    preferred = [
        Role.BRANCH_SECRETARY,
        Role.ORGANIZATION_OFFICER,
        Role.FEE_COLLECTOR,
        Role.STUDY_OFFICER,
        Role.COMMITTEE_SECRETARY,
        Role.ORG_ADMIN,
    ]
    labels = [str(r.label) for r in preferred if perm in ROLE_PERMISSIONS.get(r, ())]
    return "、".join(labels[:2]) or perm


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
