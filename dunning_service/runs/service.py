"""Dunning runs: a dry run computes and stores the plan's counts (nothing is sent); a real run is queued
and executed by the worker, one tenant at a time, chunk by chunk."""

import asyncio
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import structlog
from arq.worker import Retry
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from dunning_service import rules
from dunning_service.models import Run
from dunning_service.runs import executor, payloads, planner
from dunning_service.runs.context import TenantContext, load_strategies, load_tenant, pending_cutoff
from dunning_service.settings import DunningSettings
from shared.calendar import future_as_of
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
_runs = Run.__table__
LOCK_POLL_SECONDS = 0.25
# A run being executed stamps ``heartbeat_at`` this often; one whose stamp is older than ``STALE_SECONDS`` lost
# its worker and is resumed by the sweeper (jobs.sweep_runs).
HEARTBEAT_SECONDS = 10
STALE_SECONDS = 30


def plan_items(
    plan_customers: list[rules.CustomerPlan],
    as_of: date,
    limit: int,
    positions: Mapping[uuid.UUID, Sequence[rules.InvoiceView]] | None = None,
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
            is_task = isinstance(entry, rules.PlannedTask)
            top = max(items, key=lambda i: (rules.KIND_RANK[i.step.kind], i.step.days))
            out.append(
                {
                    "customer_id": customer.id,
                    "customer_name": customer.name,
                    "channel": None if is_task else entry.channel,
                    "to": None if is_task else entry.address,
                    "kind": rules.COMMUNICATION_KIND[top.step.kind],
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
    planned: rules.PlannedCommunication,
    customer: rules.CustomerView,
    as_of: date,
    positions: Mapping[uuid.UUID, Sequence[rules.InvoiceView]] | None,
) -> rules.Position:
    return payloads.communication_position(planned, customer, as_of, (positions or {}).get(customer.id, ()))


def resolve_as_of(tenant: TenantContext, as_of: date | None, dry_run: bool) -> date:
    today = tenant.today()
    if as_of is None:
        return today
    if not dry_run and (refusal := future_as_of(as_of, today)):
        raise ValidationProblem.field("as_of", refusal)
    return as_of


async def dry_run(
    session: AsyncSession,
    engine: AsyncEngine,
    settings: DunningSettings,
    tenant_id: uuid.UUID,
    as_of: date | None,
    actor: str,
    limit: int,
) -> tuple[Run, list[dict[str, Any]], bool]:
    """Compute the plan for ``as_of`` and record the run with its counts; nothing is sent or recorded on
    invoices."""
    started = datetime.now(UTC)
    clock = time.perf_counter()
    async with engine.connect() as conn:
        tenant = await load_tenant(conn, tenant_id)
        day = resolve_as_of(tenant, as_of, dry_run=True)
        strategies = await load_strategies(conn, tenant_id)
        plan = await planner.compute_plan(conn, tenant, day, strategies, pending_cutoff(settings.pending_expiry_hours))
        shown = [p.customer.id for p in plan.customers[:limit] if p.communications]  # each shows at least one item
        positions = await planner.load_positions(conn, tenant_id, shown)
    counts = planner.counts(plan.customers, plan.strategies)
    counts["seconds"] = {"plan": round(time.perf_counter() - clock, 3)}
    run = Run(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        as_of=day,
        dry_run=True,
        trigger="manual",
        status=SKIPPED if plan.closed_reason else COMPLETED,
        requested_by=actor,
        counts=counts,
        strategy_versions=plan.strategy_versions(),
        note=_closed_note(plan),
        started_at=started,
        finished_at=datetime.now(UTC),
    )
    session.add(run)
    await session.flush()
    await session.refresh(run)
    items = plan_items(plan.customers, day, limit, positions)
    total = len(plan.communications) + len(plan.tasks)
    return run, items, total > len(items)


def _closed_note(plan: planner.Plan) -> str | None:
    if not plan.closed_reason:
        return None
    return (
        f"{plan.as_of.isoformat()} is {plan.closed_reason}: nothing goes out; what falls due today goes out on "
        f"{plan.next_business_day.isoformat() if plan.next_business_day else 'the next business day'}"
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


async def execute_run(engine: AsyncEngine, settings: DunningSettings, run_id: uuid.UUID) -> str:
    """Execute a queued run, or resume one whose worker died (a rerun skips what is pending or done). One run per
    tenant at a time: a PostgreSQL advisory lock held by an open transaction on its own connection (transaction
    scoped, so it also holds behind PgBouncer in transaction mode); a killed worker releases it with its
    connection. Returns the final status; a database out of reach propagates (the job retries shortly)."""
    async with engine.connect() as lock, lock.begin():
        run = (await lock.execute(select(_runs).where(_runs.c.id == run_id))).mappings().first()
        if run is None or run["status"] not in (QUEUED, RUNNING):
            return run["status"] if run else "missing"
        if not await _acquire(lock, _lock_key(run["tenant_id"]), settings.run_lock_wait_seconds):
            raise Retry(defer=settings.run_lock_retry_seconds)  # still busy: give the worker slot back
        return await _execute_locked(engine, settings, run)


async def _acquire(lock: AsyncConnection, key: str, wait_seconds: float) -> bool:
    """The tenant's run lock (until ``lock``'s transaction ends), waiting a little for a run in progress."""
    for _ in range(max(1, int(wait_seconds / LOCK_POLL_SECONDS))):
        if await lock.scalar(text("SELECT pg_try_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}):
            return True
        await asyncio.sleep(LOCK_POLL_SECONDS)
    return False


async def _beat(engine: AsyncEngine, run_id: uuid.UUID) -> None:
    """Say the run is alive every ``HEARTBEAT_SECONDS``; the sweeper resumes a run whose heartbeat went stale."""
    while True:
        await asyncio.sleep(HEARTBEAT_SECONDS)
        try:
            await _set(engine, run_id, heartbeat_at=func.now())
        except Exception as exc:  # a missed beat is harmless: the run's own statements will fail or succeed
            log.warning("dunning_run_heartbeat_failed", run_id=str(run_id), error=f"{type(exc).__name__}: {exc}")


async def _execute_locked(engine: AsyncEngine, settings: DunningSettings, run: Any) -> str:
    heartbeat = asyncio.create_task(_beat(engine, run["id"]))
    try:
        return await _execute_with_heartbeat(engine, settings, run)
    finally:
        heartbeat.cancel()
        await asyncio.gather(heartbeat, return_exceptions=True)


async def _execute_with_heartbeat(engine: AsyncEngine, settings: DunningSettings, run: Any) -> str:
    run_id, tenant_id, as_of = run["id"], run["tenant_id"], run["as_of"]
    async with engine.begin() as conn:
        # We hold the tenant's lock: any other run still "running" died with its worker.
        await conn.execute(
            update(_runs)
            .where(_runs.c.tenant_id == tenant_id, _runs.c.status == RUNNING, _runs.c.id != run_id)
            .values(status=INTERRUPTED, finished_at=datetime.now(UTC), note="its worker stopped during the run")
        )
        await conn.execute(
            update(_runs)
            .where(_runs.c.id == run_id)
            .values(status=RUNNING, started_at=func.coalesce(_runs.c.started_at, func.now()), heartbeat_at=func.now())
        )
    try:
        started = time.perf_counter()
        async with engine.connect() as conn:
            tenant = await load_tenant(conn, tenant_id)
            strategies = await load_strategies(conn, tenant_id)
            plan = await planner.compute_plan(
                conn, tenant, as_of, strategies, pending_cutoff(settings.pending_expiry_hours)
            )
        if plan.closed_reason:
            await _set(engine, run_id, status=SKIPPED, note=_closed_note(plan), finished_at=datetime.now(UTC))
            return SKIPPED
        planned = time.perf_counter()
        size = max(1, settings.run_chunk_size)
        for start in range(0, len(plan.customers), size):
            async with engine.begin() as conn:
                await executor.write_chunk(
                    conn, tenant, run_id, as_of, plan.customers[start : start + size], settings.command_batch_size
                )
            if settings.run_chunk_pause_seconds and start + size < len(plan.customers):
                await asyncio.sleep(settings.run_chunk_pause_seconds)
        async with engine.connect() as conn:  # everything this run handed over, also before a crash
            counts = await planner.dispatch_counts(conn, run_id, plan.strategies)
        counts["seconds"] = {"plan": round(planned - started, 3), "write": round(time.perf_counter() - planned, 3)}
        await _set(
            engine,
            run_id,
            status=COMPLETED,
            counts=counts,
            strategy_versions=plan.strategy_versions(),
            finished_at=datetime.now(UTC),
        )
        log.info("dunning_run_completed", run_id=str(run_id), tenant_id=str(tenant_id), **_summary(counts))
        return COMPLETED
    except Exception as exc:
        if connection_unavailable(exc):
            raise  # the run stays running and resumes where it stopped (jobs.run_dunning retries it)
        log.exception("dunning_run_failed", run_id=str(run_id))
        await _set(
            engine, run_id, status=FAILED, note=f"{type(exc).__name__}: {exc}"[:2000], finished_at=datetime.now(UTC)
        )
        return FAILED


def _summary(counts: dict[str, Any]) -> dict[str, Any]:
    return {k: counts[k] for k in ("customers", "invoices", "communications", "tasks")}
