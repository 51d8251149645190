#!/usr/bin/env bash
# Debian packages the test suite needs beyond Python: Chromium (browser tests), CJK fonts (so
# screenshots show Chinese, not boxes) and the PostgreSQL server (tests marked `postgres`).
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

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: missing ${missing[*]}; not root, so not installing them (browser tests will skip)." >&2
  echo "system-deps: install with: sudo apt-get install -y chromium fonts-noto-cjk postgresql" >&2
  exit 0
fi
echo "system-deps: installing ${missing[*]} (apt-get)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q chromium fonts-noto-cjk postgresql >/dev/null
