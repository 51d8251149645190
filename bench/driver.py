"""`make bench` driver: servers, logins, the pair table, the soak and the fault runs.

Started by scripts/bench.sh once the PostgreSQL cluster is up, the database seeded and the static files
collected; it reads the environment that script exports (DATABASE_URL, BENCH_FLOOR_DATABASE_URL,
BENCH_PG_*, BENCH_RUN_DIR, …). Every server it starts listens on 127.0.0.1 and is stopped by PID on exit;
every load is bounded in time (wrk -d, --timeout). Standard library only, plus wrk.
"""

import argparse
import datetime
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV = ROOT / ".venv" / "bin"
RUN = Path(os.environ.get("BENCH_RUN_DIR", "/tmp/cloudbranch-bench/run"))
RESULTS = BENCH / "results"
HOST = "127.0.0.1"
PASSWORD = os.environ.get("CLOUDBRANCH_DEMO_PASSWORD", "demo12345")
FLOOR_USER, FLOOR_PASSWORD = "bench", "bench-floor-pass"
FLOOR_PATHS = {"page": "/items/", "api": "/api/items"}
RSS_GROWTH_LIMIT = 0.15  # soak: worker RSS may grow at most 15 % after the warm-up


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- servers


class Server:
    """A gunicorn master with 2 sync workers (what production runs), on a free loopback port."""

    def __init__(self, name: str, *, wsgi: str, chdir: Path, env: dict | None = None, ready_path: str = "/"):
        self.name, self.wsgi, self.chdir, self.ready_path = name, wsgi, chdir, ready_path
        self.env = {**os.environ, **(env or {})}
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Server":
        logf = open(RESULTS / f"{self.name}.log", "wb")
        cmd = [str(VENV / "gunicorn"), self.wsgi, "--workers", "2", "--bind", f"{HOST}:{self.port}"]
        cmd += ["--chdir", str(self.chdir), "--timeout", "30", "--graceful-timeout", "5", "--log-level", "warning"]
        self.proc = subprocess.Popen(cmd, env=self.env, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
        with open(RUN / "servers.pid", "a") as f:
            f.write(f"{self.proc.pid}\n")
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"bench: {self.name} exited at start; see {RESULTS / (self.name + '.log')}")
            try:
                status, _, _ = request(self.port, "GET", self.ready_path, timeout=5)
                if status < 500:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"bench: {self.name} did not answer on {self.ready_path} within 90 s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def pids(self) -> list[int]:
        """The master and its workers."""
        if not self.proc:
            return []
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        except OSError:
            children = []
        return [self.proc.pid, *map(int, children)]

    def worker_pids(self) -> list[int]:
        return self.pids()[1:]

    def cpu_seconds(self) -> float:
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime
            except (OSError, IndexError):
                pass
        return total / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# ---------------------------------------------------------------- HTTP (logins, preflight, fault probes)


def request(port, method, path, *, headers=None, body=None, timeout=15):
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.getheaders(), resp.read()
    finally:
        conn.close()


def cookies_from(headers) -> dict:
    jar = {}
    for key, value in headers:
        if key.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def cookie_header(jar: dict) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def login(port: int, username: str, password: str) -> dict:
    """Log in through the login form (CSRF cookie + token, Origin/Referer); returns the cookie jar."""
    status, headers, body = request(port, "GET", "/accounts/login/")
    jar = cookies_from(headers)
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or not match or "csrftoken" not in jar:
        raise SystemExit(f"bench: no login form on port {port} (HTTP {status})")
    form = f"csrfmiddlewaretoken={match.group(1).decode()}&username={username}&password={password}"
    origin = f"http://{HOST}:{port}"
    status, headers, body = request(
        port,
        "POST",
        "/accounts/login/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie_header(jar),
            "Origin": origin,
            "Referer": origin + "/accounts/login/",
        },
    )
    jar.update(cookies_from(headers))
    if status != 302 or "sessionid" not in jar:
        raise SystemExit(f"bench: login as {username} on port {port} failed (HTTP {status})")
    return jar


# ---------------------------------------------------------------- wrk


