"""Replies: matched to the customer and the message they answer, stored once, announced (issue 10, point 5)."""

import uuid
from datetime import UTC, datetime

from messaging_service.inbound.replies import record_reply
from shared.db import unit_of_work
from tests.messaging.support import communication, deliver, messages, messaging_tenant, outbox, send, settings


async def test_a_reply_is_matched_to_the_latest_message_to_that_number_and_announced_once(api, stack, provider):
    customer = uuid.uuid4()
    tenant = await messaging_tenant(api, stack)
    await send(stack, tenant.id, [communication("sms", "+5491155551234", customer_id=customer)])
    await deliver(stack, settings(provider_url=provider.url))
    (sent,) = await messages(stack, tenant.id)
    sessionmaker = stack.services["messaging"].state.sessionmaker
    received_at = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)
    for _ in range(2):  # the provider delivers the same inbound message twice
        async with unit_of_work(sessionmaker) as session:
            await record_reply(
                session,
                tenant.id,
                channel="sms",
                from_address="+5491155551234",
                body="ya pagué ayer",
                received_at=received_at,
                external_id="SM-inbound-1",
            )
    (event,) = await outbox(stack, "messaging.reply_received")
    assert event.tenant_id == tenant.id
    assert event.payload["customer_id"] == str(customer)
    assert event.payload["in_reply_to"] == str(sent.id)
    assert (event.payload["body"], event.payload["opt_out"]) == ("ya pagué ayer", False)
