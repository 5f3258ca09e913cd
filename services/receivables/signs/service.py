"""Refreshing the warning signs: a whole tenant daily (the worker's cron, a test clock's day), on a manager's
``POST /v1/warning-signs/refresh`` (recorded by the request, computed by the worker: issue 13, point 6) and the
paying customers on each payment.

A whole tenant's refresh takes 11-20 s at 1M invoices (bench/worklist.py): the request records a refresh, the
worker computes it, and the request answers it when done within ``warning_signs_wait_seconds``, else answers the
refresh to poll; no request holds a portfolio's refresh near the gateway's upstream timeout.

The on-payment refresh runs inside the payment's transaction (``payments.service.apply_payments``): the signs and
the computed risk never lag a committed payment, a crash loses nothing to redo, and it costs one set-based
statement over the paying customers only.
"""

import uuid
from collections.abc import Collection
from datetime import date, datetime

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.receivables.signs import refresh_repository, repository
from services.receivables.signs.refresh_repository import ACTIVE, RefreshRow
from services.receivables.signs.repository import RefreshCounts
from services.receivables.signs.schemas import RefreshStatus
from services.receivables.tenant_settings.repository import load_profile
from shared.clock import wait_until
from shared.db import connection_unavailable, unit_of_work

log = structlog.get_logger()

WAIT_POLL_SECONDS = 0.05  # how often a request waiting for its refresh reads the refresh's status


async def refresh_tenant(session: AsyncSession, tenant_id: uuid.UUID, today: date) -> RefreshCounts:
    """The daily refresh of every customer of the tenant as of its ``today`` (the bench times this one), and the
    day remembered so the hourly cron does it once per local day."""
    thresholds = await repository.load_thresholds(session, tenant_id)
    counts = await repository.refresh(session, tenant_id, today, thresholds)
    await session.execute(
        text("UPDATE receivables.tenants SET signs_refreshed_on = :today WHERE tenant_id = :tenant_id"),
        {"tenant_id": tenant_id, "today": today},
    )
    return counts


async def refresh_customers(
    session: AsyncSession, tenant_id: uuid.UUID, today: date, customer_ids: Collection[uuid.UUID]
) -> RefreshCounts | None:
    """The refresh of some customers (those a payment touched), in the caller's transaction."""
    if not customer_ids:
        return None
    thresholds = await repository.load_thresholds(session, tenant_id)
    return await repository.refresh(session, tenant_id, today, thresholds, sorted(customer_ids))


# The tenants whose local day has no refresh yet, with that day: on the instant a test clock's day is played at
# (:at), else the tenant's test clock, else the wall clock (:now).
_DUE_TENANTS = text(
    """
    SELECT tenant_id, today FROM (
        SELECT t.tenant_id, t.signs_refreshed_on,
               (coalesce(CAST(:at AS timestamptz), t.test_clock, CAST(:now AS timestamptz))
                AT TIME ZONE coalesce(t.timezone, 'UTC'))::date AS today
        FROM receivables.tenants t
        WHERE t.active AND (CAST(:tenant_id AS uuid) IS NULL OR t.tenant_id = CAST(:tenant_id AS uuid))
    ) d
    WHERE d.signs_refreshed_on IS NULL OR d.signs_refreshed_on < d.today
    ORDER BY tenant_id
    """
)


async def refresh_due_tenants(
    sessionmaker: async_sessionmaker[AsyncSession],
    now: datetime,
    tenant_id: uuid.UUID | None = None,
    at: datetime | None = None,
) -> int:
    """Refresh each tenant not refreshed yet on its local day, one transaction per tenant; answers how many."""
    async with unit_of_work(sessionmaker) as session:
        params = {"now": now, "tenant_id": tenant_id, "at": at}
        due = (await session.execute(_DUE_TENANTS, params)).all()
    for tenant, today in due:
        async with unit_of_work(sessionmaker) as session:
            await refresh_repository.lock_tenant(session, tenant)
            counts = await refresh_tenant(session, tenant, today)
            await refresh_repository.record_daily(session, tenant, today, counts)
    return len(due)


async def request_refresh(
    sessionmaker: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID, actor: str
) -> tuple[RefreshRow, bool]:
    """A refresh of the tenant as of its today, recorded for the worker (``compute_refresh``) and committed at
    once so a worker may take it; or the one queued or running already (never two at once). Returns the refresh
    and whether this request recorded it."""
    async with unit_of_work(sessionmaker) as session:
        while True:
            today = (await load_profile(session, tenant_id)).today()
            created = await refresh_repository.insert_queued(session, tenant_id, today, actor)
            if created is not None:
                return created, True
            # the one in flight, unless it ended between the two statements (then this one is recorded anew)
            if (current := await refresh_repository.active(session, tenant_id)) is not None:
                return current, False


async def wait_for_refresh(
    sessionmaker: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID, refresh_id: uuid.UUID, seconds: float
) -> RefreshRow:
    """The refresh once it left queued/running, or as it is after ``seconds`` (a cheap read of its status every
    ``WAIT_POLL_SECONDS``): a small portfolio is answered in the request, a large one is polled by the client."""

    async def settled() -> bool:
        async with sessionmaker() as session:
            return await refresh_repository.status(session, tenant_id, refresh_id) not in ACTIVE

    await wait_until(settled, seconds, WAIT_POLL_SECONDS)
    async with sessionmaker() as session:
        refresh = await refresh_repository.read(session, tenant_id, refresh_id)
    assert refresh is not None, "a refresh is never deleted"
    return refresh


async def compute_refresh(sessionmaker: async_sessionmaker[AsyncSession], refresh_id: uuid.UUID) -> str:
    """The worker's part: mark the refresh running, then refresh the tenant and complete the refresh in one
    transaction. A worker that dies mid-refresh leaves a running refresh and nothing half-written; arq runs the
    job again and the refresh (the same day's, idempotent) completes. The tenant's lock and the refresh's status
    make a second job for it harmless. A database out of reach propagates (the job is retried); any other error
    fails the refresh with its note. Returns the refresh's status as the job leaves it."""
    async with unit_of_work(sessionmaker) as session:
        started = await refresh_repository.start(session, refresh_id)
    if started is None:
        return "settled"  # completed or failed by an earlier job
    try:
        async with unit_of_work(sessionmaker) as session:
            await refresh_repository.lock_tenant(session, started.tenant_id)
            if not await refresh_repository.still_running(session, started.tenant_id, refresh_id):
                return "settled"
            counts = await refresh_tenant(session, started.tenant_id, started.day)
            await refresh_repository.complete(session, started.tenant_id, refresh_id, counts)
        return RefreshStatus.COMPLETED
    except Exception as exc:
        if connection_unavailable(exc):
            raise
        log.exception("warning_signs_refresh_failed", refresh_id=str(refresh_id))
        async with unit_of_work(sessionmaker) as session:
            await refresh_repository.fail(session, refresh_id, f"{type(exc).__name__}: {exc}")
        return RefreshStatus.FAILED
