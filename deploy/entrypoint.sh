#!/bin/sh
# One image, many processes: the first argument says which one runs.
#   gateway | receivables | dunning | messaging | alarms | webhooks the HTTP apps (uvicorn, port $PORT)
#   <service>-worker                                                 its arq worker (consumer, relay, cron)
#   migrate                                                          alembic upgrade head, then exit
#   smtp | provider                                                  local protocol peers (the `peers` image only)
# A worker touches $COBRANZA_WORKER_HEARTBEAT_FILE while its loop turns: Kubernetes' liveness probe of its pod.
set -eu
role=${1:-}
port=${PORT:-8000}
workers=${WEB_CONCURRENCY:-1}
app() { exec uvicorn --factory "$1" --host 0.0.0.0 --port "$port" --workers "$workers" --no-access-log --proxy-headers; }
worker() {
  export COBRANZA_WORKER_HEARTBEAT_FILE="${COBRANZA_WORKER_HEARTBEAT_FILE:-/tmp/worker-heartbeat}"
  exec python -m shared.worker_process "$1"
}
case "$role" in
  gateway)            app services.gateway.main:create_app ;;
  receivables)        app services.receivables.main:create_app ;;
  dunning)            app services.dunning.main:create_app ;;
  messaging)          app services.messaging.main:create_app ;;
  alarms)             app services.alarms.main:create_app ;;
  webhooks)           app services.webhooks.main:create_app ;;
  gateway-worker)     worker services.gateway.worker.WorkerSettings ;;
  receivables-worker) worker services.receivables.worker.WorkerSettings ;;
  dunning-worker)     worker services.dunning.worker.WorkerSettings ;;
  messaging-worker)   worker services.messaging.worker.WorkerSettings ;;
  alarms-worker)      worker services.alarms.worker.WorkerSettings ;;
  webhooks-worker)    worker services.webhooks.worker.WorkerSettings ;;
  migrate)            exec alembic upgrade head ;;
  smtp)               exec python -m services.messaging.stubs.smtp_server --host 0.0.0.0 --port "$port" --maildir /tmp/mail --inbound-url "${INBOUND_URL:-http://gateway:8000/webhooks/messaging/email/inbound}" ;;
  provider)           exec python -m services.messaging.stubs.provider --host 0.0.0.0 --port "$port" ;;
  *) echo "usage: <gateway|receivables|dunning|messaging|alarms|webhooks>[-worker] | migrate | smtp | provider" >&2; exit 2 ;;
esac
