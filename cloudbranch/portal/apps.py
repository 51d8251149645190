from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "cloudbranch.portal"
    label = "portal"
    verbose_name = "首页"
