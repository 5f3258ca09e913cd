"""The webhooks worker: its inbox (the catalogue's messages become stored, fanned-out events), its outbox relay
(``webhooks.endpoint_disabled`` to alarms), and the delivery loop."""

import asyncio
from typing import Any

from arq import cron
from sqlalchemy.ext.asyncio import AsyncSession

from services.webhooks.deliveries.catalogue import CONSUMED_MESSAGES
from services.webhooks.deliveries.repository import purge
from services.webhooks.deliveries.sender import create_delivery_client, deliver_forever
from services.webhooks.deliveries.service import on_catalogue_messages
from services.webhooks.models import SCHEMA
from services.webhooks.settings import WebhooksSettings
from shared.worker import worker_settings

settings = WebhooksSettings()

HANDLERS = {message_type: on_catalogue_messages for message_type in CONSUMED_MESSAGES}


async def start_delivery(ctx: dict[str, Any]) -> None:
    """The process's one delivery client, and the loop (stopped with the worker: ``stop_delivery``)."""
    ctx["webhook_http"] = create_delivery_client(settings)
    if settings.delivery_loop_enabled:
        ctx["delivery_task"] = asyncio.create_task(deliver_forever(ctx["engine"], ctx["webhook_http"], settings))


async def stop_delivery(ctx: dict[str, Any]) -> None:
    task = ctx.get("delivery_task")
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    client = ctx.get("webhook_http")
    if client is not None:
        await client.aclose()


async def purge_old(ctx: dict[str, Any]) -> tuple[int, int]:
    """Daily: forget what is older than ``retention_days`` (``repository.purge``)."""
    async with ctx["engine"].begin() as conn, AsyncSession(bind=conn) as session:
        return await purge(session, settings.retention_days)


WorkerSettings = worker_settings(
    settings,
    schema=SCHEMA,
    handlers=HANDLERS,
    functions=[purge_old],
    cron_jobs=[cron(purge_old, name="webhooks.purge_old", hour={4}, minute={23}, unique=True)],
    on_startup=start_delivery,
)
# worker_settings answers a bare ``type``: the hook arq reads is set on it, so mypy does not know it.
_shutdown = WorkerSettings.on_shutdown  # type: ignore[attr-defined]


async def _shutdown_all(ctx: dict[str, Any]) -> None:
    await stop_delivery(ctx)
    await _shutdown(ctx)


WorkerSettings.on_shutdown = staticmethod(_shutdown_all)  # type: ignore[attr-defined]
