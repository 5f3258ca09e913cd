"""The links messages carry, kept as messaging announces them (``PortalLinksIssued``)."""

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.portal.links import repository
from shared.contracts.messaging import PortalLinksIssued
from shared.inbox import Received


async def on_links_issued(ctx: dict[str, Any], session: AsyncSession, batch: list[Received[PortalLinksIssued]]) -> None:
    """Keep the links messages carry (in the inbox's transaction: each once)."""
    rows = [
        {
            "tenant_id": received.tenant_id,
            "id": uuid.uuid4(),
            "token_hash": bytes.fromhex(link.token_hash),
            "customer_id": link.customer_id,
            "message_id": link.message_id,
            "channel": link.channel.value if link.channel else None,
            "language": link.language,
            "issued_by": "service:messaging",
            "issued_at": link.issued_at,
        }
        for received in batch
        for link in received.message.links
    ]
    await repository.insert_links(session, rows)
