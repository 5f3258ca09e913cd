"""Helpers for the test-clock tests: every service's worker and outbox relay running in the background, as they
are deployed, while a test advances a sandbox tenant's clock through the gateway."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
from arq.worker import Worker

from alarms_service.worker import WorkerSettings as AlarmsWorker
from dunning_service.worker import WorkerSettings as DunningWorker
from messaging_service.settings import MessagingSettings
from messaging_service.worker import WorkerSettings as MessagingWorker
from messaging_service.worker import build_worker_settings
from services.portal.worker import WorkerSettings as PortalWorker
from services.receivables.worker import WorkerSettings as ReceivablesWorker
from services.webhooks.worker import WorkerSettings as WebhooksWorker
from shared.outbox import relay_once
from tests.alarms.support import receivables_routed
from tests.messaging.support import dunning_routed
from tests.support import Stack, TenantCtx, create_tenant, run_worker, worker_options

SCHEMAS = ("gateway", "receivables", "dunning", "alarms", "messaging", "webhooks", "portal")
POLL_SECONDS = 0.01


def _worker(worker_settings: type, **overrides: Any) -> Worker:
    options = worker_options(worker_settings, **overrides)
    return Worker(**options, poll_delay=POLL_SECONDS, handle_signals=False, cron_jobs=[])


async def _relay_forever(stack: Stack) -> None:
    while True:
        moved = 0
        for schema in SCHEMAS:
            moved += await relay_once(stack.engine, stack.arq, schema)
        if not moved:
            await asyncio.sleep(POLL_SECONDS)


@contextlib.asynccontextmanager
async def live_services(stack: Stack, messaging: MessagingSettings) -> AsyncIterator[None]:
    """Every worker (their crons off: the test clock's advance drives the days) and the relays, until the block
    ends."""

    messaging_worker = build_worker_settings(messaging)
    workers = [
        _worker(ReceivablesWorker),
        _worker(DunningWorker),
        _worker(AlarmsWorker, **receivables_routed(stack)),
        _worker(messaging_worker, **dunning_routed(stack, messaging_worker)),
        _worker(WebhooksWorker),
        _worker(PortalWorker),
    ]
    tasks = [asyncio.create_task(w.main()) for w in workers]
    tasks.append(asyncio.create_task(_relay_forever(stack)))
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for worker in workers:
            await worker.close()


async def sandbox_tenant(api: httpx.AsyncClient, clock: datetime | None, stack: Stack | None = None) -> TenantCtx:
    """A sandbox tenant created through the public API, its clock started at ``clock`` (None: not started); with
    ``stack``, announced to every service before the test goes on (its settings are then changed, not created)."""
    tenant = await create_tenant(api, sandbox=True)
    if clock is not None:
        response = await api.post("/v1/test-clock", json={"frozen_time": clock.isoformat()}, headers=tenant.admin)
        assert response.status_code == 200, response.text
    if stack is not None:
        for schema in SCHEMAS:
            while await relay_once(stack.engine, stack.arq, schema):
                pass
        workers = (ReceivablesWorker, DunningWorker, AlarmsWorker, MessagingWorker, WebhooksWorker, PortalWorker)
        for worker_settings in workers:
            await run_worker(worker_settings)
    return tenant
