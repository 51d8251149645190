"""Daily reminders and warnings of member development, transfers, mobile members and thought reports."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from cloudbranch.development.tasks import AREAS, run_reminders


class Command(BaseCommand):
    help = (
        "发送发展党员相关的每日提醒和预警：发展步骤到期前提醒与逾期预警、组织关系转接、流动党员、思想汇报，"
        "以及逾期情况周报。每项提醒只发送一次（按提醒键去重），可重复运行。"
        "请每天运行一次，例如 cron：`30 8 * * * cd /srv/cloudbranch && .venv/bin/python manage.py development_reminders`。"
        " Daily development reminders (cases, transfers, mobile members, thought reports); idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按指定日期（YYYY-MM-DD）判断，默认今天")

    def handle(self, *args, **options):
        today = None
        if options.get("date"):
            try:
                today = datetime.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError("日期格式应为 YYYY-MM-DD。") from exc
        counts = run_reminders(today)
        total = 0
        for name, label in AREAS:
            n = counts.get(name)
            if n is None:
                self.stdout.write(f"{label}：未安装，已跳过。")
            else:
                total += n
                self.stdout.write(f"{label}：发送 {n} 条。")
        self.stdout.write(f"合计发送 {total} 条。")
