from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "cloudbranch.people"
    label = "people"
    verbose_name = "人员"

    def ready(self):
        from cloudbranch.core.nav import MenuEntry, register
        from cloudbranch.orgs import hooks
        from cloudbranch.orgs.scoping import holds

        from . import services

        hooks.register_merge_handler(services.move_members_on_merge)
        hooks.register_dissolve_check(services.members_block_dissolve)

        def has_person(user) -> bool:
            from .selectors import has_person

            return has_person(user)

        def sees_warnings(user) -> bool:
            from .selectors import may_see_warnings

            return may_see_warnings(user)

        register(
            MenuEntry("people", "人员名册", "people:list", "bi-people", 20, lambda u: holds(u, "people.view_person"))
        )
        register(MenuEntry("people_own", "我的档案", "people:own", "bi-person-vcard", 80, has_person, personal=True))
        register(MenuEntry("people_warnings", "预警", "people:warnings", "bi-exclamation-triangle", 25, sees_warnings))
