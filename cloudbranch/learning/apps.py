from django.apps import AppConfig


def may_study(user) -> bool:
    """学习: everyone with a person record, and those who publish or read resources for units."""
    from cloudbranch.orgs.scoping import holds
    from cloudbranch.people.selectors import has_person

    return has_person(user) or holds(user, "learning.view_resource")


def may_manage(user) -> bool:
    from cloudbranch.orgs.scoping import holds

    return holds(user, "learning.view_resource")


class LearningConfig(AppConfig):
    name = "cloudbranch.learning"
    label = "learning"
    verbose_name = "学习教育"

    def ready(self):
        from cloudbranch.core.nav import MenuEntry, register

        register(MenuEntry("learning", "学习首页", "learning:home", "bi-book", 44, may_study, group="学习"))
        register(
            MenuEntry(
                "learning_manage",
                "学习管理",
                "learning:resource_manage",
                "bi-journal-plus",
                45,
                may_manage,
                group="学习",
            )
        )
