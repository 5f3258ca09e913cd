"""``webhooks.endpoint_disabled``: email each active admin of the tenant, through messaging, in the inbox's
transaction (the inbox makes a repeated event send nothing twice; the idempotency key names the event too); each
admin finds it in their alarms inbox too."""

from datetime import UTC
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from alarms_service.admin_alerts import emails_to_admins, file_for_admins, tenant_language
from alarms_service.models import outbox
from alarms_service.projection.repository import active_admins
from alarms_service.webhook_alerts.words import disabled_data
from shared.contracts.webhooks import WebhookEndpointDisabled
from shared.inbox import Received
from shared.outbox import emit


async def on_webhook_endpoint_disabled(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[WebhookEndpointDisabled]]
) -> None:
    for received in batch:  # rare, and each goes to its own tenant's admins
        await _alert(session, received)


async def _alert(session: AsyncSession, received: Received[WebhookEndpointDisabled]) -> None:
    m, tenant_id = received.message, received.tenant_id
    admins = await active_admins(session, tenant_id)
    if not admins:
        return
    language = await tenant_language(session, tenant_id)
    data = disabled_data(language, m.url, m.failing_since.astimezone(UTC), m.disabled_at.astimezone(UTC), m.last_error)
    key = f"alarms:{tenant_id}:webhook_disabled:{received.envelope.id}"
    await emit(session, outbox, tenant_id, emails_to_admins(admins, language, data, key, str(m.endpoint_id)))
    await file_for_admins(session, tenant_id, admins, "webhook_disabled", received.envelope.id, data)
