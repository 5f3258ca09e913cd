"""Worker jobs of runs: execute a queued run, compute a queued dry run; every quarter hour, queue the runs of the
tenants whose configured local hour has come today on their clock (a sandbox's test clock, issue 15); twice a
minute, re-drive the runs whose job or worker was lost.

A run's job has no fixed arq id: arq keeps a dead worker's in-progress key until the job's timeout and a failed
result for ``keep_result``, and either would silently swallow an enqueue under the same id. Every enqueue has its
own id, so the sweeper's are never blocked; it adds at most one job per lost run and sweep, and the tenant's
advisory lock and the run's status make an extra job harmless (see service.execute_run).
"""

import uuid
from collections.abc import Awaitable
from datetime import datetime, timedelta
from typing import Any

import structlog
from arq import Retry
from arq.connections import ArqRedis

from dunning_service.runs import lifecycle_repository as repository
from dunning_service.runs.dry_runs import execute_dry_run
from dunning_service.runs.lifecycle import STALE_SECONDS, reading, transaction
from dunning_service.runs.service import execute_run, hand_over_parts
from shared.clock import wall_now
from shared.db import connection_unavailable
from shared.outbox import queue_name

log = structlog.get_logger()

RUN_JOB = "dunning.run"
DRY_RUN_JOB = "dunning.dry_run"
PARTS_JOB = "dunning.run_parts"  # another worker's hand of a run's parts
SCHEDULE_JOB = "dunning.schedule_runs"
SWEEP_JOB = "dunning.sweep_runs"
# A job that found no database connection tries again after this long (the sweeper would within a minute anyway).
CONNECTION_RETRY_SECONDS = 10


def run_job_id(run_id: uuid.UUID | str, job: str = RUN_JOB) -> str:
    """A new job id for the run (never one fixed id: see the module docstring)."""
    return f"{job}:{run_id}:{uuid.uuid4().hex[:12]}"


async def enqueue(arq: ArqRedis, job: str, run_id: uuid.UUID | str) -> None:
    """Queue ``job`` for the run on dunning's queue, under a job id of its own."""
    await arq.enqueue_job(job, str(run_id), _queue_name=queue_name("dunning"), _job_id=run_job_id(run_id, job))


async def enqueue_run(arq: ArqRedis, run_id: uuid.UUID) -> None:
    await enqueue(arq, RUN_JOB, run_id)


async def enqueue_dry_run(arq: ArqRedis, run_id: uuid.UUID) -> None:
    """Queue a dry run's computation. An enqueue that fails (Redis out of reach) is logged, not raised: the
    run is recorded, its request answers 202, and the sweeper re-drives it within a minute."""
    try:
        await enqueue(arq, DRY_RUN_JOB, run_id)
    except Exception as exc:
        log.warning("dunning_dry_run_enqueue_failed", run_id=str(run_id), error=f"{type(exc).__name__}: {exc}")


async def _retried_if_unreachable(work: Awaitable[str]) -> str:
    """A job that found no database connection is retried shortly (the sweeper re-drives the run if the
    retries run out); any other error propagates."""
    try:
        return await work
    except Exception as exc:
        if connection_unavailable(exc):
            raise Retry(defer=CONNECTION_RETRY_SECONDS) from exc
        raise


async def run_dunning(ctx: dict[str, Any], run_id: str) -> str:
    async def enqueue_parts(jobs: int) -> None:
        """Ask other workers to take parts too (one that finds none left returns at once)."""
        for _ in range(jobs):
            await enqueue(ctx["redis"], PARTS_JOB, run_id)

    return await _retried_if_unreachable(execute_run(ctx["engine"], ctx["settings"], uuid.UUID(run_id), enqueue_parts))


async def run_dry_run(ctx: dict[str, Any], run_id: str) -> str:
    return await _retried_if_unreachable(execute_dry_run(ctx["engine"], ctx["settings"], uuid.UUID(run_id)))


async def hand_over_run_parts(ctx: dict[str, Any], run_id: str) -> str:
    return await _retried_if_unreachable(hand_over_parts(ctx["engine"], ctx["settings"], uuid.UUID(run_id)))


async def schedule_runs(
    ctx: dict[str, Any],
    now: datetime | None = None,
    *,
    tenant_id: uuid.UUID | None = None,
    at: datetime | None = None,
) -> int:
    """Queue today's scheduled run of every tenant whose local run hour has come on its clock (set-based: one
    INSERT for all tenants; the unique index makes it once per tenant and local day). ``now`` stands for the wall
    clock; a tenant with a test clock is scheduled by its test clock. ``tenant_id`` limits it to one tenant, and
    ``at`` plays that tenant's clock at that instant (advancing a test clock day by day). Returns how many."""
    if at is not None and tenant_id is None:
        raise ValueError("at plays one tenant's clock: give its tenant_id")
    async with transaction(ctx["engine"]) as session:
        created = await repository.schedule(session, now or wall_now(), tenant_id, at)
    for run_id in created:
        await enqueue_run(ctx["redis"], run_id)
    return len(created)


async def sweep_runs(ctx: dict[str, Any], now: datetime | None = None) -> list[uuid.UUID]:
    """Enqueue again every run whose job or worker was lost (see ``lifecycle_repository.lost_runs``), so a run
    interrupted by a killed worker, a lost job or a database outage resumes within a minute. Returns the runs
    re-driven."""
    stale = (now or wall_now()) - timedelta(seconds=STALE_SECONDS)  # a lease: real time
    async with reading(ctx["engine"]) as session:
        lost = await repository.lost_runs(session, stale)
    for run in lost:
        await (enqueue_dry_run if run.dry_run else enqueue_run)(ctx["redis"], run.id)
    if lost:
        log.warning("dunning_runs_resumed", runs=[str(r.id) for r in lost])
    return [r.id for r in lost]
