"""The outbox relay hands an event with several consumers to every consumer's queue (regression: the arq
job id once left out the consumer, and arq, which dedupes ids across queues, dropped all but one)."""

import uuid

from api_gateway.models import outbox
from shared.contracts.gateway import TenantChanged
from shared.outbox import emit, queue_name, relay_once


async def test_every_consumer_gets_its_job(api, stack):
    event = TenantChanged(
        tenant_id=uuid.uuid4(), slug="x", name="X", country="AR", timezone="UTC", default_currency="ARS", language="es"
    )
    async with stack.engine.begin() as conn:
        await emit(conn, outbox, event.tenant_id, event)
    assert await relay_once(stack.engine, stack.arq, "gateway") == 1
    for consumer in TenantChanged.consumers:
        assert await stack.redis.zcard(queue_name(consumer)) == 1, consumer
