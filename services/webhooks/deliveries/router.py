"""The delivery log of an endpoint, test pings and replays (admins and integrations: an ERP that was down
replays what it missed), and the tenant's events (``/v1/webhook-events``)."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, status

from services.webhooks.deliveries import repository, service
from services.webhooks.deliveries.auth import DeliveriesRead, DeliveriesReplay
from services.webhooks.deliveries.rows import DeliveryRow, StoredEvent
from services.webhooks.deliveries.schemas import (
    WebhookDeliveryDetail,
    WebhookDeliveryOut,
    WebhookEventOut,
    WebhookPingSent,
    WebhookReplayRange,
    WebhookReplayResult,
)
from services.webhooks.endpoints.service import load
from shared.contracts.webhooks import WebhookEventType
from shared.db import SessionDep
from shared.pagination import Page, PageDep, make_page
from shared.problems import NotFound, problem_responses

router = APIRouter(prefix="/v1/webhook-endpoints", tags=["webhooks"], responses=problem_responses(401, 403, 422))
events_router = APIRouter(prefix="/v1/webhook-events", tags=["webhooks"], responses=problem_responses(401, 403, 422))

EventId = Annotated[str, Path(max_length=100, examples=["msg_2f1c0e7a9b4d4e8f"])]
State = Literal["pending", "succeeded", "failed", "abandoned"]


def _replayed(rows: Sequence[DeliveryRow]) -> dict[str, Any]:
    return {"deliveries": len(rows), "delivery_ids": [r.id for r in rows]}


@router.post(
    "/{endpoint_id}/test",
    response_model=WebhookPingSent,
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(404, 409),
)
async def test_endpoint(identity: DeliveriesReplay, endpoint_id: uuid.UUID, session: SessionDep) -> dict[str, Any]:
    """Send a `webhook.ping` event to this endpoint (delivered, signed and logged like any event); 409 while it
    is disabled."""
    return await service.send_ping(session, identity.tenant_id, endpoint_id)


@router.get("/{endpoint_id}/deliveries", response_model=Page[WebhookDeliveryOut], responses=problem_responses(404))
async def list_deliveries(
    identity: DeliveriesRead,
    endpoint_id: uuid.UUID,
    session: SessionDep,
    page: PageDep,
    state: State | None = None,
    event_id: Annotated[str | None, Query(max_length=100)] = None,
) -> dict[str, Any]:
    """The endpoint's delivery log, newest first: each event's state, attempts and next attempt."""
    await load(session, identity.tenant_id, endpoint_id)
    rows = await repository.list_deliveries(
        session, identity.tenant_id, endpoint_id, limit=page.limit, after=page.cursor, state=state, event_id=event_id
    )
    return make_page(rows, page.limit, key=lambda r: [r.created_at, r.id], item=DeliveryRow.as_dict)


@router.get(
    "/{endpoint_id}/deliveries/{delivery_id}", response_model=WebhookDeliveryDetail, responses=problem_responses(404)
)
async def get_delivery(
    identity: DeliveriesRead, endpoint_id: uuid.UUID, delivery_id: uuid.UUID, session: SessionDep
) -> dict[str, Any]:
    """One delivery with every attempt: status, latency, the first KB of the answer, the error."""
    delivery = await repository.get_delivery(session, identity.tenant_id, endpoint_id, delivery_id)
    if delivery is None:
        raise NotFound("Delivery not found")
    attempts = await repository.list_attempts(session, identity.tenant_id, delivery_id)
    return {**delivery.as_dict(), "attempts_log": [a.as_dict() for a in attempts]}


@router.post(
    "/{endpoint_id}/events/{event_id}/replay",
    response_model=WebhookReplayResult,
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(404),
)
async def replay_event(
    identity: DeliveriesReplay, endpoint_id: uuid.UUID, event_id: EventId, session: SessionDep
) -> dict[str, Any]:
    """Deliver one event again to this endpoint: a new delivery, the same `webhook-id` (a disabled endpoint gets
    it once enabled again)."""
    return _replayed(await service.replay_event(session, identity.tenant_id, endpoint_id, event_id))


@router.post(
    "/{endpoint_id}/replay",
    response_model=WebhookReplayResult,
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(404),
)
async def replay_range(
    identity: DeliveriesReplay, endpoint_id: uuid.UUID, data: WebhookReplayRange, session: SessionDep
) -> dict[str, Any]:
    """Deliver again every event of a time range [since, until) to this endpoint (the types it wants, or
    `event_types`): new deliveries, the same `webhook-id`s, oldest first. At most 10,000 events a call."""
    return _replayed(await service.replay_range(session, identity.tenant_id, endpoint_id, data))


@events_router.get("", response_model=Page[WebhookEventOut])
async def list_events(
    identity: DeliveriesRead,
    session: SessionDep,
    page: PageDep,
    type: WebhookEventType | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """The tenant's events, newest first."""
    rows = await repository.list_events(
        session,
        identity.tenant_id,
        limit=page.limit,
        after=page.cursor,
        event_type=type.value if type else None,
        since=since,
        until=until,
    )
    return make_page(rows, page.limit, key=lambda r: [r.occurred_at, r.event_id], item=StoredEvent.as_dict)


@events_router.get("/{event_id}", response_model=WebhookEventOut, responses=problem_responses(404))
async def get_event(identity: DeliveriesRead, event_id: EventId, session: SessionDep) -> dict[str, Any]:
    event = await repository.get_event(session, identity.tenant_id, event_id)
    if event is None:
        raise NotFound("Webhook event not found")
    return event.as_dict()
