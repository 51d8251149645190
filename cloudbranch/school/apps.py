from django.apps import AppConfig


class SchoolConfig(AppConfig):
    name = "cloudbranch.school"
    label = "school"
    verbose_name = "网上党校"

    def ready(self):
        from cloudbranch.learning import hooks

        from . import hours, menu

        menu.register_entries()

        # Class hours: completing a library resource credits online course items and live replays.
        hooks.register_completion_handler(hours.on_resource_completed)

        # --- results area: register the exam attempt handler below (one line) ---
        from . import results

        hooks.register_attempt_handler(results.on_attempt_graded)
        # --- end of results area ---
