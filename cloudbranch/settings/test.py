"""Test settings: fast hashing, tasks run immediately, fixed keys, no audit triggers.

pytest-django flushes tables between transactional tests, which the audit triggers would
refuse; one test installs the triggers explicitly and checks them.
"""

from .base import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
AUDIT_DB_GUARD = False
FIELD_ENCRYPTION_KEYS = ["n0Bz3j4Qb6cY7k1XWq2m9S8vT5rU0pLhGfEdCbA1234="]
FIELD_HASH_KEY = "test-hash-key"
FEES_SANDBOX_SECRET = "test-sandbox-secret"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SESSION_ENGINE = "django.contrib.sessions.backends.db"
AXES_FAILURE_LIMIT = 5
TWO_FACTOR_MANDATORY = False  # the tests that need it switch it on
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
LOGGING["handlers"]["console"]["formatter"] = "plain"  # noqa: F405

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # The migrated test database is built once and copied (see the engine's docstring).
    DATABASES["default"]["ENGINE"] = "cloudbranch.testing.sqlite_template"  # noqa: F405
    # In memory, as for Django's own SQLite engine (pytest-django would otherwise give each xdist
    # worker a file name derived from NAME, as it does for other engines).
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}  # noqa: F405