def wrk(url: str, *, seconds: int, connections: int, headers=(), script="stats.lua", env=None) -> dict:
    cmd = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    cmd += ["-s", str(BENCH / "wrk" / script)]
    for h in headers:
        cmd += ["-H", h]
    cmd.append(url)
    out = subprocess.run(
        cmd, capture_output=True, text=True, timeout=seconds + 60, env={**os.environ, **(env or {})}
    ).stdout
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result for {url}:\n{out[-2000:]}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    data["socket_errors"] = data["connect"] + data["read"] + data["write"] + data["timeout"]
    data["bad"] = data["s3xx"] + data["s4xx"] + data["s5xx"] + data["other"] + data["socket_errors"]
    return data


def measured(server: Server, url: str, **kw) -> dict:
    cpu0 = server.cpu_seconds()
    data = wrk(url, **kw)
    data["cpu_s"] = server.cpu_seconds() - cpu0
    return data


# ---------------------------------------------------------------- the pair table


def read_pairs(path: Path, only: set[str]) -> list[dict]:
    pairs = []
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, user, kind, ours = line.split()
        if only and name not in only:
            continue
        pairs.append({"name": name, "user": user, "kind": kind, "path": ours})
    return pairs


def run_pairs(ours: Server, floor: Server, jars: dict, floor_jar: dict, args) -> list[dict]:
    seconds, conns = args.seconds, args.connections
    floor_cookie = f"Cookie: {cookie_header(floor_jar)}"
    for path in FLOOR_PATHS.values():  # warm the floor once: its two URLs are the same for every pair
        wrk(floor.url(path), seconds=2, connections=conns, headers=[floor_cookie])
    rows = []
    pairs = read_pairs(Path(args.pairs), set(filter(None, args.only.split(","))))
    for i, pair in enumerate(pairs, 1):
        cookie = f"Cookie: {cookie_header(jars[pair['user']])}"
        status, _, body = request(ours.port, "GET", pair["path"], headers={"Cookie": cookie.split(": ", 1)[1]})
        row = {**pair, "status": status, "bytes": len(body), "floor_path": FLOOR_PATHS[pair["kind"]]}
        if status != 200:
            log(f"{i}/{len(pairs)} {pair['name']}: {pair['path']} answers {status}, not 200: skipped")
            row["skipped"] = f"HTTP {status}"
            rows.append(row)
            continue
        wrk(ours.url(pair["path"]), seconds=1, connections=conns, headers=[cookie])  # warm-up
        runs = {"floor": [], "ours": []}
        for _ in range(args.rounds):
            runs["floor"].append(
                measured(
                    floor, floor.url(row["floor_path"]), seconds=seconds, connections=conns, headers=[floor_cookie]
                )
            )
            runs["ours"].append(
                measured(ours, ours.url(pair["path"]), seconds=seconds, connections=conns, headers=[cookie])
            )
        row.update(summarize(runs))
        rows.append(row)
        log(
            f"{i}/{len(pairs)} {pair['name']:<18} ratio {row['ratio']:.2f}  p50 {row['p50_ms']:.0f} ms  "
            f"p95 {row['p95_ms']:.0f} ms  errors {row['errors']}"
        )
    return rows


def summarize(runs: dict) -> dict:
    def pooled(side):
        reqs = sum(r["requests"] for r in runs[side])
        secs = sum(r["duration_us"] for r in runs[side]) / 1e6
        cpu = sum(r["cpu_s"] for r in runs[side])
        return reqs / secs, (cpu / reqs * 1000 if reqs else 0)

    floor_rps, floor_cpu = pooled("floor")
    ours_rps, ours_cpu = pooled("ours")
    return {
        "floor_rps": round(floor_rps, 1),
        "ours_rps": round(ours_rps, 1),
        "ratio": round(ours_rps / floor_rps, 3) if floor_rps else 0,
        "per_round": [round(t["rps"] / f["rps"], 3) for f, t in zip(runs["floor"], runs["ours"], strict=True)],
        "cpu_ratio": round(floor_cpu / ours_cpu, 3) if ours_cpu else 0,
        "cpu_ms_floor": round(floor_cpu, 2),
        "cpu_ms_ours": round(ours_cpu, 2),
        "p50_ms": statistics.mean(r["p50"] for r in runs["ours"]) / 1000,
        "p95_ms": statistics.mean(r["p95"] for r in runs["ours"]) / 1000,
        "p99_ms": statistics.mean(r["p99"] for r in runs["ours"]) / 1000,
        "errors": sum(r["bad"] for r in runs["ours"]),
        "errors_detail": {
            k: sum(r[k] for r in runs["ours"]) for k in ("s3xx", "s4xx", "s5xx", "connect", "read", "write", "timeout")
        },
        "floor_errors": sum(r["bad"] for r in runs["floor"]),
    }


