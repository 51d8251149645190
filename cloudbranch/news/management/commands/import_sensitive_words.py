"""Load the comment filter's sensitive words from a text file: one word per line, optional
"|reject" (default: hold for review), "#" comments. The platform ships an empty list: the
university's Party committee supplies its own."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from cloudbranch.core.errors import DomainError
from cloudbranch.news import comments


class Command(BaseCommand):
    help = "导入评论敏感词：每行一个词语，可在行尾加 |reject（直接拒绝），默认转人工审核。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="UTF-8 文本文件，- 表示标准输入")
        parser.add_argument(
            "--user", required=True, help="记入审计的操作人用户名（须持有 news.change_sensitiveword，即组织部管理员）"
        )

    def handle(self, *args, file, user, **options):
        actor = get_user_model().objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"用户 {user} 不存在或已停用。")
        try:
            if file == "-":
                import sys

                lines = sys.stdin.read().splitlines()
            else:
                with open(file, encoding="utf-8-sig") as fh:
                    lines = fh.read().splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"无法读取 {file}：{exc}") from exc
        try:
            result = comments.words_import(actor=actor, lines=lines)
        except PermissionDenied:
            raise CommandError(f"用户 {user} 没有维护敏感词的权限。") from None
        except DomainError as exc:
            details = "\n".join(f"  第 {e['row']} 行：{e['message']}" for e in exc.errors if "row" in e)
            raise CommandError(f"{exc.message}\n{details}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"新增 {result['created']} 个，修改 {result['updated']} 个，未变 {result['unchanged']} 个。"
            )
        )
