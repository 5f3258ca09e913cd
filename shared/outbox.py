"""The transactional outbox and its relay.

``emit`` writes the message into the service's ``outbox`` table inside the caller's transaction, so
the state change and its announcement commit or roll back together. The relay (running in the
service's worker) moves unpublished rows to the consumers' arq queues and then marks them published.
If it dies between enqueue and mark, the rows are sent again on restart: consumers drop what they
already processed (``shared.inbox``), so each message takes effect exactly once.

A *deferred* row stands for messages the relay builds when it sends them (``deferred``): a bulk write announces
its 10,000 rows with one outbox row, and the snapshots are read at relay time. A message may stand for many items
(a batch event carrying 10,000 snapshots): its *weight*, which the relay's budget and the jobs' sizes count, so
a consumer's job never holds more than one such batch.
"""

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import orjson
import structlog
from arq.connections import ArqRedis
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    insert,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSON, UUID
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from shared.messages import Envelope, Message

log = structlog.get_logger()

# Weight per arq job (an envelope weighs 1, a batch event its items): one job costs about a millisecond of worker
# time, so messages travel in batches; a heavier batch event travels alone.
JOB_BATCH = 200
# Weight one relay pass builds from deferred rows before it stops taking more rows (memory, job sizes).
EXPANSION_BUDGET = 20_000
# Payload bytes (as stored, compressed) one relay pass reads, and per unit of an envelope's weight: a dunning run
# writes rows of a hundred messages each (~230 KB of JSON), and 500 of them at once were 115 MB in one process.
PASS_BYTES = 4 << 20
BYTES_PER_WEIGHT = 4 << 10
HANDLE_MESSAGES = "handle_messages"


def queue_name(service: str) -> str:
    return f"arq:queue:{service}"


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("seq", BigInteger, Identity(), primary_key=True),
        Column("id", UUID(as_uuid=True), nullable=False, unique=True),
        Column("tenant_id", UUID(as_uuid=True), nullable=True),
        Column("message_type", String(120), nullable=False),
        Column("version", Integer, nullable=False),
        Column("consumers", ARRAY(String(40)), nullable=False),
        # ``json``, not ``jsonb``: a payload is written once and read once, as text (the relay splices it into the
        # job); jsonb parsed each one on the way in and printed it again on the way out (migration 0042)
        Column("payload", JSON, nullable=False),
        Column("occurred_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Index(None, "seq", postgresql_where=text("published_at IS NULL")),
    )


def _row(envelope: Envelope, consumers: Sequence[str]) -> dict[str, Any]:
    return {
        "id": envelope.id,
        "tenant_id": envelope.tenant_id,
        "message_type": envelope.type,
        "version": envelope.version,
        "consumers": list(consumers),
        "payload": envelope.payload,
        "occurred_at": envelope.occurred_at,
    }


async def emit_many(
    session: AsyncSession | AsyncConnection,
    outbox: Table,
    tenant_id: uuid.UUID | None,
    messages: Iterable[Message],
) -> list[Envelope]:
    """Write messages into the outbox in the caller's transaction (one multi-row INSERT)."""
    envelopes = [(Envelope.wrap(m, tenant_id), m.consumers) for m in messages]
    rows = [_row(env, consumers) for env, consumers in envelopes]
    if rows:
        await session.execute(insert(outbox), rows)
    return [env for env, _ in envelopes]


async def emit(
    session: AsyncSession | AsyncConnection, outbox: Table, tenant_id: uuid.UUID | None, message: Message
) -> Envelope:
    (envelope,) = await emit_many(session, outbox, tenant_id, [message])
    return envelope


Expand = Callable[[AsyncConnection, Any], Awaitable[list[tuple[str, dict[str, Any]]]]]
"""Reads what a deferred outbox row stands for: ``(key, payload)`` per message, ``key`` unique within the row."""
Weight = Callable[[dict[str, Any]], int]


def one(payload: dict[str, Any]) -> int:
    return 1


@dataclass(frozen=True, slots=True)
class Deferred:
    """How the relay expands a deferred outbox row into ``message`` envelopes, and what each weighs."""

    message: type[Message]
    expand: Expand
    weight: Weight = one


DEFERRED: dict[str, Deferred] = {}
DEFERRED_PREFIX = "deferred:"


