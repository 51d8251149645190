from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "cloudbranch.notifications"
    label = "notifications"
    verbose_name = "通知"
