"""A run's bookkeeping, shared by real and dry runs: its statuses, its heartbeat, its failure, the as-of day it
may take, and what it records of the strategies and the calendar."""

import asyncio
import uuid
from datetime import date
from typing import Any

import structlog
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from services.dunning.models import Run, table_of
from services.dunning.runs import selection
from services.dunning.runs.context import TenantContext
from shared.calendar import future_as_of
from shared.clock import wall_now
from shared.db import connection_unavailable
from shared.problems import ValidationProblem

log = structlog.get_logger()

QUEUED, RUNNING, COMPLETED, SKIPPED, FAILED, INTERRUPTED = (
    "queued",
    "running",
    "completed",
    "skipped",
    "failed",
    "interrupted",
)


RUNS = table_of(Run)


# A run being executed stamps ``heartbeat_at`` this often; one whose stamp is older than ``STALE_SECONDS`` lost
# its worker and is resumed by the sweeper (jobs.sweep_runs).
HEARTBEAT_SECONDS = 10


STALE_SECONDS = 30


TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(hashtextextended(:key, 0))")


def resolve_as_of(tenant: TenantContext, as_of: date | None, dry_run: bool) -> date:
    today = tenant.today()
    if as_of is None:
        return today
    if not dry_run and (refusal := future_as_of(as_of, today)):
        raise ValidationProblem.field("as_of", refusal)
    return as_of


async def set_run(engine: AsyncEngine, run_id: uuid.UUID, **values: Any) -> None:
    async with engine.begin() as conn:
        await conn.execute(update(RUNS).where(RUNS.c.id == run_id).values(**values))


def drop_unhanded(runs: str) -> Any:
    """Delete the parts not handed over of the tenant's ``runs`` (a condition on ``r``) and their communications'
    dispatches: they never left the service, and their keys must not hold back a later run."""
    return text(
        f"""
WITH dropped AS (
  DELETE FROM dunning.run_parts p USING dunning.runs r
  WHERE r.tenant_id = :tenant_id AND {runs}
    AND p.tenant_id = r.tenant_id AND p.run_id = r.id AND p.handed_at IS NULL
  RETURNING p.run_id, p.part
)
DELETE FROM dunning.dispatches d USING dropped
WHERE d.tenant_id = :tenant_id AND d.run_id = dropped.run_id AND d.part = dropped.part
  AND d.channel IS NOT NULL  -- tasks were handed over with the plan"""
    )


_DROP_FAILED_RUN = drop_unhanded("r.id = :run_id")


async def fail_run(engine: AsyncEngine, run_id: uuid.UUID, exc: Exception) -> str:
    """A run that cannot go on fails with the error as its note; what it did not hand over is dropped. A
    database out of reach is no failure: it propagates, and the run resumes where it stopped."""
    if connection_unavailable(exc):
        raise exc
    log.exception("dunning_run_failed", run_id=str(run_id))
    async with engine.begin() as conn:
        tenant_id = await conn.scalar(select(RUNS.c.tenant_id).where(RUNS.c.id == run_id))
        await conn.execute(_DROP_FAILED_RUN, {"tenant_id": tenant_id, "run_id": run_id})
        await conn.execute(
            update(RUNS)
            .where(RUNS.c.id == run_id)
            .values(status=FAILED, note=f"{type(exc).__name__}: {exc}"[:2000], finished_at=wall_now())
        )
    return FAILED


async def keep_alive(engine: AsyncEngine, run_id: uuid.UUID) -> None:
    """Say the run is alive every ``HEARTBEAT_SECONDS``; the sweeper resumes a run whose heartbeat went stale."""
    while True:
        await asyncio.sleep(HEARTBEAT_SECONDS)
        try:
            await set_run(engine, run_id, heartbeat_at=func.now())
        except Exception as exc:  # a missed beat is harmless: the run's own statements will fail or succeed
            log.warning("dunning_run_heartbeat_failed", run_id=str(run_id), error=f"{type(exc).__name__}: {exc}")


def strategy_versions(compiled: selection.CompiledStrategies) -> dict[str, int]:
    """The version of every strategy the run could choose."""
    return {str(s.id): s.version for s in compiled.by_id.values()}


def closed_note(tenant: TenantContext, day: date) -> str | None:
    closed = tenant.calendar.closed_reason(day)
    if not closed:
        return None
    return (
        f"{day.isoformat()} is {closed}: nothing goes out; what falls due today goes out on "
        f"{tenant.calendar.next_business_day(day).isoformat()}"
    )