def deferred(row_type: str, message: type[Message], weight: Weight = one) -> Callable[[Expand], Expand]:
    """Register ``expand`` for outbox rows of ``row_type``: the relay sends one ``message`` per ``(key, payload)``
    it returns, with the id ``uuid5(row id, key)``, so a row relayed twice yields the same envelope ids and the
    consumers' inboxes drop the repeats. The payloads are read when relayed: snapshots carrying a ``revision``
    stay correct (a later change has its own, later event). ``weight`` tells how many items a payload carries."""

    if not row_type.startswith(DEFERRED_PREFIX):
        raise ValueError(f"deferred outbox row types start with {DEFERRED_PREFIX!r}")

    def register(expand: Expand) -> Expand:
        if row_type in DEFERRED:
            raise RuntimeError(f"deferred outbox rows {row_type!r} registered twice")
        DEFERRED[row_type] = Deferred(message, expand, weight)
        return expand

    return register


def _envelope_json(row: Any) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "type": row.message_type,
        "version": row.version,
        "tenant_id": str(row.tenant_id) if row.tenant_id else None,
        "occurred_at": row.occurred_at.isoformat(),
        "payload": row.payload,
    }


async def envelopes_of(conn: AsyncConnection, row: Any) -> list[dict[str, Any]]:
    """The envelopes (JSON) an outbox row stands for: itself, or what its deferred expansion reads now. ``row``
    has the outbox's columns."""
    return [envelope for envelope, _ in await weighed_envelopes_of(conn, row)]


