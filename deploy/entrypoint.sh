#!/bin/sh
# One image, many processes: the first argument says which one runs.
#   gateway | receivables | dunning | messaging | alarms | webhooks the HTTP apps (uvicorn, port $PORT)
#   <service>-worker                                                 its arq worker (consumer, relay, cron)
#   migrate                                                          alembic upgrade head, then exit
#   smtp | provider                                                  local protocol peers (development only)
set -eu
role=${1:-}
port=${PORT:-8000}
workers=${WEB_CONCURRENCY:-1}
app() { exec uvicorn --factory "$1" --host 0.0.0.0 --port "$port" --workers "$workers" --no-access-log --proxy-headers; }
case "$role" in
  gateway)            app api_gateway.main:create_app ;;
  receivables)        app services.receivables.main:create_app ;;
  dunning)            app dunning_service.main:create_app ;;
  messaging)          app messaging_service.main:create_app ;;
  alarms)             app alarms_service.main:create_app ;;
  webhooks)           app services.webhooks.main:create_app ;;
  gateway-worker)     exec python -m shared.worker_process api_gateway.worker.WorkerSettings ;;
  receivables-worker) exec python -m shared.worker_process services.receivables.worker.WorkerSettings ;;
  dunning-worker)     exec python -m shared.worker_process dunning_service.worker.WorkerSettings ;;
  messaging-worker)   exec python -m shared.worker_process messaging_service.worker.WorkerSettings ;;
  alarms-worker)      exec python -m shared.worker_process alarms_service.worker.WorkerSettings ;;
  webhooks-worker)    exec python -m shared.worker_process services.webhooks.worker.WorkerSettings ;;
  migrate)            exec alembic upgrade head ;;
  smtp)               exec python -m messaging_service.stubs.smtp_server --host 0.0.0.0 --port "$port" --maildir /tmp/mail --inbound-url "${INBOUND_URL:-http://gateway:8000/webhooks/messaging/email/inbound}" ;;
  provider)           exec python -m messaging_service.stubs.provider --host 0.0.0.0 --port "$port" ;;
  *) echo "usage: <gateway|receivables|dunning|messaging|alarms|webhooks>[-worker] | migrate | smtp | provider" >&2; exit 2 ;;
esac
