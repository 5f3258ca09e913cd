"""Real dunning runs, queued by the request and executed by the worker: planned and handed over, one tenant at a
time, part by part (dry runs: ``dry_runs.py``; the bookkeeping both share: ``lifecycle.py``)."""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date
from typing import Any

import structlog
from arq.worker import Retry
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from dunning_service.action_items import service as action_items
from dunning_service.experiments import service as experiments
from dunning_service.fees import service as fees
from dunning_service.models import Run
from dunning_service.projection.rules import CustomerView, InvoiceView, Position
from dunning_service.runs import counts, handover_repository, payloads, plan_repository, statements
from dunning_service.runs import lifecycle_repository as repository
from dunning_service.runs.context import TenantContext, load_strategies, load_tenant, pending_cutoff
from dunning_service.runs.lifecycle import (
    COMPLETED,
    INTERRUPTED,
    QUEUED,
    RUNNING,
    SKIPPED,
    STALE_SECONDS,
    closed_note,
    fail_run,
    keep_alive,
    reading,
    resolve_as_of,
    side_by_side,
    strategy_versions,
    transaction,
)
from dunning_service.runs.repository import RunRow
from dunning_service.runs.rules import CustomerPlan, PlannedCall, PlannedCommunication, PlannedTask
from dunning_service.runs.selection import CompiledStrategies
from dunning_service.settings import DunningSettings
from dunning_service.strategies.rules import COMMUNICATION_KIND, KIND_RANK
from shared.clock import wall_now

log = structlog.get_logger()

LOCK_POLL_SECONDS = 0.25


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
        entries += [(c, c.items) for c in customer_plan.calls]
        for entry, items in entries:
            if len(out) >= limit:
                return out
            is_task = isinstance(entry, PlannedTask | PlannedCall)
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
                    "call": isinstance(entry, PlannedCall),
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


def _lock_key(tenant_id: uuid.UUID) -> str:
    return f"dunning-run:{tenant_id}"


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
        async with transaction(engine) as lock:
            run = await repository.run_by_id(lock, run_id)
            if run is None or run.status not in (QUEUED, RUNNING):
                return run.status if run else "missing"
            if not await _acquire(lock, _lock_key(run.tenant_id), settings.run_lock_wait_seconds):
                raise Retry(defer=settings.run_lock_retry_seconds)  # still busy: give the worker slot back
            if run.planned_at is None:
                if not await _others_done(lock, run, settings.run_lock_wait_seconds):
                    raise Retry(defer=settings.run_lock_retry_seconds)  # its parts are still being handed over
                status = await _plan(engine, lock, settings, run)
                if status != RUNNING:
                    return status
    except Retry:
        raise
    except Exception as exc:
        return await fail_run(engine, run_id, exc)
    helpers = min(await _unhanded_parts(engine, run_id), settings.run_parallel_parts) - 1
    if enqueue_parts and helpers > 0:
        await enqueue_parts(helpers)
    return await hand_over_parts(engine, settings, run_id)


async def _plan(engine: AsyncEngine, session: AsyncSession, settings: DunningSettings, run: RunRow) -> str:
    """Under the tenant's lock (``session``'s transaction): the day's plan written to the dispatches (each with its
    part), the tasks handed over, one row per part to hand over; beside it, on a connection and in a transaction of
    its own, the day's late charges assessed. A closed day skips the run.

    The plan and the assessment are independent statements, so they run at once (a run's plan is one statement on
    one core: the other is free); the running experiments' newcomers are dealt first, in a transaction of their own,
    so that both see them. The assessment commits first: if the worker dies before the plan commits, the resumed
    run plans again and assesses nothing twice (a charge's key), though its counts then miss those charges.

    The charges are assessed with the plan and before any message is built: the plan only chooses who gets what
    (dispatch rows); each message's payload, its ``charges`` among them, is built at hand-over
    (``handover_repository.communications_query``), after both transactions commit, from the customer's charges open
    then (kept as JSON: ``dunning.open_charges``). So a message lists the charges assessed on its own day too, on
    purpose: the message is how the customer learns of a new charge, and it states the whole position (seed 004), so
    it shows what the debt is now rather than leaving it to the next message
    (``test_fees.test_messages_carry_open_charges...`` holds it). Whether a customer is written to never depends on
    its charges (they are not in the position's totals). A dry run only counts the day's charges
    (``counts.charges``): the messages it shows list the charges already recorded, without that day's."""
    run_id, tenant_id, as_of = run.id, run.tenant_id, run.as_of
    # We hold the tenant's lock and no other run of it is alive: any other still "running" died with its worker.
    await repository.interrupt_dead_runs(
        session,
        tenant_id,
        run_id,
        RUNNING,
        status=INTERRUPTED,
        finished_at=wall_now(),
        note="its worker stopped during the run",
    )
    tenant = await load_tenant(session, tenant_id)
    if tenant.calendar.closed_reason(as_of):
        await repository.set_run(
            session, run_id, status=SKIPPED, note=closed_note(tenant, as_of), finished_at=wall_now()
        )
        return SKIPPED
    started = time.perf_counter()
    strategies = await load_strategies(session, tenant_id)
    async with transaction(engine) as dealing:  # the experiments in force steer the selection (issue 19)
        compiled = await experiments.steered(dealing, tenant_id, strategies, as_of, True)
    params = statements.plan_params(
        tenant, run_id, as_of, compiled, pending_cutoff(settings.pending_expiry_hours), settings.run_parts
    )
    async with transaction(engine) as charging:
        charged, _ = await side_by_side(
            fees.assess_day(charging, tenant_id, as_of, compiled, run_id, dry=False),
            _write_plan(session, settings, tenant, run_id, as_of, compiled, params),
        )
    await repository.set_run(
        session,
        run_id,
        status=RUNNING,
        started_at=func.coalesce(repository.RUNS.c.started_at, func.now()),
        heartbeat_at=func.now(),
        planned_at=func.now(),
        strategy_versions=strategy_versions(compiled),
        counts={
            "seconds": {"plan": round(time.perf_counter() - started, 3)},
            **({"charges": fees.totals_json(charged)} if charged else {}),
        },
    )
    return RUNNING


