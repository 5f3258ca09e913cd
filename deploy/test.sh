#!/usr/bin/env bash
# The test command: the whole suite on the real PostgreSQL and Redis. No tests collected is a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check . || exit 1
.venv/bin/pytest "$@"
code=$?
if [ $code -eq 5 ]; then
  echo "pytest collected no tests: that is a failure" >&2
  exit 1
fi
exit $code
