"""The messaging worker: accepts communications, keeps the tenants' facts, sends due messages.

Acceptance starts the ``deliver`` jobs (up to ``delivery_parallelism``) as soon as it queued messages; each job
sends batches until nothing is due, so a burst of 50,000 emails is a handful of jobs. ``dispatch`` runs every ten
seconds for what becomes due later (deferred messages at the window's opening, retries) and for sends left
unfinished by a worker that died.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from arq import cron
from arq.worker import func

from messaging_service.calls.handlers import on_prepare_call_tasks
from messaging_service.delivery.acceptance import on_send_communications, on_send_dispatched_communications
from messaging_service.delivery.dispatch import deliver, dispatch, purge_old_bodies, shutdown, startup
from messaging_service.delivery.jobs import DELIVER
from messaging_service.inbound.apply import on_webhook_received
from messaging_service.models import SCHEMA
from messaging_service.settings import MessagingSettings
from messaging_service.tenant_settings.handlers import (
    on_calendar_changed,
    on_portal_settings_changed,
    on_tenant_changed,
)
from shared.contracts.dunning import CalendarChanged
from shared.contracts.gateway import TenantChanged
from shared.contracts.messaging import (
    PrepareCallTasks,
    SendCommunications,
    SendDispatchedCommunications,
    WebhookReceived,
)
from shared.contracts.portal import PortalSettingsChanged
from shared.inbox import Handlers
from shared.worker import worker_settings

HANDLERS: Handlers = {
    SendCommunications: on_send_communications,
    SendDispatchedCommunications: on_send_dispatched_communications,
    PrepareCallTasks: on_prepare_call_tasks,
    TenantChanged: on_tenant_changed,
    CalendarChanged: on_calendar_changed,
    WebhookReceived: on_webhook_received,
    PortalSettingsChanged: on_portal_settings_changed,
}


def build_worker_settings(settings: MessagingSettings) -> type:
    base = worker_settings(
        settings,
        schema=SCHEMA,
        handlers=HANDLERS,
        functions=[
            func(
                deliver, name=DELIVER, keep_result=0, max_tries=1, timeout=settings.delivery_time_budget_seconds + 120
            ),
            func(dispatch, name="messaging.dispatch", keep_result=0),
        ],
        cron_jobs=[
            cron(
                dispatch, name="messaging.dispatch_cron", second=set(range(0, 60, 10)), unique=True, run_at_startup=True
            ),
            cron(purge_old_bodies, name="messaging.purge_bodies", hour={4}, minute={11}),
        ],
        on_startup=startup,
    )
    # worker_settings builds the class at run time: its hooks are read and set by name.
    original_shutdown: Callable[[dict[str, Any]], Awaitable[None]] = getattr(base, "on_shutdown")  # noqa: B009

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        await shutdown(ctx)
        await original_shutdown(ctx)

    setattr(base, "on_shutdown", staticmethod(on_shutdown))  # noqa: B010
    return base


settings = MessagingSettings()
WorkerSettings = build_worker_settings(settings)
