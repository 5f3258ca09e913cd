"""Message queries for the API: keyset pagination, set-based counts."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.messaging.models import Attempt, Message, MessageContent, table_of
from shared.pagination import keyset

messages = table_of(Message)
contents = table_of(MessageContent)
attempts = table_of(Attempt)


async def list_messages(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    *,
    limit: int,
    after: list[Any] | None,
    customer_id: uuid.UUID | None,
    channel: str | None,
    states: list[str] | None,
    kind: str | None,
    source: str | None,
    source_ref: str | None,
    since: datetime | None,
    until: datetime | None,
) -> list[Any]:
    """Newest first (created_at, id), keyset-paginated."""
    query = select(messages).where(messages.c.tenant_id == tenant_id)
    filters = (
        (messages.c.customer_id, customer_id),
        (messages.c.channel, channel),
        (messages.c.kind, kind),
        (messages.c.source, source),
        (messages.c.source_ref, source_ref),
    )
    for column, value in filters:
        if value is not None:
            query = query.where(column == value)
    if states:
        query = query.where(messages.c.state.in_(states))
    if since:
        query = query.where(messages.c.created_at >= since)
    if until:
        query = query.where(messages.c.created_at < until)
    query = keyset(
        query,
        (messages.c.created_at, messages.c.id),
        (datetime.fromisoformat, uuid.UUID),
        after,
        limit,
        newest_first=True,
    )
    return list((await conn.execute(query)).mappings().all())


async def get_message(conn: AsyncConnection | AsyncSession, tenant_id: uuid.UUID, message_id: uuid.UUID) -> Any:
    """A message with what it says."""
    query = (
        select(messages, contents.c.body_text, contents.c.body_html, contents.c.whatsapp)
        .outerjoin(contents, contents.c.message_id == messages.c.id)
        .where(messages.c.tenant_id == tenant_id, messages.c.id == message_id)
    )
    return (await conn.execute(query)).mappings().first()


async def attempts_of(conn: AsyncConnection | AsyncSession, message_id: uuid.UUID) -> list[Any]:
    query = (
        select(attempts).where(attempts.c.message_id == message_id).order_by(attempts.c.number, attempts.c.started_at)
    )
    return list((await conn.execute(query)).mappings().all())


async def daily_counts(
    conn: AsyncConnection, tenant_id: uuid.UUID, timezone: str, since: datetime, until: datetime, channel: str | None
) -> list[Any]:
    day = func.date(func.timezone(timezone, messages.c.created_at)).label("day")
    query = (
        select(day, messages.c.channel, messages.c.state, func.count().label("n"))
        .where(messages.c.tenant_id == tenant_id, messages.c.created_at >= since, messages.c.created_at < until)
        .group_by(day, messages.c.channel, messages.c.state)
        .order_by(day, messages.c.channel, messages.c.state)
    )
    if channel:
        query = query.where(messages.c.channel == channel)
    return list((await conn.execute(query)).all())
