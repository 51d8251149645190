from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "cloudbranch.assessment"
    label = "assessment"
    verbose_name = "量化考核"

    def ready(self):
        from . import menu

        menu.register_entries()
