"""Delivery end to end: an endpoint registered through the gateway receives signed events from the worker's
delivery pass, on a real HTTP server on loopback; retries keep the same webhook-id; one failing endpoint holds
no other back; a worker that dies mid-send loses nothing."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.webhooks.deliveries.catalogue import CONSUMED_MESSAGES
from services.webhooks.deliveries.repository import purge
from services.webhooks.deliveries.sender import create_delivery_client, deliver_due, deliver_forever
from services.webhooks.deliveries.service import store_events
from services.webhooks.worker import HANDLERS
from shared.contracts.webhooks import OutgoingEvent, WebhookEventType
from shared.db import unit_of_work
from tests.support import create_tenant
from tests.webhooks.support import allow_private, deliver, execute, fetch, receiver, register, settings

CATALOGUE = [t for t in WebhookEventType if t is not WebhookEventType.PING]


@pytest.fixture
async def hook():
    async with receiver() as stub:
        yield stub


async def tenant_with_endpoint(api, url: str, **body):
    tenant = await create_tenant(api)
    await allow_private(api, tenant.id)
    return tenant, await register(api, tenant.admin, url, **body)


def events(tenant_id: uuid.UUID, types: list[WebhookEventType], prefix: str = "msg") -> list[OutgoingEvent]:
    at = datetime(2026, 12, 1, 12, tzinfo=UTC)
    return [
        OutgoingEvent(
            tenant_id=tenant_id,
            event_id=f"{prefix}_{n}_{uuid.uuid4().hex[:8]}",
            event_type=event_type,
            occurred_at=at + timedelta(minutes=n),
            data={"version": 1, "n": n, "type": event_type.value},
        )
        for n, event_type in enumerate(types)
    ]


async def store(stack, batch: list[OutgoingEvent]) -> int:
    async with unit_of_work(stack.services["webhooks"].state.sessionmaker) as session:
        return await store_events(session, batch)


def test_the_worker_handles_every_message_the_catalogue_consumes():
    assert set(HANDLERS) == set(CONSUMED_MESSAGES)


async def test_a_registered_endpoint_receives_a_signed_ping(api, stack, hook):
    tenant, endpoint = await tenant_with_endpoint(api, hook.url, description="ERP")
    response = await api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test", headers=tenant.admin)
    assert response.status_code == 202, response.text
    ping = response.json()

    assert await deliver(stack) == 1
    (got,) = hook.received
    payload = Webhook(endpoint["secret"]).verify(got.body, got.headers)
    assert payload["type"] == "webhook.ping" and payload["data"]["endpoint_id"] == endpoint["id"]
    assert got.webhook_id == ping["event_id"]
    assert got.headers["content-type"] == "application/json"
    assert got.headers["user-agent"].startswith("cobranza-webhooks/")
    assert abs(int(got.headers["webhook-timestamp"]) - datetime.now(UTC).timestamp()) < 3600  # real time
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43).verify(got.body, got.headers)

    response = await api.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=tenant.admin)
    (delivery,) = response.json()["items"]
    assert (delivery["state"], delivery["attempts"], delivery["last_status"]) == ("succeeded", 1, 200)
    response = await api.get(
        f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/{delivery['id']}", headers=tenant.admin
    )
    (attempt,) = response.json()["attempts_log"]
    assert attempt["status_code"] == 200 and attempt["latency_ms"] >= 0
    assert attempt["response_excerpt"].startswith("answer 200") and len(attempt["response_excerpt"]) == 1024
    assert await deliver(stack) == 0  # nothing due any more


async def test_every_catalogue_type_is_delivered_signed_and_stored_once(api, stack, hook):
    tenant, everything = await tenant_with_endpoint(api, hook.url)
    promises = await register(api, tenant.admin, hook.url + "?only=promises", event_types=["promise.broken"])
    batch = events(tenant.id, CATALOGUE)
    assert await store(stack, batch) == len(CATALOGUE) + 1  # every type to the first, one to the second
    assert await store(stack, batch) == 0  # the same events again: nothing new

    assert await deliver(stack) == len(CATALOGUE) + 1
    by_secret = {everything["secret"]: [], promises["secret"]: []}
    for got in hook.received:  # each endpoint's deliveries verify with its own secret only
        for candidate in by_secret:
            try:
                payload = Webhook(candidate).verify(got.body, got.headers)
            except WebhookVerificationError:
                continue
            by_secret[candidate].append((got.webhook_id, payload["type"], payload["data"]))
    assert sorted(t for _, t, _ in by_secret[everything["secret"]]) == sorted(t.value for t in CATALOGUE)
    assert [t for _, t, _ in by_secret[promises["secret"]]] == ["promise.broken"]
    sent = {e.event_id: e for e in batch}
    for webhook_id, event_type, data in by_secret[everything["secret"]]:
        assert sent[webhook_id].event_type.value == event_type and sent[webhook_id].data == data

    response = await api.get("/v1/webhook-events", headers=tenant.admin)
    assert len(response.json()["items"]) == len(CATALOGUE)


async def test_a_failing_receiver_gets_the_event_later_with_the_same_webhook_id(api, stack, hook):
    tenant, endpoint = await tenant_with_endpoint(api, hook.url)
    hook.statuses = [500, 503, 502]
    (event,) = events(tenant.id, [WebhookEventType.PROMISE_BROKEN])
    await store(stack, [event])

    assert await deliver(stack, passes=6) == 4  # three failures, then success; nothing after
    assert [r.webhook_id for r in hook.received] == [event.event_id] * 4
    for got in hook.received:
        Webhook(endpoint["secret"]).verify(got.body, got.headers)
    response = await api.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=tenant.admin)
    (delivery,) = response.json()["items"]
    assert (delivery["state"], delivery["attempts"]) == ("succeeded", 4)
    detail = await api.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/{delivery['id']}", headers=tenant.admin)
    assert [a["status_code"] for a in detail.json()["attempts_log"]] == [500, 503, 502, 200]
    response = await api.get(f"/v1/webhook-endpoints/{endpoint['id']}", headers=tenant.admin)
    assert response.json()["failing_since"] is None and response.json()["last_success_at"] is not None


async def test_retries_wait_on_the_schedule_and_end_abandoned(api, stack, hook):
    tenant, _ = await tenant_with_endpoint(api, hook.url)
    hook.default = 500
    await store(stack, events(tenant.id, [WebhookEventType.PAYMENT_REPORTED]))

    assert await deliver(stack, retry_schedule_seconds=[3600.0]) == 1
    (row,) = await fetch(stack, "SELECT state, attempts, next_attempt_at FROM webhooks.deliveries")
    assert row["state"] == "pending" and row["attempts"] == 1
    assert row["next_attempt_at"] > datetime.now(UTC) + timedelta(minutes=59)  # not due before the wait
    assert await deliver(stack, retry_schedule_seconds=[3600.0]) == 0
    await execute(stack, "UPDATE webhooks.deliveries SET next_attempt_at = now()")  # the hour has passed
    assert await deliver(stack, retry_schedule_seconds=[3600.0]) == 1
    (row,) = await fetch(stack, "SELECT state, attempts, next_attempt_at, last_status FROM webhooks.deliveries")
    assert (row["state"], row["attempts"], row["next_attempt_at"], row["last_status"]) == ("abandoned", 2, None, 500)


async def test_an_unreachable_endpoint_holds_no_other_back(api, stack, hook):
    tenant, good = await tenant_with_endpoint(api, hook.url)
    response = await api.post("/v1/webhook-endpoints", json={"url": "http://127.0.0.1:9/down"}, headers=tenant.admin)
    assert response.status_code == 201, response.text
    down = response.json()
    await store(stack, events(tenant.id, [WebhookEventType.DISPUTE_OPENED, WebhookEventType.DISPUTE_RESOLVED]))

    assert await deliver(stack) == 4
    assert len(hook.received) == 2
    states = await fetch(
        stack, "SELECT endpoint_id, state, last_error FROM webhooks.deliveries ORDER BY endpoint_id, created_at"
    )
    assert {(str(r["endpoint_id"]), r["state"]) for r in states} == {(good["id"], "succeeded"), (down["id"], "pending")}
    assert all(r["last_error"].startswith("ConnectError") for r in states if str(r["endpoint_id"]) == down["id"])


async def test_a_worker_that_dies_mid_delivery_loses_nothing(api, stack, hook):
    tenant, endpoint = await tenant_with_endpoint(api, hook.url)
    (event,) = events(tenant.id, [WebhookEventType.ACTION_ITEM_CREATED])
    await store(stack, [event])
    hook.hold = asyncio.Event()
    config = settings(lease_seconds=600)
    engine = stack.services["webhooks"].state.engine

    async with create_delivery_client(config) as client:
        dying = asyncio.create_task(deliver_due(engine, client, config))
        await hook.arrived.wait()  # the request is on the wire
        dying.cancel()  # the worker dies: nothing after this point runs
        with pytest.raises(asyncio.CancelledError):
            await dying
    (row,) = await fetch(stack, "SELECT state, attempts, next_attempt_at FROM webhooks.deliveries")
    assert row["state"] == "pending" and row["attempts"] == 0
    assert row["next_attempt_at"] > datetime.now(UTC) + timedelta(minutes=9)  # hidden by the lease meanwhile
    assert await deliver(stack) == 0

    hook.hold.set()
    hook.hold = None
    await execute(stack, "UPDATE webhooks.deliveries SET next_attempt_at = now()")  # the lease has ended
    assert await deliver(stack) == 1
    assert [r.webhook_id for r in hook.received] == [event.event_id, event.event_id]
    Webhook(endpoint["secret"]).verify(hook.received[1].body, hook.received[1].headers)
    (row,) = await fetch(stack, "SELECT state, attempts FROM webhooks.deliveries")
    assert (row["state"], row["attempts"]) == ("succeeded", 1)


async def test_a_host_name_is_resolved_checked_and_called_at_the_address_checked(api, stack, hook):
    """The request goes to the address the check saw, with the URL's own host in ``Host``; once the tenant may no
    longer call private addresses, the worker refuses the next attempt itself (checked again at delivery)."""
    tenant, endpoint = await tenant_with_endpoint(api, f"http://localhost:{hook.port}/hooks")
    await api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test", headers=tenant.admin)
    assert await deliver(stack) == 1
    assert hook.received[0].headers["host"] == f"localhost:{hook.port}"

    await allow_private(api, tenant.id, False)
    await api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test", headers=tenant.admin)
    assert await deliver(stack) == 1
    assert len(hook.received) == 1  # not called
    (row,) = await fetch(stack, "SELECT state, last_error FROM webhooks.deliveries WHERE state = 'pending'")
    assert "private" in row["last_error"]


async def test_the_delivery_loop_keeps_serving_others_while_a_slow_endpoint_holds_its_share(api, stack, hook):
    """The worker's loop: a receiver that does not answer holds at most ``max_in_flight_per_endpoint`` of the
    loop's requests; the other endpoint's events all go out meanwhile, and the slow one's when it answers."""
    tenant, fast = await tenant_with_endpoint(api, hook.url)
    async with receiver() as slow_hook:
        slow_hook.hold = asyncio.Event()
        slow = await register(api, tenant.admin, slow_hook.url)
        batch = events(tenant.id, [WebhookEventType.PAYMENT_ALLOCATED] * 8)
        await store(stack, batch)
        config = settings(delivery_concurrency=4, max_in_flight_per_endpoint=2, delivery_interval_seconds=0.01)
        engine = stack.services["webhooks"].state.engine
        async with create_delivery_client(config) as client:
            loop = asyncio.create_task(deliver_forever(engine, client, config))
            try:
                # progress of the loop's own task: polled, bounded by the test's timeout, nothing asserted on time
                while len(hook.received) < len(batch) or await succeeded(stack, fast["id"]) < len(batch):  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
                assert len(slow_hook.received) == 2  # its cap: the rest of its deliveries wait their turn
                slow_hook.hold.set()
                while await succeeded(stack, slow["id"]) < len(batch):  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
            finally:
                loop.cancel()
                await asyncio.gather(loop, return_exceptions=True)
    assert sorted(r.webhook_id for r in hook.received) == sorted(e.event_id for e in batch)
    assert sorted(r.webhook_id for r in slow_hook.received) == sorted(e.event_id for e in batch)


