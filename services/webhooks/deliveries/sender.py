"""The delivery loop of the worker: claim due deliveries, send them (signed, concurrently, bounded), record
every attempt and decide what comes next (``rules``).

One pooled ``httpx.AsyncClient`` per worker process, no redirects followed, tight timeouts. The host is resolved
and checked before each attempt and the request goes to the address checked (the ``Host`` header and TLS name
stay the URL's), so a DNS answer that changes after the check (rebinding) cannot send it elsewhere.
"""

import asyncio
import time
import uuid
from collections import Counter, defaultdict, deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from standardwebhooks.webhooks import Webhook

from services.webhooks.deliveries import repository, rules
from services.webhooks.deliveries.rows import ClaimedDelivery
from services.webhooks.endpoints.addresses import url_refusal
from services.webhooks.models import FAILED, SUCCEEDED, outbox
from services.webhooks.settings import WebhooksSettings
from shared.contracts.webhooks import WebhookEndpointDisabled
from shared.outbox import emit

log = structlog.get_logger()

# A claim takes up to this many shares (``max_in_flight_per_endpoint``) of an endpoint's due deliveries: one claim
# serves several rounds of requests, and what waits here is sent within two timeouts, well inside the lease.
CLAIM_AHEAD = 2


def create_delivery_client(settings: WebhooksSettings) -> httpx.AsyncClient:
    """The process's one client for deliveries: never follows a redirect, ignores proxy variables."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.timeout_seconds, connect=settings.connect_timeout_seconds),
        limits=httpx.Limits(max_connections=settings.max_connections, keepalive_expiry=settings.http_keepalive_seconds),
        follow_redirects=False,
        trust_env=False,
        headers={"user-agent": settings.user_agent},
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    claimed: ClaimedDelivery
    status_code: int | None
    latency_ms: int
    excerpt: str | None
    error: str | None


def signed_request(
    event_id: str, event_type: str, occurred_at: datetime, data: dict[str, Any], secrets: list[str], now: datetime
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one attempt: signed with every secret that signs now, at the real time."""
    content = rules.body(event_type, occurred_at, data)
    signatures = [Webhook(secret).sign(event_id, now, content) for secret in secrets]
    headers = {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": rules.signature_header(signatures),
        "content-type": "application/json",
    }
    return content, headers


async def send(client: httpx.AsyncClient, settings: WebhooksSettings, claimed: ClaimedDelivery) -> Outcome:
    """One attempt; never raises (a failure is an outcome)."""
    started = time.perf_counter()

    def outcome(status: int | None = None, excerpt: str | None = None, error: str | None = None) -> Outcome:
        return Outcome(claimed, status, int((time.perf_counter() - started) * 1000), excerpt, error)

    refusal, addresses = await url_refusal(
        claimed.url, development=settings.environment == "development", allow_private=claimed.allow_private_urls
    )
    if refusal is not None:
        return outcome(error=f"url {refusal}")
    if not claimed.secrets:
        return outcome(error="the endpoint has no signing secret")
    url = httpx.URL(claimed.url)
    event = (claimed.event_id, claimed.type, claimed.occurred_at, claimed.data, claimed.secrets)
    content, headers = signed_request(*event, datetime.now(UTC))
    headers["host"] = url.netloc.decode("ascii")
    try:
        async with asyncio.timeout(settings.timeout_seconds):
            status, head = await _post_to_first_reachable(client, url, addresses, content, headers)
    except (TimeoutError, httpx.TimeoutException):
        return outcome(error=f"timed out after {settings.timeout_seconds:g} s")
    except httpx.HTTPError as exc:
        return outcome(error=f"{type(exc).__name__}: {exc}"[:500])
    except Exception as exc:  # whatever else went wrong on the way out is this attempt's failure, logged
        log.exception("webhook_attempt_error", delivery_id=str(claimed.id))
        return outcome(error=f"{type(exc).__name__}: {exc}"[:500])
    return outcome(status, rules.excerpt(head))


async def _post_to_first_reachable(
    client: httpx.AsyncClient, url: httpx.URL, addresses: list[str], content: bytes, headers: dict[str, str]
) -> tuple[int, bytes]:
    """POST to the checked addresses in turn until one accepts the connection (nothing was sent to those that
    refused); the status and the first KB of the answer."""
    for n, address in enumerate(addresses):
        request = client.build_request(
            "POST", url.copy_with(host=address), content=content, headers=headers, extensions={"sni_hostname": url.host}
        )
        try:
            response = await client.send(request, stream=True)
        except httpx.ConnectError:
            if n == len(addresses) - 1:
                raise
            continue
        try:
            head = b""
            async for chunk in response.aiter_raw():
                head += chunk
                if len(head) >= rules.RESPONSE_EXCERPT_BYTES:
                    break
        finally:
            await response.aclose()
        return response.status_code, head
    raise AssertionError("no address to send to")  # url_refusal answers at least one address or a refusal


