"""Recompute the audit hash chain: exit 0 if intact, 1 with every changed or missing event."""

import datetime
import json

from django.core.management.base import BaseCommand, CommandError

from cloudbranch.audit.verify import chain_days, verify_chain


def _day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"日期格式应为 YYYY-MM-DD / date must be YYYY-MM-DD: {value}") from exc


class Command(BaseCommand):
    help = "校验审计日志哈希链（发现被修改或删除的记录）/ Verify the audit log hash chain."

    def add_arguments(self, parser):
        parser.add_argument("--day", type=_day, help="只校验这一天（链日期）/ one chain day")
        parser.add_argument("--from", dest="since", type=_day, help="起始日期（含）/ first day")
        parser.add_argument("--to", dest="until", type=_day, help="结束日期（含）/ last day")
        parser.add_argument(
            "--archive",
            action="store_true",
            help="已归档的日期也从归档文件重新计算 / recompute archived days from files",
        )
        parser.add_argument("--dir", help="归档目录（默认 AUDIT_ARCHIVE_DIR）/ archive folder")
        parser.add_argument("--json", dest="as_json", action="store_true", help="输出 JSON / print the report as JSON")

    def handle(self, *args, day=None, since=None, until=None, archive=False, dir=None, as_json=False, **options):
        if day and (since or until):
            raise CommandError("--day 与 --from/--to 不能同时使用 / use either --day or --from/--to")
        days = chain_days(day, day) if day else chain_days(since, until) if (since or until) else None
        report = verify_chain(days, archive=archive, directory=dir)
        if as_json:
            self.stdout.write(_json(report.as_dict()))
        else:
            for p in report.problems:
                seq = f" seq {p.seq}" if p.seq is not None else ""
                self.stdout.write(f"[{p.kind}] {p.day}{seq}: {p.message}")
            self.stdout.write(report.summary)
        if not report.ok:
            raise SystemExit(1)


def _json(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1)
