from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "cloudbranch.people"
    label = "people"
    verbose_name = "人员"

    def ready(self):
        from cloudbranch.accounts.sso import register_resolver
        from cloudbranch.core.nav import MenuEntry, register
        from cloudbranch.orgs import hooks
        from cloudbranch.orgs.scoping import holds

        from . import services
        from .selectors import has_person
        from .sso import resolve_roster_user

        register_resolver(resolve_roster_user)  # single sign-on: identity = staff number on the roster
        hooks.register_merge_handler(services.move_members_on_merge)
        hooks.register_dissolve_check(services.members_block_dissolve)

        register(
            MenuEntry("people", "人员名册", "people:list", "bi-people", 20, lambda u: holds(u, "people.view_person"))
        )
        register(MenuEntry("people_own", "我的档案", "people:own", "bi-person-vcard", 80, has_person, personal=True))
