"""Back up the database and the uploaded files into one verified archive (see core/backup.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cloudbranch.core.backup import BackupError, create_backup


class Command(BaseCommand):
    help = "Write a backup archive (database, uploaded files, manifest) and keep the newest BACKUP_KEEP."

    def add_arguments(self, parser):
        parser.add_argument("--out", default=None, help="directory (default: BACKUP_DIR)")
        parser.add_argument("--keep", type=int, default=None, help="archives kept (default: BACKUP_KEEP)")

    def handle(self, *args, **options):
        try:
            path = create_backup(Path(options["out"]) if options["out"] else None, keep=options["keep"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(path))
