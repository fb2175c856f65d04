#!/usr/bin/env bash
# The whole test command: lint and format check, then the types (mypy) and the suite on
# SQLite and on PostgreSQL, the three at the same time. Each suite runs on
# CIVITAS_TEST_WORKERS processes (pytest-xdist, default 2, a module's tests kept together;
# CIVITAS_TEST_WORKERS_PG for PostgreSQL's alone): four test processes on two cores (a
# third for PostgreSQL made the whole run use a sixth more CPU, 1,117 s against 956 s, and
# end 73 s later); every process has its own database, temporary folder, ports and
# browser. Each writes to its own log; the logs are printed whole, and the command fails if
# any of the three failed.
# CIVITAS_TEST_SERIAL=1 runs them one after the other, each suite in one process.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
export CIVITAS_TEST_POSTGRES_URL=${CIVITAS_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}

echo "== ruff check";          "$BIN/ruff" check .
echo "== ruff format --check"; "$BIN/ruff" format --check .
bash scripts/ensure-chromium.sh >/dev/null   # the browser tests drive Debian's chromium
bash scripts/ensure-postgres.sh

# compiled modules are kept (src/ and tests/ __pycache__, git-ignored), whatever the
# environment says (PYTHONDONTWRITEBYTECODE): each test process and each `civitas` command a
# test runs would otherwise compile every module again (a worker's collection 12 s → 7 s)
unset PYTHONDONTWRITEBYTECODE
"$BIN/python" -m compileall -q -j 0 src tests >/dev/null

# one thread each for the numeric libraries (OpenBLAS under numpy and scikit-learn): with a
# process per core already, their extra threads only spin while they wait for a core (the
# assistant's training took 4 s of CPU instead of 0.6 s with five test processes running)
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

WORKERS=${CIVITAS_TEST_WORKERS:-2}
WORKERS_PG=${CIVITAS_TEST_WORKERS_PG:-$WORKERS}
suite() {  # suite DB [pytest args]: one database's run
  local started=$SECONDS status=0 spread=() workers=$WORKERS
  [[ "$1" == "postgresql" ]] && workers=$WORKERS_PG
  if [[ "${CIVITAS_TEST_SERIAL:-}" != "1" && "$workers" -gt 1 ]]; then
    spread=(-n "$workers" --dist loadscope)
  fi
  "$BIN/pytest" -q -p no:cacheprovider "${spread[@]}" --db "$@" || status=$?
  echo "(the $1 suite took $((SECONDS - started)) s)"
  return $status
}

if [[ "${CIVITAS_TEST_SERIAL:-}" == "1" ]]; then
  echo "== mypy";                 "$BIN/mypy"
  echo "== pytest on SQLite";     suite sqlite "$@"
  echo "== pytest on PostgreSQL"; suite postgresql "$@"
  exit 0
fi

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
# mypy (half a minute of one core on a fresh clone) beside the suites: alone, before them,
# it would leave the other core idle
"$BIN/mypy" >"$logs/mypy.log" 2>&1 &
mypy_pid=$!
suite sqlite "$@" >"$logs/sqlite.log" 2>&1 &
sqlite_pid=$!
suite postgresql "$@" >"$logs/postgresql.log" 2>&1 &
pg_pid=$!
sqlite_status=0
pg_status=0
mypy_status=0
wait $mypy_pid || mypy_status=$?
wait $sqlite_pid || sqlite_status=$?
wait $pg_pid || pg_status=$?
echo "== mypy";                 cat "$logs/mypy.log"
echo "== pytest on SQLite";     cat "$logs/sqlite.log"
echo "== pytest on PostgreSQL"; cat "$logs/postgresql.log"
if (( mypy_status != 0 || sqlite_status != 0 || pg_status != 0 )); then
  echo "FAILED: mypy exit $mypy_status, SQLite suite exit $sqlite_status," \
    "PostgreSQL suite exit $pg_status"
  exit 1
fi
