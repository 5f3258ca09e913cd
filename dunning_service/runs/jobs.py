"""Worker jobs of runs: execute a queued run; every quarter hour, queue the runs of the tenants whose
configured local hour has come today (and re-queue a run whose enqueue was lost)."""

import uuid
from datetime import UTC, datetime
from typing import Any

from arq.connections import ArqRedis
from sqlalchemy import text

from dunning_service.runs.service import execute_run
from shared.outbox import queue_name

RUN_JOB = "dunning.run"
SCHEDULE_JOB = "dunning.schedule_runs"


async def enqueue_run(arq: ArqRedis, run_id: uuid.UUID) -> None:
    await arq.enqueue_job(RUN_JOB, str(run_id), _queue_name=queue_name("dunning"), _job_id=f"{RUN_JOB}:{run_id}")


async def run_dunning(ctx: dict[str, Any], run_id: str) -> str:
    return await execute_run(ctx["engine"], ctx["settings"], uuid.UUID(run_id))


_SCHEDULE = text(
    """
INSERT INTO dunning.runs (id, tenant_id, as_of, dry_run, trigger, status, requested_by)
SELECT gen_random_uuid(), t.tenant_id, CAST(CAST(:now AS timestamptz) AT TIME ZONE coalesce(t.timezone, 'UTC') AS date),
       false, 'schedule', 'queued', 'schedule'
FROM dunning.tenants t
WHERE t.active AND t.automatic
  AND extract(hour FROM CAST(:now AS timestamptz) AT TIME ZONE coalesce(t.timezone, 'UTC')) >= t.run_hour
ON CONFLICT (tenant_id, as_of) WHERE trigger = 'schedule' DO NOTHING
RETURNING id
"""
)
_LOST = text(
    """
SELECT id FROM dunning.runs
WHERE status = 'queued' AND NOT dry_run AND created_at < CAST(:now AS timestamptz) - interval '10 minutes'
"""
)


async def schedule_runs(ctx: dict[str, Any], now: datetime | None = None) -> int:
    """Queue today's scheduled run of every tenant whose local run hour has come (set-based: one INSERT
    for all tenants; the unique index makes it once per tenant and local day). Returns how many."""
    now = now or datetime.now(UTC)
    async with ctx["engine"].begin() as conn:
        created = list((await conn.execute(_SCHEDULE, {"now": now})).scalars())
        lost = list((await conn.execute(_LOST, {"now": now})).scalars())
    for run_id in [*created, *lost]:
        await enqueue_run(ctx["redis"], run_id)
    return len(created)
