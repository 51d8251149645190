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
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # serves the API docs' Swagger UI from our static files (the CSP allows no CDN)
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
    "cloudbranch.core.security.ProtectionMiddleware",  # CSP nonce, rate limits, body size ceiling
    "django_otp.middleware.OTPMiddleware",
    "cloudbranch.accounts.middleware.SessionSecurityMiddleware",  # idle logout, ended sessions
    "cloudbranch.accounts.middleware.TwoFactorMiddleware",  # second factor: verify or set up first
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
        # A persistent connection is pinged before reuse, so a restarted PostgreSQL costs one
        # reconnect instead of a failed request per dead connection.
        conn_health_checks=True,
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
    {"NAME": "cloudbranch.accounts.validators.PasswordHistoryValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
SESSION_COOKIE_AGE = int(env("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # HTMX reads the token from the page, not the cookie

# Addresses of the reverse proxies in front (nginx on the same host by default): only from them is
# X-Forwarded-For believed (cloudbranch.core.middleware.client_ip; audit, lockout, rate limits).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "127.0.0.1,::1")

# Lockout after repeated failures (django-axes): by user name and IP together.
AXES_CLIENT_IP_CALLABLE = "cloudbranch.core.middleware.client_ip"
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(env("AXES_COOLOFF_HOURS", "0.5"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

# Second factor (TOTP, django-otp) with recovery codes. Mandatory for the roles below and the three
# platform duties when TWO_FACTOR_MANDATORY is on; optional for everyone else.
TWO_FACTOR_MANDATORY = env_bool("TWO_FACTOR_MANDATORY", True)
TWO_FACTOR_REQUIRED_ROLES = env_list("TWO_FACTOR_REQUIRED_ROLES", "org_admin,committee_secretary,branch_secretary")
OTP_TOTP_ISSUER = "云端支部"
OTP_FAILURE_LIMIT = int(env("OTP_FAILURE_LIMIT", "5"))
# Logged out after this many minutes without a request (polling does not count); 0 switches it off.
IDLE_TIMEOUT_MINUTES = int(env("IDLE_TIMEOUT_MINUTES", "30"))
# A password older than this must be changed (0 = never expires); the last N may not be reused.
PASSWORD_MAX_AGE_DAYS = int(env("PASSWORD_MAX_AGE_DAYS", "180"))
PASSWORD_EXPIRY_WARNING_DAYS = 14
PASSWORD_HISTORY_COUNT = 5

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "cloudbranch" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    # Django's file system storage that removes a half-written file (disk full) on failure.
    "default": {"BACKEND": "cloudbranch.core.storage.LocalStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "media"


def s3_storage(environ) -> dict:
    """The default storage for STORAGE_BACKEND=s3: any S3-compatible service (AWS, MinIO, 阿里云 OSS,
    腾讯云 COS). Objects are private; ``storage.url()`` gives a signed URL valid S3_URL_EXPIRE seconds
    (the application itself streams files through its permission-checked views)."""
    options = {
        "bucket_name": environ.get("S3_BUCKET", ""),
        "endpoint_url": environ.get("S3_ENDPOINT_URL") or None,
        "access_key": environ.get("S3_ACCESS_KEY_ID") or None,
        "secret_key": environ.get("S3_SECRET_ACCESS_KEY") or None,
        "region_name": environ.get("S3_REGION") or None,
        "default_acl": "private",
        "querystring_auth": True,
        "querystring_expire": int(environ.get("S3_URL_EXPIRE") or 300),
        "file_overwrite": False,  # like the local disk: a second upload of a name gets a new name
        "signature_version": "s3v4",
        "addressing_style": environ.get("S3_ADDRESSING_STYLE") or None,  # "virtual" for OSS, "path" for MinIO
        "location": environ.get("S3_PREFIX", ""),
    }
    if environ.get("S3_CUSTOM_DOMAIN"):
        # A CDN domain in front of the bucket: URLs on it are not signed (django-storages), so use it
        # only when that domain authenticates by itself.
        options["custom_domain"] = environ["S3_CUSTOM_DOMAIN"]
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


# Uploaded files: "local" (MEDIA_ROOT) or "s3". Code reads and writes them only through
# default_storage / FileField, never through filesystem paths.
STORAGE_BACKEND = env("STORAGE_BACKEND", "local")
if STORAGE_BACKEND == "s3":
    import os as _os

    STORAGES["default"] = s3_storage(_os.environ)
elif STORAGE_BACKEND != "local":
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"STORAGE_BACKEND must be 'local' or 's3', not {STORAGE_BACKEND!r}.")

# manage.py backup: where the archives go and how many are kept (older ones are deleted).
BACKUP_DIR = Path(env("BACKUP_DIR", str(DATA_DIR / "backups")))
BACKUP_KEEP = int(env("BACKUP_KEEP", "14"))
# Upload limits, set deliberately (core/security.py enforces MAX_REQUEST_BYTES before anything reads
# the body; each upload kind has its own, smaller limit where its content is sniffed):
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024  # a request body without its files (forms, JSON)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024  # larger uploaded files are streamed to a temporary file
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000  # the largest bulk forms (attendance, grades, rolls) stay well below
DATA_UPLOAD_MAX_NUMBER_FILES = 20  # the most files one form takes (feed photos, task reports) is 9

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
# Audit rows are kept this many days (网络安全法 Art. 21: at least six months; below 183 is
# refused), then `manage.py audit_archive` moves whole days to compressed files in this folder.
AUDIT_RETENTION_DAYS = int(env("AUDIT_RETENTION_DAYS", "365"))
AUDIT_ARCHIVE_DIR = Path(env("AUDIT_ARCHIVE_DIR", str(DATA_DIR / "audit-archive")))

# Demo accounts: password from the environment; seeding refuses to create them with DEBUG off
# unless explicitly allowed (a benchmark or a staging site).
DEMO_PASSWORD = env("CLOUDBRANCH_DEMO_PASSWORD", "demo12345")
DEMO_ALLOW_WITHOUT_DEBUG = env_bool("CLOUDBRANCH_DEMO_ALLOW", False)

# Imports above this many rows run as a background task; smaller ones still go through the
# task queue but finish within the request when the immediate backend is configured.
IMPORT_MAX_ROWS = int(env("IMPORT_MAX_ROWS", "50000"))
# A roster import preview can be confirmed for this long; after that it must be uploaded again.
IMPORT_PREVIEW_TTL_HOURS = float(env("IMPORT_PREVIEW_TTL_HOURS") or 24)
# Learning: largest uploaded video/audio/PDF (bytes); the web server in front must accept it too.
LEARNING_MAX_UPLOAD_BYTES = int(env("LEARNING_MAX_UPLOAD_BYTES") or 500 * 1024 * 1024)
# Protection (cloudbranch/core/security.py): bodies above this are refused (413) before being read.
MAX_REQUEST_BYTES = int(env("MAX_REQUEST_BYTES") or LEARNING_MAX_UPLOAD_BYTES + 10 * 1024 * 1024)
# Content-Security-Policy: scripts only from us or with the request's nonce. Extra sources by
# environment, e.g. CSP_FRAME_SRC=https://live.example.edu.cn for an embedded stream.
CSP_ENABLED = env_bool("CSP_ENABLED", True)
CSP_REPORT_ONLY = env_bool("CSP_REPORT_ONLY", False)
CSP_EXTRA_SOURCES = {
    directive: env_list(f"CSP_{directive.upper().replace('-', '_')}", "")
    for directive in ("script-src", "style-src", "img-src", "connect-src", "media-src", "frame-src")
    if env_list(f"CSP_{directive.upper().replace('-', '_')}", "")
}
PERMISSIONS_POLICY = env("PERMISSIONS_POLICY", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
# Rate limits: (requests, window in seconds); 0 requests switches one off. A benchmark run sets
# RATE_LIMIT_ENABLED=0 (all its clients share one user and one IP).
RATE_LIMIT_ENABLED = env_bool("RATE_LIMIT_ENABLED", True)
API_RATE_LIMIT_USER = (int(env("API_RATE_LIMIT_USER") or 600), 60)  # per token or signed-in user
API_RATE_LIMIT_ANON = (int(env("API_RATE_LIMIT_ANON") or 60), 60)  # per IP without credentials
ANON_POST_RATE_LIMIT = (int(env("ANON_POST_RATE_LIMIT") or 60), 60)  # backstop: every visitor POST, per IP
# Mobile members: from this month on, members without this year's report are reminded.
DEVELOPMENT_MOBILE_REPORT_REMIND_MONTH = int(env("DEVELOPMENT_MOBILE_REPORT_REMIND_MONTH") or 11)
# Account activation and password reset: where one-time codes go (dotted paths of
# cloudbranch.onboarding.channels.CodeChannel; the console channel only logs them, for trials),
# and the site's public address written into invitations.
ONBOARDING_CODE_CHANNELS = env_list("ONBOARDING_CODE_CHANNELS", "cloudbranch.onboarding.channels.ConsoleCodeChannel")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")
# Intake rounds (春季/秋季发展): the two months whose last day judges eligibility, and the day of
# the round month from which each branch is sent its lists.
DEVELOPMENT_INTAKE_MONTHS = tuple(int(m) for m in env_list("DEVELOPMENT_INTAKE_MONTHS", "4,10"))
DEVELOPMENT_INTAKE_SEND_DAY = int(env("DEVELOPMENT_INTAKE_SEND_DAY") or 1)
# The public portal (/public/) shows this root unit (its code); empty: the first root.
PUBLIC_PORTAL_UNIT_CODE = env("PUBLIC_PORTAL_UNIT_CODE") or ""

# Single sign-on with the university's 统一身份认证 (cloudbranch/accounts/sso/): "" (off), "cas" or
# "oidc"; SSO_PROVIDER_CLASS (a dotted path to an SsoProvider) plugs in another one.
SSO_PROVIDER = env("SSO_PROVIDER", "")
SSO_PROVIDER_CLASS = env("SSO_PROVIDER_CLASS", "")
SSO_BUTTON_LABEL = env("SSO_BUTTON_LABEL", "统一身份认证登录")
SSO_ONLY = env_bool("SSO_ONLY", False)  # hide the password form unless ?local=1 (break-glass administrators)
SSO_CALLBACK_URL = env("SSO_CALLBACK_URL", "")  # our public callback URL when a proxy hides it; "" = from the request
SSO_LOGOUT_REDIRECT = env_bool("SSO_LOGOUT_REDIRECT", False)  # CAS: logging out here also logs out of CAS
CAS_SERVER_URL = env("CAS_SERVER_URL", "")  # e.g. https://cas.example.edu.cn/cas
CAS_VERSION = int(env("CAS_VERSION", "3"))  # 2: /serviceValidate, 3: /p3/serviceValidate
CAS_USER_ATTRIBUTE = env("CAS_USER_ATTRIBUTE", "user")  # "user" = cas:user, else the attribute's name
OIDC_ISSUER = env("OIDC_ISSUER", "")  # discovery at <issuer>/.well-known/openid-configuration
OIDC_CLIENT_ID = env("OIDC_CLIENT_ID", "")
OIDC_CLIENT_SECRET = env("OIDC_CLIENT_SECRET", "")
OIDC_SCOPES = env("OIDC_SCOPES", "openid profile")
OIDC_USER_CLAIM = env("OIDC_USER_CLAIM", "preferred_username")  # the student/staff number
AUTHENTICATION_BACKENDS.append("cloudbranch.accounts.sso.SsoBackend")  # answers only SSO logins
TEMPLATES[0]["OPTIONS"]["context_processors"].append("cloudbranch.accounts.sso.context_processors.sso")
if SSO_LOGOUT_REDIRECT:
    LOGOUT_REDIRECT_URL = "sso:logged_out"  # then on to the provider's logout

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