async def succeeded(stack, endpoint_id: str) -> int:
    rows = await fetch(
        stack,
        "SELECT count(*) AS n FROM webhooks.deliveries WHERE endpoint_id = :e AND state = 'succeeded'",
        e=uuid.UUID(endpoint_id),
    )
    return rows[0]["n"]


async def test_finished_deliveries_and_events_are_forgotten_after_the_retention_pending_ones_stay(api, stack, hook):
    tenant, _ = await tenant_with_endpoint(api, hook.url)
    old, recent, waiting = events(tenant.id, [WebhookEventType.PROMISE_MADE] * 3)
    await store(stack, [old, recent, waiting])
    due_at = "UPDATE webhooks.deliveries SET next_attempt_at = now() + CAST(:wait AS interval) WHERE event_id = :e"
    await execute(stack, due_at, wait=timedelta(hours=1), e=waiting.event_id)
    assert await deliver(stack) == 2  # the old and the recent one succeed
    await execute(stack, due_at, wait=timedelta(0), e=waiting.event_id)
    hook.default = 500
    assert await deliver(stack, retry_schedule_seconds=[3600.0]) == 1  # the third fails: pending for an hour
    aged = "UPDATE webhooks.{t} SET {c} = now() - interval '31 days' WHERE event_id = ANY(:e)"
    await execute(stack, aged.format(t="deliveries", c="updated_at"), e=[old.event_id, waiting.event_id])
    await execute(stack, aged.format(t="events", c="created_at"), e=[old.event_id, waiting.event_id])

    async with stack.engine.begin() as conn, AsyncSession(bind=conn) as session:
        assert await purge(session, 30) == (1, 1)
    left = await fetch(stack, "SELECT event_id FROM webhooks.events ORDER BY event_id")
    assert {r["event_id"] for r in left} == {recent.event_id, waiting.event_id}
    rows = await fetch(stack, "SELECT count(*) AS n FROM webhooks.attempts")
    assert rows[0]["n"] == 2  # the old delivery's attempt went with it
