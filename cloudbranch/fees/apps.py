from django.apps import AppConfig


class FeesConfig(AppConfig):
    name = "cloudbranch.fees"
    label = "fees"
    verbose_name = "党费"
