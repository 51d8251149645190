"""Extension points for apps above ``orgs`` in the layering (people, dues, meetings ...).

The tree services run these inside their own transaction, so a merge moves the members and
closes the unit atomically, without ``orgs`` importing the apps that own those rows.
Apps register in ``AppConfig.ready``.
"""

from __future__ import annotations

from collections.abc import Callable

# handler(actor=..., source=OrgUnit, target=OrgUnit) -> dict summary for the audit row
merge_handlers: list[Callable[..., dict]] = []
# check(unit=OrgUnit) -> list of human-readable reasons the unit cannot be dissolved yet
dissolve_checks: list[Callable[..., list[str]]] = []


def register_merge_handler(fn):
    if fn not in merge_handlers:
        merge_handlers.append(fn)
    return fn


def register_dissolve_check(fn):
    if fn not in dissolve_checks:
        dissolve_checks.append(fn)
    return fn
