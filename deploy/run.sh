#!/usr/bin/env bash
# The run command: migrate, start every process (gateway, services, their workers, local SMTP server,
# SMS/WhatsApp provider stub) under honcho, seed the demo tenant through the API, say where everything is.
# Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/env.sh

.venv/bin/python deploy/createdb.py "$COBRANZA_DATABASE_URL"
.venv/bin/alembic upgrade head

mkdir -p .run
.venv/bin/honcho start -f "${COBRANZA_PROCFILE:-deploy/Procfile}" -d . &
HONCHO=$!
stop() { kill -INT "$HONCHO" 2>/dev/null || true; wait "$HONCHO" 2>/dev/null || true; }
trap stop INT TERM EXIT

.venv/bin/python deploy/seed_demo.py --wait 60
wait "$HONCHO"
