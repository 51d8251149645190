"""The production configuration (manage.py deploy_config): generated, syntax-checked by nginx and
systemd, then the stack itself — gunicorn running the generated unit's command with the prod
settings, nginx in front with the generated site and a self-signed certificate — started on
loopback and asked for pages over HTTPS. ``make test`` runs the stack test as its own step
("stack"); it skips when nginx is not installed (scripts/system-deps.sh installs it)."""

import datetime
import io
import ipaddress
import os
import pwd
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from cloudbranch.core.deploy import ENV_SETTINGS, FREQUENT_JOBS, NIGHTLY_JOBS, DeployParams, render_all, write_all

BASE = Path(settings.BASE_DIR)
VENV = Path(sys.prefix)
STATIC_SOURCE = BASE / "cloudbranch" / "core" / "static"
MIB = 1024 * 1024


def _nginx() -> str | None:
    return shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _exec_start(unit_text: str) -> list[str]:
    """The command line of a unit's ExecStart (continuation lines joined)."""
    joined = unit_text.replace("\\\n", " ")
    line = next(ln for ln in joined.splitlines() if ln.startswith("ExecStart="))
    return shlex.split(line.removeprefix("ExecStart=").lstrip("-"))


def test_deploy_config_writes_every_file(tmp_path):
    out = tmp_path / "out"
    stdout = io.StringIO()
    call_command(
        "deploy_config",
        "--out",
        str(out),
        "--domain",
        "dj.example.edu.cn",
        "--workers",
        "3",
        "--port",
        "8100",
        "--upstream",
        "10.0.0.2:8000",
        stdout=stdout,
    )
    files = {p.name: p.read_text() for p in out.iterdir()}
    assert set(files) == {
        "cloudbranch-web.service",
        "cloudbranch-worker.service",
        "cloudbranch-nightly.service",
        "cloudbranch-nightly.timer",
        "cloudbranch-frequent.service",
        "cloudbranch-frequent.timer",
        "cloudbranch.env",
        "nginx-cloudbranch.conf",
    }
    web = files["cloudbranch-web.service"]
    assert "--bind 127.0.0.1:8100 --workers 3" in web and "EnvironmentFile=/etc/cloudbranch/cloudbranch.env" in web
    assert _exec_start(web)[:2] == ["/opt/cloudbranch/.venv/bin/gunicorn", "cloudbranch.wsgi:application"]
    assert _exec_start(files["cloudbranch-worker.service"])[-2:] == ["db_worker", "--no-reload"]
    nightly = files["cloudbranch-nightly.service"]
    for job in NIGHTLY_JOBS:
        assert f"manage.py {job}\n" in nightly
    assert {"backup", "metrics_recompute --full", "warnings_refresh", "audit_archive"} <= set(NIGHTLY_JOBS)
    for job in FREQUENT_JOBS:
        assert f"manage.py {job}\n" in files["cloudbranch-frequent.service"]
    assert "OnCalendar=*-*-* 02:30:00" in files["cloudbranch-nightly.timer"]

    env = files["cloudbranch.env"]
    for name, *_ in ENV_SETTINGS:
        assert f"{name}=" in env
    assert "ALLOWED_HOSTS=dj.example.edu.cn" in env
    assert (out / "cloudbranch.env").stat().st_mode & 0o777 == 0o640

    site = files["nginx-cloudbranch.conf"]
    assert f"client_max_body_size {settings.LEARNING_MAX_UPLOAD_BYTES // MIB}m;" in site
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in site
    assert "server 127.0.0.1:8100 fail_timeout=0;" in site and "server 10.0.0.2:8000 fail_timeout=0;" in site
    assert "ssl_certificate /etc/letsencrypt/live/dj.example.edu.cn/fullchain.pem;" in site
    assert "return 301 https://$host$request_uri;" in site
    assert "alias /var/lib/cloudbranch/static/;" in site and "expires 1y;" in site
    assert "gzip on;" in site
    assert "add_header Strict-Transport-Security" not in site  # left to Django


def test_systemd_units_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze not installed")
    user = pwd.getpwuid(os.getuid()).pw_name
    params = DeployParams(user=user, group=user, app_dir=BASE, venv=VENV, data_dir=tmp_path / "data")
    units = [p for p in write_all(params, tmp_path / "units") if p.suffix in {".service", ".timer"}]
    result = subprocess.run([analyze, "verify", *map(str, units)], capture_output=True, text=True, timeout=60)
    problems = [ln for ln in (result.stdout + result.stderr).splitlines() if "cloudbranch" in ln]
    assert result.returncode == 0 and not problems, result.stdout + result.stderr


