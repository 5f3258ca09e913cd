"""Writing a real run: per chunk of customers, in one transaction, the dispatches, the steps they carry
marked pending on their invoices, and the commands in the outbox. A crash loses at most the chunk being
written (nothing of it left the service); a rerun skips every step already pending or done.

Set-based throughout: COPY for the dispatches, one UPDATE per kind of change, one INSERT for the outbox.
"""

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from dunning_service import rules
from dunning_service.action_items import service as action_items
from dunning_service.runs import payloads, planner
from dunning_service.runs.context import TenantContext
from shared.contracts.messaging import SendCommunications
from shared.contracts.receivables import CreateTask

DISPATCH_COLUMNS = (
    "id",
    "tenant_id",
    "run_id",
    "customer_id",
    "as_of",
    "idempotency_key",
    "channel",
    "address",
    "kind",
    "tone",
    "action",
    "state",
    "strategy_id",
    "invoice_ids",
    "step_ids",
    "step_keys",
    "action_invoice_ids",
)


def _json(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


async def insert_outbox(
    conn: AsyncConnection, tenant_id: uuid.UUID, messages: list[tuple[type, dict[str, Any]]]
) -> None:
    """Outbox rows written directly in SQL (same columns as ``shared.outbox.emit``), for large batches."""
    if not messages:
        return
    await conn.execute(
        text(
            "INSERT INTO dunning.outbox (id, tenant_id, message_type, version, consumers, payload, occurred_at) "
            "SELECT u.id, :tenant_id, u.type, u.version, CAST(u.consumers AS varchar[]), CAST(u.payload AS jsonb), "
            "clock_timestamp() "
            "FROM unnest(CAST(:ids AS uuid[]), CAST(:types AS text[]), CAST(:versions AS int[]), "
            "CAST(:consumers AS text[]), CAST(:payloads AS text[])) WITH ORDINALITY "
            "AS u(id, type, version, consumers, payload, n) ORDER BY u.n"
        ),
        {
            "tenant_id": tenant_id,
            "ids": [uuid.uuid4() for _ in messages],
            "types": [cls.message_type for cls, _ in messages],
            "versions": [cls.version for cls, _ in messages],
            "consumers": ["{" + ",".join(cls.consumers) + "}" for cls, _ in messages],
            "payloads": [_json(payload) for _, payload in messages],
        },
    )


@dataclass
class ChunkResult:
    customers: list[rules.CustomerPlan] = field(default_factory=list)
    action_items: int = 0


def _record(
    dispatch_id: uuid.UUID,
    tenant: TenantContext,
    run_id: uuid.UUID,
    as_of: date,
    customer_id: uuid.UUID,
    planned: rules.PlannedCommunication | rules.PlannedTask,
) -> tuple[Any, ...]:
    items = planned.items
    if isinstance(planned, rules.PlannedCommunication):
        kind, tone, action = planned.kind, planned.tone, planned.action
        channel, address, state = planned.channel.value, planned.address, "pending"
    else:
        top = max(items, key=lambda i: (rules.KIND_RANK[i.step.kind], i.step.days))
        kind, tone, channel, address, state = top.step.kind, max(i.step.tone for i in items), None, None, "task"
        actions = [i.step.action for i in items if i.step.kind == rules.StepKind.ACTION]
        action = actions[-1] if actions else None
    return (
        dispatch_id,
        tenant.tenant_id,
        run_id,
        customer_id,
        as_of,
        planned.key,
        channel,
        address,
        kind.value,
        tone,
        action.value if action else None,
        state,
        items[0].strategy_id,
        [i.invoice.id for i in items],
        [i.step.id for i in items],
        [i.step.key for i in items],
        [i.invoice.id for i in items if i.step.kind == rules.StepKind.ACTION],
    )


async def write_chunk(
    conn: AsyncConnection,
    tenant: TenantContext,
    run_id: uuid.UUID,
    as_of: date,
    plans: list[rules.CustomerPlan],
    command_batch_size: int,
) -> ChunkResult:
    keys = [c.key for p in plans for c in p.communications] + [t.key for p in plans for t in p.tasks]
    existing = set(
        (
            await conn.execute(
                text(
                    "SELECT idempotency_key FROM dunning.dispatches "
                    "WHERE tenant_id = :tenant_id AND idempotency_key = ANY(CAST(:keys AS text[]))"
                ),
                {"tenant_id": tenant.tenant_id, "keys": keys},
            )
        ).scalars()
    )
    result = ChunkResult()
    records: list[tuple[Any, ...]] = []
    planned: list[tuple[rules.PlannedCommunication, rules.CustomerPlan, uuid.UUID]] = []
    tasks: list[dict[str, Any]] = []
    pending: list[tuple[uuid.UUID, uuid.UUID]] = []
    done: list[tuple[uuid.UUID, uuid.UUID, bool]] = []
    task_dispatches_with_action: list[uuid.UUID] = []
    for plan in plans:
        kept_comms = tuple(c for c in plan.communications if c.key not in existing)
        kept_tasks = tuple(t for t in plan.tasks if t.key not in existing)
        if not kept_comms and not kept_tasks:
            continue
        result.customers.append(rules.CustomerPlan(plan.customer, kept_comms, kept_tasks))
        for c in kept_comms:
            dispatch_id = uuid.uuid4()
            records.append(_record(dispatch_id, tenant, run_id, as_of, plan.customer.id, c))
            planned.append((c, plan, dispatch_id))
            pending.extend((i.invoice.id, i.step.id) for i in c.items)
        for t in kept_tasks:
            dispatch_id = uuid.uuid4()
            records.append(_record(dispatch_id, tenant, run_id, as_of, plan.customer.id, t))
            tasks.append(payloads.task(t, plan.customer, tenant, as_of))
            done.extend((i.invoice.id, i.step.id, i.step.kind == rules.StepKind.ACTION) for i in t.items)
            if any(i.step.kind == rules.StepKind.ACTION for i in t.items):
                task_dispatches_with_action.append(dispatch_id)
    if not records:
        return result
    # each message states the customer's whole position (issue 12): one query for the chunk's customers
    positions = await planner.load_positions(
        conn, tenant.tenant_id, [p.customer.id for p in result.customers if p.communications]
    )
    communications = [
        payloads.communication(c, plan.customer, tenant, as_of, dispatch_id, run_id, positions.get(c.customer_id, ()))
        for c, plan, dispatch_id in planned
    ]
    raw = await conn.get_raw_connection()
    await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
        "dispatches", schema_name="dunning", columns=list(DISPATCH_COLUMNS), records=records
    )
    await record_steps_pending(conn, [(tenant.tenant_id, *p) for p in pending])
    if done:
        await record_steps_done(conn, [(tenant.tenant_id, *d) for d in done])
    messages: list[tuple[type, dict[str, Any]]] = [
        (SendCommunications, {"communications": communications[start : start + command_batch_size]})
        for start in range(0, len(communications), command_batch_size)
    ]
    messages.extend((CreateTask, payload) for payload in tasks)
    await insert_outbox(conn, tenant.tenant_id, messages)
    if task_dispatches_with_action:
        result.action_items = await action_items.create_from_dispatches(conn, task_dispatches_with_action)
    return result


