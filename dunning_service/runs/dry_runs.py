"""Dry runs: recorded by the request, computed by the worker with the real run's statements into a temporary
table; their counts and first entries are stored on the run (nothing is sent)."""

import asyncio
import time
import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

import orjson
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from dunning_service.experiments import service as experiments
from dunning_service.fees import service as fees
from dunning_service.fees.repository import ChargeTotal
from dunning_service.runs import counts, handover_repository, plan_repository, statements
from dunning_service.runs import lifecycle_repository as repository
from dunning_service.runs.context import load_strategies, load_tenant, pending_cutoff
from dunning_service.runs.handover_repository import POSITION_KEYS, ShownRow
from dunning_service.runs.lifecycle import (
    COMPLETED,
    QUEUED,
    RUNNING,
    SKIPPED,
    closed_note,
    fail_run,
    keep_alive,
    reading,
    resolve_as_of,
    set_run,
    side_by_side,
    strategy_versions,
    transaction,
)
from dunning_service.runs.plan_repository import DRY_PLAN
from dunning_service.runs.repository import RunRow
from dunning_service.settings import DunningSettings
from dunning_service.strategies.rules import COMMUNICATION_KIND, StepKind, Strategy
from shared.clock import wait_until, wall_now

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
    async with transaction(engine) as session:
        tenant = await load_tenant(session, tenant_id)
        day = resolve_as_of(tenant, as_of, dry_run=True)
        run_id = await repository.insert_run(
            session,
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            as_of=day,
            dry_run=True,
            trigger="manual",
            status=QUEUED,
            requested_by=actor,
            plan_limit=limit,
        )
    if tenant.calendar.closed_reason(day):
        await execute_dry_run(engine, settings, run_id)
        return run_id, False
    return run_id, True


async def wait_for_run(engine: AsyncEngine, tenant_id: uuid.UUID, run_id: uuid.UUID, seconds: float) -> RunRow:
    """The run once it left queued/running, or as it is after ``seconds`` (a cheap read of its status every
    ``WAIT_POLL_SECONDS``): a dry run quick enough is answered in the request, a long one is polled by the
    client and never holds a request near the gateway's timeout."""

    async def settled() -> bool:
        async with reading(engine) as session:
            return await repository.run_status(session, tenant_id, run_id) not in (QUEUED, RUNNING)

    await wait_until(settled, seconds, WAIT_POLL_SECONDS)
    async with reading(engine) as session:
        run = await repository.run_by_id(session, run_id)
    assert run is not None, "a run is never deleted"
    return run


async def execute_dry_run(engine: AsyncEngine, settings: DunningSettings, run_id: uuid.UUID) -> str:
    """Compute a dry run's plan with the real run's statements, into a temporary table, and store its counts
    and first ``plan_limit`` entries on the run; nothing is sent or recorded on invoices. The plan and the
    run's completion are one transaction: a worker that dies leaves nothing but a ``running`` run whose
    heartbeat goes stale, which the sweeper re-drives. An advisory lock on the run keeps a second job (the
    sweeper's) from computing it twice at once. Returns the run's status as this job leaves it."""
    try:
        async with transaction(engine) as session:
            if not await repository.try_lock(session, f"dunning-dry-run:{run_id}"):
                return RUNNING  # another worker is computing it
            run = await repository.run_by_id(session, run_id)
            if run is None or run.status not in (QUEUED, RUNNING):
                return run.status if run else "missing"
            await set_run(
                engine,
                run_id,
                status=RUNNING,
                started_at=func.coalesce(repository.RUNS.c.started_at, func.now()),
                heartbeat_at=func.now(),
            )
            heartbeat = asyncio.create_task(keep_alive(engine, run_id))
            try:
                values = await _dry_plan(engine, session, settings, run)
            finally:
                heartbeat.cancel()
                await asyncio.gather(heartbeat, return_exceptions=True)
            await repository.set_run(session, run_id, **values, finished_at=wall_now())
            status: str = values["status"]
            return status
    except Exception as exc:
        return await fail_run(engine, run_id, exc)


async def _dry_plan(
    engine: AsyncEngine, session: AsyncSession, settings: DunningSettings, run: RunRow
) -> dict[str, Any]:
    """A dry run's outcome (the run's new column values): on a business day, the plan written to a temporary
    table dropped with the transaction, its counts and its first ``plan_limit`` entries, and beside them (on a
    connection of its own, as a real run) what the day would charge."""
    clock = time.perf_counter()
    run_id, day = run.id, run.as_of
    tenant = await load_tenant(session, run.tenant_id)
    compiled = await experiments.steered(
        session, tenant.tenant_id, await load_strategies(session, tenant.tenant_id), day
    )
    closed = tenant.calendar.closed_reason(day)
    cutoff = pending_cutoff(settings.pending_expiry_hours)
    # nothing goes out on a closed day: its plan is empty
    params = None if closed else statements.plan_params(tenant, run_id, day, compiled, cutoff, parts=1)
    limit = settings.dry_run_plan_limit if run.plan_limit is None else run.plan_limit

    async def planned() -> list[dict[str, Any]]:
        await plan_repository.plan_table(session, DRY_PLAN, compiled, params, final_tones=True)
        rows = [] if closed else await handover_repository.shown(session, tenant, day, DRY_PLAN, limit)
        return [shown_item(row, compiled.by_id) for row in rows]

    async def charged() -> list[ChargeTotal]:
        if closed:
            return []
        async with reading(engine) as charging:
            return await fees.assess_day(charging, tenant.tenant_id, day, compiled, None, dry=True)

    items, charges = await side_by_side(planned(), charged())
    totals = counts.dispatch_counts(await plan_repository.count_rows(session, run_id, DRY_PLAN), compiled.by_id)
    if charges:
        totals["charges"] = fees.totals_json(charges)
    totals["seconds"] = {"plan": round(time.perf_counter() - clock, 3)}
    truncated = totals["communications"] + totals["tasks"] + totals["calls"] > len(items)
    return {
        "status": SKIPPED if closed else COMPLETED,
        "counts": totals,
        "strategy_versions": strategy_versions(compiled),
        "note": closed_note(tenant, day),
        # stored as the API shows it (ids, dates and amounts as JSON text)
        "plan": {"items": orjson.loads(orjson.dumps(items, default=str)), "truncated": truncated},
    }


def shown_item(row: ShownRow, strategies: Mapping[uuid.UUID, Strategy]) -> dict[str, Any]:
    """An entry of a dry run's plan as the API shows it (``service.plan_items``' shape), a message with the
    position its payload states."""
    # a message can mix the customer's strategy and the payment plans' (issue 19): its own strategy's keys first
    steps = {step.key: step for s in strategies.values() if s.id != row.strategy_id for step in s.steps}
    steps |= {s.key: s for s in strategies[row.strategy_id].steps} if row.strategy_id in strategies else {}
    invoices = [
        {**line, "step_kind": steps[line["step_key"]].kind if line["step_key"] in steps else None}
        for line in row.invoices or ()
    ]
    return {
        "customer_id": row.customer_id,
        "customer_name": row.name,
        "channel": row.channel,
        "to": row.address,
        "kind": COMMUNICATION_KIND[StepKind(row.kind)],
        "tone": row.tone,
        "action": row.action,
        "task": row.channel is None,
        "call": row.kind == StepKind.CALL,
        "idempotency_key": row.idempotency_key,
        "invoices": invoices,
        "position": {k: row.payload[k] for k in POSITION_KEYS} if row.payload else None,
    }
