#!/usr/bin/env bash
# The test command: the whole suite on the real PostgreSQL and Redis. No tests collected is a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
# lint, format and types first: a style or type error fails the run before the slow part
.venv/bin/ruff check . || exit 1
.venv/bin/ruff format --check . || exit 1
.venv/bin/mypy || exit 1  # strict on shared/ and every rules.py, normal elsewhere (pyproject.toml)
# two workers (pytest-xdist, one file at a time each): the tests wait on PostgreSQL, Redis and subprocesses about
# half the time, so two run in little more than the time of one; each worker has its own database (tests/conftest.py).
# Files are handed out in collection order, the few that take minutes first (tests/conftest.py, LONG_FILES): with
# xdist's own order (most tests first) the one-test fuzzer started last and ran alone for minutes at the end.
.venv/bin/pytest -n "${COBRANZA_TEST_WORKERS:-2}" --dist loadfile --no-loadscope-reorder --durations=10 "$@"
code=$?
if [ $code -eq 5 ]; then
  echo "pytest collected no tests: that is a failure" >&2
  exit 1
fi
exit $code
