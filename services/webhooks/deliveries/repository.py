import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import CursorResult, func, insert, literal, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.webhooks.deliveries.rows import AttemptRow, ClaimedDelivery, DeliveryRow, EndpointRow, StoredEvent
from services.webhooks.models import Attempt, Delivery, Endpoint, Event, Secret
from shared.contracts.webhooks import OutgoingEvent, WebhookEventType
from shared.pagination import keyset

events = Event.__table__
deliveries = Delivery.__table__
attempts = Attempt.__table__
endpoints = Endpoint.__table__
secrets = Secret.__table__

PING = WebhookEventType.PING.value


STORE = text(
    """
    INSERT INTO webhooks.events (tenant_id, event_id, type, occurred_at, data)
    SELECT * FROM unnest(CAST(:tenant_ids AS uuid[]), CAST(:event_ids AS text[]), CAST(:types AS text[]),
                         CAST(:occurred AS timestamptz[]), CAST(:data AS jsonb[]))
    ON CONFLICT DO NOTHING
    RETURNING tenant_id, event_id, type, occurred_at
    """
)
# One delivery per new event and enabled endpoint of its tenant that wants its type (the types it listed, or every
# type when it listed none; a ping goes only to the endpoint tested).
FAN_OUT = text(
    """
    INSERT INTO webhooks.deliveries (tenant_id, id, endpoint_id, event_id, event_type)
    SELECT n.tenant_id, gen_random_uuid(), e.id, n.event_id, n.type
    FROM unnest(CAST(:tenant_ids AS uuid[]), CAST(:event_ids AS text[]), CAST(:types AS text[]),
                CAST(:occurred AS timestamptz[])) AS n(tenant_id, event_id, type, occurred_at)
    JOIN webhooks.endpoints e ON e.tenant_id = n.tenant_id
    WHERE e.enabled AND n.type <> 'webhook.ping' AND (e.event_types = '{}' OR n.type = ANY(e.event_types))
    ORDER BY n.occurred_at, n.event_id
    """
)


async def store_events(session: AsyncSession, batch: list[OutgoingEvent]) -> int:
    """Store new events and fan each out: one pending delivery per enabled endpoint of its tenant subscribed to
    its type. An event already stored (same tenant and id) creates nothing. Two statements whatever the batch's
    size (arrays, not one parameter per value). Returns the deliveries created."""
    if not batch:
        return 0
    stored = await session.execute(
        STORE,
        {
            "tenant_ids": [e.tenant_id for e in batch],
            "event_ids": [e.event_id for e in batch],
            "types": [e.event_type.value for e in batch],
            "occurred": [e.occurred_at for e in batch],
            "data": [orjson.dumps(e.data).decode() for e in batch],
        },
    )
    fresh = stored.all()
    if not fresh:
        return 0
    names = ("tenant_ids", "event_ids", "types", "occurred")
    columns = {name: list(column) for name, column in zip(names, zip(*fresh, strict=True), strict=True)}
    result = await session.execute(FAN_OUT, columns)
    return result.rowcount if isinstance(result, CursorResult) else 0


async def insert_event(session: AsyncSession, event: OutgoingEvent) -> None:
    await session.execute(
        insert(events).values(
            tenant_id=event.tenant_id,
            event_id=event.event_id,
            type=event.event_type.value,
            occurred_at=event.occurred_at,
            data=event.data,
        )
    )


async def get_event(session: AsyncSession, tenant_id: uuid.UUID, event_id: str) -> StoredEvent | None:
    query = select(events).where(events.c.tenant_id == tenant_id, events.c.event_id == event_id)
    row = (await session.execute(query)).mappings().first()
    return None if row is None else StoredEvent.of(row)


async def list_events(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    limit: int,
    after: list[Any] | None,
    event_type: str | None,
    since: datetime | None,
    until: datetime | None,
) -> list[StoredEvent]:
    """Newest first."""
    query = select(events).where(events.c.tenant_id == tenant_id)
    if event_type:
        query = query.where(events.c.type == event_type)
    if since:
        query = query.where(events.c.occurred_at >= since)
    if until:
        query = query.where(events.c.occurred_at < until)
    key = (events.c.occurred_at, events.c.event_id)
    query = keyset(query, key, (datetime.fromisoformat, str), after, limit, newest_first=True)
    return [StoredEvent.of(row) for row in (await session.execute(query)).mappings()]


async def add_deliveries(
    session: AsyncSession, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, event_ids: list[str], *, replay: bool
) -> list[DeliveryRow]:
    """New pending deliveries of stored events to one endpoint (a test ping, a replay), due at once."""
    if not event_ids:
        return []
    chosen = (
        select(
            events.c.tenant_id,
            func.gen_random_uuid(),
            literal(endpoint_id),
            events.c.event_id,
            events.c.type,
            literal(replay),
        )
        .where(events.c.tenant_id == tenant_id, events.c.event_id.in_(event_ids))
        .order_by(events.c.occurred_at, events.c.event_id)
    )
    statement = (
        insert(deliveries)
        .from_select(["tenant_id", "id", "endpoint_id", "event_id", "event_type", "replay"], chosen)
        .returning(deliveries)
    )
    return [DeliveryRow.of(row) for row in (await session.execute(statement)).mappings()]


