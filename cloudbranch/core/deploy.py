"""Production configuration files, generated from parameters (``manage.py deploy_config``).

Nothing here reads or changes the running site: each function returns the text of one file. The
files are what docs/deploy.md describes; a test syntax-checks them (``nginx -t``, ``systemd-analyze
verify``) and starts gunicorn behind nginx on loopback with them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

# Jobs of the nightly timer, in order. The backup runs first, on the data as the day left it; a
# failing job (prefix "-") does not stop the ones after it, and each one logs to the journal.
NIGHTLY_JOBS = (
    "backup",
    "tasks_recover",
    "metrics_recompute --full",
    "warnings_refresh",
    "audit_archive",
    "import_previews_expire",
    "compliance_warnings",
    "dues_arrears",
    "development_reminders",
    "learning_reminders",
    "task_reminders",
    "publish_scheduled --reminders",
)
# Jobs of the every-five-minutes timer.
FREQUENT_JOBS = (
    "metrics_recompute",
    "warnings_refresh",
    "expire_dues_orders",
    "expire_attempts",
    "publish_scheduled",
)

# Every setting the environment file documents: (name, example value or "", comment). Commented
# out when the example is empty or the default fits most sites.
ENV_SETTINGS: tuple[tuple[str, str, str, bool], ...] = (
    # name, value, comment, required
    ("CLOUDBRANCH_ENV", "prod", "settings module (cloudbranch/settings/prod.py): DEBUG off, HTTPS only", True),
    ("CLOUDBRANCH_DATA_DIR", "{data_dir}", "generated keys, static/ (collectstatic), media/, backups/", True),
    ("SECRET_KEY", "", "long random string: python3 -c 'import secrets; print(secrets.token_urlsafe(50))'", True),
    (
        "FIELD_ENCRYPTION_KEYS",
        "",
        "Fernet keys for ID numbers, comma-separated, first encrypts; keep a copy outside the server, "
        "without them the ID numbers are lost (Fernet.generate_key())",
        True,
    ),
    (
        "FIELD_HASH_KEY",
        "",
        "key of the ID-number search hash; never change it without rotate_field_keys --rehash",
        True,
    ),
    ("ALLOWED_HOSTS", "{domain}", "host names the site answers to, comma-separated", True),
    ("CSRF_TRUSTED_ORIGINS", "https://{domain}", "the site's origin(s)", True),
    ("DATABASE_URL", "postgresql://cloudbranch:PASSWORD@127.0.0.1:5432/cloudbranch", "PostgreSQL", True),
    ("CONN_MAX_AGE", "60", "seconds a database connection is kept (health-checked before reuse)", False),
    ("REDIS_URL", "redis://127.0.0.1:6379/0", "cache, sessions and rate-limit counters (needed with >1 host)", True),
    ("HTTPS", "1", "0 only for a loopback benchmark: no secure cookies, redirect or HSTS", False),
    ("SECURE_SSL_REDIRECT", "1", "redirect http to https in Django too (nginx already does)", False),
    ("STORAGE_BACKEND", "local", "uploaded files: local (CLOUDBRANCH_DATA_DIR/media) or s3", False),
    ("S3_BUCKET", "", "bucket name (STORAGE_BACKEND=s3)", False),
    (
        "S3_ENDPOINT_URL",
        "",
        "e.g. https://oss-cn-hangzhou.aliyuncs.com, https://cos.ap-beijing.myqcloud.com, MinIO",
        False,
    ),
    ("S3_ACCESS_KEY_ID", "", "access key", False),
    ("S3_SECRET_ACCESS_KEY", "", "secret key", False),
    ("S3_REGION", "", "region name", False),
    ("S3_ADDRESSING_STYLE", "", "virtual (OSS, COS) or path (MinIO)", False),
    ("S3_PREFIX", "", "key prefix inside the bucket", False),
    ("S3_URL_EXPIRE", "300", "seconds a signed URL is valid", False),
    ("S3_CUSTOM_DOMAIN", "", "CDN domain in front of the bucket (its URLs are not signed)", False),
    ("BACKUP_DIR", "{data_dir}/backups", "where manage.py backup writes (put it on another disk)", False),
    ("BACKUP_KEEP", "14", "number of backups kept; older ones are deleted", False),
    ("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend", "outgoing mail", False),
    ("EMAIL_HOST", "localhost", "SMTP server", False),
    ("EMAIL_PORT", "25", "SMTP port", False),
    ("DEFAULT_FROM_EMAIL", "云端支部 <noreply@{domain}>", "sender", False),
    ("NOTIFICATION_CHANNELS", "", "extra channel classes, comma-separated (SMS, WeChat)", False),
    ("LOG_FORMAT", "json", "json or plain (journald keeps either)", False),
    ("LOG_LEVEL", "INFO", "root log level", False),
    ("SESSION_COOKIE_AGE", "28800", "seconds", False),
    ("AXES_FAILURE_LIMIT", "5", "failed logins before lockout", False),
    ("AXES_COOLOFF_HOURS", "0.5", "lockout duration", False),
    ("AUDIT_DB_GUARD", "1", "database triggers refusing UPDATE/DELETE of audit rows", False),
    ("IMPORT_MAX_ROWS", "50000", "largest Excel import", False),
    ("LEARNING_MAX_UPLOAD_BYTES", "524288000", "largest upload; regenerate the nginx config after changing it", False),
    ("PUBLIC_PORTAL_UNIT_CODE", "", "root unit shown on /public/", False),
    ("FEES_PROVIDERS", "", "payment provider classes, comma-separated", False),
    ("TRUSTED_PROXIES", "127.0.0.1,::1", "proxies whose X-Forwarded-For is believed (nginx on this host)", False),
    ("SITE_URL", "https://{domain}", "public address written into invitations", True),
    (
        "ONBOARDING_CODE_CHANNELS",
        "cloudbranch.onboarding.channels.EmailCodeChannel",
        "where activation and reset codes go: the SMS gateway's channel class and/or e-mail (never console)",
        True,
    ),
    ("TWO_FACTOR_MANDATORY", "1", "TOTP required for administrators, secretaries and the three duties", False),
    ("IDLE_TIMEOUT_MINUTES", "30", "log out after this long without a request", False),
    ("PASSWORD_MAX_AGE_DAYS", "180", "password expiry in days (0: never)", False),
    ("SSO_PROVIDER", "", "cas or oidc: the university's single sign-on (see docs/deploy.md)", False),
    ("CAS_SERVER_URL", "", "e.g. https://cas.example.edu.cn/cas (SSO_PROVIDER=cas)", False),
    ("OIDC_ISSUER", "", "the identity provider's issuer URL (SSO_PROVIDER=oidc)", False),
    ("OIDC_CLIENT_ID", "", "client id registered with the identity provider", False),
    ("OIDC_CLIENT_SECRET", "", "its secret", False),
    ("AUDIT_RETENTION_DAYS", "365", "audit events older than this are archived nightly (at least 183)", False),
    (
        "AUDIT_ARCHIVE_DIR",
        "{data_dir}/audit-archive",
        "where archived audit days are written (copy them off the server)",
        False,
    ),
    ("RATE_LIMIT_ENABLED", "1", "429 beyond the API and anonymous-POST limits", False),
    ("CSP_REPORT_ONLY", "0", "1: report Content-Security-Policy violations without blocking", False),
    ("DEVELOPMENT_INTAKE_MONTHS", "4,10", "the spring and autumn intake months", False),
)


@dataclass
class DeployParams:
    domain: str = "dangjian.example.edu.cn"
    user: str = "cloudbranch"
    group: str = "cloudbranch"
    app_dir: Path = Path("/opt/cloudbranch")
    venv: Path | None = None  # default: app_dir/.venv
    data_dir: Path = Path("/var/lib/cloudbranch")
    env_file: Path = Path("/etc/cloudbranch/cloudbranch.env")
    workers: int = 4
    threads: int = 1
    socket: str = "/run/cloudbranch/gunicorn.sock"  # a unix socket path, or "" to use port
    host: str = "127.0.0.1"
    port: int = 8000
    upstreams: list[str] = field(default_factory=list)  # extra gunicorn hosts "10.0.0.2:8000" (scale out)
    http_port: int = 80
    https_port: int = 443
    listen_address: str = ""  # "" = every address; "127.0.0.1" for the loopback test
    cert: Path = Path("/etc/letsencrypt/live/dangjian.example.edu.cn/fullchain.pem")
    cert_key: Path = Path("/etc/letsencrypt/live/dangjian.example.edu.cn/privkey.pem")
    static_root: Path | None = None  # default: settings.STATIC_ROOT of the data dir
    max_body_bytes: int | None = None  # default: settings.LEARNING_MAX_UPLOAD_BYTES
    nightly_at: str = "02:30"
    timeout: int = 120

    def __post_init__(self):
        self.app_dir = Path(self.app_dir)
        self.data_dir = Path(self.data_dir)
        self.venv = Path(self.venv) if self.venv else self.app_dir / ".venv"
        self.static_root = Path(self.static_root) if self.static_root else self.data_dir / "static"
        if self.max_body_bytes is None:
            self.max_body_bytes = settings.LEARNING_MAX_UPLOAD_BYTES

    @property
    def bind(self) -> str:
        return f"unix:{self.socket}" if self.socket else f"{self.host}:{self.port}"

    @property
    def manage(self) -> str:
        return f"{self.venv}/bin/python {self.app_dir}/manage.py"


def _service_common(p: DeployParams) -> str:
    return f"""User={p.user}
