from django.apps import AppConfig


class VolunteeringConfig(AppConfig):
    name = "cloudbranch.volunteering"
    label = "volunteering"
    verbose_name = "志愿服务与党建互联"

    def ready(self):
        from . import menu

        menu.register_entries()
