"""``manage.py metrics_recompute [--full] [--date YYYY-MM-DD]``: recompute the cockpit's figures.

Without ``--full``: the units marked dirty since the last run (cron every few minutes). With
``--full``: every metric, unit and stored period (cron each night)."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from cloudbranch.cockpit import engine


class Command(BaseCommand):
    help = "重新计算座舱指标（默认增量；--full 全量，每晚执行）"

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="全量重算所有组织、指标和周期")
        parser.add_argument("--date", help="运行日期 YYYY-MM-DD（默认今天）")

    def handle(self, *args, full=False, date=None, **options):
        today = None
        if date:
            try:
                today = datetime.date.fromisoformat(date)
            except ValueError as exc:
                raise CommandError(f"日期格式应为 YYYY-MM-DD：{date}") from exc
        run = engine.recompute_all(today=today) if full else engine.recompute_dirty(today=today)
        self.stdout.write(f"{run.get_kind_display()}：组织 {run.units} 个，写入 {run.rows} 行，用时 {run.seconds} 秒")
        if run.error:
            raise CommandError(run.error)
