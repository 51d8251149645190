"""Menu entries of the cockpit (registered in ``CockpitConfig.ready``): the data cockpit and the
warnings list, in the "数据" dropdown."""

from cloudbranch.core.nav import MenuEntry, register
from cloudbranch.orgs.scoping import holds

WARNINGS_ENTRY = MenuEntry(
    "cockpit_warnings",
    "预警",
    "cockpit:warnings",
    "bi-exclamation-triangle",
    63,
    lambda u: holds(u, "cockpit.view_warning"),
    group="数据",
)


def register_menu() -> None:
    register(WARNINGS_ENTRY)


# --- dashboard area (appended) -------------------------------------------------------------------

DASHBOARD_ENTRY = MenuEntry(
    "cockpit_dashboard",
    "数据座舱",
    "cockpit:dashboard",
    "bi-speedometer2",
    62,
    lambda u: holds(u, "cockpit.view_cockpit"),
    group="数据",
)


def register_dashboard_menu() -> None:
    """The "数据座舱" entry (cockpit:dashboard), for holders of ``cockpit.view_cockpit``."""
    register(DASHBOARD_ENTRY)
