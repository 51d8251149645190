"""A throwaway redis-server for tests: a free loopback port, no persistence, its own temp dir.

    @pytest.fixture(scope="module")
    def redis_url(tmp_path_factory):
        with redis_server(tmp_path_factory.mktemp("redis")) as url:
            yield url

Skips the test when redis-server is not installed (scripts/system-deps.sh installs it).
"""

import contextlib
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def redis_server(directory: Path, timeout: float = 10.0):
    import redis

    exe = shutil.which("redis-server")
    if not exe:
        pytest.skip("redis-server not installed (scripts/system-deps.sh installs it)")
    port = _free_port()
    log = directory / "redis.log"
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(directory), "--logfile", str(log), "--daemonize", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                pytest.fail(f"redis-server exited with {proc.returncode}: {log.read_text() if log.exists() else ''}")
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    pytest.fail(f"redis-server did not answer on port {port} within {timeout} s")
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
