from django.apps import AppConfig


class WorktasksConfig(AppConfig):
    name = "cloudbranch.worktasks"
    label = "worktasks"
    verbose_name = "任务管理"
