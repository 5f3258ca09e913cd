"""Message queries for the API: keyset pagination, set-based counts. Answers the API's models (or, for the counts,
a typed row): the rows are read once and shown as they are."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from messaging_service.messages.schemas import AttemptOut, MessageDetail, MessageOut
from messaging_service.models import Attempt, Message, MessageContent
from shared.pagination import keyset

messages = Message.__table__
contents = MessageContent.__table__
attempts = Attempt.__table__


async def list_messages(
    session: AsyncSession,
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
) -> list[MessageOut]:
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
    return [MessageOut.model_validate(row) for row in (await session.execute(query)).mappings()]


async def message_detail(session: AsyncSession, tenant_id: uuid.UUID, message_id: uuid.UUID) -> MessageDetail | None:
    """A message with what it says and every attempt to deliver it; None when the tenant has no such message."""
    query = (
        select(messages, contents.c.body_text, contents.c.body_html, contents.c.whatsapp)
        .outerjoin(contents, contents.c.message_id == messages.c.id)
        .where(messages.c.tenant_id == tenant_id, messages.c.id == message_id)
    )
    row = (await session.execute(query)).mappings().first()
    if row is None:
        return None
    in_order = (
        select(attempts).where(attempts.c.message_id == message_id).order_by(attempts.c.number, attempts.c.started_at)
    )
    attempt_log = [AttemptOut.model_validate(a) for a in (await session.execute(in_order)).mappings()]
    return MessageDetail.model_validate({**row, "attempt_log": attempt_log})


@dataclass(frozen=True, slots=True)
class DailyCount:
    """Messages of one day (in the tenant's zone), channel and state."""

    day: date
    channel: str
    state: str
    n: int


async def daily_counts(
    session: AsyncSession, tenant_id: uuid.UUID, timezone: str, since: datetime, until: datetime, channel: str | None
) -> list[DailyCount]:
    day = func.date(func.timezone(timezone, messages.c.created_at)).label("day")
    query = (
        select(day, messages.c.channel, messages.c.state, func.count().label("n"))
        .where(messages.c.tenant_id == tenant_id, messages.c.created_at >= since, messages.c.created_at < until)
        .group_by(day, messages.c.channel, messages.c.state)
        .order_by(day, messages.c.channel, messages.c.state)
    )
    if channel:
        query = query.where(messages.c.channel == channel)
    return [DailyCount(row.day, row.channel, row.state, row.n) for row in await session.execute(query)]


async def locked_message(session: AsyncSession, tenant_id: uuid.UUID, message_id: uuid.UUID) -> Message | None:
    """A message of the tenant, locked for an update (a resend)."""
    return await session.scalar(
        select(Message).where(Message.tenant_id == tenant_id, Message.id == message_id).with_for_update()
    )


async def locked_content(session: AsyncSession, tenant_id: uuid.UUID, message_id: uuid.UUID) -> MessageContent | None:
    """What a message says and the communication it came from, locked for an update (a resend re-renders it)."""
    return await session.get(MessageContent, (tenant_id, message_id), with_for_update=True)
