from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "cloudbranch.learning"
    label = "learning"
    verbose_name = "学习教育"