async def _write_plan(
    session: AsyncSession,
    settings: DunningSettings,
    tenant: TenantContext,
    run_id: uuid.UUID,
    as_of: date,
    compiled: CompiledStrategies,
    params: dict[str, Any],
) -> None:
    """The plan into the dispatches, its tasks handed over (with their action items), its parts recorded."""
    await plan_repository.plan_into(session, compiled, params)
    await handover_repository.hand_over_tasks(session, tenant, as_of, params, settings.command_batch_size)
    with_action = await plan_repository.planned_task_actions(session, tenant.tenant_id, run_id)
    await action_items.create_from_dispatches(session, with_action)
    await plan_repository.record_parts(session, tenant.tenant_id, run_id)


async def _unhanded_parts(engine: AsyncEngine, run_id: uuid.UUID) -> int:
    async with reading(engine) as session:
        return await repository.unhanded_parts(session, run_id)


async def hand_over_parts(engine: AsyncEngine, settings: DunningSettings, run_id: uuid.UUID) -> str:
    """Hand over the run's parts nobody holds, one transaction each (``FOR UPDATE SKIP LOCKED``: a part being
    handed over by another worker is skipped; a worker killed in the middle rolls its part back and releases it
    to the next). The last one done completes the run. Returns the run's status as this worker leaves it."""
    async with reading(engine) as session:
        run = await repository.run_by_id(session, run_id)
        if run is None:
            return "missing"
        tenant = await load_tenant(session, run.tenant_id)
    if run.status != RUNNING:
        return run.status
    heartbeat = asyncio.create_task(keep_alive(engine, run_id))
    started = time.perf_counter()
    try:
        while True:
            async with transaction(engine) as session:
                part = await repository.claim_part(session, tenant.tenant_id, run_id)
                if part is None:
                    break
                batch = settings.command_batch_size
                await handover_repository.hand_over_part(session, tenant, run_id, run.as_of, part, batch)
                if settings.run_part_pause_seconds:  # spreads a large run's load on messaging
                    await asyncio.sleep(settings.run_part_pause_seconds)
                await repository.part_handed(session, tenant.tenant_id, run_id, part)
    except Exception as exc:
        return await fail_run(engine, run_id, exc)
    finally:
        heartbeat.cancel()
        await asyncio.gather(heartbeat, return_exceptions=True)
    return await _complete(engine, run, time.perf_counter() - started)


async def _complete(engine: AsyncEngine, run: RunRow, seconds: float) -> str:
    """Complete the run once every part is handed over (whichever worker gets here last: the status guard makes
    it once). Counts come from everything the run handed over."""
    run_id = run.id
    if await _unhanded_parts(engine, run_id):
        return RUNNING  # another worker holds a part, or a dead one's part awaits the sweeper
    async with transaction(engine) as session:
        strategies = {s.id: s for s in await load_strategies(session, run.tenant_id)}
        totals = counts.dispatch_counts(await plan_repository.count_rows(session, run_id), strategies)
        totals["seconds"] = {**(run.counts or {}).get("seconds", {}), "hand_over": round(seconds, 3)}
        if "charges" in (run.counts or {}):
            totals["charges"] = run.counts["charges"]
        done = await repository.complete_run(
            session, run_id, RUNNING, status=COMPLETED, counts=totals, finished_at=wall_now()
        )
    if done:
        log.info("dunning_run_completed", run_id=str(run_id), tenant_id=str(run.tenant_id), **_summary(totals))
    return COMPLETED


async def _within(wait_seconds: float, check: Callable[[], Awaitable[Any]]) -> bool:
    """Whether ``check`` comes true within ``wait_seconds``, asked every ``LOCK_POLL_SECONDS``."""
    for _ in range(max(1, int(wait_seconds / LOCK_POLL_SECONDS))):
        if await check():
            return True
        await asyncio.sleep(LOCK_POLL_SECONDS)
    return False


async def _others_done(lock: AsyncSession, run: RunRow, wait_seconds: float) -> bool:
    """No other run of the tenant is being handed over (waiting a little for one that is)."""

    async def none_alive() -> bool:
        return not await repository.other_live_run(lock, run.tenant_id, run.id, STALE_SECONDS)

    return await _within(wait_seconds, none_alive)


async def _acquire(lock: AsyncSession, key: str, wait_seconds: float) -> bool:
    """The tenant's run lock (until ``lock``'s transaction ends), waiting a little for a run in progress."""
    return await _within(wait_seconds, lambda: repository.try_lock(lock, key))


def _summary(counts: dict[str, Any]) -> dict[str, Any]:
    return {k: counts[k] for k in ("customers", "invoices", "communications", "tasks")}