Group={p.group}
WorkingDirectory={p.app_dir}
EnvironmentFile={p.env_file}
Environment=PYTHONUNBUFFERED=1
# Hardening: the code is read-only to the service; only the data directory is writable.
NoNewPrivileges=true
PrivateTmp=true
ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths={p.data_dir}
"""


def web_service(p: DeployParams) -> str:
    runtime = ""
    if p.socket:
        # /run/cloudbranch/ is created for the socket; nginx (another user) must reach it.
        runtime = "RuntimeDirectory=cloudbranch\nRuntimeDirectoryMode=0755\n"
    return f"""# cloudbranch-web.service: the application (gunicorn, {p.workers} worker processes).
# Generated by `manage.py deploy_config`; see docs/deploy.md.
[Unit]
Description=CloudBranch web application (gunicorn)
After=network-online.target postgresql.service redis-server.service
Wants=network-online.target

[Service]
Type=notify
NotifyAccess=main
{_service_common(p)}{runtime}ExecStart={p.venv}/bin/gunicorn cloudbranch.wsgi:application \\
    --bind {p.bind} --workers {p.workers} --threads {p.threads} --timeout {p.timeout} \\
    --max-requests 2000 --max-requests-jitter 200 --access-logfile - --error-logfile -
ExecReload=/bin/kill -HUP $MAINPID
KillMode=mixed
TimeoutStopSec=30
Restart=on-failure
RestartSec=2

