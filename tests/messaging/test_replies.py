"""Replies: matched to the customer and the message they answer, stored once, announced (issue 10, point 5)."""

import uuid
from datetime import UTC, datetime

import httpx

from messaging_service.inbound.replies import record_reply
from shared.db import unit_of_work
from tests.messaging.callbacks import apply_callbacks
from tests.messaging.support import (
    communication,
    deliver,
    messages,
    messaging_tenant,
    outbox,
    relay_messaging,
    send,
    settings,
)
from tests.messaging.test_webhooks import DEV
from tests.support import create_user, run_worker


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


async def _customer(api, tenant, collector_id):
    response = await api.post(
        "/v1/customers",
        json={"name": "Ferretería Don Pepe", "external_id": f"C-{uuid.uuid4().hex[:6]}", "collector_id": collector_id},
        headers=tenant.admin,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _receivables_applies(stack) -> None:
    """Messaging's announcements reach receivables (its relay, then receivables' worker)."""
    from services.receivables.worker import WorkerSettings

    await relay_messaging(stack)
    await run_worker(WorkerSettings)


async def test_inbound_sms_and_whatsapp_replies_reach_the_timeline_and_give_the_collector_a_task(
    api, stack, provider, public_gateway
):
    tenant = await messaging_tenant(api, stack)
    collector, _ = await create_user(api, tenant, "collector")
    await apply_callbacks(stack)  # the gateway's outbox: receivables learns the tenant and its collector
    await _receivables_applies(stack)
    customer = await _customer(api, tenant, collector["id"])
    customer_id = uuid.UUID(customer["id"])
    await send(stack, tenant.id, [communication("sms", "+5491155551234", customer_id=customer_id)])
    await send(stack, tenant.id, [communication("whatsapp", "+5491155551234", customer_id=customer_id)])
    await deliver(stack, settings(provider_url=provider.url, public_base_url=public_gateway))
    sent = {m.channel: m for m in await messages(stack, tenant.id)}
    sms, whatsapp = sent["sms"], sent["whatsapp"]
    provider.stub.whatsapp_webhook_url = f"{public_gateway}/webhooks/messaging/whatsapp/{tenant.id}"
    provider.stub.whatsapp_app_secret = DEV.dev_whatsapp_app_secret

    inbound = f"{public_gateway}/webhooks/messaging/twilio/{tenant.id}/inbound"
    sms_in = {"channel": "sms", "from": "+5491155551234", "body": "Ya pagué ayer", "url": inbound}
    wa_in = {
        "channel": "whatsapp",
        "from": "+5491155551234",
        "body": "No me llegó la factura",
        "url": provider.stub.whatsapp_webhook_url,
        "context_id": whatsapp.provider_message_id,
    }
    async with httpx.AsyncClient(base_url=provider.url) as client:
        for body in (sms_in | {"auth_token": DEV.dev_twilio_auth_token}, wa_in):
            assert (await client.post("/_stub/inbound", json=body)).json()["status_code"] == 200
    await apply_callbacks(stack)

    announced = {e.payload["channel"]: e.payload for e in await outbox(stack, "messaging.reply_received")}
    assert announced["sms"]["in_reply_to"] == str(sms.id)  # the latest SMS to that number
    assert announced["whatsapp"]["in_reply_to"] == str(whatsapp.id)  # named by context.id
    assert {p["customer_id"] for p in announced.values()} == {customer["id"]}
    listed = (await api.get(f"/v1/replies?customer_id={customer_id}", headers=tenant.admin)).json()["items"]
    assert sorted(r["body"] for r in listed) == ["No me llegó la factura", "Ya pagué ayer"]

    await _receivables_applies(stack)
    tasks = (await api.get(f"/v1/tasks?customer_id={customer_id}", headers=tenant.admin)).json()["items"]
    assert sorted(t["title"] for t in tasks) == [
        "Ferretería Don Pepe replied by sms: Ya pagué ayer",
        "Ferretería Don Pepe replied by whatsapp: No me llegó la factura",
    ]
    assert {t["assignee_id"] for t in tasks} == {collector["id"]}
    timeline = await api.get(f"/v1/customers/{customer_id}/timeline?kind=reply_received", headers=tenant.admin)
    assert len(timeline.json()["items"]) == 2
    assert sms.state == "sent"
