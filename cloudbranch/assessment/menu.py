"""Menu entry of quantified assessment (registered in ``AssessmentConfig.ready``), in the "数据"
dropdown with the cockpit and the warnings."""

from cloudbranch.core.nav import MenuEntry, register


def _visible(user) -> bool:
    from cloudbranch.orgs.scoping import holds

    return bool(getattr(user, "is_authenticated", False)) and holds(user, "assessment.view_result")


def register_entries() -> None:
    register(MenuEntry("assessment", "量化考核", "assessment:sets", "bi-clipboard-data", 64, _visible, group="数据"))