def _self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def _nginx_main(prefix: Path, site: Path) -> Path:
    """A minimal main config around the generated site: everything under ``prefix``."""
    temp = "\n".join(
        f"    {kind}_temp_path {prefix}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read the files under /tmp
    conf = prefix / "nginx.conf"
    conf.write_text(
        f"""{user}daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {prefix}/access.log;
{temp}
    include {site};
}}
"""
    )
    return conf


def _wait_for(url: str, proc: subprocess.Popen, log: Path, timeout: float = 30.0, **kwargs):
    import requests

    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            pytest.fail(f"{proc.args[0]} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            return requests.get(url, timeout=5, **kwargs)
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or a worker still booting
            if time.monotonic() > deadline:
                pytest.fail(f"{url} did not answer within {timeout} s:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)


def _stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.mark.slow  # its own step in make test ("stack"), one process, not in the parallel pass
# transaction=True: the test database must be set up (pytest-django sets it up only for tests that
# ask), and copied from a connection outside any transaction.
@pytest.mark.django_db(transaction=True)
def test_stack_on_loopback_serves_pages_through_nginx_over_https(tmp_path):
    nginx = _nginx()
    if not nginx:
        pytest.skip("nginx not installed (scripts/system-deps.sh installs it)")
    if connection.vendor != "sqlite":
        pytest.skip("the stack test copies the migrated SQLite test database")
    import requests
    from urllib3.exceptions import InsecureRequestWarning

    data = tmp_path / "data"
    data.mkdir()
    # The migrated test database, copied into the data directory (instead of migrating anew).
    connection.ensure_connection()
    target = sqlite3.connect(data / "cloudbranch.sqlite3")
    connection.connection.backup(target)
    assert target.execute("SELECT COUNT(*) FROM django_migrations").fetchone()[0] > 50  # migrated
    target.close()
    # Collected static files with the production storage (manifest + .gz copies), as collectstatic
    # would write them on a server.
    from django.test import override_settings

    prod_static = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=data / "static", STORAGES=prod_static):
        call_command("collectstatic", "--noinput", verbosity=0)

    cert, key = _self_signed(tmp_path)
    app_port, http_port, https_port = _free_port(), _free_port(), _free_port()
    params = DeployParams(
        domain="localhost",
        user="root",
        app_dir=BASE,
        venv=VENV,
        data_dir=data,
        workers=1,
        socket="",
        port=app_port,
        http_port=http_port,
        https_port=https_port,
        listen_address="127.0.0.1",
        cert=cert,
        cert_key=key,
        max_body_bytes=MIB,
    )
    files = render_all(params)
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    site = prefix / "site.conf"
    site.write_text(files["nginx-cloudbranch.conf"])
    main = _nginx_main(prefix, site)

    checked = subprocess.run(
        [nginx, "-t", "-q", "-e", str(prefix / "error.log"), "-p", str(prefix), "-c", str(main)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 0, checked.stderr

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "PYTEST"))},
        "CLOUDBRANCH_ENV": "prod",
        "DJANGO_SETTINGS_MODULE": "cloudbranch.settings.prod",
        "CLOUDBRANCH_DATA_DIR": str(data),
        "SECRET_KEY": "stack-test-only-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789",
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "CSRF_TRUSTED_ORIGINS": f"https://localhost:{https_port}",
        "AUDIT_DB_GUARD": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    app_log, nginx_log = tmp_path / "gunicorn.log", prefix / "error.log"
    app = web = None
    try:
        with open(app_log, "wb") as log:
            app = subprocess.Popen(
                _exec_start(files["cloudbranch-web.service"]), cwd=BASE, env=env, stdout=log, stderr=log
            )
        with open(prefix / "stdout.log", "wb") as log:
            web = subprocess.Popen(
                [nginx, "-e", str(nginx_log), "-p", str(prefix), "-c", str(main)], stdout=log, stderr=log
            )
        base = f"https://localhost:{https_port}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InsecureRequestWarning)
            _wait_for(f"http://127.0.0.1:{app_port}/healthz", app, app_log, headers={"X-Forwarded-Proto": "https"})
            health = _wait_for(f"{base}/healthz", web, nginx_log, verify=False)
            assert health.status_code == 200, health.text
            assert health.json() == {"status": "ok", "database": "ok"}
            # Django saw HTTPS through X-Forwarded-Proto: it sends HSTS and secure cookies.
            assert health.headers["Strict-Transport-Security"].startswith("max-age=31536000")
            assert health.headers["Server"] == "nginx"

            login = requests.get(f"{base}/accounts/login/", verify=False, timeout=10)
            assert login.status_code == 200
            assert "登录" in login.text and 'name="csrfmiddlewaretoken"' in login.text
            assert "Secure" in login.headers["Set-Cookie"]

            css = requests.get(f"{base}/static/cloudbranch/app.css", verify=False, timeout=10)
            assert css.status_code == 200
            assert css.content == (STATIC_SOURCE / "cloudbranch" / "app.css").read_bytes()
            assert "immutable" in css.headers["Cache-Control"]
            assert not (tmp_path / "gunicorn.log").read_text().count("/static/")  # nginx served it, not Django

            plain = requests.get(f"http://localhost:{http_port}/accounts/login/", allow_redirects=False, timeout=10)
            assert plain.status_code == 301
            assert plain.headers["Location"] == f"{base}/accounts/login/"

            # A login attempt goes through CSRF (Secure cookie over HTTPS, Referer checked) and the
            # database copy: wrong password, the form again (not a 403 or a 500).
            session = requests.Session()
            page = session.get(f"{base}/accounts/login/", verify=False, timeout=10)
            token = page.text.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
            attempt = session.post(
                f"{base}/accounts/login/",
                data={"csrfmiddlewaretoken": token, "username": "nobody", "password": "wrong-password-1"},
                headers={"Referer": f"{base}/accounts/login/"},
                verify=False,
                timeout=10,
            )
            assert attempt.status_code == 200, attempt.status_code
            assert 'name="username"' in attempt.text

            too_big = requests.post(f"{base}/accounts/login/", data=b"x" * (2 * MIB), verify=False, timeout=10)
            assert too_big.status_code == 413  # client_max_body_size, refused by nginx
    finally:
        _stop(web)
        _stop(app)
    assert app.returncode is not None and web.returncode is not None
