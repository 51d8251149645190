from django.apps import AppConfig


class NewsConfig(AppConfig):
    name = "cloudbranch.news"
    label = "news"
    verbose_name = "党建动态与党务公开"
