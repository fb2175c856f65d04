#!/usr/bin/env bash
# The whole test command: lint, format check, types, then the suite on SQLite and on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
export CIVITAS_TEST_POSTGRES_URL=${CIVITAS_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}

echo "== ruff check";          "$BIN/ruff" check .
echo "== ruff format --check"; "$BIN/ruff" format --check .
echo "== mypy";                "$BIN/mypy"
bash scripts/ensure-chromium.sh >/dev/null   # the browser tests drive Debian's chromium
echo "== pytest on SQLite";    "$BIN/pytest" -q -p no:cacheprovider --db sqlite "$@"
bash scripts/ensure-postgres.sh
echo "== pytest on PostgreSQL"; "$BIN/pytest" -q -p no:cacheprovider --db postgresql "$@"