async def record(session: AsyncSession, settings: WebhooksSettings, outcomes: list[Outcome]) -> None:
    """Store the attempts and each delivery's next state (a few statements for the whole batch); an endpoint
    that succeeded is failing no more; one that is gone, or has failed for its tenant's period, is disabled and
    announced to alarms in the same transaction."""
    now = datetime.now(UTC)
    await repository.record_attempts(
        session,
        [
            {
                "tenant_id": o.claimed.tenant_id,
                "id": uuid.uuid4(),
                "delivery_id": o.claimed.id,
                "status_code": o.status_code,
                "latency_ms": o.latency_ms,
                "response_excerpt": o.excerpt,
                "error": o.error,
            }
            for o in outcomes
        ],
    )
    changes = []
    by_endpoint: dict[tuple[uuid.UUID, uuid.UUID], dict[str, Outcome]] = {}
    for o in outcomes:
        made = o.claimed.attempts + 1
        state, delay = rules.after_attempt(made, o.status_code, settings.retry_schedule_seconds)
        next_attempt_at = None if delay is None else now + timedelta(seconds=delay)
        changes.append((o.claimed.tenant_id, o.claimed.id, state, made, next_attempt_at, o.status_code, o.error))
        by_endpoint.setdefault((o.claimed.tenant_id, o.claimed.endpoint_id), {})[state] = o
    await repository.finish_deliveries(session, changes)
    for key in sorted(by_endpoint):  # one order in every worker: no deadlock between two recording at once
        states = by_endpoint[key]
        if FAILED in states:
            await _disable(session, states[FAILED], "gone: the endpoint answered 410")
        elif SUCCEEDED in states:  # it answered in this batch: not failing any more
            await repository.endpoint_succeeded(session, *key)
        else:
            o = next(iter(states.values()))
            endpoint = await repository.endpoint_failed(session, *key)
            days = o.claimed.disable_after_days
            if endpoint is not None and rules.should_disable(endpoint.failing_since, now, days):
                await _disable(session, o, f"failing: no successful delivery for {days} days")


async def _disable(session: AsyncSession, o: Outcome, reason: str) -> None:
    tenant_id = o.claimed.tenant_id
    endpoint = await repository.disable_endpoint(session, tenant_id, o.claimed.endpoint_id, reason)
    if endpoint is None or endpoint.disabled_at is None:  # disabled_at: set by the statement
        return
    disabled_at = endpoint.disabled_at
    log.warning("webhook_endpoint_disabled", tenant_id=str(tenant_id), endpoint_id=str(endpoint.id), reason=reason)
    last_error = o.error or (f"HTTP {o.status_code}" if o.status_code is not None else None)
    message = WebhookEndpointDisabled(
        endpoint_id=endpoint.id,
        url=endpoint.url,
        failing_since=endpoint.failing_since or disabled_at,
        disabled_at=disabled_at,
        last_error=last_error,
    )
    await emit(session, outbox, tenant_id, message)


async def deliver_due(engine: AsyncEngine, client: httpx.AsyncClient, settings: WebhooksSettings) -> int:
    """One pass: claim (committed at once, so the lease holds whatever happens next), send, record.
    Returns how many deliveries were attempted."""
    async with engine.begin() as conn, AsyncSession(bind=conn) as session:
        claimed = await repository.claim_due(
            session,
            settings.delivery_batch_size,
            settings.lease_seconds,
            per_endpoint=settings.max_in_flight_per_endpoint,
        )
    if not claimed:
        return 0
    limit = asyncio.Semaphore(settings.delivery_concurrency)

    async def bounded(row: ClaimedDelivery) -> Outcome:
        async with limit:
            return await send(client, settings, row)

    outcomes = await asyncio.gather(*(bounded(row) for row in claimed))
    async with engine.begin() as conn, AsyncSession(bind=conn) as session:
        await record(session, settings, list(outcomes))
    return len(outcomes)


async def deliver_forever(engine: AsyncEngine, client: httpx.AsyncClient, settings: WebhooksSettings) -> None:
    """Deliver until cancelled (``DeliveryLoop``)."""
    await DeliveryLoop(engine, client, settings).run()


