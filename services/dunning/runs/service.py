"""Dunning runs, both queued and executed by the worker: a dry run computes and stores the plan's counts and
first entries (nothing is sent); a real run plans and hands over, one tenant at a time, part by part."""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date
from typing import Any

import orjson
import structlog
from arq.worker import Retry
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from services.dunning.action_items import service as action_items
from services.dunning.models import Run, table_of
from services.dunning.projection.rules import CustomerView, InvoiceView, Position
from services.dunning.runs import counts, payloads, selection, statements
from services.dunning.runs.context import TenantContext, load_strategies, load_tenant, pending_cutoff
from services.dunning.runs.rules import CustomerPlan, PlannedCommunication, PlannedTask
from services.dunning.settings import DunningSettings
from services.dunning.strategies.rules import COMMUNICATION_KIND, KIND_RANK
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
_runs = table_of(Run)
LOCK_POLL_SECONDS = 0.25
# A run being executed stamps ``heartbeat_at`` this often; one whose stamp is older than ``STALE_SECONDS`` lost
# its worker and is resumed by the sweeper (jobs.sweep_runs).
HEARTBEAT_SECONDS = 10
STALE_SECONDS = 30


def plan_items(
    plan_customers: list[CustomerPlan],
    as_of: date,
    limit: int,
    positions: Mapping[uuid.UUID, Sequence[InvoiceView]] | None = None,
) -> list[dict[str, Any]]:
    """The planned communications and tasks as the API shows them (at most ``limit``), each message with the
    position it states (the plan's, else built from ``positions``: the customers' open invoices)."""
    out: list[dict[str, Any]] = []
    for customer_plan in plan_customers:
        customer = customer_plan.customer
        entries: list[tuple[Any, Any]] = [(c, c.items) for c in customer_plan.communications]
        entries += [(t, t.items) for t in customer_plan.tasks]
        for entry, items in entries:
            if len(out) >= limit:
                return out
            is_task = isinstance(entry, PlannedTask)
            top = max(items, key=lambda i: (KIND_RANK[i.step.kind], i.step.days))
            out.append(
                {
                    "customer_id": customer.id,
                    "customer_name": customer.name,
                    "channel": None if is_task else entry.channel,
                    "to": None if is_task else entry.address,
                    "kind": COMMUNICATION_KIND[top.step.kind],
                    "tone": max(i.step.tone for i in items) if is_task else entry.tone,
                    "action": None if is_task else entry.action,
                    "task": is_task,
                    "idempotency_key": entry.key,
                    "invoices": [
                        {
                            "invoice_id": i.invoice.id,
                            "number": i.invoice.number,
                            "step_key": i.step.key,
                            "step_kind": i.step.kind,
                            "days_overdue": i.invoice.days_overdue(as_of),
                            "open_amount": i.invoice.open_amount,
                            "currency": i.invoice.currency,
                        }
                        for i in items
                    ],
                    "position": None
                    if is_task
                    else payloads.position_fields(_position(entry, customer, as_of, positions)),
                }
            )
    return out


def _position(
    planned: PlannedCommunication,
    customer: CustomerView,
    as_of: date,
    positions: Mapping[uuid.UUID, Sequence[InvoiceView]] | None,
) -> Position:
    return payloads.communication_position(planned, customer, as_of, (positions or {}).get(customer.id, ()))


def resolve_as_of(tenant: TenantContext, as_of: date | None, dry_run: bool) -> date:
    today = tenant.today()
    if as_of is None:
        return today
    if not dry_run and (refusal := future_as_of(as_of, today)):
        raise ValidationProblem.field("as_of", refusal)
    return as_of


DRY_PLAN = "dry_plan"  # a dry run's plan: a temporary table like the dispatches, dropped with its transaction
CREATE_DRY_PLAN = f"CREATE TEMP TABLE {DRY_PLAN} (LIKE {statements.DISPATCHES} INCLUDING DEFAULTS) ON COMMIT DROP"
WAIT_POLL_SECONDS = 0.05  # how often a request waiting for its dry run reads the run's status
_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(hashtextextended(:key, 0))")


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
            insert(_runs)
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
            .returning(_runs.c.id)
        )
    if tenant.calendar.closed_reason(day):
        await execute_dry_run(engine, settings, run_id)
        return run_id, False
    return run_id, True


