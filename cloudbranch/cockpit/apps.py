from django.apps import AppConfig


class CockpitConfig(AppConfig):
    name = "cloudbranch.cockpit"
    label = "cockpit"
    verbose_name = "党建数据座舱"
