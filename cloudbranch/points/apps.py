from django.apps import AppConfig


class PointsConfig(AppConfig):
    name = "cloudbranch.points"
    label = "points"
    verbose_name = "积分"
