"""N concurrent clients on one page for a while: client latency, and the server's own time per
request when gunicorn writes it to its access log.

The cockpit figure of docs/performance.md ("root cockpit page under 300 ms of server time at p95
under 8 concurrent clients") is measured with it:

    gunicorn cloudbranch.wsgi:application --workers 2 --bind 127.0.0.1:8300 \\
        --access-logfile /tmp/access.log --access-logformat '%(M)s %(s)s %(U)s'
    .venv/bin/python bench/page_load.py http://127.0.0.1:8300 /cockpit/ \\
        --seconds 30 --clients 8 --access-log /tmp/access.log

It logs in once through the login form (``--user``, password from ``--password`` or
CLOUDBRANCH_DEMO_PASSWORD), warms the page up, then runs ``--clients`` threads that each request
the page as fast as it answers. ``%(M)s`` is gunicorn's request time in milliseconds: only the
log lines written during the timed run and for ``path`` are counted.
"""

import argparse
import os
import re
import statistics
import threading
import time
from pathlib import Path

import requests

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def login(base: str, username: str, password: str) -> dict:
    session = requests.Session()
    form = session.get(f"{base}/accounts/login/", timeout=30)
    token = CSRF.search(form.text)
    if token is None:
        raise SystemExit("no CSRF token on the login page")
    answer = session.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": f"{base}/accounts/login/", "Origin": base},
        allow_redirects=False,
        timeout=30,
    )
    if answer.status_code != 302:
        raise SystemExit(f"login as {username} failed: HTTP {answer.status_code}")
    return session.cookies.get_dict()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def describe(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 0.50):.0f} ms, p95 {percentile(values, 0.95):.0f} ms, "
        f"p99 {percentile(values, 0.99):.0f} ms, max {max(values):.0f} ms, mean {statistics.fmean(values):.0f} ms"
    )


def server_times(log: Path, offset: int, path: str) -> list[float]:
    """Milliseconds of the 200 answers for ``path`` logged after byte ``offset``."""
    out = []
    with log.open(encoding="utf-8", errors="replace") as fh:
        fh.seek(offset)
        for line in fh:
            parts = line.split()
            if len(parts) >= 3 and parts[1] == "200" and parts[2] == path.split("?")[0]:
                out.append(float(parts[0]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base", help="e.g. http://127.0.0.1:8300")
    parser.add_argument("path", help="e.g. /cockpit/")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default=os.environ.get("CLOUDBRANCH_DEMO_PASSWORD", "demo12345"))
    parser.add_argument("--access-log", type=Path, help="gunicorn access log written with '%%(M)s %%(s)s %%(U)s'")
    args = parser.parse_args()

    cookies = login(args.base, args.user, args.password)
    warm = requests.Session()
    warm.cookies.update(cookies)
    started = time.perf_counter()
    first = warm.get(args.base + args.path, timeout=60)
    print(f"first request: {(time.perf_counter() - started) * 1000:.0f} ms, HTTP {first.status_code}")
    for _ in range(3):
        warm.get(args.base + args.path, timeout=60)

    offset = args.access_log.stat().st_size if args.access_log else 0
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + args.seconds

    def client() -> None:
        session = requests.Session()
        session.cookies.update(cookies)
        while time.perf_counter() < deadline:
            t = time.perf_counter()
            try:
                ok = session.get(args.base + args.path, timeout=30).status_code == 200
            except requests.RequestException:
                ok = False
            elapsed = (time.perf_counter() - t) * 1000
            with lock:
                latencies.append(elapsed)
                failures[0] += not ok

    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    print(
        f"{args.clients} clients, {args.seconds:.0f} s: {len(latencies)} requests "
        f"({len(latencies) / args.seconds:.1f}/s), {failures[0]} not 200"
    )
    print(f"client side: {describe(latencies)}")
    if args.access_log:
        time.sleep(0.5)  # let gunicorn flush the last lines
        server = server_times(args.access_log, offset, args.path)
        if server:
            print(f"server time ({len(server)} logged): {describe(server)}")
        else:
            print("server time: no matching lines in the access log (format '%(M)s %(s)s %(U)s'?)")
    raise SystemExit(1 if failures[0] else 0)


if __name__ == "__main__":
    main()
