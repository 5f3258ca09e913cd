"""Refreshing the warning signs: a whole tenant daily (the worker's cron, a test clock's day, a manager's
``POST /v1/warning-signs/refresh``, the bench) and the paying customers on each payment.

The on-payment refresh runs inside the payment's transaction (``payments.service.apply_payments``): the signs and
the computed risk never lag a committed payment, a crash loses nothing to redo, and it costs one set-based
statement over the paying customers only.
"""

import uuid
from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.receivables.signs import repository
from services.receivables.signs.repository import RefreshCounts
from shared.db import unit_of_work


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
            await refresh_tenant(session, tenant, today)
    return len(due)
