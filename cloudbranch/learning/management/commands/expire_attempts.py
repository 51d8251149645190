"""``manage.py expire_attempts``: grade exam attempts left running past their deadline (as
expired). Run it from cron every few minutes, or queue ``learning.exams.expire_attempts_task``."""

from django.core.management.base import BaseCommand

from cloudbranch.learning.exams import expire_attempts


class Command(BaseCommand):
    help = "考试超时自动交卷：对超过截止时间仍未交卷的作答按已保存的答案评分。可重复运行。"

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=1000, help="本次最多处理的作答数")

    def handle(self, *args, **options):
        done = expire_attempts(limit=options["limit"])
        self.stdout.write(f"已自动交卷 {done} 份。")
