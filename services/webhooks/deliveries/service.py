"""Events in (from the catalogue, in the inbox's transaction), test pings, replays."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.webhooks.deliveries import catalogue, repository
from services.webhooks.deliveries.rows import DeliveryRow
from services.webhooks.deliveries.schemas import WebhookReplayRange
from services.webhooks.endpoints.service import load
from shared.contracts.webhooks import OutgoingEvent, WebhookEventType, WebhookPingV1
from shared.inbox import Received
from shared.problems import Conflict, NotFound, ValidationProblem

# A range replay creates at most this many deliveries; a longer range is refused (ask for smaller ranges).
MAX_REPLAY = 10_000


async def store_events(session: AsyncSession, events: list[OutgoingEvent]) -> int:
    """Store catalogue events and fan them out (``repository.store_events``); idempotent per event id."""
    return await repository.store_events(session, events)


async def on_catalogue_messages(ctx: dict[str, Any], session: AsyncSession, batch: list[Received[Any]]) -> None:
    """The inbox handler of every message the catalogue consumes: what it announces is stored and fanned out in
    the inbox's transaction, so a message is announced once, and never lost."""
    await store_events(session, catalogue.webhook_events(batch))


async def send_ping(session: AsyncSession, tenant_id: uuid.UUID, endpoint_id: uuid.UUID) -> dict[str, Any]:
    """A ``webhook.ping`` to this endpoint only (delivered by the worker like any event)."""
    endpoint = await load(session, tenant_id, endpoint_id)
    if not endpoint.enabled:
        detail = "The endpoint is disabled: enable it first (POST .../enable)"
        raise Conflict(detail, disabled_reason=endpoint.disabled_reason)
    now = datetime.now(UTC)
    event = OutgoingEvent(
        tenant_id=tenant_id,
        event_id=f"msg_ping_{uuid.uuid4().hex}",
        event_type=WebhookEventType.PING,
        occurred_at=now,
        data=WebhookPingV1(endpoint_id=endpoint.id, url=endpoint.url, sent_at=now).model_dump(mode="json"),
    )
    await repository.insert_event(session, event)
    (delivery,) = await repository.add_deliveries(session, tenant_id, endpoint_id, [event.event_id], replay=True)
    return {"event_id": event.event_id, "delivery_id": delivery.id}


async def replay_event(
    session: AsyncSession, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, event_id: str
) -> list[DeliveryRow]:
    await load(session, tenant_id, endpoint_id)
    if await repository.get_event(session, tenant_id, event_id) is None:
        raise NotFound("Webhook event not found")
    return await repository.add_deliveries(session, tenant_id, endpoint_id, [event_id], replay=True)


async def replay_range(
    session: AsyncSession, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, data: WebhookReplayRange
) -> list[DeliveryRow]:
    endpoint = await load(session, tenant_id, endpoint_id)
    event_ids = await repository.events_in_range(
        session,
        tenant_id,
        data.since,
        data.until,
        [t.value for t in data.event_types],
        endpoint.event_types,
        MAX_REPLAY,
    )
    if len(event_ids) > MAX_REPLAY:
        raise ValidationProblem.field("until", f"the range holds more than {MAX_REPLAY} events: replay a shorter one")
    return await repository.add_deliveries(session, tenant_id, endpoint_id, event_ids, replay=True)
