"""Provider callbacks and unsubscribe links, through the gateway: callbacks stored by the gateway, then verified
over the public URL and applied by messaging's worker."""

import re
import uuid

import httpx

from messaging_service.inbound.apply import REJECTED
from messaging_service.inbound.rules import twilio_signature, whatsapp_signature
from tests.messaging.callbacks import apply_callbacks
from tests.messaging.support import (
    communication,
    deliver,
    messages,
    messaging_tenant,
    outbox,
    send,
    settings,
)

DEV = settings()


async def sent_sms(api, stack, provider, public_gateway, to="+5491155551234", customer_id=None):
    tenant = await messaging_tenant(api, stack)
    worker = settings(provider_url=provider.url, public_base_url=public_gateway)
    await send(stack, tenant.id, [communication("sms", to, customer_id=customer_id)])
    await deliver(stack, worker)
    (row,) = await messages(stack, tenant.id)
    assert row.state == "sent", row.error
    return tenant, row


async def stub(provider, path: str, body: dict) -> dict:
    async with httpx.AsyncClient(base_url=provider.url, timeout=10) as client:
        response = await client.post(path, json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_signed_twilio_status_callback_moves_the_message_on(api, stack, provider, public_gateway):
    tenant, row = await sent_sms(api, stack, provider, public_gateway)
    answer = await stub(provider, "/_stub/callbacks", {"message_id": row.provider_message_id, "status": "delivered"})
    assert answer["status_code"] == 204
    answer = await stub(provider, "/_stub/callbacks", {"message_id": row.provider_message_id, "status": "sent"})
    assert answer["status_code"] == 204  # late and out of order: accepted, changes nothing
    await apply_callbacks(stack)

    (row,) = await messages(stack, tenant.id)
    assert row.state == "delivered"
    assert row.delivered_at is not None
    states = [e.payload["state"] for e in await outbox(stack, "messaging.message_status_changed")]
    assert states == ["queued", "sent", "delivered"]


async def test_a_callback_with_a_bad_signature_is_dropped_and_counted(api, stack, provider, public_gateway):
    tenant, row = await sent_sms(api, stack, provider, public_gateway)
    rejected = REJECTED.labels("twilio")._value.get()
    url = f"{public_gateway}/webhooks/messaging/twilio/{tenant.id}/status?message={row.id}"
    params = {"MessageSid": row.provider_message_id, "MessageStatus": "delivered"}
    async with httpx.AsyncClient() as client:
        forged = await client.post(url, data=params, headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"})
        unsigned = await client.post(url, data=params)
        wrong_key = await client.post(
            url, data=params, headers={"X-Twilio-Signature": twilio_signature("not-the-token", url, params.items())}
        )
        other_url = await client.post(
            url,
            data=params,
            headers={"X-Twilio-Signature": twilio_signature(DEV.dev_twilio_auth_token, url + "x", params.items())},
        )
    # The gateway stores before anything is verified: the provider (or a forger) learns nothing from the answer.
    assert [r.status_code for r in (forged, unsigned, wrong_key, other_url)] == [204, 204, 204, 204]
    await apply_callbacks(stack)
    (row,) = await messages(stack, tenant.id)
    assert row.state == "sent"
    assert REJECTED.labels("twilio")._value.get() == rejected + 4


async def test_a_permanent_failure_reported_later_invalidates_the_number(api, stack, provider, public_gateway):
    customer = uuid.uuid4()
    tenant, row = await sent_sms(api, stack, provider, public_gateway, customer_id=customer)
    await stub(
        provider,
        "/_stub/callbacks",
        {"message_id": row.provider_message_id, "status": "undelivered", "error_code": "30003"},
    )
    await apply_callbacks(stack)
    (row,) = await messages(stack, tenant.id)
    assert (row.state, row.error_code) == ("failed", "30003")
    (event,) = await outbox(stack, "messaging.contact_invalidated")
    assert event.payload["customer_id"] == str(customer)
    assert event.payload["address"] == row.to_address


async def test_a_callback_cannot_touch_a_message_of_another_tenant(api, stack, provider, public_gateway):
    tenant, row = await sent_sms(api, stack, provider, public_gateway)
    other = await messaging_tenant(api, stack)
    url = f"{public_gateway}/webhooks/messaging/twilio/{other.id}/status?message={row.id}"
    params = {"MessageSid": row.provider_message_id, "MessageStatus": "delivered"}
    signature = twilio_signature(DEV.dev_twilio_auth_token, url, params.items())
    async with httpx.AsyncClient() as client:
        response = await client.post(url, data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 204
    await apply_callbacks(stack)
    (row,) = await messages(stack, tenant.id)
    assert row.state == "sent"


async def test_an_sms_stop_reply_records_an_opt_out(api, stack, provider, public_gateway):
    customer = uuid.uuid4()
    tenant, row = await sent_sms(api, stack, provider, public_gateway, customer_id=customer)
    await send(stack, tenant.id, [communication("sms", row.to_address, customer_id=customer, kind="pre_due")])
    # The provider is unreachable: the message waits for its retry in an hour.
    await deliver(stack, settings(provider_url="http://127.0.0.1:9", retry_base_seconds=3600, retry_max_seconds=3600))
    url = f"{public_gateway}/webhooks/messaging/twilio/{tenant.id}/inbound"
    answer = await stub(
        provider,
        "/_stub/inbound",
        {"channel": "sms", "from": row.to_address, "body": "BAJA", "url": url, "auth_token": DEV.dev_twilio_auth_token},
    )
    assert answer["status_code"] == 200
    assert "<Response/>" in answer["body"]
    await apply_callbacks(stack)

    (opt_out,) = await outbox(stack, "messaging.opt_out_recorded")
    assert opt_out.payload == {
        "customer_id": str(customer),
        "customer_external_id": "C-001",  # the ERP's id, as the message it answered carried it
        "channel": "sms",
        "address": row.to_address,
        "source": "sms_stop",
    }
    (reply,) = await outbox(stack, "messaging.reply_received")
    assert (reply.payload["body"], reply.payload["opt_out"]) == ("BAJA", True)
    assert reply.payload["customer_id"] == str(customer)
    waiting = [r for r in await messages(stack, tenant.id) if r.kind == "pre_due"]
    assert [(r.state, r.error_code) for r in waiting] == [("failed", "opted_out")]
    await send(stack, tenant.id, [communication("sms", row.to_address, customer_id=customer)])
    await deliver(stack, settings(provider_url=provider.url))
    latest = (await messages(stack, tenant.id))[-1]
    assert (latest.state, latest.error_code) == ("failed", "opted_out")


async def test_whatsapp_status_webhooks_are_verified_and_applied(api, stack, provider, public_gateway):
    tenant = await messaging_tenant(api, stack)
    await send(stack, tenant.id, [communication("whatsapp", "+5491155551234")])
    await deliver(stack, settings(provider_url=provider.url))
    (row,) = await messages(stack, tenant.id)
    provider.stub.whatsapp_webhook_url = f"{public_gateway}/webhooks/messaging/whatsapp/{tenant.id}"

    rejected = REJECTED.labels("whatsapp")._value.get()
    provider.stub.whatsapp_app_secret = "not-the-app-secret"
    answer = await stub(provider, "/_stub/callbacks", {"message_id": row.provider_message_id, "status": "read"})
    assert answer["status_code"] == 200  # stored; dropped when verified
    await apply_callbacks(stack)
    assert REJECTED.labels("whatsapp")._value.get() == rejected + 1
    assert (await messages(stack, tenant.id))[0].state == "sent"
    provider.stub.whatsapp_app_secret = DEV.dev_whatsapp_app_secret
    answer = await stub(provider, "/_stub/callbacks", {"message_id": row.provider_message_id, "status": "read"})
    assert answer["status_code"] == 200
    await apply_callbacks(stack)

    (row,) = await messages(stack, tenant.id)
    assert row.state == "read"
    assert row.read_at
    assert row.delivered_at
    platform = f"{public_gateway}/webhooks/messaging/whatsapp"  # one webhook for the platform's app
    await stub(
        provider,
        "/_stub/inbound",
        {
            "channel": "whatsapp",
            "from": "+5491155551234",
            "body": "STOP",
            "url": platform,
            "phone_number_id": DEV.dev_whatsapp_phone_number_id,
        },
    )
    await apply_callbacks(stack)
    (opt_out,) = await outbox(stack, "messaging.opt_out_recorded")
    assert opt_out.payload["channel"] == "whatsapp"
    assert opt_out.tenant_id == tenant.id


async def test_whatsapp_webhook_verification(api, stack):
    tenant = await messaging_tenant(api, stack)
    rejected = REJECTED.labels("whatsapp")._value.get()
    query = {"hub.mode": "subscribe", "hub.verify_token": DEV.dev_whatsapp_verify_token, "hub.challenge": "1158201444"}
    response = await api.get(f"/webhooks/messaging/whatsapp/{tenant.id}", params=query)
    assert (response.status_code, response.text) == (200, "1158201444")
    response = await api.get(f"/webhooks/messaging/whatsapp/{tenant.id}", params={**query, "hub.verify_token": "x"})
    assert response.status_code == 403
    body = b'{"entry": []}'
    response = await api.post(
        f"/webhooks/messaging/whatsapp/{tenant.id}",
        content=body,
        headers={"X-Hub-Signature-256": whatsapp_signature(DEV.dev_whatsapp_app_secret, body + b" ")},
    )
    assert response.status_code == 200
    await apply_callbacks(stack)
    assert REJECTED.labels("whatsapp")._value.get() == rejected + 1


async def test_the_unsubscribe_link_asks_then_records_the_opt_out(api, stack, mailbox):
    customer = uuid.uuid4()
    tenant = await messaging_tenant(api, stack)
    await send(stack, tenant.id, [communication(customer_id=customer)])
    await deliver(stack, settings(smtp_port=mailbox.port))
    (mail,) = mailbox.messages()
    link = re.search(r"<([^>]+)>", mail["List-Unsubscribe"]).group(1)
    path = link.split("127.0.0.1:8000", 1)[1]
    (row,) = await messages(stack, tenant.id)
    assert path in row.body_text  # the same link is in the message itself

    page = await api.get(path)
    assert page.status_code == 200
    assert "<form" in page.text
    assert "pagos@cliente.example" in page.text
    assert await outbox(stack, "messaging.opt_out_recorded") == []
    done = await api.post(path, content="List-Unsubscribe=One-Click")
    assert done.status_code == 200
    assert "Listo" in done.text
    (event,) = await outbox(stack, "messaging.opt_out_recorded")
    assert event.payload["source"] == "unsubscribe_link"
    assert event.payload["customer_id"] == str(customer)
    assert (await api.get(path[:-3] + "abc")).status_code == 404
