"""Point rules for service: fulfilling a micro-wish (volunteering already has its rule)."""

from django.db import migrations

RULES = [
    # action, label, points, daily cap, yearly cap, description
    ("wish_fulfilled", "实现微心愿", 3, 0, 0, "认领并实现一个微心愿（经组织确认）"),
]


def load(apps, schema_editor):
    PointRule = apps.get_model("points", "PointRule")
    for action, label, points, daily, yearly, description in RULES:
        PointRule.objects.update_or_create(
            action=action,
            defaults={"label": label, "points": points, "daily_cap": daily, "yearly_cap": yearly, "description": description},
        )


def unload(apps, schema_editor):
    apps.get_model("points", "PointRule").objects.filter(action__in=[r[0] for r in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("points", "0002_rules")]
    operations = [migrations.RunPython(load, unload)]
