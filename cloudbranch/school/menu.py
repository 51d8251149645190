"""Menu entries of the online Party school (registered in ``SchoolConfig.ready``)."""

from cloudbranch.core.nav import MenuEntry, register


def _authenticated(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def _officer(user) -> bool:
    from cloudbranch.orgs.scoping import holds

    return _authenticated(user) and holds(user, "school.view_trainingclass")


def _reports(user) -> bool:
    from cloudbranch.orgs.scoping import holds

    return _authenticated(user) and holds(user, "school.view_report")


def _has_person(user) -> bool:
    from cloudbranch.people.selectors import has_person

    return _authenticated(user) and has_person(user)


def register_entries() -> None:
    register(MenuEntry("school", "网上党校", "school:classes", "bi-mortarboard", 46, _officer, group="学习"))
    register(MenuEntry("school_stats", "党校统计", "school:stats", "bi-bar-chart-line", 47, _reports, group="学习"))
    register(MenuEntry("school_mine", "我的党校", "school:my", "bi-mortarboard", 78, _has_person, personal=True))
