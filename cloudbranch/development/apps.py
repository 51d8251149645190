from django.apps import AppConfig


class DevelopmentConfig(AppConfig):
    name = "cloudbranch.development"
    label = "development"
    verbose_name = "发展党员与党员管理"
