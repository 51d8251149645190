"""SQLite for the test suite: the migrated test database is built once and then copied.

Applying the ~100 migrations to an empty database takes Django 30-40 s, nearly all of it
re-rendering the model states between operations; every test process (each xdist worker, the
timings pass, the browser pass) paid it again. This engine saves the database after its first
full ``migrate`` under ``var/test-db/`` and restores later in-memory test databases from that copy
with SQLite's online backup, so ``migrate`` finds every migration applied and only runs the
post-migrate handlers (content types, permissions, ANALYZE), as it does for any database.

The copy is named by a hash of every installed app's migration files, the audit modules that
migrations call and ``AUDIT_DB_GUARD``: changing a migration builds a new copy, and an old one is
removed when a new one is saved. Test settings select this engine for SQLite only; file
databases and ``--reuse-db`` go through Django's own path.
"""

import hashlib
import os
import sqlite3
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings
from django.db.backends.sqlite3 import base, creation

# Product modules that migrations import for what they write (triggers, the audit chain).
_CALLED_BY_MIGRATIONS = ("audit/guard.py", "audit/chain.py")


def template_path() -> Path:
    digest = hashlib.sha256()
    digest.update(f"django {django.__version__} guard {getattr(settings, 'AUDIT_DB_GUARD', True)}".encode())
    files = []
    for app in apps.get_app_configs():
        folder = Path(app.path) / "migrations"
        if folder.is_dir():
            files += [(f"{app.label}/migrations/{path.name}", path) for path in sorted(folder.glob("*.py"))]
    package = Path(__file__).resolve().parents[2]  # the cloudbranch package
    files += [(name, package / name) for name in _CALLED_BY_MIGRATIONS]
    for name, path in files:
        digest.update(name.encode())
        digest.update(path.read_bytes())
    return Path(settings.BASE_DIR) / "var" / "test-db" / f"migrated-{digest.hexdigest()[:16]}.sqlite3"


class DatabaseCreation(creation.DatabaseCreation):
    def create_test_db(self, verbosity=1, autoclobber=False, serialize=True, keepdb=False):
        name = self._get_test_db_name()
        template = template_path() if not keepdb and self.is_in_memory_db(name) else None
        restored = False
        if template is not None and template.exists():
            self.connection.close()
            self.connection.settings_dict["NAME"] = name
            self.connection.ensure_connection()
            source = sqlite3.connect(template)
            try:
                source.backup(self.connection.connection)
            finally:
                source.close()
            restored = True
        name = super().create_test_db(verbosity, autoclobber, serialize, keepdb)
        if template is not None and not restored:
            self._save(template)
        return name

    def _save(self, template: Path) -> None:
        """Write the migrated database to ``template`` (atomically) and drop older copies."""
        template.parent.mkdir(parents=True, exist_ok=True)
        partial = template.with_name(f"{template.name}.{os.getpid()}.partial")
        target = sqlite3.connect(partial)
        try:
            self.connection.connection.backup(target)
        finally:
            target.close()
        os.replace(partial, template)
        for old in template.parent.glob("migrated-*.sqlite3"):
            if old != template:
                old.unlink(missing_ok=True)


class DatabaseWrapper(base.DatabaseWrapper):
    creation_class = DatabaseCreation
