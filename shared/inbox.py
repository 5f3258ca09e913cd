"""Idempotent consumers: the inbox remembers every message id a service has processed.

The worker job ``handle_messages`` receives a batch of envelopes. In one transaction it records their
ids in the inbox (``ON CONFLICT DO NOTHING``) and runs the handlers for the ids that were new, so the
same message delivered twice takes effect once. If the batch fails, each message is retried in a
transaction of its own so one bad message cannot hold back the others; on the job's last try a message
that still fails is kept in the inbox as dead (with its error) for an operator to look at and replay.
"""

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import structlog
from sqlalchemy import Column, DateTime, MetaData, String, Table, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import unit_of_work
from shared.messages import Envelope, Message

log = structlog.get_logger()

M = TypeVar("M", bound=Message)


@dataclass(frozen=True, slots=True)
class Received(Generic[M]):
    envelope: Envelope
    message: M

    @property
    def tenant_id(self) -> uuid.UUID:
        assert self.envelope.tenant_id is not None, "tenant-scoped message without tenant"
        return self.envelope.tenant_id


def messages_by_tenant(batch: list[Received[M]]) -> dict[uuid.UUID, list[M]]:
    """The batch's messages grouped by tenant, in order: most handlers write one statement per tenant."""
    grouped: dict[uuid.UUID, list[M]] = defaultdict(list)
    for received in batch:
        grouped[received.tenant_id].append(received.message)
    return grouped


# A handler gets the job context, the open session and every new message of its type in the batch, in order.
Handler = Callable[[dict[str, Any], AsyncSession, list[Received[Any]]], Awaitable[None]]
Handlers = Mapping[type[Message], Handler]


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("message_id", UUID(as_uuid=True), primary_key=True),
        Column("message_type", String(120), nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        # Dead letters: set when the message kept failing; the envelope is kept for a replay.
        Column("error", Text, nullable=True),
        Column("envelope", JSONB, nullable=True),
    )


async def _claim(session: AsyncSession, schema: str, envelopes: list[Envelope]) -> set[uuid.UUID]:
    """Record the ids; answer those not seen before."""
    result = await session.execute(
        text(
            f"INSERT INTO {schema}.inbox (message_id, message_type) "
            "SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:types AS text[])) "
            "ON CONFLICT DO NOTHING RETURNING message_id"
        ),
        {"ids": [e.id for e in envelopes], "types": [e.type for e in envelopes]},
    )
    return set(result.scalars())


async def _dispatch(ctx: dict[str, Any], session: AsyncSession, handlers: Handlers, envelopes: list[Envelope]) -> None:
    by_type: dict[type[Message], list[Received[Any]]] = defaultdict(list)
    for envelope in envelopes:
        try:
            message = envelope.open()
        except KeyError:
            log.error("unknown_message_type", type=envelope.type, version=envelope.version, id=str(envelope.id))
            continue
        by_type[type(message)].append(Received(envelope, message))
    for message_type, received in by_type.items():
        handler = handlers.get(message_type)
        if handler is None:
            log.warning("no_handler", type=message_type.message_type, count=len(received))
            continue
        await handler(ctx, session, received)


async def process_batch(
    ctx: dict[str, Any],
    sessionmaker: async_sessionmaker[AsyncSession],
    schema: str,
    handlers: Handlers,
    raw_envelopes: list[dict[str, Any]],
    last_try: bool = False,
) -> int:
    """Process a batch exactly once per message; returns how many messages were new."""
    envelopes = [Envelope.model_validate(raw) for raw in raw_envelopes]
    try:
        async with unit_of_work(sessionmaker) as session:
            fresh = await _claim(session, schema, envelopes)
            await _dispatch(ctx, session, handlers, [e for e in envelopes if e.id in fresh])
        return len(fresh)
    except Exception:
        if len(envelopes) == 1 and not last_try:
            raise
        log.exception("message_batch_failed", size=len(envelopes))
    processed = 0
    for envelope in envelopes:
        try:
            async with unit_of_work(sessionmaker) as session:
                if await _claim(session, schema, [envelope]):
                    await _dispatch(ctx, session, handlers, [envelope])
                    processed += 1
        except Exception as exc:
            if not last_try:
                raise
            log.exception("message_dead_lettered", id=str(envelope.id), type=envelope.type)
            await _dead_letter(sessionmaker, schema, envelope, exc)
    return processed


async def _dead_letter(
    sessionmaker: async_sessionmaker[AsyncSession], schema: str, envelope: Envelope, exc: Exception
) -> None:
    async with unit_of_work(sessionmaker) as session:
        await session.execute(
            text(
                f"INSERT INTO {schema}.inbox (message_id, message_type, error, envelope) "
                "VALUES (:id, :type, :error, CAST(:envelope AS jsonb)) ON CONFLICT DO NOTHING"
            ),
            {
                "id": envelope.id,
                "type": envelope.type,
                "error": f"{type(exc).__name__}: {exc}"[:2000],
                "envelope": envelope.model_dump_json(),
            },
        )
