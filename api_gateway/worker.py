"""The gateway's worker: relays its outbox (tenant and user events) and purges old idempotency keys."""

from typing import Any

from arq import cron

from api_gateway.idempotency import purge_expired
from api_gateway.models import SCHEMA
from api_gateway.settings import GatewaySettings
from shared.worker import worker_settings

settings = GatewaySettings()


async def purge_idempotency_keys(ctx: dict[str, Any]) -> int:
    return await purge_expired(ctx["engine"], ctx["settings"].idempotency_key_hours)


WorkerSettings = worker_settings(
    settings,
    schema=SCHEMA,
    handlers={},
    cron_jobs=[cron(purge_idempotency_keys, minute={7})],
)