async def events_in_range(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    since: datetime,
    until: datetime,
    types: list[str] | None,
    endpoint_types: list[str],
    limit: int,
) -> list[str]:
    """The ids of the tenant's events in [since, until), of ``types`` (default: the endpoint's), oldest first;
    pings are never replayed."""
    query = select(events.c.event_id).where(
        events.c.tenant_id == tenant_id,
        events.c.occurred_at >= since,
        events.c.occurred_at < until,
        events.c.type != PING,
    )
    wanted = types or endpoint_types
    if wanted:
        query = query.where(events.c.type.in_(wanted))
    query = query.order_by(events.c.occurred_at, events.c.event_id).limit(limit + 1)
    return list((await session.execute(query)).scalars().all())


async def list_deliveries(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    endpoint_id: uuid.UUID,
    *,
    limit: int,
    after: list[Any] | None,
    state: str | None,
    event_id: str | None,
) -> list[DeliveryRow]:
    """An endpoint's delivery log, newest first."""
    query = select(deliveries).where(deliveries.c.tenant_id == tenant_id, deliveries.c.endpoint_id == endpoint_id)
    if state:
        query = query.where(deliveries.c.state == state)
    if event_id:
        query = query.where(deliveries.c.event_id == event_id)
    key = (deliveries.c.created_at, deliveries.c.id)
    query = keyset(query, key, (datetime.fromisoformat, uuid.UUID), after, limit, newest_first=True)
    return [DeliveryRow.of(row) for row in (await session.execute(query)).mappings()]