async def wait_for_run(engine: AsyncEngine, tenant_id: uuid.UUID, run_id: uuid.UUID, seconds: float) -> Any:
    """The run once it left queued/running, or as it is after ``seconds`` (a cheap read of its status every
    ``WAIT_POLL_SECONDS``): a dry run quick enough is answered in the request, a long one is polled by the
    client and never holds a request near the gateway's timeout."""
    deadline = time.monotonic() + seconds
    status_query = select(_runs.c.status).where(_runs.c.tenant_id == tenant_id, _runs.c.id == run_id)
    while time.monotonic() < deadline:
        async with engine.connect() as conn:
            if await conn.scalar(status_query) not in (QUEUED, RUNNING):
                break
        await asyncio.sleep(WAIT_POLL_SECONDS)
    async with engine.connect() as conn:
        return (await conn.execute(select(_runs).where(_runs.c.id == run_id))).mappings().one()


async def execute_dry_run(engine: AsyncEngine, settings: DunningSettings, run_id: uuid.UUID) -> str:
    """Compute a dry run's plan with the real run's statements, into a temporary table, and store its counts
    and first ``plan_limit`` entries on the run; nothing is sent or recorded on invoices. The plan and the
    run's completion are one transaction: a worker that dies leaves nothing but a ``running`` run whose
    heartbeat goes stale, which the sweeper re-drives. An advisory lock on the run keeps a second job (the
    sweeper's) from computing it twice at once. Returns the run's status as this job leaves it."""
    try:
        async with engine.connect() as conn, conn.begin():
            if not await conn.scalar(_TRY_LOCK, {"key": f"dunning-dry-run:{run_id}"}):
                return RUNNING  # another worker is computing it
            run = (await conn.execute(select(_runs).where(_runs.c.id == run_id))).mappings().first()
            if run is None or run["status"] not in (QUEUED, RUNNING):
                return run["status"] if run else "missing"
            await _set(
                engine,
                run_id,
                status=RUNNING,
                started_at=func.coalesce(_runs.c.started_at, func.now()),
                heartbeat_at=func.now(),
            )
            heartbeat = asyncio.create_task(_beat(engine, run_id))
            try:
                values = await _dry_plan(conn, settings, run)
            finally:
                heartbeat.cancel()
                await asyncio.gather(heartbeat, return_exceptions=True)
            await conn.execute(update(_runs).where(_runs.c.id == run_id).values(**values, finished_at=wall_now()))
            status: str = values["status"]
            return status
    except Exception as exc:
        return await _fail(engine, run_id, exc)


async def _dry_plan(conn: AsyncConnection, settings: DunningSettings, run: Any) -> dict[str, Any]:
    """A dry run's outcome (the run's new column values): on a business day, the plan written to a temporary
    table dropped with the transaction, its counts and its first ``plan_limit`` entries."""
    clock = time.perf_counter()
    run_id, day = run["id"], run["as_of"]
    tenant = await load_tenant(conn, run["tenant_id"])
    compiled = selection.compile_strategies(await load_strategies(conn, tenant.tenant_id))
    closed = tenant.calendar.closed_reason(day)
    items: list[dict[str, Any]] = []
    await conn.execute(text(CREATE_DRY_PLAN))
    if not closed:  # nothing goes out on a closed day: the plan stays empty
        cutoff = pending_cutoff(settings.pending_expiry_hours)
        params = statements.plan_params(tenant, run_id, day, compiled, cutoff, parts=1)
        await statements.plan_into(conn, DRY_PLAN, compiled, params)
        limit = settings.dry_run_plan_limit if run["plan_limit"] is None else run["plan_limit"]
        items = await statements.shown(conn, tenant, day, DRY_PLAN, limit, compiled.by_id)
    totals = await counts.dispatch_counts(conn, run_id, compiled.by_id, table=DRY_PLAN)
    totals["seconds"] = {"plan": round(time.perf_counter() - clock, 3)}
    truncated = totals["communications"] + totals["tasks"] > len(items)
    return {
        "status": SKIPPED if closed else COMPLETED,
        "counts": totals,
        "strategy_versions": _versions(compiled),
        "note": _closed_note(tenant, day),
        # stored as the API shows it (ids, dates and amounts as JSON text)
        "plan": {"items": orjson.loads(orjson.dumps(items, default=str)), "truncated": truncated},
    }


