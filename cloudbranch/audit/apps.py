from django.apps import AppConfig
from django.core import checks


@checks.register(checks.Tags.security)
def check_retention(app_configs=None, **kwargs):
    """网络安全法 Art. 21: logs are kept at least six months."""
    from django.conf import settings

    from .archive import MIN_RETENTION_DAYS

    days = int(getattr(settings, "AUDIT_RETENTION_DAYS", 365))
    if days < MIN_RETENTION_DAYS:
        return [
            checks.Error(
                f"AUDIT_RETENTION_DAYS={days} 少于六个月（至少 {MIN_RETENTION_DAYS} 天，网络安全法第二十一条）。",
                id="audit.E001",
            )
        ]
    return []


class AuditConfig(AppConfig):
    name = "cloudbranch.audit"
    label = "audit"
    verbose_name = "审计日志"

    def ready(self):
        from cloudbranch.core.nav import MenuEntry, register

        from .selectors import is_auditor

        register(
            MenuEntry(
                key="audit",
                label="审计日志",
                url_name="audit:list",
                icon="bi-journal-text",
                order=90,
                visible=is_auditor,
            )
        )
