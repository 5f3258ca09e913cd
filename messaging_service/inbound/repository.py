"""Queries of the way back: the message a callback or a reply is about, replies stored and listed."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from messaging_service.models import Message, Reply
from shared.pagination import keyset


async def message_in_tenant(session: AsyncSession, tenant_id: uuid.UUID, message_id: uuid.UUID) -> Message | None:
    return await session.scalar(select(Message).where(Message.tenant_id == tenant_id, Message.id == message_id))


async def latest_message_to(session: AsyncSession, tenant_id: uuid.UUID, channel: str, address: str) -> Message | None:
    """The latest message we sent to an address on a channel: what an inbound message most likely answers."""
    return await session.scalar(
        select(Message)
        .where(Message.tenant_id == tenant_id, Message.channel == channel, Message.to_address == address)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
    )


async def insert_reply(session: AsyncSession, values: dict[str, Any]) -> uuid.UUID | None:
    """Store a reply; None when the provider delivered the same inbound message before (same external id)."""
    statement = (
        insert(Reply)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["tenant_id", "channel", "external_id"])
        .returning(Reply.id)
    )
    return await session.scalar(statement)


async def list_replies(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    customer_id: uuid.UUID | None,
    channel: str | None,
    after: list[Any] | None,
    limit: int,
) -> list[Reply]:
    """Newest first, by (received_at, id)."""
    query: Select[tuple[Reply]] = select(Reply).where(Reply.tenant_id == tenant_id)
    if customer_id is not None:
        query = query.where(Reply.customer_id == customer_id)
    if channel is not None:
        query = query.where(Reply.channel == channel)
    query = keyset(
        query, [Reply.received_at, Reply.id], [datetime.fromisoformat, uuid.UUID], after, limit, newest_first=True
    )
    return list((await session.scalars(query)).all())
