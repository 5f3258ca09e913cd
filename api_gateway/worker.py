"""The gateway's worker: relays its outbox (tenant and user events, stored provider callbacks) and purges old
idempotency keys, stored callbacks and expired refresh tokens."""

from typing import Any

from arq import cron

from api_gateway.idempotency.middleware import purge_expired as purge_expired_idempotency_keys
from api_gateway.models import SCHEMA
from api_gateway.proxy.intake import purge_handed_over
from api_gateway.settings import GatewaySettings
from api_gateway.tokens.service import purge_expired as purge_expired_refresh_tokens
from shared.worker import worker_settings

settings = GatewaySettings()


async def purge_idempotency_keys(ctx: dict[str, Any]) -> int:
    return await purge_expired_idempotency_keys(ctx["engine"], ctx["settings"].idempotency_key_hours)


async def purge_webhook_requests(ctx: dict[str, Any]) -> int:
    return await purge_handed_over(ctx["engine"], ctx["settings"].webhook_retention_days)


async def purge_refresh_tokens(ctx: dict[str, Any]) -> int:
    return await purge_expired_refresh_tokens(ctx["engine"])


WorkerSettings = worker_settings(
    settings,
    schema=SCHEMA,
    handlers={},
    cron_jobs=[
        cron(purge_idempotency_keys, minute={7}),
        cron(purge_webhook_requests, hour={2}, minute={37}),
        cron(purge_refresh_tokens, hour={3}, minute={17}),
    ],
)
