"""Write the production configuration: systemd units, the environment file template, nginx site."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cloudbranch.core.deploy import DeployParams, write_all


class Command(BaseCommand):
    help = "Generate systemd units, an environment file template and the nginx site config into --out."

    def add_arguments(self, parser):
        d = DeployParams.__dataclass_fields__
        parser.add_argument("--out", required=True, help="directory to write the files to")
        parser.add_argument("--domain", default=d["domain"].default)
        parser.add_argument("--user", default=d["user"].default, help="system user running the services")
        parser.add_argument("--group", default=None, help="its group (default: the user's name)")
        parser.add_argument("--app-dir", default=str(d["app_dir"].default), help="checkout of the code")
        parser.add_argument("--venv", default=None, help="virtualenv (default: APP_DIR/.venv)")
        parser.add_argument("--data-dir", default=str(d["data_dir"].default), help="CLOUDBRANCH_DATA_DIR")
        parser.add_argument("--env-file", default=str(d["env_file"].default))
        parser.add_argument("--workers", type=int, default=d["workers"].default, help="gunicorn worker processes")
        parser.add_argument("--threads", type=int, default=d["threads"].default, help="threads per gunicorn worker")
        bind = parser.add_mutually_exclusive_group()
        bind.add_argument("--socket", default=d["socket"].default, help="gunicorn unix socket (the default)")
        bind.add_argument("--port", type=int, default=None, help="gunicorn TCP port on --host instead of a socket")
        parser.add_argument("--host", default=d["host"].default, help="gunicorn address with --port")
        parser.add_argument(
            "--upstream", action="append", default=[], help="another gunicorn host:port behind nginx (repeatable)"
        )
        parser.add_argument("--http-port", type=int, default=d["http_port"].default)
        parser.add_argument("--https-port", type=int, default=d["https_port"].default)
        parser.add_argument("--listen-address", default="", help="nginx listen address (default: all)")
        parser.add_argument("--cert", default=None, help="TLS certificate chain (default: Let's Encrypt path)")
        parser.add_argument("--cert-key", default=None, help="TLS private key")
        parser.add_argument("--static-root", default=None, help="collected static files (default: DATA_DIR/static)")
        parser.add_argument("--nightly-at", default=d["nightly_at"].default, help="HH:MM of the nightly jobs")

    def handle(self, *args, **o):
        if o["workers"] < 1 or o["threads"] < 1:
            raise CommandError("--workers and --threads must be at least 1.")
        domain = o["domain"]
        params = DeployParams(
            domain=domain,
            user=o["user"],
            group=o["group"] or o["user"],
            app_dir=Path(o["app_dir"]),
            venv=Path(o["venv"]) if o["venv"] else None,
            data_dir=Path(o["data_dir"]),
            env_file=Path(o["env_file"]),
            workers=o["workers"],
            threads=o["threads"],
            socket="" if o["port"] else o["socket"],
            host=o["host"],
            port=o["port"] or DeployParams.port,
            upstreams=o["upstream"],
            http_port=o["http_port"],
            https_port=o["https_port"],
            listen_address=o["listen_address"],
            cert=Path(o["cert"] or f"/etc/letsencrypt/live/{domain}/fullchain.pem"),
            cert_key=Path(o["cert_key"] or f"/etc/letsencrypt/live/{domain}/privkey.pem"),
            static_root=Path(o["static_root"]) if o["static_root"] else None,
            nightly_at=o["nightly_at"],
        )
        for path in write_all(params, Path(o["out"])):
            self.stdout.write(str(path))
