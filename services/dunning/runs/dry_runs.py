"""Dry runs: recorded by the request, computed by the worker with the real run's statements into a temporary
table; their counts and first entries are stored on the run (nothing is sent)."""

import asyncio
import time
import uuid
from datetime import date
from typing import Any

import orjson
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.dunning.models import row_as
from services.dunning.runs import counts, handover, selection, statements
from services.dunning.runs.context import load_tenant, pending_cutoff, strategies_on
from services.dunning.runs.lifecycle import (
    COMPLETED,
    QUEUED,
    RUNNING,
    RUNS,
    SKIPPED,
    TRY_LOCK,
    closed_note,
    fail_run,
    keep_alive,
    resolve_as_of,
    set_run,
    strategy_versions,
)
from services.dunning.runs.repository import RunRow
from services.dunning.settings import DunningSettings
from shared.clock import wall_now

DRY_PLAN = "dry_plan"  # a dry run's plan: a temporary table like the dispatches, dropped with its transaction


CREATE_DRY_PLAN = f"CREATE TEMP TABLE {DRY_PLAN} (LIKE {statements.DISPATCHES} INCLUDING DEFAULTS) ON COMMIT DROP"


WAIT_POLL_SECONDS = 0.05  # how often a request waiting for its dry run reads the run's status


async def request_dry_run(
    engine: AsyncEngine,
    settings: DunningSettings,
    tenant_id: uuid.UUID,
    as_of: date | None,
    actor: str,
    limit: int,
) -> tuple[uuid.UUID, bool]:
    """Record a dry run for the worker (``execute_dry_run``), committed at once so a worker may take it. Returns
    its id and whether it awaits the worker: a closed day plans nothing, so its run is settled here (skipped)."""
    async with engine.begin() as conn:
        tenant = await load_tenant(conn, tenant_id)
        day = resolve_as_of(tenant, as_of, dry_run=True)
        run_id = await conn.scalar(
            insert(RUNS)
            .values(
                id=uuid.uuid4(),
                tenant_id=tenant_id,
                as_of=day,
                dry_run=True,
                trigger="manual",
                status=QUEUED,
                requested_by=actor,
                plan_limit=limit,
            )
            .returning(RUNS.c.id)
        )
    if tenant.calendar.closed_reason(day):
        await execute_dry_run(engine, settings, run_id)
        return run_id, False
    return run_id, True


async def wait_for_run(engine: AsyncEngine, tenant_id: uuid.UUID, run_id: uuid.UUID, seconds: float) -> RunRow:
    """The run once it left queued/running, or as it is after ``seconds`` (a cheap read of its status every
    ``WAIT_POLL_SECONDS``): a dry run quick enough is answered in the request, a long one is polled by the
    client and never holds a request near the gateway's timeout."""
    deadline = time.monotonic() + seconds
    status_query = select(RUNS.c.status).where(RUNS.c.tenant_id == tenant_id, RUNS.c.id == run_id)
    while time.monotonic() < deadline:
        async with engine.connect() as conn:
            if await conn.scalar(status_query) not in (QUEUED, RUNNING):
                break
        await asyncio.sleep(WAIT_POLL_SECONDS)
    async with engine.connect() as conn:
        return row_as(RunRow, (await conn.execute(select(RUNS).where(RUNS.c.id == run_id))).mappings().one())


async def execute_dry_run(engine: AsyncEngine, settings: DunningSettings, run_id: uuid.UUID) -> str:
    """Compute a dry run's plan with the real run's statements, into a temporary table, and store its counts
    and first ``plan_limit`` entries on the run; nothing is sent or recorded on invoices. The plan and the
    run's completion are one transaction: a worker that dies leaves nothing but a ``running`` run whose
    heartbeat goes stale, which the sweeper re-drives. An advisory lock on the run keeps a second job (the
    sweeper's) from computing it twice at once. Returns the run's status as this job leaves it."""
    try:
        async with engine.connect() as conn, conn.begin():
            if not await conn.scalar(TRY_LOCK, {"key": f"dunning-dry-run:{run_id}"}):
                return RUNNING  # another worker is computing it
            run = (await conn.execute(select(RUNS).where(RUNS.c.id == run_id))).mappings().first()
            if run is None or run["status"] not in (QUEUED, RUNNING):
                return run["status"] if run else "missing"
            await set_run(
                engine,
                run_id,
                status=RUNNING,
                started_at=func.coalesce(RUNS.c.started_at, func.now()),
                heartbeat_at=func.now(),
            )
            heartbeat = asyncio.create_task(keep_alive(engine, run_id))
            try:
                values = await _dry_plan(conn, settings, run)
            finally:
                heartbeat.cancel()
                await asyncio.gather(heartbeat, return_exceptions=True)
            await conn.execute(update(RUNS).where(RUNS.c.id == run_id).values(**values, finished_at=wall_now()))
            status: str = values["status"]
            return status
    except Exception as exc:
        return await fail_run(engine, run_id, exc)


async def _dry_plan(conn: AsyncConnection, settings: DunningSettings, run: Any) -> dict[str, Any]:
    """A dry run's outcome (the run's new column values): on a business day, the plan written to a temporary
    table dropped with the transaction, its counts and its first ``plan_limit`` entries."""
    clock = time.perf_counter()
    run_id, day = run["id"], run["as_of"]
    tenant = await load_tenant(conn, run["tenant_id"])
    compiled = selection.compile_strategies(await strategies_on(conn, tenant.tenant_id))
    closed = tenant.calendar.closed_reason(day)
    items: list[dict[str, Any]] = []
    await conn.execute(text(CREATE_DRY_PLAN))
    if not closed:  # nothing goes out on a closed day: the plan stays empty
        cutoff = pending_cutoff(settings.pending_expiry_hours)
        params = statements.plan_params(tenant, run_id, day, compiled, cutoff, parts=1)
        await statements.plan_into(conn, DRY_PLAN, compiled, params)
        limit = settings.dry_run_plan_limit if run["plan_limit"] is None else run["plan_limit"]
        items = await handover.shown(conn, tenant, day, DRY_PLAN, limit, compiled.by_id)
    totals = await counts.dispatch_counts(conn, run_id, compiled.by_id, table=DRY_PLAN)
    totals["seconds"] = {"plan": round(time.perf_counter() - clock, 3)}
    truncated = totals["communications"] + totals["tasks"] > len(items)
    return {
        "status": SKIPPED if closed else COMPLETED,
        "counts": totals,
        "strategy_versions": strategy_versions(compiled),
        "note": closed_note(tenant, day),
        # stored as the API shows it (ids, dates and amounts as JSON text)
        "plan": {"items": orjson.loads(orjson.dumps(items, default=str)), "truncated": truncated},
    }