def _versions(compiled: selection.CompiledStrategies) -> dict[str, int]:
    """The version of every strategy the run could choose."""
    return {str(s.id): s.version for s in compiled.by_id.values()}


def _closed_note(tenant: TenantContext, day: date) -> str | None:
    closed = tenant.calendar.closed_reason(day)
    if not closed:
        return None
    return (
        f"{day.isoformat()} is {closed}: nothing goes out; what falls due today goes out on "
        f"{tenant.calendar.next_business_day(day).isoformat()}"
    )


async def request_run(
    session: AsyncSession, tenant_id: uuid.UUID, as_of: date | None, actor: str, trigger: str = "manual"
) -> Run:
    tenant = await load_tenant(session, tenant_id)
    run = Run(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        as_of=resolve_as_of(tenant, as_of, dry_run=False),
        dry_run=False,
        trigger=trigger,
        status=QUEUED,
        requested_by=actor,
    )
    session.add(run)
    await session.flush()
    await session.refresh(run)
    return run


async def _set(engine: AsyncEngine, run_id: uuid.UUID, **values: Any) -> None:
    async with engine.begin() as conn:
        await conn.execute(update(_runs).where(_runs.c.id == run_id).values(**values))


def _lock_key(tenant_id: uuid.UUID) -> str:
    return f"dunning-run:{tenant_id}"


def _drop_unhanded(runs: str) -> Any:
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


# Another run of the tenant still "running" while we hold the lock and none is alive: its worker died.
_DROP_DEAD_RUNS = _drop_unhanded("r.id <> :run_id AND r.status = 'running' AND NOT r.dry_run")
_DROP_FAILED_RUN = _drop_unhanded("r.id = :run_id")
_OTHER_LIVE_RUN = text(
    """
SELECT 1 FROM dunning.runs
WHERE tenant_id = :tenant_id AND id <> :run_id AND status = 'running' AND NOT dry_run
  AND coalesce(heartbeat_at, started_at) >= now() - make_interval(secs => :stale)
LIMIT 1"""
)


async def execute_run(
    engine: AsyncEngine,
    settings: DunningSettings,
    run_id: uuid.UUID,
    enqueue_parts: Callable[[int], Awaitable[None]] | None = None,
) -> str:
    """Execute a queued run, or resume one whose worker died. One run per tenant at a time: the plan is written
    under a PostgreSQL advisory lock held by an open transaction on its own connection (transaction scoped, so it
    also holds behind PgBouncer in transaction mode), and waits while another run of the tenant is alive. Then
    the run's parts are handed over by this worker and others (``enqueue_parts`` asks for up to
    ``run_parallel_parts`` at once in all).
    Returns the run's status; a database out of reach propagates (the job retries shortly)."""
    try:
        async with engine.connect() as lock, lock.begin():
            run = (await lock.execute(select(_runs).where(_runs.c.id == run_id))).mappings().first()
            if run is None or run["status"] not in (QUEUED, RUNNING):
                return run["status"] if run else "missing"
            if not await _acquire(lock, _lock_key(run["tenant_id"]), settings.run_lock_wait_seconds):
                raise Retry(defer=settings.run_lock_retry_seconds)  # still busy: give the worker slot back
            if run["planned_at"] is None:
                if not await _others_done(lock, run, settings.run_lock_wait_seconds):
                    raise Retry(defer=settings.run_lock_retry_seconds)  # its parts are still being handed over
                status = await _plan(lock, settings, run)
                if status != RUNNING:
                    return status
    except Retry:
        raise
    except Exception as exc:
        return await _fail(engine, run_id, exc)
    helpers = min(await _unhanded_parts(engine, run_id), settings.run_parallel_parts) - 1
    if enqueue_parts and helpers > 0:
        await enqueue_parts(helpers)
    return await hand_over_parts(engine, settings, run_id)