class DeliveryLoop:
    """Up to ``delivery_concurrency`` requests in flight, at most ``max_in_flight_per_endpoint`` to one endpoint:
    a slow endpoint holds its share of the slots, never all of them. Deliveries are claimed ahead
    (``CLAIM_AHEAD``), so a claim serves many requests; outcomes are recorded in batches as they come. A claim or
    record that fails (the database away) is logged; its deliveries come back when their lease ends (same
    webhook-id)."""

    def __init__(self, engine: AsyncEngine, client: httpx.AsyncClient, settings: WebhooksSettings) -> None:
        self.engine, self.client, self.settings = engine, client, settings
        self.cap = settings.max_in_flight_per_endpoint
        self.queued: dict[uuid.UUID, deque[ClaimedDelivery]] = defaultdict(deque)  # claimed, waiting for a slot
        self.in_flight: Counter[uuid.UUID] = Counter()
        self.sending: set[asyncio.Task[None]] = set()
        self.outcomes: asyncio.Queue[Outcome] = asyncio.Queue()

    def held(self, endpoint_id: uuid.UUID) -> int:
        return self.in_flight[endpoint_id] + len(self.queued[endpoint_id])

    def held_in_all(self) -> int:
        return len(self.sending) + sum(len(waiting) for waiting in self.queued.values())

    def full(self) -> set[uuid.UUID]:
        """Endpoints with a share in flight or waiting: a claim leaves them out."""
        return {e for e in set(self.in_flight) | set(self.queued) if self.held(e) >= self.cap}

    async def attempt(self, row: ClaimedDelivery) -> None:
        try:
            await self.outcomes.put(await send(self.client, self.settings, row))
        finally:
            self.in_flight[row.endpoint_id] -= 1

    def dispatch(self) -> None:
        """Start what the slots allow, endpoint by endpoint."""
        for endpoint_id, waiting in self.queued.items():
            while waiting and self.in_flight[endpoint_id] < self.cap:
                if len(self.sending) >= self.settings.delivery_concurrency:
                    return
                self.in_flight[endpoint_id] += 1
                task = asyncio.create_task(self.attempt(waiting.popleft()))
                self.sending.add(task)
                task.add_done_callback(self.sending.discard)

    async def claim(self, full: set[uuid.UUID]) -> int:
        try:
            async with self.engine.begin() as conn, AsyncSession(bind=conn) as session:
                claimed = await repository.claim_due(
                    session,
                    self.settings.delivery_batch_size,
                    self.settings.lease_seconds,
                    per_endpoint=self.cap * CLAIM_AHEAD,
                    busy=sorted(full),
                )
        except Exception:
            log.exception("webhook_claim_failed")
            return 0
        for row in claimed:
            self.queued[row.endpoint_id].append(row)
        return len(claimed)

    async def run(self) -> None:
        recorder = asyncio.create_task(_record_forever(self.engine, self.settings, self.outcomes))
        clock = asyncio.get_running_loop().time
        interval = self.settings.delivery_interval_seconds
        # After a claim that took all there was, the next waits until an endpoint has room again or the interval
        # has passed: the full endpoints then (None: claim at once).
        took_all_when: set[uuid.UUID] | None = None
        claimed_at = 0.0
        try:
            while True:
                self.dispatch()
                if self.held_in_all() >= 2 * self.settings.delivery_concurrency:  # enough claimed ahead
                    await asyncio.wait(self.sending, return_when=asyncio.FIRST_COMPLETED)
                    continue
                full = self.full()
                if took_all_when is None or full != took_all_when or clock() - claimed_at >= interval:
                    claimed_at = clock()
                    taken = await self.claim(full)
                    self.dispatch()
                    took_all_when = None if taken >= self.settings.delivery_batch_size else self.full()
                if took_all_when is None:
                    continue
                if self.sending:  # until a request ends (its endpoint may have room again), or the interval
                    await asyncio.wait(self.sending, timeout=interval, return_when=asyncio.FIRST_COMPLETED)
                else:
                    await asyncio.sleep(interval)
        finally:
            for task in (*self.sending, recorder):
                task.cancel()
            await asyncio.gather(*self.sending, recorder, return_exceptions=True)


async def _record_forever(engine: AsyncEngine, settings: WebhooksSettings, outcomes: asyncio.Queue[Outcome]) -> None:
    """Record the outcomes as they arrive: whatever has arrived, in one transaction, up to a batch at a time."""
    while True:
        batch = [await outcomes.get()]
        while not outcomes.empty() and len(batch) < settings.delivery_batch_size:
            batch.append(outcomes.get_nowait())
        try:
            async with engine.begin() as conn, AsyncSession(bind=conn) as session:
                await record(session, settings, batch)
        except Exception:
            log.exception("webhook_record_failed", deliveries=len(batch))
