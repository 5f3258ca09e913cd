"""Webhook delivery throughput: 50,000 events delivered by the real webhooks worker to a local receiver (which
verifies every signature), beside a bare loop of signed POSTs with the same HTTP client, to the same receiver, in
the same run.

Ours is the worker's whole delivery path: the events are stored and fanned out (``store_events``, one delivery
each), then the worker process starts; its loop claims due deliveries (``FOR UPDATE SKIP LOCKED``), checks the
URL's addresses, signs each with Standard Webhooks, POSTs them (at most ``delivery_concurrency`` at once), and
records every attempt and the delivery's state. The clock runs from the worker's start (its start-up counts) to
the moment every delivery is ``succeeded``. The baseline signs and POSTs the same bodies with
``create_delivery_client`` at the same concurrency (what one endpoint gets), and does nothing else. Goal
(issue 14): at least half. Where the CPU went in each phase is printed (the machine's cores are shared).

    python bench/webhooks.py [--scale small]      (small: 5,000 events, under a minute)
"""

import asyncio
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import OPERATOR_TOKEN, System, arguments, bench_line
from services.webhooks.deliveries.sender import create_delivery_client, signed_request
from services.webhooks.deliveries.service import store_events
from services.webhooks.settings import WebhooksSettings
from shared.contracts.webhooks import OutgoingEvent, WebhookEventType
from shared.db import create_sessionmaker, unit_of_work

RECEIVER_OFFSET = 7
STORE_CHUNK = 5_000


def events(tenant_id: uuid.UUID, count: int) -> list[OutgoingEvent]:
    at = datetime.now(UTC)
    return [
        OutgoingEvent(
            tenant_id=tenant_id,
            event_id=f"msg_bench_{n:07d}",
            event_type=WebhookEventType.INVOICE_STATUS_CHANGED,
            occurred_at=at,
            data={"version": 1, "invoice_id": str(uuid.UUID(int=n + 1)), "external_id": f"FC-{n:07d}"},
        )
        for n in range(count)
    ]


async def baseline(url: str, secret: str, batch: list[OutgoingEvent], settings: WebhooksSettings) -> float:
    """Signed POSTs of the same bodies with the worker's client, as many at a time as the worker sends to one
    endpoint (``max_in_flight_per_endpoint``): events/s."""
    limit = asyncio.Semaphore(min(settings.delivery_concurrency, settings.max_in_flight_per_endpoint))
    failures = 0

    async def post(client: httpx.AsyncClient, event: OutgoingEvent) -> None:
        nonlocal failures
        signed = (event.event_id, event.event_type.value, event.occurred_at, event.data, [secret])
        async with limit:
            content, headers = signed_request(*signed, datetime.now(UTC))
            response = await client.post(url, content=content, headers=headers)
            failures += not 200 <= response.status_code < 300

    async with create_delivery_client(settings) as client:
        started = time.perf_counter()
        await asyncio.gather(*(post(client, e) for e in batch))
        elapsed = time.perf_counter() - started
    assert failures == 0, f"{failures} baseline requests failed"
    return len(batch) / elapsed


async def main() -> None:
    args = arguments(__doc__.split("\n")[0])
    count = 5_000 if args.scale == "small" else 50_000
    settings = WebhooksSettings()
    async with System("webhooks", services=("webhooks",), port_base=args.port_base, redis_db=13) as system:
        tenant = await system.tenant_api_key()
        receiver_url = f"http://127.0.0.1:{args.port_base + RECEIVER_OFFSET}/webhooks"
        async with httpx.AsyncClient(base_url=system.url("gateway"), timeout=30) as client:
            allowed = await client.put(
                f"/v1/tenants/{tenant['tenant_id']}/webhook-settings",
                headers={"X-Operator-Token": OPERATOR_TOKEN},
                json={"allow_private_urls": True},
            )
            allowed.raise_for_status()
            created = await client.post("/v1/webhook-endpoints", headers=tenant["admin"], json={"url": receiver_url})
            created.raise_for_status()
        secret = created.json()["secret"]
        receiver = system._spawn(
            "receiver",
            "receiver",
            [
                *(sys.executable, "-m", "services.webhooks.stubs.receiver"),
                *("--port", str(args.port_base + RECEIVER_OFFSET), "--secret", secret, "--quiet"),
            ],
        )
        await wait_listening(receiver_url)

        batch = events(uuid.UUID(tenant["tenant_id"]), count)
        engine = create_async_engine(system.database_url)
        sessionmaker = create_sessionmaker(engine)
        for first in range(0, count, STORE_CHUNK):
            async with unit_of_work(sessionmaker) as session:
                await store_events(session, batch[first : first + STORE_CHUNK])
        await engine.dispose()
        print(f"{count} events stored, one delivery each; the worker starts", flush=True)

        conn = await asyncpg.connect(system.dsn)
        cpu_before = system.cpu_by_role()
        started = time.perf_counter()
        system.start_worker("webhooks")
        while await conn.fetchval("SELECT count(*) FROM webhooks.deliveries WHERE state = 'succeeded'") < count:  # noqa: ASYNC110 - another process's progress
            await asyncio.sleep(0.2)
        ours = count / (time.perf_counter() - started)
        cpu_ours = system.cpu_by_role()
        attempts = await conn.fetchval("SELECT count(*) FROM webhooks.attempts")
        await conn.close()
        print(f"ours: {count} delivered in {count / ours:.1f} s ({attempts} attempts)", flush=True)

        bare = await baseline(receiver_url, secret, batch, settings)
        cpu_bare = system.cpu_by_role()
        print(f"CPU seconds while ours ran: {spent(cpu_before, cpu_ours)}", flush=True)
        print(f"CPU seconds while the baseline ran: {spent(cpu_ours, cpu_bare)}", flush=True)
        print(f"baseline: {count} signed POSTs in {count / bare:.1f} s", flush=True)
        receiver.terminate()
    print(bench_line("webhooks_delivery", ours, bare, "events/s"), flush=True)


def spent(before: dict[str, float], after: dict[str, float]) -> str:
    return ", ".join(f"{role} {after[role] - before.get(role, 0.0):.1f}" for role in sorted(after))


async def wait_listening(url: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(100):
            try:
                await client.get(url, timeout=1)
                return
            except httpx.HTTPError:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"the receiver at {url} did not start")


if __name__ == "__main__":
    asyncio.run(main())
