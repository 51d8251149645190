from django.apps import AppConfig


class VotingConfig(AppConfig):
    name = "cloudbranch.voting"
    label = "voting"
    verbose_name = "选举与评议"

    def ready(self):
        from . import menu

        menu.register_entries()