[Install]
WantedBy=multi-user.target
"""


def worker_service(p: DeployParams) -> str:
    return f"""# cloudbranch-worker.service: the background task worker (notifications, imports, reminders).
# Run more on this or other hosts to scale out: every worker takes tasks from the database queue.
# Generated by `manage.py deploy_config`; see docs/deploy.md.
[Unit]
Description=CloudBranch background task worker (django-tasks db_worker)
After=network-online.target postgresql.service redis-server.service
Wants=network-online.target

[Service]
Type=simple
{_service_common(p)}ExecStart={p.manage} db_worker --no-reload
KillSignal=SIGTERM
TimeoutStopSec=60
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target
"""


def _job_service(p: DeployParams, name: str, description: str, jobs: tuple[str, ...]) -> str:
    lines = "\n".join(f"ExecStart=-{p.manage} {job}" for job in jobs)
    return f"""# {name}.service: {description}; started by {name}.timer.
# Each job runs in turn; one failing ("-") does not stop the others. journalctl -u {name} shows them.
# Generated by `manage.py deploy_config`; see docs/deploy.md.
[Unit]
Description=CloudBranch {description}
After=network-online.target postgresql.service redis-server.service

[Service]
Type=oneshot
{_service_common(p)}{lines}
"""


def nightly_service(p: DeployParams) -> str:
    return _job_service(p, "cloudbranch-nightly", "nightly jobs (backup, full recompute, reminders)", NIGHTLY_JOBS)


def nightly_timer(p: DeployParams) -> str:
    return f"""# cloudbranch-nightly.timer: runs cloudbranch-nightly.service every night at {p.nightly_at}.
[Unit]
Description=CloudBranch nightly jobs

[Timer]
OnCalendar=*-*-* {p.nightly_at}:00
Persistent=true
RandomizedDelaySec=5min

[Install]
WantedBy=timers.target
"""


def frequent_service(p: DeployParams) -> str:
    return _job_service(
        p, "cloudbranch-frequent", "jobs every five minutes (figures, warnings, expiries)", FREQUENT_JOBS
    )


def frequent_timer(p: DeployParams) -> str:
    return """# cloudbranch-frequent.timer: runs cloudbranch-frequent.service every five minutes.
[Unit]
Description=CloudBranch jobs every five minutes

[Timer]
OnCalendar=*:0/5
AccuracySec=30s

