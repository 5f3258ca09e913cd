"""What every service answers the gateway while it advances a sandbox tenant's test clock (issue 15).

Each service mounts ``internal_router(run_day, pending)`` (not public: a signed ``service`` identity only):

- ``POST /internal/test-clock/day`` ``{"tenant_id", "now"}``: run that service's daily work for the tenant at that
  instant of its clock (the work a day of the wall clock would have run: dunning's run, the promise check, the
  alarms, the release of deferred messages), and answer once it is started or done;
- ``GET /internal/test-clock/pending?tenant_id=&now=``: how much work for the tenant is still in flight in that service
  (unpublished outbox rows, jobs ready in its queue, its own queued runs or due messages), so the gateway moves the
  clock on only when every service answers 0.
"""

import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime, BaseModel
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.identity import Identity
from shared.outbox import queue_name
from shared.permissions import require
from shared.problems import Forbidden

DAY_PATH = "/internal/test-clock/day"
PENDING_PATH = "/internal/test-clock/pending"


class DayRequest(BaseModel):
    """Run the tenant's daily work at ``now``, an instant of its test clock."""

    tenant_id: uuid.UUID
    now: AwareDatetime


class DayDone(BaseModel):
    """What the service started or did for that day (counts by kind of work)."""

    service: str
    done: dict[str, int]


class Pending(BaseModel):
    """Work of the tenant still in flight in the service, by kind; ``pending`` is their sum."""

    service: str
    pending: int
    detail: dict[str, int]

    @classmethod
    def of(cls, service: str, detail: dict[str, int]) -> "Pending":
        return cls(service=service, pending=sum(detail.values()), detail=detail)


RunDay = Callable[[Request, uuid.UUID, datetime], Awaitable[dict[str, int]]]
CountPending = Callable[[Request, uuid.UUID, datetime], Awaitable[dict[str, int]]]
ServiceCaller = Annotated[Identity, Depends(require("internal", "call"))]


def _same_tenant(identity: Identity, tenant_id: uuid.UUID) -> None:
    """A signed call acts for its own tenant only."""
    if identity.tenant_id != tenant_id:
        raise Forbidden("The signed tenant and the tenant_id differ")


def internal_router(run_day: RunDay | None, count_pending: CountPending) -> APIRouter:
    """The two internal routes of one service (``run_day`` None: the service has no daily work)."""
    router = APIRouter(prefix="/internal/test-clock", include_in_schema=False)

    @router.post("/day")
    async def run_test_clock_day(request: Request, identity: ServiceCaller, data: DayRequest) -> DayDone:
        _same_tenant(identity, data.tenant_id)
        done = await run_day(request, data.tenant_id, data.now) if run_day is not None else {}
        return DayDone(service=request.app.state.settings.service_name, done=done)

    @router.get("/pending")
    async def test_clock_pending(
        request: Request,
        identity: ServiceCaller,
        tenant_id: Annotated[uuid.UUID, Query()],
        now: Annotated[AwareDatetime, Query(description="The tenant's clock: work due by then counts")],
    ) -> Pending:
        _same_tenant(identity, tenant_id)
        return Pending.of(request.app.state.settings.service_name, await count_pending(request, tenant_id, now))

    return router


async def ready_jobs(redis: Redis, service: str) -> int:
    """Jobs of the service's queue that are due or running (arq keeps a running job in its queue until it ends);
    those deferred to later (a retry's back-off) are not counted. The queue is shared by every tenant: a busy
    neighbour makes a sandbox wait for it. Job scores are wall-clock milliseconds: machinery, not a tenant's rule."""
    return int(await redis.zcount(queue_name(service), "-inf", int(time.time() * 1000)))


async def unpublished(conn: AsyncConnection, schema: str, tenant_id: uuid.UUID) -> int:
    """The tenant's outbox rows not yet handed to their consumers' queues (and the tenant-less ones)."""
    query = text(
        f"SELECT count(*) FROM {schema}.outbox WHERE published_at IS NULL AND (tenant_id = :t OR tenant_id IS NULL)"
    )
    return int((await conn.execute(query, {"t": tenant_id})).scalar_one())


async def common_pending(request: Request, schema: str, tenant_id: uuid.UUID) -> dict[str, int]:
    """What every service has in flight: its outbox and its queue."""
    state = request.app.state
    async with state.engine.connect() as conn:
        outbox = await unpublished(conn, schema, tenant_id)
    return {"outbox": outbox, "jobs": await ready_jobs(state.redis, state.settings.service_name)}
