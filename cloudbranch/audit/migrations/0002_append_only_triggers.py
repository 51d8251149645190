from django.conf import settings
from django.db import migrations


def install(apps, schema_editor):
    if getattr(settings, "AUDIT_DB_GUARD", True):
        from cloudbranch.audit import guard

        # The first version; 0005 replaces it with the one that knows archive permits.
        guard.install_v1(schema_editor.connection)


def uninstall(apps, schema_editor):
    from cloudbranch.audit import guard

    guard.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