def table(rows: list[dict], args) -> str:
    out = [
        f"{args.connections} connections, wrk {args.seconds} s × {args.rounds} rounds (floor, ours, floor, ours), "
        f"scale {os.environ.get('BENCH_SCALE', '?')}, PostgreSQL, gunicorn 2 sync workers each.",
        "",
        "| pair | user | ours | floor | ratio ours/floor (per round) | cpu ratio | p50 ms | p95 ms | KB | errors ours/floor |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "skipped" in r:
            out.append(
                f"| {r['name']} | {r['user']} | `{r['path']}` | `{r['floor_path']}` | skipped: {r['skipped']} |||||||"
            )
            continue
        rounds = " ".join(f"{x:.2f}" for x in r["per_round"])
        out.append(
            f"| {r['name']} | {r['user']} | `{r['path']}` | `{r['floor_path']}` | **{r['ratio']:.2f}** ({rounds}) | "
            f"{r['cpu_ratio']:.2f} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['bytes'] / 1024:.0f} | "
            f"{r['errors']}/{r['floor_errors']} |"
        )
    return "\n".join(out)


# ---------------------------------------------------------------- manage.py helpers


def manage_py(code: str, *, env=None, timeout=300) -> str:
    """Run Python inside Django (the benchmark's settings and database) and return its stdout."""
    proc = subprocess.run(
        [str(VENV / "python"), "manage.py", "shell", "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    if proc.returncode:
        raise RuntimeError(f"manage.py shell failed:\n{proc.stderr[-3000:]}")
    return proc.stdout.strip()


def soak_fixture() -> dict:
    """A Bearer token for member1, a resource they may study and their branch: the soak's writes."""
    code = """
import json
from django.contrib.auth import get_user_model
from cloudbranch.accounts.services import api_token_create
from cloudbranch.orgs.models import RoleAssignment
user = get_user_model().objects.get(username="member1")
_, token = api_token_create(actor=user, name="bench soak", days=1)
unit = RoleAssignment.objects.filter(user=user).values_list("unit_id", flat=True).first()
print(json.dumps({"token": token, "unit": unit}))
"""
    return json.loads(manage_py(code).splitlines()[-1])


def db_scalar(sql: str) -> str:
    port = os.environ["BENCH_PG_PORT"]
    psql = Path(os.environ["BENCH_PG_BINDIR"]) / "psql"
    cmd = [str(psql), "-h", HOST, "-p", port, "-U", "postgres", "-d", "cloudbranch", "-Atc", sql]
    return subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=120).stdout.strip()


# ---------------------------------------------------------------- soak


def run_soak(ours: Server, admin_jar: dict, args) -> dict:
    fixture = soak_fixture()
    resource = None
    status, _, body = request(
        ours.port, "GET", "/api/learning/resources?page_size=5", headers={"Authorization": f"Bearer {fixture['token']}"}
    )
    if status == 200:
        items = json.loads(body).get("items", [])
        resource = items[0]["id"] if items else None
    plan = [
        "GET bearer /api/people/me",
        "GET bearer /api/news/board/messages",
        "GET bearer /api/learning/resources",
        "GET bearer /api/points/mine",
        "GET bearer /api/meetings/mine",
        "GET bearer /api/notifications",
        "GET cookie /people/",
        "GET cookie /orgs/",
        "GET cookie /meetings/",
        "GET cookie /api/people",
        "GET cookie /news/board/",
        "POST bearer /api/news/board/messages "
        + json.dumps(
            {
                "unit": fixture["unit"],
                "category": "suggestion",
                "title": "基准测试留言",
                "body": "压测期间的一条留言。",
            },
            ensure_ascii=False,
        ),
    ]
    if resource:
        plan.append(
            f"POST bearer /api/learning/resources/{resource}/beat " + json.dumps({"position": 30, "duration": 600})
        )
    plan_file = RUN / "soak-plan.txt"
    plan_file.write_text("\n".join(plan) + "\n")
    before = {
        "board_messages": int(db_scalar("select count(*) from news_message")),
        "audit_events": int(db_scalar("select count(*) from audit_auditevent")),
    }
    env = {
        "BENCH_SOAK_PLAN": str(plan_file),
        "BENCH_SOAK_BEARER": fixture["token"],
        "BENCH_SOAK_COOKIE": cookie_header(admin_jar),
        "BENCH_WRK_DIR": str(BENCH / "wrk"),
    }
    seconds = args.soak
    log(f"soak: {seconds} s, {args.connections} connections, {len(plan)} requests in rotation (2 writes)")
    cmd = ["wrk", "-t2", f"-c{args.connections}", f"-d{seconds}s", "--timeout", "10s"]
    cmd += ["-s", str(BENCH / "wrk" / "soak.lua"), ours.url("/")]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env={**os.environ, **env})
    samples = []
    start = time.monotonic()
    interval = 30 if seconds >= 120 else max(5, seconds // 6)
    while proc.poll() is None:
        samples.append({"t": round(time.monotonic() - start), "rss_kib": [rss_kib(p) for p in ours.worker_pids()]})
        for _ in range(interval * 10):
            if proc.poll() is not None:
                break
            time.sleep(0.1)
    out = proc.communicate()[0]
    line = next(ln for ln in out.splitlines() if ln.startswith("BENCH_JSON "))
    data = json.loads(line.removeprefix("BENCH_JSON "))
    data["socket_errors"] = data["connect"] + data["read"] + data["write"] + data["timeout"]
    data["bad"] = data["s3xx"] + data["s4xx"] + data["s5xx"] + data["other"] + data["socket_errors"]
    after = {
        "board_messages": int(db_scalar("select count(*) from news_message")),
        "audit_events": int(db_scalar("select count(*) from audit_auditevent")),
    }
    totals = [sum(s["rss_kib"]) for s in samples]
    warm = min(2, len(totals) - 1) if len(totals) > 1 else 0  # the first minute is warm-up
    growth = (totals[-1] - totals[warm]) / totals[warm] if totals and totals[warm] else 0.0
    result = {
        "seconds": seconds,
        "requests": data["requests"],
        "rps": round(data["requests"] / (data["duration_us"] / 1e6), 1),
        "p50_ms": data["p50"] / 1000,
        "p95_ms": data["p95"] / 1000,
        "p99_ms": data["p99"] / 1000,
        "errors": data["bad"],
        "status": {k: data[k] for k in ("s2xx", "s3xx", "s4xx", "s5xx", "other")},
        "socket_errors": data["socket_errors"],
        "rows_written": {k: after[k] - before[k] for k in before},
        "rss_samples": samples,
        "rss_growth_after_warmup": round(growth, 4),
        "rss_limit": RSS_GROWTH_LIMIT,
    }
    result["ok"] = result["errors"] == 0 and growth <= RSS_GROWTH_LIMIT
    log(
        f"soak: {result['requests']} requests ({result['rps']} req/s), errors {result['errors']}, "
        f"RSS growth after warm-up {growth:+.1%} ({'OK' if result['ok'] else 'FAILED'})"
    )
    return result


# ---------------------------------------------------------------- faults


class Prober:
    """Threads sending GETs in a loop (bounded by `stop`), recording (time, status, seconds, body head)."""

    def __init__(self, port: int, paths: list[tuple[str, dict]], threads: int = 6, timeout: float = 15):
        self.port, self.paths, self.timeout = port, paths, timeout
        self.records: list[tuple[float, int, float, str, str]] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.loop, args=(i,), daemon=True) for i in range(threads)]
        self.t0 = time.monotonic()

    def loop(self, i: int) -> None:
        n = i
        while not self.stop.is_set():
            path, headers = self.paths[n % len(self.paths)]
            n += 1
            started = time.monotonic()
            try:
                status, resp_headers, body = request(self.port, "GET", path, headers=headers, timeout=self.timeout)
                ctype = dict((k.lower(), v) for k, v in resp_headers).get("content-type", "")
                head = body[:4000].decode("utf-8", "replace")
            except OSError as exc:
                status, ctype, head = 0, "", f"{type(exc).__name__}: {exc}"
            self.records.append((started - self.t0, status, time.monotonic() - started, ctype, head))

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(self.timeout + 5)