async def record_steps_pending(conn: Any, steps: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]) -> None:
    """Record (tenant, invoice, step) as handed to messaging and not sent yet: nobody answered so far, so the
    pending expiry applies until messaging accepts it."""
    if not steps:
        return
    await conn.execute(
        text(
            "UPDATE dunning.invoices i "
            "SET pending_step_id = u.step_id, pending_since = now(), pending_accepted = false "
            "FROM unnest(CAST(:tenants AS uuid[]), CAST(:invoice_ids AS uuid[]), CAST(:step_ids AS uuid[])) "
            "AS u(tenant_id, invoice_id, step_id) "
            "WHERE i.tenant_id = u.tenant_id AND i.id = u.invoice_id"
        ),
        {"tenants": [s[0] for s in steps], "invoice_ids": [s[1] for s in steps], "step_ids": [s[2] for s in steps]},
    )


async def record_steps_done(conn: Any, steps: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID, bool]]) -> None:
    """Record (tenant, invoice, step, is_action) as done: the step joins the invoice's steps done, stops
    being pending, and an action step stops the invoice's reminders. One statement for all of them."""
    if not steps:
        return
    merged: dict[tuple[uuid.UUID, uuid.UUID], tuple[set[uuid.UUID], bool]] = {}
    for tenant_id, invoice_id, step, is_action in steps:
        ids, action = merged.get((tenant_id, invoice_id), (set(), False))
        ids.add(step)
        merged[(tenant_id, invoice_id)] = (ids, action or is_action)
    await conn.execute(
        text(
            "UPDATE dunning.invoices i SET "
            "steps_done = ARRAY(SELECT DISTINCT s FROM unnest(i.steps_done || CAST(u.steps AS uuid[])) s ORDER BY s), "
            "pending_step_id = CASE WHEN i.pending_step_id = ANY(CAST(u.steps AS uuid[])) THEN NULL "
            "ELSE i.pending_step_id END, "
            "pending_since = CASE WHEN i.pending_step_id = ANY(CAST(u.steps AS uuid[])) THEN NULL "
            "ELSE i.pending_since END, "
            "pending_accepted = i.pending_accepted AND NOT coalesce(i.pending_step_id = ANY(CAST(u.steps AS uuid[])), "
            "false), "
            "stopped_by_action = i.stopped_by_action OR u.is_action "
            "FROM unnest(CAST(:tenants AS uuid[]), CAST(:invoices AS uuid[]), CAST(:steps AS text[]), "
            "CAST(:actions AS boolean[])) AS u(tenant_id, invoice_id, steps, is_action) "
            "WHERE i.tenant_id = u.tenant_id AND i.id = u.invoice_id"
        ),
        {
            "tenants": [k[0] for k in merged],
            "invoices": [k[1] for k in merged],
            "steps": ["{" + ",".join(sorted(str(s) for s in v[0])) + "}" for v in merged.values()],
            "actions": [v[1] for v in merged.values()],
        },
    )
