#!/usr/bin/env bash
# Time `seed_demo --scale SCALE` (default university) on a fresh SQLite database in a temporary
# data directory, so the developer's var/ is left alone. Issue 3: university scale < 3 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-university}
data=$(mktemp -d /tmp/cloudbranch-bench.XXXXXX)
trap 'rm -rf "$data"' EXIT
export CLOUDBRANCH_DATA_DIR=$data CLOUDBRANCH_ENV=dev
unset DATABASE_URL
.venv/bin/python manage.py migrate --noinput -v 0
TIMEFORMAT="seed_demo --scale $scale: %R s wall, %U s user"
time .venv/bin/python manage.py seed_demo --scale "$scale"
