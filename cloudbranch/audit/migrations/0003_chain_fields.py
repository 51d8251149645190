"""The hash chain, step 1: nullable chain columns on the existing rows, the head, manifest and
permit tables. The append-only triggers are dropped here (0004 must UPDATE the old rows) and
installed again, in their new version, by 0005."""

import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def drop_triggers(apps, schema_editor):
    from cloudbranch.audit import guard

    guard.uninstall(schema_editor.connection)


def restore_v1_triggers(apps, schema_editor):
    if getattr(settings, "AUDIT_DB_GUARD", True):
        from cloudbranch.audit import guard

        guard.install_v1(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]

    operations = [
        migrations.RunPython(drop_triggers, restore_v1_triggers),
        migrations.AddField(
            model_name="auditevent",
            name="chain_day",
            field=models.DateField(editable=False, null=True, verbose_name="链日期"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.PositiveIntegerField(editable=False, null=True, verbose_name="序号"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(editable=False, max_length=64, null=True, verbose_name="前一哈希"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(editable=False, max_length=64, null=True, verbose_name="哈希"),
        ),
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                ("day", models.DateField(primary_key=True, serialize=False, verbose_name="链日期")),
                ("seq", models.PositiveIntegerField(default=0, verbose_name="条数")),
                ("last_hash", models.CharField(max_length=64, verbose_name="最后哈希")),
            ],
            options={"verbose_name": "审计链头", "verbose_name_plural": "审计链头", "ordering": ["day"]},
        ),
        migrations.CreateModel(
            name="AuditArchive",
            fields=[
                ("day", models.DateField(primary_key=True, serialize=False, verbose_name="链日期")),
                ("count", models.PositiveIntegerField(verbose_name="条数")),
                ("prev_hash", models.CharField(max_length=64, verbose_name="前一日最后哈希")),
                ("first_hash", models.CharField(max_length=64, verbose_name="首条哈希")),
                ("last_hash", models.CharField(max_length=64, verbose_name="末条哈希")),
                ("file_name", models.CharField(max_length=255, verbose_name="文件")),
                ("file_sha256", models.CharField(max_length=64, verbose_name="文件 SHA-256")),
                ("file_size", models.PositiveBigIntegerField(default=0, verbose_name="文件大小")),
                ("archived_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="归档时间")),
                ("archived_by", models.CharField(blank=True, max_length=150, verbose_name="归档人")),
            ],
            options={"verbose_name": "审计归档", "verbose_name_plural": "审计归档", "ordering": ["-day"]},
        ),
        migrations.CreateModel(
            name="AuditArchivePermit",
            fields=[
                ("day", models.DateField(primary_key=True, serialize=False)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={"verbose_name": "审计归档许可", "verbose_name_plural": "审计归档许可"},
        ),
    ]
