from django.apps import AppConfig


class SchoolConfig(AppConfig):
    name = "cloudbranch.school"
    label = "school"
    verbose_name = "网上党校"
