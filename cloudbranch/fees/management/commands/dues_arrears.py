"""Arrears reminders, secretary warnings and 党章 第九条 cases (see cloudbranch.fees.arrears)."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from cloudbranch.fees.arrears import run_arrears


class Command(BaseCommand):
    help = (
        "党费欠缴处理：对上月仍未缴纳党费的党员发送提醒（每个账单月一次）；连续 3 个月未缴的通知支部书记"
        "（每段连续欠缴一次）；连续 6 个月未缴且无正当理由记录的，立案交支部处理并通知支部书记"
        "（党章第九条，系统只记录支部决定，不变更党员状态）；欠缴月份全部补缴后自动结案。可重复运行。"
        "请每天（或每月初）运行一次，例如 cron：`30 8 * * * cd /srv/cloudbranch && .venv/bin/python manage.py "
        "dues_arrears`。 Daily or monthly: arrears reminders, warnings at 3 months, cases at 6; idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按指定日期（YYYY-MM-DD）判断，默认今天")

    def handle(self, *args, **options):
        try:
            today = datetime.date.fromisoformat(options["date"]) if options.get("date") else None
        except ValueError as exc:
            raise CommandError("日期格式应为 YYYY-MM-DD。") from exc
        c = run_arrears(today=today)
        self.stdout.write(
            f"欠缴党员 {c['in_arrears']} 人，提醒 {c['reminders']} 条，支部预警 {c['warnings']} 条，"
            f"新立案 {c['cases_opened']} 件，自动结案 {c['cases_resolved']} 件。"
        )