async def weighed_envelopes_of(conn: AsyncConnection, row: Any) -> list[tuple[dict[str, Any], int]]:
    """``envelopes_of`` with the weight of each envelope (a large payload weighs by its size)."""
    if row.message_type.startswith(DEFERRED_PREFIX):
        how = DEFERRED.get(row.message_type)
        if how is None:  # never send a reference to consumers; stay unpublished until a relay knows it
            raise RuntimeError(f"no expansion registered for deferred outbox rows {row.message_type!r}")
        common = {
            "type": how.message.message_type,
            "version": how.message.version,
            "tenant_id": str(row.tenant_id) if row.tenant_id else None,
            "occurred_at": row.occurred_at.isoformat(),
        }
        return [
            ({"id": str(uuid.uuid5(row.id, key)), **common, "payload": payload}, how.weight(payload))
            for key, payload in await how.expand(conn, row)
        ]
    stored = getattr(row, "stored_bytes", 0) or 0  # a row read without its size (tests, tools) weighs 1
    return [(_envelope_json(row), 1 + stored // BYTES_PER_WEIGHT)]


def jobs_of(envelopes: list[tuple[dict[str, Any], int]], limit: int) -> list[list[dict[str, Any]]]:
    """Cut the envelopes, in order, into jobs weighing at most ``limit``; an envelope heavier than that alone."""
    jobs: list[list[dict[str, Any]]] = []
    job: list[dict[str, Any]] = []
    load = 0
    for envelope, weight in envelopes:
        if job and load + weight > limit:
            jobs.append(job)
            job, load = [], 0
        job.append(envelope)
        load += weight
    if job:
        jobs.append(job)
    return jobs


async def _take_rows(conn: AsyncConnection, schema: str, batch_size: int) -> list[Any]:
    """Lock up to ``batch_size`` unpublished rows, and read the payloads of those that fit ``PASS_BYTES`` (at
    least one). A deferred row's payload (10,000 ids) is read by its expansion, in SQL: not fetched here."""
    heads = (
        await conn.execute(
            text(
                f"SELECT seq, id, tenant_id, message_type, version, consumers, occurred_at, "
                f"CASE WHEN message_type LIKE '{DEFERRED_PREFIX}%' THEN 0 ELSE pg_column_size(payload) END "
                f"AS stored_bytes FROM {schema}.outbox WHERE published_at IS NULL ORDER BY seq LIMIT :limit "
                f"FOR UPDATE SKIP LOCKED"
            ),
            {"limit": batch_size},
        )
    ).all()
    taken: list[Any] = []
    total = 0
    for head in heads:
        if taken and total + head.stored_bytes > PASS_BYTES:
            break  # the rest stays locked until this pass commits, then goes in the next
        taken.append(head)
        total += head.stored_bytes
    wanted = [h.seq for h in taken if h.stored_bytes]
    payloads: dict[int, Any] = {}
    if wanted:
        # The payload travels as the JSON text the database keeps, spliced into the job as it is (an orjson
        # fragment): decoding it into Python objects only to encode them again was most of the relay's work (a
        # dunning run's 92 MB of messages at 1M invoices: 1.6 s of CPU).
        query = text(f"SELECT seq, CAST(payload AS text) FROM {schema}.outbox WHERE seq = ANY(:seqs)")
        payloads = {seq: orjson.Fragment(raw) for seq, raw in (await conn.execute(query, {"seqs": wanted})).all()}
    return [SimpleNamespace(**head._mapping, payload=payloads.get(head.seq)) for head in taken]


async def relay_once(engine: AsyncEngine, redis: ArqRedis, schema: str, batch_size: int = 500) -> int:
    """Move up to ``batch_size`` unpublished outbox rows to their consumers' queues; returns how many.

    Rows are locked with SKIP LOCKED, so several relays (replicas) share the work without sending a row twice
    concurrently. The job id makes a re-sent batch a no-op while arq still knows the job; after that the
    consumer's inbox drops the duplicates.
    """
    async with engine.begin() as conn:
        rows = await _take_rows(conn, schema, batch_size)
        if not rows:
            return 0
        per_consumer: dict[str, list[tuple[dict[str, Any], int]]] = defaultdict(list)
        relayed, built = [], 0
        for row in rows:
            if built >= EXPANSION_BUDGET:  # the rest stays for the next pass
                break
            envelopes = await weighed_envelopes_of(conn, row)
            built += sum(weight for _, weight in envelopes)
            relayed.append(row.seq)
            for consumer in row.consumers:
                per_consumer[consumer].extend(envelopes)
        enqueues = []
        for consumer, envelopes in per_consumer.items():
            for chunk in jobs_of(envelopes, JOB_BATCH):
                # The consumer is part of the id: the same rows go to several queues as distinct jobs.
                job_id = f"{schema}>{consumer}:{chunk[0]['id']}:{chunk[-1]['id']}:{len(chunk)}"
                enqueues.append(
                    redis.enqueue_job(HANDLE_MESSAGES, chunk, _queue_name=queue_name(consumer), _job_id=job_id)
                )
        await asyncio.gather(*enqueues)
        await conn.execute(
            text(f"UPDATE {schema}.outbox SET published_at = now() WHERE seq = ANY(:seqs)"),
            {"seqs": relayed},
        )
    return len(relayed)


def redis_mark_key(schema: str) -> str:
    return f"cobranza:outbox-mark:{schema}"


async def replay_if_redis_lost(engine: AsyncEngine, redis: ArqRedis, schema: str, window_seconds: float) -> int:
    """Hand over again the rows published in the last ``window_seconds`` when Redis lost its data.

    Redis keeps nothing on disk here: a restart (or a flush) drops every job the relay had handed over and no
    consumer had finished yet. The relay keeps a mark in Redis; when the mark is gone, the jobs may be gone too, so
    the rows published recently become unpublished and go out again (consumers drop what they already processed,
    by envelope id). The window covers the longest a job waits in Redis: retries back off five minutes at most and
    dead-letter on the eighth try. ``SET NX`` makes one replica of the service do it. Answers how many rows."""
    key = redis_mark_key(schema)
    if await redis.exists(key) or not await redis.set(key, "1", nx=True):
        return 0
    async with engine.begin() as conn:
        result = await conn.execute(
            text(
                f"UPDATE {schema}.outbox SET published_at = NULL "
                f"WHERE published_at > now() - make_interval(secs => :window)"
            ),
            {"window": window_seconds},
        )
    replayed = result.rowcount or 0
    if replayed:
        log.warning("outbox_replayed_after_redis_loss", schema=schema, rows=replayed)
    return replayed


async def relay_forever(
    engine: AsyncEngine,
    redis: ArqRedis,
    schema: str,
    interval: float = 0.2,
    batch_size: int = 500,
    replay_window_seconds: float = 3600.0,
) -> None:
    """Relay until cancelled: at once while rows keep coming (a pass may stop early at ``EXPANSION_BUDGET``),
    every ``interval`` seconds once a pass finds nothing. Before each pass, the rows of a Redis that lost its data
    are handed over again (``replay_if_redis_lost``)."""
    while True:
        try:
            await replay_if_redis_lost(engine, redis, schema, replay_window_seconds)
            moved = await relay_once(engine, redis, schema, batch_size)
        except asyncio.CancelledError:
            raise
        except Exception:  # a database or Redis outage must not kill the relay; it retries
            log.exception("outbox_relay_failed", schema=schema)
            moved = 0
            await asyncio.sleep(min(5.0, interval * 10))
        if moved == 0:
            await asyncio.sleep(interval)


async def purge_published(engine: AsyncEngine, schema: str, older_than_days: int = 7) -> int:
    async with engine.begin() as conn:
        result = await conn.execute(
            text(f"DELETE FROM {schema}.outbox WHERE published_at < now() - make_interval(days => :days)"),
            {"days": older_than_days},
        )
    return result.rowcount or 0