[Install]
WantedBy=timers.target
"""


def env_file(p: DeployParams) -> str:
    out = [
        "# /etc/cloudbranch/cloudbranch.env: the settings of every CloudBranch service (systemd EnvironmentFile).",
        "# Mode 0640, owner root, group cloudbranch: it holds secrets. Lines starting with # are defaults",
        "# or optional; fill in every uncommented line marked CHANGE. See README.md (Configuration).",
        "",
    ]
    for name, value, comment, required in ENV_SETTINGS:
        value = value.format(domain=p.domain, data_dir=p.data_dir)
        out.append(f"# {comment}")
        if required:
            out.append(f"{name}={value or 'CHANGE'}")
        else:
            out.append(f"#{name}={value}")
        out.append("")
    return "\n".join(out)


def _size(n: int) -> str:
    """nginx size syntax: whole mebibytes as "500m", else bytes."""
    return f"{n // (1024 * 1024)}m" if n % (1024 * 1024) == 0 else str(n)


def nginx_site(p: DeployParams) -> str:
    listen = f"{p.listen_address}:" if p.listen_address else ""
    listen6 = not p.listen_address
    https_suffix = "" if p.https_port == 443 else f":{p.https_port}"
    servers = [
        f"    server unix:{p.socket} fail_timeout=0;" if p.socket else f"    server {p.host}:{p.port} fail_timeout=0;"
    ]
    servers += [f"    server {u} fail_timeout=0;" for u in p.upstreams]
    v6_http = f"    listen [::]:{p.http_port};\n" if listen6 else ""
    v6_https = f"    listen [::]:{p.https_port} ssl http2;\n" if listen6 else ""
    return f"""# nginx site for CloudBranch ({p.domain}). Generated by `manage.py deploy_config`; see docs/deploy.md.
# Security headers (HSTS, CSP, frame options, nosniff) come from Django, not from here.

upstream cloudbranch_app {{
{chr(10).join(servers)}
    keepalive 16;
}}

# Plain HTTP: only the ACME challenge (certificate renewal) and a redirect to HTTPS.
server {{
    listen {listen}{p.http_port};
{v6_http}    server_name {p.domain};
    server_tokens off;

    location /.well-known/acme-challenge/ {{
        root /var/www/letsencrypt;
    }}
    location / {{
        return 301 https://$host{https_suffix}$request_uri;
    }}
}}

server {{
    listen {listen}{p.https_port} ssl http2;
{v6_https}    server_name {p.domain};
    server_tokens off;

    ssl_certificate {p.cert};
    ssl_certificate_key {p.cert_key};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers off;
    ssl_session_cache shared:cloudbranch_tls:10m;
    ssl_session_timeout 1d;
    ssl_session_tickets off;

    # The largest upload the application accepts (LEARNING_MAX_UPLOAD_BYTES).
    client_max_body_size {_size(p.max_body_bytes)};

    gzip on;
    gzip_vary on;
    gzip_proxied any;
    gzip_min_length 1024;
    gzip_types text/plain text/css text/javascript application/javascript application/json application/xml image/svg+xml;

    # Collected static files (collectstatic): fingerprinted names, so they may be cached for a year.
    # whitenoise wrote .gz copies next to them.
    location /static/ {{
        alias {p.static_root}/;
        gzip_static on;
        expires 1y;
        add_header Cache-Control "public, max-age=31536000, immutable";
        access_log off;
    }}

    # Uploaded files are never served from disk: the application checks permissions and streams them.
    location /media/ {{
        return 404;
    }}

    location / {{
        proxy_pass http://cloudbranch_app;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Request-Id $request_id;
        proxy_redirect off;
        proxy_read_timeout {p.timeout}s;
        proxy_connect_timeout 5s;
        proxy_next_upstream error timeout;
    }}
}}
"""


def render_all(p: DeployParams) -> dict[str, str]:
    """File name -> content of every generated file."""
    return {
        "cloudbranch-web.service": web_service(p),
        "cloudbranch-worker.service": worker_service(p),
        "cloudbranch-nightly.service": nightly_service(p),
        "cloudbranch-nightly.timer": nightly_timer(p),
        "cloudbranch-frequent.service": frequent_service(p),
        "cloudbranch-frequent.timer": frequent_timer(p),
        "cloudbranch.env": env_file(p),
        "nginx-cloudbranch.conf": nginx_site(p),
    }


def write_all(p: DeployParams, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_all(p).items():
        path = out / name
        path.write_text(text, encoding="utf-8")
        if name.endswith(".env"):
            path.chmod(0o640)
        written.append(path)
    return written