async def _plan(conn: AsyncConnection, settings: DunningSettings, run: Any) -> str:
    """Under the tenant's lock, in one transaction: the day's plan written to the dispatches (each with its part),
    the tasks handed over, one row per part to hand over. A closed day skips the run."""
    run_id, tenant_id, as_of = run["id"], run["tenant_id"], run["as_of"]
    # We hold the tenant's lock and no other run of it is alive: any other still "running" died with its worker.
    await conn.execute(_DROP_DEAD_RUNS, {"tenant_id": tenant_id, "run_id": run_id})
    await conn.execute(
        update(_runs)
        .where(
            _runs.c.tenant_id == tenant_id, _runs.c.status == RUNNING, _runs.c.id != run_id, _runs.c.dry_run.is_(False)
        )
        .values(status=INTERRUPTED, finished_at=wall_now(), note="its worker stopped during the run")
    )
    tenant = await load_tenant(conn, tenant_id)
    if tenant.calendar.closed_reason(as_of):
        await conn.execute(
            update(_runs)
            .where(_runs.c.id == run_id)
            .values(status=SKIPPED, note=_closed_note(tenant, as_of), finished_at=wall_now())
        )
        return SKIPPED
    started = time.perf_counter()
    compiled = selection.compile_strategies(await load_strategies(conn, tenant_id))
    params = statements.plan_params(
        tenant, run_id, as_of, compiled, pending_cutoff(settings.pending_expiry_hours), settings.run_parts
    )
    await statements.plan_into(conn, statements.DISPATCHES, compiled, params)
    await statements.hand_over_tasks(conn, tenant, as_of, params)
    await action_items.create_from_dispatches(conn, await statements.planned_task_actions(conn, tenant_id, run_id))
    await statements.record_parts(conn, tenant_id, run_id)
    await conn.execute(
        update(_runs)
        .where(_runs.c.id == run_id)
        .values(
            status=RUNNING,
            started_at=func.coalesce(_runs.c.started_at, func.now()),
            heartbeat_at=func.now(),
            planned_at=func.now(),
            strategy_versions=_versions(compiled),
            counts={"seconds": {"plan": round(time.perf_counter() - started, 3)}},
        )
    )
    return RUNNING


async def _unhanded_parts(engine: AsyncEngine, run_id: uuid.UUID) -> int:
    async with engine.connect() as conn:
        return int(
            await conn.scalar(
                text("SELECT count(*) FROM dunning.run_parts WHERE run_id = :run_id AND handed_at IS NULL"),
                {"run_id": run_id},
            )
            or 0
        )


async def hand_over_parts(engine: AsyncEngine, settings: DunningSettings, run_id: uuid.UUID) -> str:
    """Hand over the run's parts nobody holds, one transaction each (``FOR UPDATE SKIP LOCKED``: a part being
    handed over by another worker is skipped; a worker killed in the middle rolls its part back and releases it
    to the next). The last one done completes the run. Returns the run's status as this worker leaves it."""
    async with engine.connect() as conn:
        run = (await conn.execute(select(_runs).where(_runs.c.id == run_id))).mappings().one()
        tenant = await load_tenant(conn, run["tenant_id"])
    if run["status"] != RUNNING:
        return str(run["status"])
    heartbeat = asyncio.create_task(_beat(engine, run_id))
    started = time.perf_counter()
    try:
        while True:
            async with engine.begin() as conn:
                part = await conn.scalar(_CLAIM_PART, {"tenant_id": tenant.tenant_id, "run_id": run_id})
                if part is None:
                    break
                await statements.hand_over_part(conn, tenant, run_id, run["as_of"], part, settings.command_batch_size)
                if settings.run_part_pause_seconds:  # spreads a large run's load on messaging
                    await asyncio.sleep(settings.run_part_pause_seconds)
                await conn.execute(_PART_HANDED, {"tenant_id": tenant.tenant_id, "run_id": run_id, "part": part})
    except Exception as exc:
        return await _fail(engine, run_id, exc)
    finally:
        heartbeat.cancel()
        await asyncio.gather(heartbeat, return_exceptions=True)
    return await _complete(engine, run, time.perf_counter() - started)