async def get_delivery(
    session: AsyncSession, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> DeliveryRow | None:
    query = select(deliveries).where(
        deliveries.c.tenant_id == tenant_id,
        deliveries.c.endpoint_id == endpoint_id,
        deliveries.c.id == delivery_id,
    )
    row = (await session.execute(query)).mappings().first()
    return None if row is None else DeliveryRow.of(row)


async def list_attempts(session: AsyncSession, tenant_id: uuid.UUID, delivery_id: uuid.UUID) -> list[AttemptRow]:
    query = (
        select(attempts)
        .where(attempts.c.tenant_id == tenant_id, attempts.c.delivery_id == delivery_id)
        .order_by(attempts.c.at, attempts.c.id)
    )
    return [AttemptRow.of(row) for row in (await session.execute(query)).mappings()]


CLAIM = text(
    """
    WITH scanned AS (
        SELECT d.tenant_id, d.id, d.endpoint_id, d.next_attempt_at FROM webhooks.deliveries d
        JOIN webhooks.endpoints e ON e.tenant_id = d.tenant_id AND e.id = d.endpoint_id
        WHERE d.state = 'pending' AND d.next_attempt_at <= now() AND e.enabled
          AND NOT (d.endpoint_id = ANY(CAST(:busy AS uuid[])))
        ORDER BY d.next_attempt_at
        LIMIT :scan
    ), ranked AS (
        SELECT tenant_id, id, next_attempt_at,
               row_number() OVER (PARTITION BY tenant_id, endpoint_id ORDER BY next_attempt_at, id) AS n
        FROM scanned
    ), due AS (
        SELECT d.tenant_id, d.id FROM webhooks.deliveries d
        JOIN ranked r ON r.tenant_id = d.tenant_id AND r.id = d.id
        WHERE r.n <= :per_endpoint AND d.state = 'pending' AND d.next_attempt_at <= now()
        ORDER BY r.next_attempt_at
        LIMIT :limit
        FOR UPDATE OF d SKIP LOCKED
    )
    UPDATE webhooks.deliveries d
    SET next_attempt_at = now() + make_interval(secs => :lease), updated_at = now()
    FROM due, webhooks.endpoints e, webhooks.events ev
    WHERE d.tenant_id = due.tenant_id AND d.id = due.id
      AND e.tenant_id = d.tenant_id AND e.id = d.endpoint_id
      AND ev.tenant_id = d.tenant_id AND ev.event_id = d.event_id
    RETURNING d.tenant_id, d.id, d.endpoint_id, d.event_id, d.attempts, ev.type, ev.occurred_at, ev.data, e.url,
        e.failing_since,
        ARRAY(SELECT s.secret FROM webhooks.secrets s
              WHERE s.tenant_id = d.tenant_id AND s.endpoint_id = d.endpoint_id
                AND (s.expires_at IS NULL OR s.expires_at > now())
              ORDER BY s.created_at DESC) AS secrets,
        COALESCE((SELECT t.allow_private_urls FROM webhooks.tenant_settings t WHERE t.tenant_id = d.tenant_id),
                 false) AS allow_private_urls,
        COALESCE((SELECT t.disable_after_days FROM webhooks.tenant_settings t WHERE t.tenant_id = d.tenant_id),
                 5) AS disable_after_days
    """
)
# How many due deliveries a claim looks at per delivery it may take (room for the per-endpoint cap).
SCAN_FACTOR = 4


async def claim_due(
    session: AsyncSession,
    limit: int,
    lease_seconds: float,
    *,
    per_endpoint: int,
    busy: Sequence[uuid.UUID] = (),
) -> list[ClaimedDelivery]:
    """Take up to ``limit`` due deliveries of enabled endpoints, oldest first, at most ``per_endpoint`` of one
    endpoint and none of the ``busy`` ones (those already at their cap in this process), skipping those another
    worker holds; hide them for the lease: a worker that dies with them leaves them due again when it ends."""
    params = {
        "limit": limit,
        "scan": limit * SCAN_FACTOR,
        "per_endpoint": per_endpoint,
        "busy": list(busy),
        "lease": lease_seconds,
    }
    return [ClaimedDelivery.of(row) for row in (await session.execute(CLAIM, params)).mappings()]


async def record_attempts(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert attempts: ``attempts`` column values, one dict per attempt (one executemany)."""
    if rows:
        await session.execute(insert(attempts), rows)


FINISH = text(
    """
    UPDATE webhooks.deliveries d
    SET state = v.state, attempts = v.attempts, next_attempt_at = v.next_attempt_at, last_status = v.last_status,
        last_error = v.last_error, updated_at = now()
    FROM unnest(CAST(:tenant_ids AS uuid[]), CAST(:ids AS uuid[]), CAST(:states AS text[]),
                CAST(:attempts AS int[]), CAST(:next_attempts AS timestamptz[]), CAST(:statuses AS int[]),
                CAST(:errors AS text[]))
         AS v(tenant_id, id, state, attempts, next_attempt_at, last_status, last_error)
    WHERE d.tenant_id = v.tenant_id AND d.id = v.id AND d.state = 'pending'
    """
)


async def finish_deliveries(session: AsyncSession, changes: list[tuple[Any, ...]]) -> None:
    """Each attempted delivery's new state: ``(tenant_id, id, state, attempts, next_attempt_at, last_status,
    last_error)`` rows, in one statement."""
    if not changes:
        return
    columns = list(zip(*changes, strict=True))
    names = ("tenant_ids", "ids", "states", "attempts", "next_attempts", "statuses", "errors")
    await session.execute(FINISH, {name: list(column) for name, column in zip(names, columns, strict=True)})


async def endpoint_succeeded(session: AsyncSession, tenant_id: uuid.UUID, endpoint_id: uuid.UUID) -> None:
    await session.execute(
        update(endpoints)
        .where(endpoints.c.tenant_id == tenant_id, endpoints.c.id == endpoint_id)
        .values(failing_since=None, last_success_at=func.now())
    )


async def endpoint_failed(session: AsyncSession, tenant_id: uuid.UUID, endpoint_id: uuid.UUID) -> EndpointRow | None:
    """Mark the endpoint failing (from now, unless it already was); answers its row after the change."""
    statement = (
        update(endpoints)
        .where(endpoints.c.tenant_id == tenant_id, endpoints.c.id == endpoint_id)
        .values(failing_since=func.coalesce(endpoints.c.failing_since, func.now()))
        .returning(endpoints)
    )
    row = (await session.execute(statement)).mappings().first()
    return None if row is None else EndpointRow.of(row)


async def disable_endpoint(
    session: AsyncSession, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, reason: str
) -> EndpointRow | None:
    """Disable an enabled endpoint; None when it was disabled already (by another worker, or by hand)."""
    statement = (
        update(endpoints)
        .where(endpoints.c.tenant_id == tenant_id, endpoints.c.id == endpoint_id, endpoints.c.enabled)
        .values(enabled=False, disabled_reason=reason, disabled_at=func.now(), updated_at=func.now())
        .returning(endpoints)
    )
    row = (await session.execute(statement)).mappings().first()
    return None if row is None else EndpointRow.of(row)


PURGE_DELIVERIES = text(
    """
    DELETE FROM webhooks.deliveries
    WHERE state <> 'pending' AND updated_at < now() - make_interval(days => :days)
    """
)
PURGE_EVENTS = text(
    """
    DELETE FROM webhooks.events ev
    WHERE ev.created_at < now() - make_interval(days => :days)
      AND NOT EXISTS (SELECT 1 FROM webhooks.deliveries d WHERE d.tenant_id = ev.tenant_id AND d.event_id = ev.event_id)
    """
)


async def purge(session: AsyncSession, days: int) -> tuple[int, int]:
    """Forget finished deliveries (with their attempts) and events older than ``days``; a pending delivery and
    its event stay. Answers (deliveries, events) deleted."""
    deleted = [await session.execute(statement, {"days": days}) for statement in (PURGE_DELIVERIES, PURGE_EVENTS)]
    deliveries_deleted, events_deleted = (r.rowcount if isinstance(r, CursorResult) else 0 for r in deleted)
    return deliveries_deleted, events_deleted
