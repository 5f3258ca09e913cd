"""Advancing a sandbox tenant's test clock (issue 15): ``POST /v1/test-clock/advance`` moves the clock forward day
by day and at each stop runs, in order, what that day would have run in every service (promises checked, the
dunning run, the alarms, deferred messages released), waiting after each part until every service says nothing of
the tenant is in flight (``shared.test_clock``); it answers once the last day has settled. ``GET
/v1/test-clock/advance`` shows the progress meanwhile (another client may watch it).

Webhook deliveries and their ``webhook-timestamp`` stay on the wall clock: the receiver checks the timestamp
against its own clock. The progress lives in Redis (an advance's bookkeeping, not a record of the tenant's
collections); a lock there allows one advance per tenant at a time.
"""

import asyncio
import json
import uuid
from datetime import datetime

from fastapi import Request
from redis.asyncio import Redis

from api_gateway.settings import GatewaySettings
from api_gateway.test_clock.rules import advance_steps, advance_target
from api_gateway.test_clock.schemas import AdvanceProgress, AdvanceRequest
from api_gateway.test_clock.service import checked_instant, move_clock, sandbox_tenant
from shared.clock import wall_now
from shared.db import unit_of_work
from shared.identity import SERVICE, identity_headers
from shared.problems import Conflict, GatewayTimeout, ValidationProblem
from shared.test_clock import DAY_PATH, PENDING_PATH, unpublished

# Each stop's work, in the order a day runs it: promises broken first (dunning resumes their reminders), then the
# run, then the alarms (they list the run's action items and the broken promises), then the deferred messages.
DAY_ORDER = ("receivables", "dunning", "alarms", "messaging")
# Who may still have the tenant's work in flight (the webhooks service turns events into deliveries).
SETTLING = ("receivables", "dunning", "alarms", "messaging", "webhooks", "portal")
PROGRESS_KEY = "test-clock:advance:{tenant_id}"
LOCK_KEY = "test-clock:advancing:{tenant_id}"
LOCK_SECONDS = 3600  # a gateway that died mid-advance frees the tenant after this long


