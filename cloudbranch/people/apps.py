from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "cloudbranch.people"
    label = "people"
    verbose_name = "人员"

    def ready(self):
        from cloudbranch.orgs import hooks

        from . import services

        hooks.register_merge_handler(services.move_members_on_merge)
        hooks.register_dissolve_check(services.members_block_dissolve)
