"""Queries of the suppression lists (opt-outs, invalid contacts) as the API reads and corrects them. Writing one
goes through ``delivery.suppressions.suppress``: it also fails the messages waiting for the address."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from messaging_service.models import Message, Suppression
from messaging_service.optouts.schemas import SuppressionOut
from shared.pagination import typed_cursor

table = Suppression.__table__


async def list_suppressions(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    kind: str,
    *,
    limit: int,
    cursor: list[Any] | None,
    channel: str | None,
    customer_id: uuid.UUID | None,
    address: str | None,
) -> list[SuppressionOut]:
    """Newest first, by (created_at, id); ``limit + 1`` rows (the extra one tells a next page exists)."""
    query = select(table).where(table.c.tenant_id == tenant_id, table.c.kind == kind)
    if channel:
        query = query.where(table.c.channel == channel)
    if customer_id:
        query = query.where(table.c.customer_id == customer_id)
    if address:
        query = query.where(table.c.address == address)
    if cursor:
        created, ident = typed_cursor(cursor, datetime.fromisoformat, uuid.UUID)
        query = query.where(tuple_(table.c.created_at, table.c.id) < tuple_(created, ident))
    query = query.order_by(table.c.created_at.desc(), table.c.id.desc()).limit(limit + 1)
    return [SuppressionOut.model_validate(row) for row in await session.execute(query)]


async def find_suppression(
    session: AsyncSession, tenant_id: uuid.UUID, kind: str, channel: str, address: str
) -> SuppressionOut:
    """The one entry of an address on a channel (it exists: just recorded, or recorded before)."""
    row = (
        await session.execute(
            select(table).where(
                table.c.tenant_id == tenant_id,
                table.c.kind == kind,
                table.c.channel == channel,
                table.c.address == address,
            )
        )
    ).one()
    return SuppressionOut.model_validate(row)


async def delete_suppression(session: AsyncSession, tenant_id: uuid.UUID, kind: str, ident: uuid.UUID) -> bool:
    """False when there was no such entry."""
    result = await session.execute(
        delete(table).where(table.c.tenant_id == tenant_id, table.c.kind == kind, table.c.id == ident)
    )
    return isinstance(result, CursorResult) and bool(result.rowcount)


async def message_by_id(session: AsyncSession, message_id: uuid.UUID) -> Message | None:
    """A message found by its id alone, across tenants: an unsubscribe link carries nothing else (links already sent
    stay valid)."""
    return await session.scalar(select(Message).where(Message.id == message_id))
