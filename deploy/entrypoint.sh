#!/bin/sh
# One image, many processes: the first argument says which one runs.
#   gateway | receivables | dunning | messaging | alarms | webhooks | portal   the HTTP apps (uvicorn, port $PORT)
#   <service>-worker                                                          its arq worker (consumer, relay, cron)
#   migrate                                                                   alembic upgrade head, then exit
#   smtp | provider | psp                                 local protocol peers (the `peers` image only)
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
  gateway)            app api_gateway.main:create_app ;;
  receivables)        app services.receivables.main:create_app ;;
  dunning)            app dunning_service.main:create_app ;;
  messaging)          app messaging_service.main:create_app ;;
  alarms)             app alarms_service.main:create_app ;;
  webhooks)           app services.webhooks.main:create_app ;;
  portal)             app services.portal.main:create_app ;;
  gateway-worker)     worker api_gateway.worker.WorkerSettings ;;
  receivables-worker) worker services.receivables.worker.WorkerSettings ;;
  dunning-worker)     worker dunning_service.worker.WorkerSettings ;;
  messaging-worker)   worker messaging_service.worker.WorkerSettings ;;
  alarms-worker)      worker alarms_service.worker.WorkerSettings ;;
  webhooks-worker)    worker services.webhooks.worker.WorkerSettings ;;
  portal-worker)      worker services.portal.worker.WorkerSettings ;;
  migrate)            exec alembic upgrade head ;;
  smtp)               exec python -m messaging_service.stubs.smtp_server --host 0.0.0.0 --port "$port" --maildir /tmp/mail --inbound-url "${INBOUND_URL:-http://gateway:8000/webhooks/messaging/email/inbound}" ;;
  provider)           exec python -m messaging_service.stubs.provider --host 0.0.0.0 --port "$port" ;;
  psp)                exec python -m services.portal.stubs.psp --host 0.0.0.0 --port "$port" --public-url "${PSP_PUBLIC_URL:-http://localhost:8009}" \
                        --webhook-secret "$PORTAL_PSP_WEBHOOK_SECRET" --access-token "$PORTAL_PSP_ACCESS_TOKEN" ;;
  *) echo "usage: <gateway|receivables|dunning|messaging|alarms|webhooks|portal>[-worker] | migrate | smtp | provider | psp" >&2; exit 2 ;;
esac
