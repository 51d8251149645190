"""Daily: remind units of task deadlines and tell units and issuers of overdue tasks (idempotent)."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from cloudbranch.worktasks.tasks import send_reminders


class Command(BaseCommand):
    help = "发送任务到期提醒（截止前 3 天、1 天）和逾期通知（每个承办单位一次）；可重复运行。"

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按这一天运行（YYYY-MM-DD），默认今天")

    def handle(self, *args, **options):
        today = None
        if options.get("date"):
            try:
                today = datetime.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError("--date 的格式应为 YYYY-MM-DD") from exc
        counts = send_reminders(today=today)
        self.stdout.write(
            f"到期提醒 {counts['reminders']} 条，逾期通知 {counts['overdue']} 条，下发单位通知 {counts['issuer_notices']} 条。"
        )
