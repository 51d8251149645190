"""Daily study-task reminders."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from cloudbranch.learning.tasks import send_reminders


class Command(BaseCommand):
    help = (
        "发送学习任务提醒：截止前 3 天和 1 天提醒尚未完成的人员；截止后提醒任务布置人和有逾期人员的支部书记。"
        "同一提醒只发送一次，可重复运行。请每天运行一次，例如 cron："
        "`30 8 * * * cd /srv/cloudbranch && .venv/bin/python manage.py learning_reminders`。"
        " Daily study-task reminders (3 and 1 days before the deadline; overdue notices); idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按指定日期（YYYY-MM-DD）判断，默认今天")

    def handle(self, *args, **options):
        try:
            today = datetime.date.fromisoformat(options["date"]) if options.get("date") else None
        except ValueError as exc:
            raise CommandError("日期格式应为 YYYY-MM-DD") from exc
        sent = send_reminders(today)
        self.stdout.write(f"发送学习任务提醒 {sent} 条。")