_CLAIM_PART = text(
    """
SELECT part FROM dunning.run_parts
WHERE tenant_id = :tenant_id AND run_id = :run_id AND handed_at IS NULL
ORDER BY part LIMIT 1 FOR UPDATE SKIP LOCKED"""
)
_PART_HANDED = text(
    "UPDATE dunning.run_parts SET handed_at = now() WHERE tenant_id = :tenant_id AND run_id = :run_id AND part = :part"
)


async def _complete(engine: AsyncEngine, run: Any, seconds: float) -> str:
    """Complete the run once every part is handed over (whichever worker gets here last: the status guard makes
    it once). Counts come from everything the run handed over."""
    run_id = run["id"]
    if await _unhanded_parts(engine, run_id):
        return RUNNING  # another worker holds a part, or a dead one's part awaits the sweeper
    async with engine.begin() as conn:
        strategies = {s.id: s for s in await load_strategies(conn, run["tenant_id"])}
        totals = await counts.dispatch_counts(conn, run_id, strategies)
        totals["seconds"] = {**(run["counts"] or {}).get("seconds", {}), "hand_over": round(seconds, 3)}
        done = await conn.scalar(
            update(_runs)
            .where(_runs.c.id == run_id, _runs.c.status == RUNNING)
            .values(status=COMPLETED, counts=totals, finished_at=wall_now())
            .returning(_runs.c.id)
        )
    if done:
        log.info("dunning_run_completed", run_id=str(run_id), tenant_id=str(run["tenant_id"]), **_summary(totals))
    return COMPLETED


async def _fail(engine: AsyncEngine, run_id: uuid.UUID, exc: Exception) -> str:
    """A run that cannot go on fails with the error as its note; what it did not hand over is dropped. A
    database out of reach is no failure: it propagates, and the run resumes where it stopped."""
    if connection_unavailable(exc):
        raise exc
    log.exception("dunning_run_failed", run_id=str(run_id))
    async with engine.begin() as conn:
        tenant_id = await conn.scalar(select(_runs.c.tenant_id).where(_runs.c.id == run_id))
        await conn.execute(_DROP_FAILED_RUN, {"tenant_id": tenant_id, "run_id": run_id})
        await conn.execute(
            update(_runs)
            .where(_runs.c.id == run_id)
            .values(status=FAILED, note=f"{type(exc).__name__}: {exc}"[:2000], finished_at=wall_now())
        )
    return FAILED


async def _within(wait_seconds: float, check: Callable[[], Awaitable[Any]]) -> bool:
    """Whether ``check`` comes true within ``wait_seconds``, asked every ``LOCK_POLL_SECONDS``."""
    for _ in range(max(1, int(wait_seconds / LOCK_POLL_SECONDS))):
        if await check():
            return True
        await asyncio.sleep(LOCK_POLL_SECONDS)
    return False


async def _others_done(lock: AsyncConnection, run: Any, wait_seconds: float) -> bool:
    """No other run of the tenant is being handed over (waiting a little for one that is)."""
    params = {"tenant_id": run["tenant_id"], "run_id": run["id"], "stale": STALE_SECONDS}

    async def none_alive() -> bool:
        return not await lock.scalar(_OTHER_LIVE_RUN, params)

    return await _within(wait_seconds, none_alive)


async def _acquire(lock: AsyncConnection, key: str, wait_seconds: float) -> bool:
    """The tenant's run lock (until ``lock``'s transaction ends), waiting a little for a run in progress."""
    return await _within(wait_seconds, lambda: lock.scalar(_TRY_LOCK, {"key": key}))


async def _beat(engine: AsyncEngine, run_id: uuid.UUID) -> None:
    """Say the run is alive every ``HEARTBEAT_SECONDS``; the sweeper resumes a run whose heartbeat went stale."""
    while True:
        await asyncio.sleep(HEARTBEAT_SECONDS)
        try:
            await _set(engine, run_id, heartbeat_at=func.now())
        except Exception as exc:  # a missed beat is harmless: the run's own statements will fail or succeed
            log.warning("dunning_run_heartbeat_failed", run_id=str(run_id), error=f"{type(exc).__name__}: {exc}")


def _summary(counts: dict[str, Any]) -> dict[str, Any]:
    return {k: counts[k] for k in ("customers", "invoices", "communications", "tasks")}
