"""Restore a backup archive made by `manage.py backup`, verifying it before and after."""

import sys
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cloudbranch.core.backup import BackupError, read_verified, restore_backup


class Command(BaseCommand):
    help = (
        "Replace the database (and local uploaded files) with a backup archive. Stop the web and worker "
        "services first. Refuses an archive that does not match its manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="archive written by manage.py backup")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        parser.add_argument("--check", action="store_true", help="only verify the archive; change nothing")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            if options["check"]:
                with tempfile.TemporaryDirectory(prefix="cloudbranch-check-") as tmp:
                    manifest = read_verified(path, Path(tmp))
                self.stdout.write(f"{path}: intact ({manifest['vendor']}, {manifest['created']})")
                return
            if not options["yes"]:
                if not sys.stdin.isatty():
                    raise CommandError("restore replaces the whole database: confirm with --yes")
                answer = input(f"Replace the database with {path}? Type 'yes' to continue: ")
                if answer.strip() != "yes":
                    raise CommandError("cancelled")
            manifest = restore_backup(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        tables = len(manifest["counts"])
        self.stdout.write(f"restored {path} ({manifest['created']}): {tables} tables verified")
