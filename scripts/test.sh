#!/usr/bin/env bash
# `make test`: every check CI runs, in order. Each step runs even if an earlier one failed, so
# one run shows every problem; the exit status is non-zero if any step failed.
set -uo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
export PYTHONDONTWRITEBYTECODE=1
failed=()
timings=()

step() {
  local name=$1
  shift
  local started=$SECONDS
  echo
  echo "==> $name"
  if "$@"; then
    timings+=("$(printf '%-34s ok     %4ss' "$name" $((SECONDS - started)))")
  else
    timings+=("$(printf '%-34s FAILED %4ss' "$name" $((SECONDS - started)))")
    failed+=("$name")
  fi
}

scratch=$(mktemp -d /tmp/cloudbranch-check.XXXXXX) # data dir for the prod-settings check
trap 'rm -rf "$scratch"' EXIT

templates() { find cloudbranch -type d -name templates -not -path '*/node_modules/*' | sort; }

step "system packages" bash scripts/system-deps.sh
step "ruff check" "$BIN/ruff" check .
step "ruff format --check" "$BIN/ruff" format --check .
# shellcheck disable=SC2046
step "djlint --lint" "$BIN/djlint" --lint $(templates)
step "import-linter" "$BIN/lint-imports"
step "makemigrations --check" env CLOUDBRANCH_ENV=test DJANGO_SETTINGS_MODULE=cloudbranch.settings.test \
  "$BIN/python" manage.py makemigrations --check --dry-run
step "check (prod settings)" env CLOUDBRANCH_ENV=prod DJANGO_SETTINGS_MODULE=cloudbranch.settings.prod DEBUG=0 \
  SECRET_KEY=check-only-not-a-real-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz \
  ONBOARDING_CODE_CHANNELS=cloudbranch.onboarding.channels.EmailCodeChannel \
  CLOUDBRANCH_DATA_DIR="$scratch" "$BIN/python" manage.py check --deploy --fail-level WARNING
# The suite proper on SQLite, two workers (each gets its own in-memory test database). The default
# distribution keeps each worker's tests in collection order, where pytest-django puts the
# transactional tests last: their flush empties the rows of data migrations, so no other test may
# run after them on that worker (work stealing would break that).
step "pytest (SQLite)" env -u DATABASE_URL "$BIN/pytest" -n 2 -m "not postgres and not browser and not slow" -q
# Timing tests (import of 10,000 rows, compliance roll-up, bill generation) run alone, one
# process, so that the parallel pass does not steal their CPU and make them flaky. The same pass
# starts the production stack on loopback (core/tests/test_deploy.py: the generated nginx site in
# front of gunicorn with prod settings, pages over HTTPS), which also wants the machine to itself.
step "pytest (timings, stack)" env -u DATABASE_URL "$BIN/pytest" -p no:xdist -m "slow and not postgres and not browser" -q -s
# Browser journeys start a live server and Chromium; one process keeps them predictable.
step "pytest (browser)" env -u DATABASE_URL "$BIN/pytest" -m "browser and not postgres" -q
step "pytest (PostgreSQL)" bash scripts/test-postgres.sh

echo
echo "==> summary"
printf '%s\n' "${timings[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "make test: FAILED: ${failed[*]}"
  exit 1
fi
echo "make test: all steps passed"
