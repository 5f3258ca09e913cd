"""A run's bookkeeping, shared by real and dry runs: its statuses, its heartbeat, its failure, the as-of day it
may take, and what it records of the strategies and the calendar."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import structlog
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from dunning_service.runs import lifecycle_repository as repository
from dunning_service.runs import selection
from dunning_service.runs.context import TenantContext
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


# A run being executed stamps ``heartbeat_at`` this often; one whose stamp is older than ``STALE_SECONDS`` lost
# its worker and is resumed by the sweeper (jobs.sweep_runs).
HEARTBEAT_SECONDS = 10


STALE_SECONDS = 30


@asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session in one transaction on a connection of its own, committed when the block ends without an error:
    what a worker's advisory lock, temporary tables and ``SET LOCAL`` need (they live in that transaction)."""
    async with engine.begin() as conn, AsyncSession(bind=conn) as session:
        yield session


@asynccontextmanager
async def reading(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session on a connection of its own for reads (rolled back when the block ends)."""
    async with engine.connect() as conn, AsyncSession(bind=conn) as session:
        yield session


def resolve_as_of(tenant: TenantContext, as_of: date | None, dry_run: bool) -> date:
    today = tenant.today()
    if as_of is None:
        return today
    if not dry_run and (refusal := future_as_of(as_of, today)):
        raise ValidationProblem.field("as_of", refusal)
    return as_of


async def side_by_side(*steps: Coroutine[Any, Any, Any]) -> list[Any]:
    """The steps' results, run at once (each on a connection of its own); when one fails, the others are cancelled
    and its error is raised as it is (a database out of reach is retried, not a failure)."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(step) for step in steps]
    except ExceptionGroup as failed:
        raise failed.exceptions[0] from failed
    return [task.result() for task in tasks]


async def set_run(engine: AsyncEngine, run_id: uuid.UUID, **values: Any) -> None:
    """The run's columns set in a transaction of their own."""
    async with transaction(engine) as session:
        await repository.set_run(session, run_id, **values)


async def fail_run(engine: AsyncEngine, run_id: uuid.UUID, exc: Exception) -> str:
    """A run that cannot go on fails with the error as its note; what it did not hand over is dropped. A
    database out of reach is no failure: it propagates, and the run resumes where it stopped."""
    if connection_unavailable(exc):
        raise exc
    log.exception("dunning_run_failed", run_id=str(run_id))
    async with transaction(engine) as session:
        await repository.drop_failed_run(session, run_id)
        note = f"{type(exc).__name__}: {exc}"[:2000]
        await repository.set_run(session, run_id, status=FAILED, note=note, finished_at=wall_now())
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
