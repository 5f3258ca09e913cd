"""The gateway's thin receiver of provider callbacks and the stub's retries (issue 10, point 4): nothing a provider
calls back is lost while messaging is down, busy, or has not recorded the send yet."""

import asyncio
import time
from datetime import UTC, datetime

import httpx
from sqlalchemy import text

from api_gateway.main import create_app as create_gateway
from api_gateway.proxy.intake import purge_handed_over
from api_gateway.settings import GatewaySettings
from messaging_service.channels.config import SmsConfig
from messaging_service.channels.providers import send_sms
from messaging_service.delivery.queue import RECORD
from messaging_service.inbound.rules import twilio_signature
from messaging_service.worker import HANDLERS
from shared.inbox import process_batch
from shared.outbox import relay_once
from shared.worker import build_context, close_context
from tests.messaging.callbacks import apply_callbacks, stored_requests
from tests.messaging.support import messages, run_messaging, settings
from tests.messaging.test_webhooks import DEV, sent_sms, stub
from tests.support import RoutingTransport, free_port, in_process_urls, queued_envelopes, running, serve_on_loopback


async def test_a_status_callback_is_stored_while_messaging_is_down_and_applied_later(
    api, stack, provider, public_gateway
):
    tenant, row = await sent_sms(api, stack, provider, public_gateway)
    # A gateway that reaches no service at all: the callback is still taken.
    lonely = create_gateway(GatewaySettings(**in_process_urls()), upstream_transport=RoutingTransport({}))
    url = f"http://gateway.test/webhooks/messaging/twilio/{tenant.id}/status?message={row.id}"
    params = {"MessageSid": row.provider_message_id, "MessageStatus": "delivered"}
    signature = twilio_signature(DEV.dev_twilio_auth_token, url, params.items())
    async with running(lonely), httpx.AsyncClient(transport=httpx.ASGITransport(lonely)) as client:
        answer = await client.post(url, data=params, headers={"X-Twilio-Signature": signature})
    assert answer.status_code == 204
    (stored,) = await stored_requests(stack)
    assert (stored.tenant_id, stored.headers["x-twilio-signature"]) == (tenant.id, signature)
    assert (await messages(stack, tenant.id))[0].state == "sent"  # nothing applied yet

    await apply_callbacks(stack)
    assert (await messages(stack, tenant.id))[0].state == "delivered"


async def test_a_status_callback_is_stored_while_redis_is_down(api, stack, provider, public_gateway):
    """The intake's rate limit lives in Redis; a Redis outage must not cost a callback (issue 10: a 20 s Redis stop
    mid-send)."""
    tenant, row = await sent_sms(api, stack, provider, public_gateway)
    no_redis = f"redis://127.0.0.1:{free_port()}/0"
    gateway = create_gateway(
        GatewaySettings(**in_process_urls(), redis_url=no_redis), upstream_transport=RoutingTransport({})
    )
    url = f"http://gateway.test/webhooks/messaging/twilio/{tenant.id}/status?message={row.id}"
    params = {"MessageSid": row.provider_message_id, "MessageStatus": "delivered"}
    signature = twilio_signature(DEV.dev_twilio_auth_token, url, params.items())
    async with running(gateway), httpx.AsyncClient(transport=httpx.ASGITransport(gateway)) as client:
        answer = await client.post(url, data=params, headers={"X-Twilio-Signature": signature})
    assert answer.status_code == 204
    assert len(await stored_requests(stack)) == 1


async def test_a_callback_racing_the_send_is_applied_and_the_late_send_result_keeps_it(
    api, stack, provider, public_gateway
):
    tenant, row = await sent_sms(api, stack, provider, public_gateway)
    async with stack.engine.begin() as conn:  # as if the send's result were not committed yet
        await conn.execute(
            text("UPDATE messaging.messages SET state = 'sending', provider_message_id = NULL WHERE id = :id"),
            {"id": row.id},
        )
    await stub(provider, "/_stub/callbacks", {"message_id": row.provider_message_id, "status": "delivered"})
    while await relay_once(stack.engine, stack.arq, "gateway"):
        pass
    envelopes = await queued_envelopes(stack, "messaging")
    ctx: dict = {}
    await build_context(ctx, settings(), "messaging", HANDLERS)
    try:
        assert await process_batch(ctx, ctx["sessionmaker"], "messaging", HANDLERS, envelopes) == 1
    finally:
        await close_context(ctx)
    assert (await messages(stack, tenant.id))[0].state == "delivered"
    async with stack.engine.begin() as conn:  # the send's result is committed after the report
        await conn.execute(
            RECORD,
            {
                "ids": [row.id],
                "states": ["sent"],
                "provider_ids": [row.provider_message_id],
                "codes": [None],
                "errors": [None],
                "dead": [False],
                "retry_at": [None],
                "at": [datetime.now(UTC)],
            },
        )
    (after,) = await messages(stack, tenant.id)
    assert (after.state, after.provider_message_id) == ("delivered", row.provider_message_id)


