#!/usr/bin/env bash
# `make run`: migrate, collect static files, seed the demo university, then serve it with the
# background task worker beside the web server. Stopping the server (Ctrl-C) stops the worker.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
SCALE=${SCALE:-demo}

$PY manage.py migrate --noinput
$PY manage.py collectstatic --noinput -v 0
# Idempotent: a second `make run` finds the demo university and only prints the logins.
$PY manage.py seed_demo --scale "$SCALE"

# Both run in the background so that a signal reaches this script at once (bash runs traps only
# between foreground commands); on exit, whatever the cause, both are stopped.
pids=()
stop_all() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do
    pkill -TERM -P "$pid" 2>/dev/null || true # runserver's autoreload child
    kill -TERM "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# django-tasks-db worker: sends notifications and runs large imports.
$PY manage.py db_worker --no-reload &
pids+=($!)

echo
echo "云端支部 is starting on http://$HOST:$PORT/  (Ctrl-C stops the server and the task worker)"
echo
$PY manage.py runserver "$HOST:$PORT" &
server_pid=$!
pids+=("$server_pid")
wait "$server_pid"
