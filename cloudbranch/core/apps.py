from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _analyze_sqlite(sender, using="default", **kwargs):
    """SQLite has no automatic statistics: refresh them on every ``migrate`` (a deploy step), so a
    database that grew since the last deploy is planned with its real sizes."""
    from django.db import connections

    from .db import refresh_planner_statistics

    if connections[using].vendor == "sqlite":
        refresh_planner_statistics(using=using)


class CoreConfig(AppConfig):
    name = "cloudbranch.core"
    label = "core"
    verbose_name = "核心"

    def ready(self):
        post_migrate.connect(_analyze_sqlite, sender=self, dispatch_uid="cloudbranch-core-analyze")
