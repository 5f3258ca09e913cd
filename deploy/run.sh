#!/usr/bin/env bash
# The run command: migrate, start every process (gateway, services, their workers, local SMTP server,
# SMS/WhatsApp provider stub) under deploy/supervise.py, which restarts a process that exits; seed the demo
# tenant through the API, say where everything is.
# Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/env.sh

.venv/bin/python deploy/createdb.py "$COBRANZA_DATABASE_URL"
.venv/bin/alembic upgrade head

mkdir -p .run
.venv/bin/python deploy/supervise.py "${COBRANZA_PROCFILE:-deploy/Procfile}" &
SUPERVISOR=$!
stop() { kill -INT "$SUPERVISOR" 2>/dev/null || true; wait "$SUPERVISOR" 2>/dev/null || true; }
trap stop INT TERM EXIT

.venv/bin/python deploy/seed_demo.py --wait 60
wait "$SUPERVISOR"
