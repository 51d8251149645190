import datetime

from django.db import migrations

BRANCHES = ["branch", "mobile_branch"]
RULES_2018 = [
    # kind, unit kinds, needs committee, period, min, warn days, source
    ("general", BRANCHES, False, "quarter", 1, 14, "支部工作条例 2018 第十一条：支部党员大会一般每季度召开 1 次"),
    ("committee", BRANCHES, True, "month", 1, 7, "支部工作条例 2018 第十二条：支部委员会会议一般每月召开 1 次"),
    ("group", ["group"], False, "month", 1, 7, "支部工作条例 2018 第十三条：党小组会一般每月召开 1 次"),
    ("themed_day", BRANCHES, False, "month", 1, 7, "支部工作条例 2018：每月相对固定 1 天开展主题党日"),
    ("lecture", BRANCHES, False, "quarter", 1, 14, "本校规定（可配置）：每季度 1 次党课；条例要求书记每年至少讲 1 次"),
    ("org_life", BRANCHES, False, "year", 1, 30, "支部工作条例 2018 第十七条：组织生活会一般每年召开 1 次，多安排在第四季度"),
]


def load(apps, schema_editor):
    Rule = apps.get_model("meetings", "ComplianceRule")
    for kind, unit_kinds, needs_committee, period, min_count, warn_days, source in RULES_2018:
        Rule.objects.update_or_create(
            rule_set="2018",
            kind=kind,
            defaults={
                "valid_from": datetime.date(2018, 10, 28),
                "unit_kinds": unit_kinds,
                "needs_committee": needs_committee,
                "period": period,
                "min_count": min_count,
                "warn_days": warn_days,
                "source": source,
            },
        )


def unload(apps, schema_editor):
    apps.get_model("meetings", "ComplianceRule").objects.filter(rule_set="2018").delete()


class Migration(migrations.Migration):
    dependencies = [("meetings", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
