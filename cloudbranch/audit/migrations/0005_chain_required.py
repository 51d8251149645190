"""The hash chain, step 3: the chain columns are required, (chain_day, seq) is unique, and the
append-only triggers come back in the version that admits archive permits (guard.py)."""

from django.conf import settings
from django.db import migrations, models


def install_triggers(apps, schema_editor):
    if getattr(settings, "AUDIT_DB_GUARD", True):
        from cloudbranch.audit import guard

        guard.install(schema_editor.connection)


def uninstall_triggers(apps, schema_editor):
    from cloudbranch.audit import guard

    guard.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_chain_existing_rows")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="chain_day",
            field=models.DateField(editable=False, verbose_name="链日期"),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name="序号"),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="前一哈希"),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="哈希"),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(fields=("chain_day", "seq"), name="audit_event_chain_day_seq_uniq"),
        ),
        migrations.RunPython(install_triggers, uninstall_triggers),
    ]
