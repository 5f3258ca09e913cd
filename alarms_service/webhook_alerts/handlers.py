"""``webhooks.endpoint_disabled``: email each active admin of the tenant, through messaging, in the inbox's
transaction (the inbox makes a repeated event send nothing twice; the idempotency key names the event too)."""

from datetime import UTC
from typing import Any

from sqlalchemy import any_, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from alarms_service.models import Tenant, User, outbox
from alarms_service.webhook_alerts.words import disabled_data
from shared.contracts.common import Channel
from shared.contracts.messaging import Communication, CommunicationKind, SendCommunications
from shared.contracts.webhooks import WebhookEndpointDisabled
from shared.identity import ADMIN
from shared.inbox import Received
from shared.outbox import emit
from shared.validation import LANGUAGES


async def on_webhook_endpoint_disabled(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[WebhookEndpointDisabled]]
) -> None:
    for received in batch:  # rare, and each goes to its own tenant's admins
        await _alert(session, received)


async def _alert(session: AsyncSession, received: Received[WebhookEndpointDisabled]) -> None:
    m, tenant_id = received.message, received.tenant_id
    admins = (
        await session.execute(
            select(User.user_id, User.email, User.full_name)
            .where(User.tenant_id == tenant_id, User.active, literal(ADMIN) == any_(User.roles))
            .order_by(User.email)
        )
    ).all()
    if not admins:
        return
    language = await session.scalar(select(Tenant.language).where(Tenant.tenant_id == tenant_id))
    language = language if language in LANGUAGES else "es"
    data = disabled_data(language, m.url, m.failing_since.astimezone(UTC), m.disabled_at.astimezone(UTC), m.last_error)
    communications = [
        Communication(
            idempotency_key=f"alarms:{tenant_id}:webhook_disabled:{received.envelope.id}:{admin.user_id}",
            kind=CommunicationKind.ALARM_DIGEST,
            channel=Channel.EMAIL,
            to=admin.email,
            language=language,
            recipient_name=admin.full_name,
            data=data,
            source="alarms",
            source_ref=str(m.endpoint_id),
        )
        for admin in admins
    ]
    await emit(session, outbox, tenant_id, SendCommunications(communications=communications))
