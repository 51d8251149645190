"""Settings shared by every environment. Safe defaults: no environment variable is required."""

from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet

from .env import env, env_bool, env_list, read_or_create_secret

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = Path(env("CLOUDBRANCH_DATA_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
SECRET_KEY = env("SECRET_KEY") or read_or_create_secret(DATA_DIR / "secret_key")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",  # full app config: wraps the loaders so "page.html#partial" renders
    "axes",
    "django_tasks",
    "django_tasks_db",
    "cloudbranch.core",
    "cloudbranch.accounts",
    "cloudbranch.audit",
    "cloudbranch.orgs",
    "cloudbranch.people",
    "cloudbranch.points",
    "cloudbranch.meetings",
    "cloudbranch.fees",
    "cloudbranch.development",
    "cloudbranch.learning",
    "cloudbranch.news",
    "cloudbranch.volunteering",
    "cloudbranch.voting",
    "cloudbranch.school",
    "cloudbranch.paperwork",
    "cloudbranch.onboarding",
    "cloudbranch.worktasks",
    "cloudbranch.cockpit",
    "cloudbranch.assessment",
    "cloudbranch.notifications",
    "cloudbranch.portal",
    "cloudbranch.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "cloudbranch.accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "cloudbranch.core.middleware.RequestContextMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cloudbranch.urls"
WSGI_APPLICATION = "cloudbranch.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "cloudbranch" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cloudbranch.core.context_processors.navigation",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'cloudbranch.sqlite3'}"),
        conn_max_age=int(env("CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # IMMEDIATE takes the write lock at BEGIN, so concurrent writers (tree moves,
    # imports) serialize instead of failing with "database is locked" mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "cloudbranch.accounts.validators.CharacterClassValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
SESSION_COOKIE_AGE = int(env("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # HTMX reads the token from the page, not the cookie

# Lockout after repeated failures (django-axes): by user name and IP together.
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(env("AXES_COOLOFF_HOURS", "0.5"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "cloudbranch" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "media"
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# Field encryption (national ID numbers). The first key encrypts; every key decrypts, so a
# new key is put first and ``manage.py rotate_field_keys`` re-encrypts old rows. The search
# hash key is separate: it must stay fixed unless ``rotate_field_keys --rehash`` is run.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", "") or [
    read_or_create_secret(DATA_DIR / "field_key", make=lambda: Fernet.generate_key().decode())
]
FIELD_HASH_KEY = env("FIELD_HASH_KEY") or read_or_create_secret(DATA_DIR / "field_hash_key")

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "CloudBranch <noreply@localhost>")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))

# Extra notification channels: dotted paths to classes implementing
# cloudbranch.notifications.channels.Channel (SMS, WeChat template messages, ...).
NOTIFICATION_CHANNELS = env_list(
    "NOTIFICATION_CHANNELS",
    "cloudbranch.notifications.channels.InboxChannel,cloudbranch.notifications.channels.EmailChannel",
)

# Dues payment providers: dotted paths to classes implementing cloudbranch.fees.providers.PaymentProvider
# (WeChat Pay, Alipay, the bank plug in here). The sandbox signs its callbacks with its own key.
FEES_PROVIDERS = env_list("FEES_PROVIDERS", "cloudbranch.fees.providers.SandboxProvider")
FEES_SANDBOX_SECRET = env("FEES_SANDBOX_SECRET") or read_or_create_secret(DATA_DIR / "fees_sandbox_secret")
FEES_ORDER_MINUTES = int(env("FEES_ORDER_MINUTES", "30"))

NINJA_PAGINATION_CLASS = "cloudbranch.core.pagination.BoundedPageNumberPagination"
NINJA_PAGINATION_PER_PAGE = 20
NINJA_MAX_PER_PAGE_SIZE = 100

# Audit rows refuse UPDATE/DELETE through database triggers installed by a migration.
AUDIT_DB_GUARD = env_bool("AUDIT_DB_GUARD", True)

# Demo accounts: password from the environment; seeding refuses to create them with DEBUG off
# unless explicitly allowed (a benchmark or a staging site).
DEMO_PASSWORD = env("CLOUDBRANCH_DEMO_PASSWORD", "demo12345")
DEMO_ALLOW_WITHOUT_DEBUG = env_bool("CLOUDBRANCH_DEMO_ALLOW", False)

# Imports above this many rows run as a background task; smaller ones still go through the
# task queue but finish within the request when the immediate backend is configured.
IMPORT_MAX_ROWS = int(env("IMPORT_MAX_ROWS", "50000"))
# Learning: largest uploaded video/audio/PDF (bytes); the web server in front must accept it too.
LEARNING_MAX_UPLOAD_BYTES = int(env("LEARNING_MAX_UPLOAD_BYTES") or 500 * 1024 * 1024)
# Mobile members: from this month on, members without this year's report are reminded.
DEVELOPMENT_MOBILE_REPORT_REMIND_MONTH = int(env("DEVELOPMENT_MOBILE_REPORT_REMIND_MONTH") or 11)
# The public portal (/public/) shows this root unit (its code); empty: the first root.
PUBLIC_PORTAL_UNIT_CODE = env("PUBLIC_PORTAL_UNIT_CODE") or ""

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "cloudbranch.core.logging.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": env("LOG_FORMAT", "json")},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
