from django.apps import AppConfig


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
