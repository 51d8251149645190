"""Expire the import previews older than IMPORT_PREVIEW_TTL_HOURS and drop their stored files.

Every importer's job model that declares ``preview_stamp`` (the roster, dues bases, the question
bank) is swept; nightly. A preview is otherwise expired only when someone tries to confirm it."""

from django.core.management.base import BaseCommand

from cloudbranch.people import import_plan


class Command(BaseCommand):
    help = "过期的导入预览标记为已过期并删除其暂存文件（每晚运行）"

    def handle(self, *args, **options):
        total = 0
        for model in import_plan.preview_job_models():
            n = import_plan.expire_previews(model)
            total += n
            if n:
                self.stdout.write(f"{model._meta.verbose_name}：{n} 个预览已过期")
        self.stdout.write(f"共 {total} 个导入预览已过期")
