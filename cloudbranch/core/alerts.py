"""The catalogue of early-warning rules (预警): every area declares what counts as "behind".

An app declares its rules in its own ``alerts.py`` (``register(AlertRule(...))``); the cockpit
discovers those modules, runs every rule, keeps one open ``Warning`` row per finding, notifies
the owners of new ones and closes those whose cause is gone. A rule returns what is wrong NOW,
for all units at once, in a constant number of queries: the engine compares with what was open.

A finding's ``subject`` is a stable key of the thing that is wrong (``"case:123:talk"``,
``"unit:42:too_few"``): the same subject found again keeps the same warning open; a subject no
longer found clears it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

DANGER, WARNING, INFO = "danger", "warning", "info"
SEVERITIES = {DANGER: "严重", WARNING: "警告", INFO: "提示"}


@dataclass(frozen=True)
class Finding:
    unit_id: int
    subject: str
    message: str
    url: str = ""
    severity: str = WARNING


@dataclass(frozen=True)
class AlertRule:
    key: str  # "<area>.<name>", e.g. "life.meetings_behind"
    label: str  # Chinese label
    area: str  # an area of cloudbranch.core.metrics.AREAS
    owner_perm: str  # who must act: users holding this permission at the unit (nearest unit up)
    find: Callable[[datetime.date], Iterable[Finding]]
    description: str = ""


_rules: dict[str, AlertRule] = {}


def register(rule: AlertRule) -> AlertRule:
    _rules[rule.key] = rule
    return rule


def rules() -> dict[str, AlertRule]:
    return dict(_rules)