def describe_error(ctype: str, head: str) -> str:
    if "json" in ctype:
        return "JSON " + head[:120]
    title = re.search(r"<title>(.*?)</title>", head, re.S)
    if title:
        return "HTML page «" + re.sub(r"\s+", " ", title.group(1)).strip()[:80] + "»"
    return (ctype or "-") + " " + re.sub(r"\s+", " ", head)[:100]


def fault_pg_restart(ours: Server, admin_jar: dict) -> dict:
    """PostgreSQL restarted (pg_ctl restart -m fast) under load; gunicorn is not touched."""
    cookie = {"Cookie": cookie_header(admin_jar)}
    paths = [("/people/", cookie), ("/api/people", cookie), ("/orgs/", cookie), ("/api/meetings", cookie)]
    master_before = ours.proc.pid
    workers_before = ours.worker_pids()
    pg = [str(Path(os.environ["BENCH_PG_BINDIR"]) / "pg_ctl"), "-D", f"{os.environ['BENCH_PG_DIR']}/data"]
    pg += ["-l", f"{os.environ['BENCH_PG_DIR']}/server.log", "-m", "fast", "-w", "-t", "60", "restart"]
    if os.geteuid() == 0:
        pg = ["runuser", "-u", "postgres", "--", *pg]
    with Prober(ours.port, paths) as probe:
        time.sleep(5)
        t_restart = time.monotonic() - probe.t0
        subprocess.run(pg, check=True, capture_output=True, timeout=90)
        t_back = time.monotonic() - probe.t0
        time.sleep(10)
    recs = probe.records
    before = [r for r in recs if r[0] < t_restart - 0.5]
    during = [r for r in recs if t_restart - 0.5 <= r[0] <= t_back + 1]
    after = [r for r in recs if r[0] > t_back + 1]
    bad_after = [r for r in after if r[1] != 200]
    errors_during = [r for r in during if r[1] != 200]
    kinds: dict[str, int] = {}
    for r in errors_during:
        key = f"{r[1]} {describe_error(r[3], r[4])}"
        kinds[key] = kinds.get(key, 0) + 1
    result = {
        "restart_seconds": round(t_back - t_restart, 2),
        "requests_before": len(before),
        "errors_before": sum(1 for r in before if r[1] != 200),
        "requests_during": len(during),
        "errors_during": len(errors_during),
        "error_kinds_during": kinds,
        "requests_after": len(after),
        "errors_after": len(bad_after),
        "first_ok_after_restart_s": next(
            (round(r[0] - t_back, 2) for r in recs if r[0] > t_back and r[1] == 200), None
        ),
        "max_latency_s": round(max((r[2] for r in recs), default=0), 2),
        "gunicorn_restarted": ours.proc.pid != master_before or ours.proc.poll() is not None,
        "workers_same": sorted(ours.worker_pids()) == sorted(workers_before),
    }
    result["ok"] = result["errors_after"] == 0 and result["requests_after"] > 0 and result["max_latency_s"] < 15
    log(f"fault pg-restart: {json.dumps(result, ensure_ascii=False)}")
    return result