async def test_a_report_for_a_message_queued_again_after_a_crash_ends_it_and_it_is_not_resent(
    api, stack, provider, public_gateway
):
    """The sender died after the provider took the SMS; its lease ran out and the message is due again. The
    provider's report proves it arrived: the message is delivered and not sent a second time."""
    tenant, row = await sent_sms(api, stack, provider, public_gateway)
    sends = len(provider.requests("sms"))
    async with stack.engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE messaging.messages SET state = 'queued', scheduled_at = now() + interval '1 hour' "
                "WHERE id = :id"
            ),
            {"id": row.id},
        )
    await stub(provider, "/_stub/callbacks", {"message_id": row.provider_message_id, "status": "delivered"})
    while await relay_once(stack.engine, stack.arq, "gateway"):
        pass
    await run_messaging(settings())
    async with stack.engine.begin() as conn:
        await conn.execute(text("UPDATE messaging.messages SET scheduled_at = now() WHERE id = :id"), {"id": row.id})
    await run_messaging(settings())
    assert (await messages(stack, tenant.id))[0].state == "delivered"
    assert len(provider.requests("sms")) == sends


async def test_a_callback_larger_than_a_megabyte_is_refused(api, stack):
    response = await api.post(
        "/webhooks/messaging/whatsapp", content=b"{" + b" " * (1024 * 1024) + b"}", headers={"X-Hub-Signature-256": "x"}
    )
    assert response.status_code == 413
    assert await stored_requests(stack) == []


async def test_stored_requests_are_purged_only_once_handed_over(api, stack):
    for _ in range(2):
        assert (await api.post("/webhooks/messaging/whatsapp", content=b"{}")).status_code == 200
    async with stack.engine.begin() as conn:
        await conn.execute(text("UPDATE gateway.webhook_requests SET received_at = now() - interval '8 days'"))
        first = await conn.scalar(text("SELECT min(seq) FROM gateway.outbox"))
        await conn.execute(text("UPDATE gateway.outbox SET published_at = now() WHERE seq = :seq"), {"seq": first})
    assert await purge_handed_over(stack.engine, 7) == 1
    assert len(await stored_requests(stack)) == 1  # its command is not relayed yet: kept


async def test_the_stub_retries_failed_callbacks_in_order_until_a_receiver_answers(
    api, stack, provider, public_gateway
):
    tenant, row = await sent_sms(api, stack, provider, public_gateway)
    provider.stub.callback_retry_base_seconds = 0.2
    provider.stub.callback_retry_cap_seconds = 1.0
    port = free_port()  # nothing listens there yet: the gateway is "down"
    url = f"http://127.0.0.1:{port}/webhooks/messaging/twilio/{tenant.id}/status?message={row.id}"
    for status in ("sent", "delivered"):
        answer = await stub(
            provider, "/_stub/callbacks", {"message_id": row.provider_message_id, "status": status, "url": url}
        )
        assert answer["retrying"] is True
    assert provider.stub.callback_summary()["pending"] == 2
    async with serve_on_loopback(stack.gateway, port):
        deadline = time.monotonic() + 120
        while provider.stub.callback_summary()["pending"] and time.monotonic() < deadline:  # noqa: ASYNC110 - polls a peer
            await asyncio.sleep(0.1)
    counts = provider.stub.callback_summary()
    assert (counts["pending"], counts["delivered"]) == (0, 2)
    assert counts["retried"] >= 1  # the first, until the receiver came up; the second waited behind it
    answered = [c["status"] for c in provider.stub.callbacks if c["answer"] == 204]
    assert answered == ["sent", "delivered"]
    await apply_callbacks(stack)
    assert (await messages(stack, tenant.id))[0].state == "delivered"


async def test_the_stub_counts_repeated_sends_of_one_reference(provider):
    config = SmsConfig(
        base_url=provider.url,
        account_sid="AC1",
        auth_token="token",
        from_number="+15005550006",
        messaging_service_sid=None,
    )
    async with httpx.AsyncClient() as http:
        for reference in ("m-1", "m-1", "m-2"):
            result = await send_sms(
                http,
                config,
                to="+5491155551234",
                body="Hola",
                status_callback=None,
                timeout_seconds=5,
                reference=reference,
            )
            assert result.provider_message_id
    async with httpx.AsyncClient() as client:
        log = (await client.get(provider.url + "/_stub/requests")).json()
    assert log["duplicates"] == 1
    assert [r["reference"] for r in log["requests"]] == ["m-1", "m-1", "m-2"]
