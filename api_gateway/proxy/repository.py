"""Stored provider callbacks (``models.WebhookRequest``) and their commands to messaging, in one transaction."""

import uuid

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from api_gateway.models import SCHEMA, WebhookRequest, outbox
from shared.contracts.messaging import WebhookReceived
from shared.outbox import emit

_PURGE = text(
    f"DELETE FROM {SCHEMA}.webhook_requests r "
    "WHERE r.received_at < now() - make_interval(days => :days) "
    f"AND NOT EXISTS (SELECT 1 FROM {SCHEMA}.outbox o WHERE o.published_at IS NULL "
    "AND o.message_type = :type AND o.payload->>'request_id' = r.id::text)"
)


async def store(session: AsyncSession, command: WebhookReceived, tenant_id: uuid.UUID | None, body: bytes) -> None:
    """The request as received, and the command that hands it to messaging."""
    await session.execute(
        insert(WebhookRequest).values(
            id=command.request_id,
            tenant_id=tenant_id,
            path=command.path,
            query=command.query,
            headers=command.headers,
            body=body,
            received_at=command.received_at,
        )
    )
    await emit(session, outbox, tenant_id, command)


async def purge_handed_over(session: AsyncSession, older_than_days: int) -> int:
    """Delete stored requests older than ``older_than_days`` whose command the relay has handed over."""
    result = await session.execute(_PURGE, {"days": older_than_days, "type": WebhookReceived.message_type})
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # a DML result (CursorResult) has rowcount
