"""``messaging.prepare_call_tasks``: each call step's script rendered for its customer, and one
``receivables.create_task`` per call, in the handler's transaction (the outbox). The task's key is dunning's, so a
redelivered command or a re-run creates no second task in receivables."""

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from messaging_service.calls.scripts import call_task
from messaging_service.delivery import repository
from messaging_service.delivery.acceptance import TenantNotKnownYet, tenant_view
from messaging_service.models import outbox
from shared.contracts.messaging import CallTask, PrepareCallTasks
from shared.inbox import Received
from shared.outbox import emit_many


async def on_prepare_call_tasks(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[PrepareCallTasks]]
) -> None:
    per_tenant: dict[uuid.UUID, list[CallTask]] = defaultdict(list)
    for received in batch:
        per_tenant[received.tenant_id].extend(received.message.calls)
    tenants = await repository.tenant_settings(session, list(per_tenant))
    for tenant_id, calls in per_tenant.items():
        row = tenants.get(tenant_id)
        if row is None or row.tenant_event_at is None:
            raise TenantNotKnownYet(defer=30)
        view = tenant_view(row)
        await emit_many(session, outbox, tenant_id, [call_task(call, view) for call in calls])
