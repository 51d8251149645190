"""``manage.py import_people FILE [--dry-run] [--update-existing] [--yes] --user USERNAME``

Runs the same import as the page, synchronously, with the scope of ``--user``: the file is
checked into a preview (counts printed), then confirmed — with ``--yes`` without asking,
otherwise after answering ``y`` at the prompt. Errors are printed one per line as
``row R, column C: message``. Exit status 0 only when the file is valid and (without
``--dry-run``) committed; 1 otherwise. A confirmed import can be undone on the import page.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from cloudbranch.core.errors import ConflictError
from cloudbranch.people import importing
from cloudbranch.people.models import ImportJob


class Command(BaseCommand):
    help = "导入人员名册（.xlsx）：先校验生成预览，确认后写入。错误逐行输出为 row R, column C: message。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="要导入的 .xlsx 文件")
        parser.add_argument("--dry-run", action="store_true", help="仅校验，不写入")
        parser.add_argument("--update-existing", action="store_true", help="按身份证号更新已登记在册的人员")
        parser.add_argument("--yes", action="store_true", help="预览通过后直接确认导入，不再询问")
        parser.add_argument("--user", required=True, help="执行导入的账号（其管理范围决定可导入的党组织）")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            self.stderr.write(f"row -, column -: 账号 {options['user']} 不存在或已停用")
            raise SystemExit(1)
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.stderr.write(f"row -, column -: 无法读取文件 {path}：{exc.strerror or exc}")
            raise SystemExit(1) from None
        try:
            job = importing.import_job_create(
                actor=user,
                file_name=path.name,
                data=data,
                dry_run=options["dry_run"],
                update_existing=options["update_existing"],
                enqueue=False,
            )
        except PermissionDenied:
            self.stderr.write(f"row -, column -: 账号 {user.get_username()} 没有导入人员的权限")
            raise SystemExit(1) from None
        job = importing.run_job(job.pk)
        if job is None:  # pragma: no cover - the job was just created
            raise CommandError("导入任务丢失")
        for warning in job.warnings:
            self.stderr.write(f"warning: {_line(warning)}")
        for error in job.errors:
            self.stdout.write(_line(error))
        if options["dry_run"] and job.status == ImportJob.Status.VALIDATED:
            self.stdout.write(job.message)
            return
        if job.status != ImportJob.Status.PREVIEWED:
            self.stderr.write(job.message)
            raise SystemExit(1)
        self.stdout.write(job.message)
        if not options["yes"]:
            try:
                answer = input("确认导入？[y/N] ")
            except EOFError:
                answer = ""
            if answer.strip().lower() not in ("y", "yes"):
                importing.import_discard(actor=user, job_id=job.pk)
                self.stderr.write("已放弃，未写入任何数据。")
                raise SystemExit(1)
        try:
            job = importing.import_confirm(actor=user, job_id=job.pk)
        except ConflictError as exc:
            self.stderr.write(exc.message)
            for error in exc.errors:
                self.stderr.write(f"  {error['message']}")
            raise SystemExit(1) from None
        self.stdout.write(job.message)


def _line(item: dict) -> str:
    row = item.get("row")
    column = item.get("column") or "-"
    return f"row {row if row is not None else '-'}, column {column}: {item['message']}"
