from django.conf import settings
from django.db import migrations


def install(apps, schema_editor):
    if getattr(settings, "AUDIT_DB_GUARD", True):
        from cloudbranch.audit import guard

        guard.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from cloudbranch.audit import guard

    guard.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