class Advancer:
    """One advance of one tenant's clock, driven from the gateway over the services' internal routes."""

    def __init__(self, request: Request, tenant_id: uuid.UUID) -> None:
        self.state = request.app.state
        self.settings: GatewaySettings = request.app.state.settings
        self.tenant_id = tenant_id
        self.redis: Redis = request.app.state.redis
        self.http = request.app.state.upstream.client
        self.headers = identity_headers(self.settings.internal_secret, tenant_id, "service:gateway", [SERVICE])

    def _url(self, service: str, path: str) -> str:
        return self.settings.service_url(service).rstrip("/") + path

    async def save(self, progress: AdvanceProgress) -> None:
        await self.redis.set(PROGRESS_KEY.format(tenant_id=self.tenant_id), progress.model_dump_json())
        await self.redis.expire(LOCK_KEY.format(tenant_id=self.tenant_id), LOCK_SECONDS)

    async def set_clock(self, instant: datetime) -> None:
        """Move the clock and announce it (``gateway.tenant_changed``), in one transaction."""
        async with unit_of_work(self.state.sessionmaker) as session:
            await move_clock(session, await sandbox_tenant(session, self.tenant_id, for_update=True), instant)

    async def run_day(self, service: str, instant: datetime) -> dict[str, int]:
        body = {"tenant_id": str(self.tenant_id), "now": instant.isoformat()}
        response = await self.http.post(self._url(service, DAY_PATH), json=body, headers=self.headers)
        response.raise_for_status()
        done: dict[str, int] = response.json()["done"]
        return done

    async def pending(self, service: str, instant: datetime) -> int:
        params = {"tenant_id": str(self.tenant_id), "now": instant.isoformat()}
        response = await self.http.get(self._url(service, PENDING_PATH), params=params, headers=self.headers)
        response.raise_for_status()
        pending: int = response.json()["pending"]
        return pending

    async def in_flight(self, instant: datetime) -> int:
        """The tenant's work not settled yet, summed over the gateway's outbox and every service (asked at once)."""
        async with self.state.engine.connect() as conn:
            total = await unpublished(conn, "gateway", self.tenant_id)
        return total + sum(await asyncio.gather(*(self.pending(service, instant) for service in SETTLING)))

    async def settle(self, instant: datetime) -> None:
        """Wait until nothing of the tenant is in flight, seen twice in a row: an event handed from one service to
        the next between two questions of one round is caught by the next round."""
        quiet = 0
        for _ in range(self.settings.test_clock_settle_polls):
            if await self.in_flight(instant) == 0:
                quiet += 1
                if quiet == 2:
                    return
            else:
                quiet = 0
                await asyncio.sleep(self.settings.test_clock_poll_seconds)
        raise GatewayTimeout("The services did not settle the tenant's day: is every worker running?")

    async def advance(self, current: datetime, target: datetime) -> AdvanceProgress:
        steps = advance_steps(current, target)
        progress = AdvanceProgress(
            status="advancing",
            started_from=current,
            target=target,
            current=current,
            stops_done=0,
            stops_total=len(steps),
            work={},
            started_at=wall_now(),
            finished_at=None,
        )
        await self.save(progress)
        try:
            for instant in steps:
                if instant != current:
                    await self.set_clock(instant)
                    progress.current = instant
                await self.settle(instant)
                for service in DAY_ORDER:
                    done = await self.run_day(service, instant)
                    for kind, count in done.items():
                        key = f"{service}.{kind}"
                        progress.work[key] = progress.work.get(key, 0) + count
                    if any(done.values()):  # a part that started nothing leaves nothing to wait for
                        await self.settle(instant)
                progress.stops_done += 1
                await self.save(progress)
        except Exception as exc:
            progress.status, progress.finished_at = "failed", wall_now()
            progress.error = getattr(exc, "detail", None) or f"{type(exc).__name__}: {exc}"
            await self.save(progress)
            raise
        progress.status, progress.finished_at = "settled", wall_now()
        await self.save(progress)
        return progress


async def read_progress(redis: Redis, tenant_id: uuid.UUID) -> AdvanceProgress | None:
    """The tenant's latest advance, if any (``GET /v1/test-clock`` shows it too)."""
    raw = await redis.get(PROGRESS_KEY.format(tenant_id=tenant_id))
    return AdvanceProgress.model_validate(json.loads(raw)) if raw else None


async def sandbox_clock(request: Request, tenant_id: uuid.UUID) -> datetime:
    """The sandbox tenant's clock (403 for a live tenant, 409 while its start is not set)."""
    async with request.app.state.sessionmaker() as session:
        tenant = await sandbox_tenant(session, tenant_id)
    if tenant.test_clock is None:
        raise Conflict("The tenant's clock is not set: start it with POST /v1/test-clock")
    return tenant.test_clock


def checked_target(current: datetime, data: AdvanceRequest, max_days: int) -> datetime:
    target = advance_target(current, data.to, data.days)
    field = "to" if data.to is not None else "days"
    if target < current:
        raise ValidationProblem.field(field, f"must not be before the clock's instant, {current.isoformat()}")
    if (target - current).days > max_days:
        raise ValidationProblem.field(field, f"advances at most {max_days} days at a time")
    return checked_instant(field, target)


async def advance_once(request: Request, tenant_id: uuid.UUID, data: AdvanceRequest) -> AdvanceProgress:
    """Advance the tenant's clock as ``data`` says, holding the tenant's lock meanwhile (409 while another advance
    holds it)."""
    current = await sandbox_clock(request, tenant_id)
    target = checked_target(current, data, request.app.state.settings.test_clock_max_days)
    redis: Redis = request.app.state.redis
    lock = LOCK_KEY.format(tenant_id=tenant_id)
    if not await redis.set(lock, "1", nx=True, ex=LOCK_SECONDS):
        raise Conflict("Another advance of this tenant's clock is under way: see GET /v1/test-clock/advance")
    try:
        return await Advancer(request, tenant_id).advance(current, target)
    finally:
        await redis.delete(lock)
