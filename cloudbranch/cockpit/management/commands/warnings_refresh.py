"""Run every early-warning rule now: open new warnings, update and clear the others, notify owners."""

import datetime

from django.core.management.base import BaseCommand

from cloudbranch.cockpit.warnings import refresh_warnings


class Command(BaseCommand):
    help = (
        "刷新预警：运行全部预警规则，新发现的问题开启预警并通知负责人（每人每次一条汇总通知），"
        "原因已消除的预警自动解除（保留记录）。可重复运行。建议每天运行，例如 cron："
        "`30 7 * * * cd /srv/cloudbranch && .venv/bin/python manage.py warnings_refresh`。"
        " Run all warning rules; open/update/clear warnings and notify owners of new ones; idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按指定日期（YYYY-MM-DD）判断，默认今天")
        parser.add_argument("--no-notify", action="store_true", help="只刷新，不发送通知")

    def handle(self, *args, **options):
        today = datetime.date.fromisoformat(options["date"]) if options.get("date") else None
        result = refresh_warnings(today, notify_owners=not options["no_notify"])
        for r in result.rules:
            line = f"{r.key}: 发现 {r.found}，新增 {r.opened}，更新 {r.updated}，解除 {r.cleared}（{r.seconds:.2f} 秒）"
            if r.error:
                self.stderr.write(f"{line} 失败：{r.error}")
            else:
                self.stdout.write(line)
        self.stdout.write(
            f"合计：新增 {result.opened}，更新 {result.updated}，解除 {result.cleared}；"
            f"通知 {result.notified_users} 人（{result.notified_warnings} 条预警）。"
        )
