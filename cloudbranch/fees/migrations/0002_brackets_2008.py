import datetime
from decimal import Decimal

from django.db import migrations

SOURCE = "中组发〔2008〕3号"
PENSION_SOURCE = "中组发〔2008〕3号；离退休党员以基本养老金为基数（2017 年通知）"
BRACKETS = [
    # base kind, lower (exclusive), upper (inclusive), rate, fixed amount, source
    ("salary", None, "3000.00", "0.0050", None, SOURCE),
    ("salary", "3000.00", "5000.00", "0.0100", None, SOURCE),
    ("salary", "5000.00", "10000.00", "0.0150", None, SOURCE),
    ("salary", "10000.00", None, "0.0200", None, SOURCE),
    ("pension", None, "5000.00", "0.0050", None, PENSION_SOURCE),
    ("pension", "5000.00", None, "0.0100", None, PENSION_SOURCE),
    ("student", None, None, None, "0.20", SOURCE + "：学生党员每月 0.2 元"),
    ("no_income", None, None, None, "0.20", SOURCE + "：下岗失业、依靠救济或低保的党员每月 0.2 元"),
]


def load(apps, schema_editor):
    Bracket = apps.get_model("fees", "DuesBracket")
    if Bracket.objects.filter(rule_set="2008").exists():
        return
    for kind, lower, upper, rate, fixed, source in BRACKETS:
        Bracket.objects.create(
            rule_set="2008",
            valid_from=datetime.date(2008, 4, 1),
            base_kind=kind,
            lower=Decimal(lower) if lower else None,
            upper=Decimal(upper) if upper else None,
            rate=Decimal(rate) if rate else None,
            fixed_amount=Decimal(fixed) if fixed else None,
            source=source,
        )


def unload(apps, schema_editor):
    apps.get_model("fees", "DuesBracket").objects.filter(rule_set="2008").delete()


class Migration(migrations.Migration):
    dependencies = [("fees", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
