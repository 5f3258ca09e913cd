# Sourced by the run and bench scripts: ports and URLs of every process, from one base port.
# Override COBRANZA_PORT_BASE to run a second copy of the system beside the first.
BASE=${COBRANZA_PORT_BASE:-8000}
export COBRANZA_HOST=${COBRANZA_HOST:-127.0.0.1}
export GATEWAY_PORT=$BASE RECEIVABLES_PORT=$((BASE + 1)) DUNNING_PORT=$((BASE + 2)) MESSAGING_PORT=$((BASE + 3))
export ALARMS_PORT=$((BASE + 4)) PROVIDER_PORT=$((BASE + 5)) SMTP_PORT=${SMTP_PORT:-$((BASE + 25))}
export WEBHOOKS_PORT=$((BASE + 6)) RECEIVER_PORT=$((BASE + 7)) PORTAL_PORT=$((BASE + 8)) PSP_PORT=$((BASE + 9))
export COBRANZA_GATEWAY_URL=http://127.0.0.1:$GATEWAY_PORT
export COBRANZA_RECEIVABLES_URL=http://127.0.0.1:$RECEIVABLES_PORT
export COBRANZA_DUNNING_URL=http://127.0.0.1:$DUNNING_PORT
export COBRANZA_MESSAGING_URL=http://127.0.0.1:$MESSAGING_PORT
export COBRANZA_ALARMS_URL=http://127.0.0.1:$ALARMS_PORT
export COBRANZA_WEBHOOKS_URL=http://127.0.0.1:$WEBHOOKS_PORT
export COBRANZA_PORTAL_URL=http://127.0.0.1:$PORTAL_PORT
export COBRANZA_RECEIVER_URL=http://127.0.0.1:$RECEIVER_PORT
# The payment provider stub (Mercado Pago's Checkout Pro on loopback) and the portal agree on its credentials.
export PORTAL_PSP_BASE_URL=http://127.0.0.1:$PSP_PORT
export PORTAL_PSP_ACCESS_TOKEN=${PORTAL_PSP_ACCESS_TOKEN:-TEST-dev-access-token-change-me}
export PORTAL_PSP_WEBHOOK_SECRET=${PORTAL_PSP_WEBHOOK_SECRET:-dev-psp-webhook-secret-change-me}
export COBRANZA_PROVIDER_URL=http://127.0.0.1:$PROVIDER_PORT
export COBRANZA_SMTP_HOST=127.0.0.1 COBRANZA_SMTP_PORT=$SMTP_PORT
export COBRANZA_DATABASE_URL=${COBRANZA_DATABASE_URL:-postgresql+asyncpg://postgres@127.0.0.1:5432/cobranza}
export COBRANZA_REDIS_URL=${COBRANZA_REDIS_URL:-redis://127.0.0.1:6379/0}
export COBRANZA_LOG_JSON=${COBRANZA_LOG_JSON:-false}
