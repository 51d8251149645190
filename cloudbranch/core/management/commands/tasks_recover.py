"""Put background tasks left "running" by a worker that died back in the queue.

The database task backend marks a task RUNNING when a worker takes it and never looks at it
again: a worker killed mid-task (kill -9, out of memory, a host restart) leaves it RUNNING for
ever and no other worker picks it up. Every task of this product can run again safely — imports
and document batches check their own status, invitations are unique per person and batch,
figures are recomputed, notifications are marked sent once delivered — so a task RUNNING for
longer than any task takes is put back to READY, and the next worker runs it.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

DEFAULT_STALE_MINUTES = 120  # the longest task (a province's full recompute) takes a few minutes


class Command(BaseCommand):
    help = (
        "把因任务进程中断而一直处于“运行中”的后台任务放回队列（默认超过 120 分钟）；"
        "每晚运行或在任务进程异常退出后运行。Requeue background tasks left RUNNING by a dead worker."
    )

    def add_arguments(self, parser):
        parser.add_argument("--stale-minutes", type=int, default=DEFAULT_STALE_MINUTES)
        parser.add_argument("--dry-run", action="store_true", help="只列出，不修改")

    def handle(self, *args, stale_minutes: int, dry_run: bool, **options):
        from django_tasks_db.models import DBTaskResult, TaskResultStatus

        if stale_minutes < 1:
            raise CommandError("--stale-minutes 至少为 1。")
        cutoff = timezone.now() - datetime.timedelta(minutes=stale_minutes)
        with transaction.atomic():
            stale = DBTaskResult.objects.select_for_update().filter(
                status=TaskResultStatus.RUNNING, started_at__lt=cutoff
            )
            rows = list(stale.values_list("id", "task_path", "started_at"))
            for pk, path, started in rows:
                self.stdout.write(f"{pk} {path} 开始于 {timezone.localtime(started):%Y-%m-%d %H:%M}")
            if rows and not dry_run:
                DBTaskResult.objects.filter(pk__in=[r[0] for r in rows]).update(
                    status=TaskResultStatus.READY, started_at=None
                )
        verb = "可放回" if dry_run else "已放回队列"
        self.stdout.write(f"{verb} {len(rows)} 个任务。")
