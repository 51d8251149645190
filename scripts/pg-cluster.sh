# Throwaway PostgreSQL cluster on loopback, for scripts to `source` (scripts/bench.sh uses it).
#
#   source scripts/pg-cluster.sh
#   pg_cluster_start DIR      # initdb + start in DIR/data, socket in DIR, free port on 127.0.0.1
#   pg_psql -d postgres -c '…'
#   pg_cluster_restart        # pg_ctl restart -m fast (the fault run)
#   pg_cluster_stop           # immediate stop; the caller removes DIR
#
# Sets PG_BINDIR, PG_DIR, PG_PORT and PG_AS_OWNER (runuser prefix when run as root: the server
# refuses to run as root, so the cluster belongs to the `postgres` system user). Same settings as
# scripts/test-postgres.sh: C locale, UTF-8, trust auth on loopback, no durability.

pg_find_bindir() {
  PG_BINDIR=""
  local candidate
  for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$candidate/initdb" ]; then PG_BINDIR=$candidate; break; fi
  done
  if [ -z "$PG_BINDIR" ] && command -v initdb >/dev/null 2>&1; then
    PG_BINDIR=$(dirname "$(command -v initdb)")
  fi
  if [ -z "$PG_BINDIR" ]; then
    echo "PostgreSQL server binaries not found (apt-get install postgresql)." >&2
    return 1
  fi
}

pg_cluster_start() {
  PG_DIR=$1
  pg_find_bindir || return 1
  PG_AS_OWNER=()
  mkdir -p "$PG_DIR"
  chmod 700 "$PG_DIR"
  if [ "$(id -u)" -eq 0 ]; then
    PG_AS_OWNER=(runuser -u postgres --)
    chown postgres: "$PG_DIR"
  fi
  PG_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  "${PG_AS_OWNER[@]}" "$PG_BINDIR/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --no-locale \
    >"$PG_DIR/initdb.log" 2>&1 || {
    cat "$PG_DIR/initdb.log" >&2
    return 1
  }
  # Options go to postgresql.auto.conf so that `pg_ctl restart` keeps them.
  cat >>"$PG_DIR/data/postgresql.auto.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = '256MB'
CONF
  "${PG_AS_OWNER[@]}" "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 start >/dev/null || {
    cat "$PG_DIR/server.log" >&2
    return 1
  }
}

pg_psql() {
  "$PG_BINDIR/psql" -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"
}

pg_cluster_restart() {
  "${PG_AS_OWNER[@]}" "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -m fast -w -t 60 restart >/dev/null
}

pg_cluster_stop() {
  if [ -n "${PG_DIR:-}" ] && [ -f "$PG_DIR/data/postmaster.pid" ]; then
    "${PG_AS_OWNER[@]}" "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
}
