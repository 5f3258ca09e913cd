"""Dunning's part of a test clock's day: the tenant's scheduled run of that date, as the quarter-hourly scheduler
would have queued it (``runs.jobs.schedule_runs``), for this one tenant at its clock's instant."""

import uuid
from datetime import datetime

from fastapi import Request
from sqlalchemy import text

from dunning_service.models import SCHEMA
from dunning_service.runs.jobs import enqueue_run
from shared.test_clock import common_pending

# The scheduler's rule (runs.jobs._SCHEDULE) for one tenant: its local run hour has come on its clock's date.
_SCHEDULE_ONE = text(
    """
INSERT INTO dunning.runs (id, tenant_id, as_of, dry_run, trigger, status, requested_by)
SELECT gen_random_uuid(), t.tenant_id, CAST(CAST(:now AS timestamptz) AT TIME ZONE coalesce(t.timezone, 'UTC') AS date),
       false, 'schedule', 'queued', 'schedule'
FROM dunning.tenants t
WHERE t.tenant_id = :tenant_id AND t.active AND t.automatic
  AND extract(hour FROM CAST(:now AS timestamptz) AT TIME ZONE coalesce(t.timezone, 'UTC')) >= t.run_hour
ON CONFLICT (tenant_id, as_of) WHERE trigger = 'schedule' DO NOTHING
RETURNING id
"""
)
_IN_FLIGHT = text("SELECT count(*) FROM dunning.runs WHERE tenant_id = :tenant_id AND status IN ('queued', 'running')")


async def run_day(request: Request, tenant_id: uuid.UUID, now: datetime) -> dict[str, int]:
    """Queue the tenant's scheduled run of ``now``'s local date (once per date: the scheduler's unique index)."""
    state = request.app.state
    async with state.engine.begin() as conn:
        created = list((await conn.execute(_SCHEDULE_ONE, {"tenant_id": tenant_id, "now": now})).scalars())
    for run_id in created:
        await enqueue_run(state.arq, run_id)
    return {"runs": len(created)}


async def pending(request: Request, tenant_id: uuid.UUID, now: datetime) -> dict[str, int]:
    """The tenant's runs not finished yet, besides the outbox and the queue."""
    async with request.app.state.engine.connect() as conn:
        runs = int((await conn.execute(_IN_FLIGHT, {"tenant_id": tenant_id})).scalar_one())
    return {**await common_pending(request, SCHEMA, tenant_id), "runs": runs}
