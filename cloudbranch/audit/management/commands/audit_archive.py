"""Archive whole days of audit events older than AUDIT_RETENTION_DAYS to compressed files."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from cloudbranch.audit.archive import archive_before, archive_dir
from cloudbranch.core.errors import DomainError


def _day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"日期格式应为 YYYY-MM-DD / date must be YYYY-MM-DD: {value}") from exc


class Command(BaseCommand):
    help = (
        "把超过保存期限的整天审计记录归档为压缩文件（回读校验后才删除）"
        " / Archive whole days older than the retention period (verified before deletion)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--before", type=_day, help="归档这一天之前的日期（不能晚于保存期限）/ archive days before")
        parser.add_argument("--dir", help="归档目录（默认 AUDIT_ARCHIVE_DIR）/ archive folder")

    def handle(self, *args, before=None, dir=None, **options):
        try:
            done = archive_before(before, directory=dir)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        folder = archive_dir(dir)
        for m in done:
            self.stdout.write(f"{m.day}: {m.count} 条 → {folder / m.file_name} (sha256 {m.file_sha256})")
        self.stdout.write(f"已归档 {len(done)} 天 / archived {len(done)} day(s).")
