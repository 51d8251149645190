"""``manage.py publish_scheduled [--reminders]``: publish scheduled articles whose time has come
(idempotent; run from cron every few minutes) and, with ``--reminders``, send the daily read
reminders of notices due soon."""

from django.core.management.base import BaseCommand

from cloudbranch.news import articles


class Command(BaseCommand):
    help = "发布到期的定时文章；--reminders 同时发送阅读提醒。"

    def add_arguments(self, parser):
        parser.add_argument("--reminders", action="store_true", help="同时提醒未读人员（每人每天至多一次）")

    def handle(self, *args, **options):
        published = articles.publish_due()
        self.stdout.write(f"已发布 {published} 篇定时文章。")
        if options["reminders"]:
            reminded = articles.send_read_reminders()
            self.stdout.write(f"已提醒 {reminded} 人次。")
