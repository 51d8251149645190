#!/usr/bin/env bash
# Debian packages the test suite needs beyond Python: Chromium (browser tests), CJK fonts (so
# screenshots show Chinese, not boxes), the PostgreSQL server (tests marked `postgres`, and
# pg_dump/pg_restore for the backup round trip), nginx (the deployment stack started on loopback)
# and redis-server (cache and session tests against a real Redis).
# As root, anything missing is installed with apt-get; otherwise we say what is missing and the
# affected tests skip (browser) or the PostgreSQL pass reports it.
set -uo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# (grep without -q: with pipefail, an early-exiting grep -q would fail fc-list with SIGPIPE)
if ! { command -v fc-list >/dev/null 2>&1 && fc-list 2>/dev/null | grep -i 'Noto Sans CJK' >/dev/null; }; then
  missing+=(fonts-noto-cjk)
fi
# Debian keeps the server binaries off PATH, under /usr/lib/postgresql/<version>/bin.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
# Debian's nginx lives in /usr/sbin, which a non-login PATH may lack.
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  missing+=(nginx)
fi
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: missing ${missing[*]}; not root, so not installing them (browser, stack and Redis tests will skip)." >&2
  echo "system-deps: install with: sudo apt-get install -y chromium fonts-noto-cjk postgresql nginx redis-server" >&2
  exit 0
fi
echo "system-deps: installing ${missing[*]} (apt-get)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q chromium fonts-noto-cjk postgresql nginx redis-server >/dev/null
# The packages' own services are not wanted: the tests start their own servers on free ports.
for service in nginx redis-server; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$service" 2>/dev/null; then
    systemctl disable --now "$service" >/dev/null 2>&1 || true
  fi
done