def fault_worker_kill() -> dict:
    """A real long task (the cockpit's full metrics recompute) killed with SIGKILL mid-run."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    def start_worker(tag: str) -> subprocess.Popen:
        logf = open(RESULTS / f"worker-{tag}.log", "wb")
        proc = subprocess.Popen(
            [str(VENV / "python"), "manage.py", "db_worker", "--interval", "0.5", "--worker-id", f"bench-{tag}"],
            cwd=ROOT,
            env=env,
            stdout=logf,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        with open(RUN / "servers.pid", "a") as f:
            f.write(f"{proc.pid}\n")
        return proc

    def task_status(task_id: str) -> str:
        return db_scalar(f"select status from django_tasks_database_dbtaskresult where id = '{task_id}'")

    def metric_counts() -> dict:
        return {
            "rows": int(db_scalar("select count(*) from cockpit_orgmetric")),
            "duplicate_keys": int(
                db_scalar(
                    "select count(*) from (select 1 from cockpit_orgmetric group by key, unit_id, period_kind, "
                    "period_start having count(*) > 1) d"
                )
            ),
            "runs": int(db_scalar("select count(*) from cockpit_metricrun")),
        }

    enqueue = "from cloudbranch.cockpit.tasks import recompute_all_task; print(recompute_all_task.enqueue().id)"
    before = metric_counts()
    task_id = manage_py(enqueue).splitlines()[-1]
    worker = start_worker("1")
    t0 = time.monotonic()
    while task_status(task_id) != "RUNNING" and time.monotonic() - t0 < 60:
        time.sleep(0.2)
    time.sleep(3)  # well into the run
    status_at_kill = task_status(task_id)
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    killed_after = round(time.monotonic() - t0, 1)
    partial = metric_counts()
    worker2 = start_worker("2")
    time.sleep(15)
    status_after_new_worker = task_status(task_id)
    # django-tasks-db has no recovery for a task whose worker died: it stays RUNNING. What an operator does
    # (docs/deploy.md): enqueue it again — the recompute is idempotent (upsert by metric, unit, period).
    requeued_id = manage_py(enqueue).splitlines()[-1]
    t1 = time.monotonic()
    while task_status(requeued_id) not in ("SUCCESSFUL", "FAILED") and time.monotonic() - t1 < 300:
        time.sleep(1)
    rerun_status, rerun_seconds = task_status(requeued_id), round(time.monotonic() - t1, 1)
    worker2.send_signal(signal.SIGTERM)
    try:
        worker2.wait(20)
    except subprocess.TimeoutExpired:
        worker2.kill()
    after = metric_counts()
    result = {
        "task": "cockpit.tasks.recompute_all_task",
        "status_at_kill": status_at_kill,
        "killed_after_s": killed_after,
        "status_after_new_worker_15s": status_after_new_worker,
        "rerun_automatically": status_after_new_worker not in ("RUNNING", "READY"),
        "requeued_status": rerun_status,
        "requeued_seconds": rerun_seconds,
        "metric_rows_before": before,
        "metric_rows_after_kill": partial,
        "metric_rows_after_rerun": after,
    }
    result["nothing_doubled"] = after["duplicate_keys"] == 0
    result["ok"] = rerun_status == "SUCCESSFUL" and result["nothing_doubled"]
    log(f"fault worker-kill: {json.dumps(result, ensure_ascii=False)}")
    return result


def fault_disk_full(media_env: dict, member_token: str, unit: int) -> dict:
    """Uploads (feed posts with a photo) to a 2 MB tmpfs MEDIA_ROOT until it is full."""
    if os.geteuid() != 0:
        return {"skipped": "not root: cannot mount a tmpfs"}
    data_dir = RUN / "fault-data"
    media = RUN / "fault-media"
    data_dir.mkdir(exist_ok=True)
    media.mkdir(exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(media)], check=True)
    try:
        (data_dir / "static").symlink_to(Path(os.environ["CLOUDBRANCH_DATA_DIR"]) / "static")
        (data_dir / "media").symlink_to(media)
        server = Server(
            "ours-diskfull", wsgi="cloudbranch.wsgi:application", chdir=ROOT, env=media_env, ready_path="/healthz"
        )
        server.env["CLOUDBRANCH_DATA_DIR"] = str(data_dir)
        server.start()
        try:
            return _disk_full_uploads(server, media, member_token, unit)
        finally:
            server.stop()
    finally:
        subprocess.run(["umount", str(media)], check=False)


def _photo(seed: int, size: int = 700) -> bytes:
    """A PNG of random pixels (does not compress): ~size×size×3 bytes before the app re-encodes it."""
    import io
    import random

    from PIL import Image  # the project's Pillow

    img = Image.frombytes("RGB", (size, size), random.Random(seed).randbytes(size * size * 3))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _multipart(fields: dict, files: list[tuple[str, str, bytes, str]]) -> tuple[bytes, str]:
    boundary = f"----bench{time.time_ns()}"
    parts = []
    for k, v in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    for name, filename, content, ctype in files:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        parts.append(head.encode() + f"Content-Type: {ctype}\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _disk_full_uploads(server: Server, media: Path, token: str, unit: int) -> dict:
    def counts():
        return {
            "posts": int(db_scalar("select count(*) from news_post")),
            "photos": int(db_scalar("select count(*) from news_postphoto")),
        }

    def upload(i):
        body, ctype = _multipart(
            {"unit": unit, "body": f"磁盘写满测试 {i}"}, [("photos", f"p{i}.png", _photo(i), "image/png")]
        )
        headers = {"Authorization": f"Bearer {token}", "Content-Type": ctype}
        status, resp_headers, resp = request(server.port, "POST", "/api/news/posts", body=body, headers=headers)
        return (
            status,
            dict((k.lower(), v) for k, v in resp_headers).get("content-type", ""),
            resp.decode("utf-8", "replace"),
        )

    attempts = []
    full = None
    for i in range(40):
        before = counts()
        status, ctype, body = upload(i)
        after = counts()
        attempts.append({"status": status, "rows_added": {k: after[k] - before[k] for k in after}})
        if status >= 400:
            full = {
                "attempt": i + 1,
                "status": status,
                "body": describe_error(ctype, body),
                "chinese": bool(re.search(r"[\u4e00-\u9fff]", body)),
                "traceback": "Traceback" in body or 'File "' in body,
                "rows_added": {k: after[k] - before[k] for k in after},
                "files_in_media": sorted(
                    f"{p.relative_to(media)} {p.stat().st_size}" for p in media.rglob("*") if p.is_file()
                ),
                "media_used_kib": int(
                    subprocess.run(["du", "-sk", str(media)], capture_output=True, text=True).stdout.split()[0]
                ),
            }
            break
    if full is None:
        return {"ok": False, "note": "tmpfs never filled", "attempts": attempts}
    # Free the space (what an operator does) and upload again.
    for p in sorted(media.rglob("*"), reverse=True):
        if p.is_file():
            p.unlink()
    status, ctype, body = upload(999)
    result = {
        "uploads_ok_before_full": full["attempt"] - 1,
        "full": full,
        "after_freeing_space": status,
        "attempts": [a["status"] for a in attempts],
    }
    result["ok"] = (
        full["status"] >= 400
        and not full["traceback"]
        and full["rows_added"] == {"posts": 0, "photos": 0}
        and status == 201
    )
    log(f"fault disk-full: {json.dumps({k: v for k, v in result.items() if k != 'attempts'}, ensure_ascii=False)}")
    return result


# ---------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", default=str(BENCH / "pairs-areas.txt"))
    parser.add_argument("--only", default=os.environ.get("BENCH_ONLY", ""))
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS") or 5))
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS") or 2))
    parser.add_argument("--connections", type=int, default=int(os.environ.get("BENCH_CONNECTIONS") or 16))
    parser.add_argument("--soak", type=int, default=int(os.environ.get("BENCH_SOAK_SECONDS") or 0))
    parser.add_argument("--no-pairs", action="store_true", default=os.environ.get("BENCH_PAIRS") == "0")
    parser.add_argument("--no-faults", action="store_true", default=os.environ.get("BENCH_FAULTS") == "0")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    started = time.monotonic()

    # The floor: its own database in the same cluster, tables without migrations, 40,000 rows.
    floor_env = {"DJANGO_SETTINGS_MODULE": "floor.settings", "PYTHONPATH": str(BENCH)}
    subprocess.run(
        [
            str(VENV / "python"),
            "-c",
            "import django; django.setup(); from django.core.management import "
            "call_command; call_command('migrate', run_syncdb=True, verbosity=0); from floor.urls import seed; seed()",
        ],
        cwd=BENCH,
        env={**os.environ, **floor_env},
        check=True,
        timeout=600,
    )
    floor = Server("floor", wsgi="floor.wsgi:application", chdir=BENCH, env=floor_env, ready_path="/ping").start()
    ours = Server("ours", wsgi="cloudbranch.wsgi:application", chdir=ROOT, ready_path="/healthz").start()
    servers = [floor, ours]
    results: dict = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "scale": os.environ.get("BENCH_SCALE"),
        "seconds": args.seconds,
        "rounds": args.rounds,
        "connections": args.connections,
        "load_average_start": os.getloadavg(),
    }
    try:
        floor_jar = login(floor.port, FLOOR_USER, FLOOR_PASSWORD)
        jars = {u: login(ours.port, u, PASSWORD) for u in ("admin", "auditor", "sysadmin")}
        log(f"servers up: ours :{ours.port}, floor :{floor.port}; logged in")
        if not args.no_pairs:
            rows = run_pairs(ours, floor, jars, floor_jar, args)
            results["pairs"] = rows
            md = table(rows, args)
            print("\n" + md + "\n", flush=True)
            results["table_md"] = md
        if args.soak:
            results["soak"] = run_soak(ours, jars["admin"], args)
        if not args.no_faults:
            results["faults"] = {"pg_restart": fault_pg_restart(ours, jars["admin"])}
            results["faults"]["worker_kill"] = fault_worker_kill()
            fixture = soak_fixture()
            results["faults"]["disk_full"] = fault_disk_full({}, fixture["token"], fixture["unit"])
    finally:
        for s in servers:
            s.stop()
    results["seconds_total"] = round(time.monotonic() - started)
    results["load_average_end"] = os.getloadavg()
    write_results(results)
    problems = [r["name"] for r in results.get("pairs", []) if r.get("errors") or "skipped" in r]
    if results.get("soak") and not results["soak"]["ok"]:
        problems.append("soak")
    problems += [f"fault {k}" for k, v in results.get("faults", {}).items() if not v.get("ok") and "skipped" not in v]
    log(f"done in {results['seconds_total']} s; results in {RESULTS}/latest.md and latest.json")
    if problems:
        log("PROBLEMS: " + ", ".join(problems))
        return 3
    return 0


def write_results(results: dict) -> None:
    (RESULTS / "latest.json").write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str))
    lines = [f"# make bench — {results['date']}", ""]
    if "table_md" in results:
        lines += [results["table_md"], ""]
    if "soak" in results:
        s = results["soak"]
        lines += [
            "## Soak",
            "",
            f"{s['seconds']} s, {s['requests']} requests ({s['rps']} req/s), p50 {s['p50_ms']:.0f} ms, "
            f"p95 {s['p95_ms']:.0f} ms; status {s['status']}, socket errors {s['socket_errors']}; rows written "
            f"{s['rows_written']}; worker RSS growth after warm-up {s['rss_growth_after_warmup']:+.1%} "
            f"(limit {s['rss_limit']:.0%}): {'OK' if s['ok'] else 'FAILED'}",
            "",
            "| t s | worker RSS MiB |",
            "|---|---|",
            *[f"| {x['t']} | {' + '.join(f'{k / 1024:.0f}' for k in x['rss_kib'])} |" for x in s["rss_samples"]],
            "",
        ]
    for name, f in results.get("faults", {}).items():
        lines += [f"## Fault: {name}", "", "```json", json.dumps(f, ensure_ascii=False, indent=1), "```", ""]
    (RESULTS / "latest.md").write_text("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
