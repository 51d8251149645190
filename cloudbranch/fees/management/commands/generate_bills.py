"""``manage.py generate_bills [--month YYYY-MM] [--unit CODE]`` — the monthly bills, for cron."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cloudbranch.core.errors import DomainError
from cloudbranch.fees import billing
from cloudbranch.orgs.models import OrgUnit


class Command(BaseCommand):
    help = "生成某月党费账单（默认本月；重复运行不会重复生成）"

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM，默认本月")
        parser.add_argument("--unit", help="只生成该组织（编码）及其下级的账单")

    def handle(self, *args, month=None, unit=None, **options):
        scope = None
        if unit:
            scope = OrgUnit.objects.filter(code=unit).first()
            if scope is None:
                raise CommandError(f"没有编码为 {unit} 的组织")
        started = time.monotonic()
        try:
            result = billing.generate_bills(month or timezone.localdate(), unit=scope)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        elapsed = time.monotonic() - started
        r = result.as_dict()
        self.stdout.write(
            f"{r['month'][:7]}: 新建 {r['created']} 张，已有 {r['existing']} 张，缺少基数 {r['missing_base']} 人，"
            f"当月新入党或转入 {r['not_yet']} 人；用时 {elapsed:.1f} 秒"
        )
