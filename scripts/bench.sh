#!/usr/bin/env bash
# `make bench`: load, soak and fault runs of CloudBranch on PostgreSQL against a bare Django "floor"
# app in the same run (bench/README.md says what each figure means).
#
#   BENCH_SCALE=university     seed_demo scale (cached as a pg_dump in /tmp/cloudbranch-bench/)
#   BENCH_SECONDS=5            seconds of each wrk run (floor, ours, floor, ours per pair)
#   BENCH_CONNECTIONS=16       concurrent connections
#   BENCH_SOAK_SECONDS=0       soak length (`make bench SOAK=600`); 0 = no soak
#   BENCH_FAULTS=1             the three fault runs (0 to skip)
#   BENCH_ONLY=name,name       only these pairs (bench/pairs-areas.txt); BENCH_PAIRS=0 skips the table
#
# Everything listens on 127.0.0.1 only; the PostgreSQL cluster and the servers are started here
# and stopped on exit, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=$ROOT/.venv/bin/python
export BENCH_SCALE=${BENCH_SCALE:-university}
CACHE=/tmp/cloudbranch-bench
mkdir -p "$CACHE"

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "bench: installing wrk"
    apt-get install -y -q wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }
  else
    echo "bench: wrk is missing (apt-get install wrk)." >&2
    exit 1
  fi
fi

# shellcheck source=scripts/pg-cluster.sh
source scripts/pg-cluster.sh

RUN=$(mktemp -d "$CACHE/run.XXXXXX")
chmod 755 "$RUN"
cleanup() {
  local rc=$?
  if [ -f "$RUN/servers.pid" ]; then
    while read -r pid; do kill "$pid" 2>/dev/null || true; done <"$RUN/servers.pid"
  fi
  if mountpoint -q "$RUN/fault-media" 2>/dev/null; then umount "$RUN/fault-media" || true; fi
  pg_cluster_stop
  rm -rf "$RUN"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Fixed keys: the cached dump's encrypted ID numbers stay readable run after run.
export CLOUDBRANCH_ENV=prod HTTPS=0 DEBUG=0 ALLOWED_HOSTS=127.0.0.1,localhost
export SECRET_KEY=cloudbranch-bench-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz
export FIELD_ENCRYPTION_KEYS=0gRWOXFAKGgEaNuEuT1N4O8d4XJlEe5VwtVlFkXxHcM=
export FIELD_HASH_KEY=cloudbranch-bench-hash-key
export CLOUDBRANCH_DEMO_ALLOW=1 CLOUDBRANCH_DEMO_PASSWORD=${CLOUDBRANCH_DEMO_PASSWORD:-demo12345}
# One user and one IP for all 16 clients: the rate limits would measure themselves; the second
# factor, idle logout and password expiry would redirect the benchmark's session.
export RATE_LIMIT_ENABLED=0 TWO_FACTOR_MANDATORY=0 IDLE_TIMEOUT_MINUTES=0 PASSWORD_MAX_AGE_DAYS=0
export LOG_LEVEL=${LOG_LEVEL:-WARNING} PYTHONPYCACHEPREFIX=$CACHE/pycache
export CLOUDBRANCH_DATA_DIR=$CACHE/data
mkdir -p "$CLOUDBRANCH_DATA_DIR"

pg_cluster_start "$RUN/pg"
export BENCH_PG_DIR=$RUN/pg BENCH_PG_BINDIR=$PG_BINDIR BENCH_PG_PORT=$PG_PORT BENCH_RUN_DIR=$RUN
pg_psql -d postgres <<'SQL'
CREATE ROLE cloudbranch LOGIN PASSWORD 'cloudbranch';
CREATE DATABASE cloudbranch OWNER cloudbranch;
CREATE DATABASE floor OWNER cloudbranch;
SQL
export DATABASE_URL="postgresql://cloudbranch:cloudbranch@127.0.0.1:$PG_PORT/cloudbranch"
export BENCH_FLOOR_DATABASE_URL="postgresql://cloudbranch:cloudbranch@127.0.0.1:$PG_PORT/floor"
echo "bench: PostgreSQL $("$PG_BINDIR/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"

# The seeded database, cached by scale and the hash of every migration file.
hash=$(find cloudbranch -path '*/migrations/*.py' -type f | sort | xargs cat | sha256sum | cut -c1-16)
dump=$CACHE/seed-$BENCH_SCALE-$hash.dump
started=$(date +%s)
if [ -f "$dump" ]; then
  echo "bench: restoring $dump"
  "$PG_BINDIR/pg_restore" -h 127.0.0.1 -p "$PG_PORT" -U cloudbranch -d cloudbranch --no-owner -j 2 "$dump"
  "$PY" manage.py migrate --noinput -v 0  # a no-op unless the dump is older than the code
else
  echo "bench: no cached seed for $BENCH_SCALE ($hash): migrate + seed_demo (several minutes, once)"
  "$PY" manage.py migrate --noinput -v 0
  "$PY" manage.py seed_demo --scale "$BENCH_SCALE"
  "$PG_BINDIR/pg_dump" -h 127.0.0.1 -p "$PG_PORT" -U cloudbranch -Fc -f "$dump.part" cloudbranch
  mv "$dump.part" "$dump"
  find "$CACHE" -maxdepth 1 -name "seed-$BENCH_SCALE-*.dump" ! -name "$(basename "$dump")" -delete
fi
pg_psql -d cloudbranch -c 'ANALYZE' >/dev/null
echo "bench: database ready in $(($(date +%s) - started)) s"
"$PY" manage.py collectstatic --noinput -v 0

"$PY" bench/driver.py "$@"
