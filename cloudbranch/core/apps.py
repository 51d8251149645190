from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cloudbranch.core"
    label = "core"
    verbose_name = "核心"
