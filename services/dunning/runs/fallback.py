"""A failed or bounced message falls back at once (issue 10): the same communication goes on the step's next
channel or to the customer's next valid contact (``choose_channel`` with the pairs already tried), as a
new dispatch with its own idempotency key, written with its command to the outbox in the handler's
transaction. With nothing left, a task "could not reach <customer> by <channels>" goes to the collector and
the steps count as handed over (done), exactly like a run that finds no channel: the collector owns the step
now, and the next run moves on to the next step instead of failing again every day.

Never a loop: a chain (the run's dispatch and its fallbacks, tied by ``origin_id``) tries each (channel,
address) at most once, and a replayed failure finds its fallback by key (``ON CONFLICT DO NOTHING``).
Items that no longer warrant a message (paid, paused, superseded by a later step, the customer deleted or
paused by a reply) are released instead: the steps are simply not done.
"""

import uuid
from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.dunning.action_items.service import create_from_dispatches, sync_notice_states
from services.dunning.models import Dispatch, table_of
from services.dunning.projection.rules import InvoiceView
from services.dunning.projection.views import CHANNELS, customer_view, invoice_view
from services.dunning.runs import payloads
from services.dunning.runs.context import TenantContext, load_strategies, load_tenant
from services.dunning.runs.executor import insert_outbox, record_steps_done, record_steps_pending
from services.dunning.runs.rules import (
    DueItem,
    PlannedCommunication,
    PlannedTask,
    fallback_exclusion,
    plan_customer,
    reply_pause,
)
from services.dunning.runs.selection import OPEN_STATUSES, OWED
from services.dunning.strategies.rules import KIND_RANK, StepKind, Strategy
from shared.contracts.common import InvoiceKind, InvoiceStatus
from shared.contracts.messaging import SendCommunications
from shared.contracts.receivables import CreateTask

# The failed steps are not done (a late failure undoes them) and no longer pending.
_UNDO = text(
    """
UPDATE dunning.invoices i SET
  steps_done = array_remove(i.steps_done, u.step),
  pending_step_id = CASE WHEN i.pending_step_id = u.step THEN NULL ELSE i.pending_step_id END,
  pending_since = CASE WHEN i.pending_step_id = u.step THEN NULL ELSE i.pending_since END,
  pending_accepted = i.pending_accepted AND i.pending_step_id IS DISTINCT FROM u.step
FROM unnest(CAST(:tenants AS uuid[]), CAST(:invoices AS uuid[]), CAST(:steps AS uuid[]))
     AS u(tenant_id, invoice_id, step)
WHERE i.tenant_id = u.tenant_id AND i.id = u.invoice_id
"""
)
_TRIED = text(
    """
SELECT coalesce(origin_id, id) AS root, channel, address, delivery_state, error
FROM dunning.dispatches
WHERE tenant_id = :tenant_id AND coalesce(origin_id, id) = ANY(CAST(:roots AS uuid[]))
  AND state = 'failed' AND channel IS NOT NULL
ORDER BY created_at, id
"""
)


def _root(row: Any) -> uuid.UUID:
    root: uuid.UUID = row.origin_id or row.id
    return root


def fallback_items(
    row: Any, invoices: dict[uuid.UUID, Any], steps: dict[uuid.UUID, tuple[Strategy, int]], tenant: TenantContext
) -> list[DueItem]:
    """The failed dispatch's (invoice, step) pairs that still warrant this message."""
    items = []
    for invoice_id, step_id in zip(row.invoice_ids, row.step_ids, strict=True):
        found, invoice_row = steps.get(step_id), invoices.get(invoice_id)
        if found is None or invoice_row is None:
            continue
        strategy, index = found
        invoice = invoice_view(invoice_row)
        if fallback_exclusion(invoice, strategy.steps, index, tenant.tolerances):
            continue
        items.append(DueItem(invoice, strategy.steps[index], strategy.id))
    return items


async def fall_back(session: AsyncSession, failed: list[Any]) -> None:
    by_tenant: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in failed:
        by_tenant[row.tenant_id].append(row)
    for tenant_id, rows in by_tenant.items():
        await _fall_back_tenant(session, tenant_id, rows)


async def _fall_back_tenant(session: AsyncSession, tenant_id: uuid.UUID, rows: list[Any]) -> None:
    pairs = [(tenant_id, i, s) for row in rows for i, s in zip(row.invoice_ids, row.step_ids, strict=True)]
    await session.execute(
        _UNDO, {"tenants": [p[0] for p in pairs], "invoices": [p[1] for p in pairs], "steps": [p[2] for p in pairs]}
    )
    tenant = await load_tenant(session, tenant_id)
    day = tenant.today()
    steps = {
        step.id: (strategy, index)
        for strategy in await load_strategies(session, tenant_id)
        for index, step in enumerate(strategy.steps)
    }
    customers = await load_customers(session, tenant_id, list({row.customer_id for row in rows}))
    invoice_rows = (
        (
            await session.execute(
                text("SELECT * FROM dunning.invoices WHERE tenant_id = :t AND id = ANY(CAST(:ids AS uuid[]))"),
                {"t": tenant_id, "ids": list({p[1] for p in pairs})},
            )
        )
        .mappings()
        .all()
    )
    invoices = {r["id"]: r for r in invoice_rows}
    positions = await load_positions(session, tenant_id, list({row.customer_id for row in rows}))
    tried: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for attempt in (await session.execute(_TRIED, {"tenant_id": tenant_id, "roots": [_root(r) for r in rows]})).all():
        tried[attempt.root].append(attempt)

    records: list[dict[str, Any]] = []
    communications: dict[uuid.UUID, dict[str, Any]] = {}
    tasks: dict[uuid.UUID, dict[str, Any]] = {}
    pending: dict[uuid.UUID, list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]] = defaultdict(list)
    done: dict[uuid.UUID, list[tuple[uuid.UUID, uuid.UUID, uuid.UUID, bool]]] = defaultdict(list)
    tasks_with_action: list[uuid.UUID] = []
    for row in rows:
        customer_row = customers.get(row.customer_id)
        if customer_row is None:
            continue
        customer = customer_view(customer_row)
        if customer.deleted or reply_pause(customer, day, tenant.reply_pause_days):
            continue  # released: a run takes the steps up again when it may
        items = fallback_items(row, invoices, steps, tenant)
        if not items:
            continue
        chain = tried[_root(row)]
        exclude = frozenset((CHANNELS[t.channel], t.address) for t in chain)
        plan = plan_customer(customer, items, day, tried=exclude, open_invoices=positions.get(row.customer_id, ()))
        for c in plan.communications:
            dispatch_id = uuid.uuid4()
            records.append(_record(dispatch_id, row, day, c))
            payload = payloads.communication(c, customer, tenant, day, dispatch_id, row.run_id)
            payload["data"]["fallback_of"] = str(row.id)
            communications[dispatch_id] = payload
            pending[dispatch_id] = [(tenant_id, i.invoice.id, i.step.id) for i in c.items]
        for t in plan.tasks:
            dispatch_id = uuid.uuid4()
            records.append(_record(dispatch_id, row, day, t))
            tasks[dispatch_id] = payloads.unreachable_task(t, customer, tenant, day, chain)
            done[dispatch_id] = [(tenant_id, i.invoice.id, i.step.id, i.step.kind == StepKind.ACTION) for i in t.items]
            if any(i.step.kind == StepKind.ACTION for i in t.items):
                tasks_with_action.append(dispatch_id)
    if not records:
        return
    # a failure handled twice finds its fallbacks already written: nothing goes out twice
    written = set(
        (
            await session.execute(
                insert(table_of(Dispatch))
                .values(records)
                .on_conflict_do_nothing(index_elements=["tenant_id", "idempotency_key"])
                .returning(table_of(Dispatch).c.id)
            )
        ).scalars()
    )
    await record_steps_pending(session, [p for d, ps in pending.items() if d in written for p in ps])
    await record_steps_done(session, [s for d, ss in done.items() if d in written for s in ss])
    batch = [c for d, c in communications.items() if d in written]
    messages: list[tuple[type, dict[str, Any]]] = [(SendCommunications, {"communications": batch})] if batch else []
    messages.extend((CreateTask, t) for d, t in tasks.items() if d in written)
    await insert_outbox(session, tenant_id, messages)  # type: ignore[arg-type]
    with_action = [d for d in tasks_with_action if d in written]  # the notice failed for good: the item says so
    await create_from_dispatches(session, with_action)
    await sync_notice_states(session, with_action)


def _record(
    dispatch_id: uuid.UUID, failed: Any, day: date, planned: PlannedCommunication | PlannedTask
) -> dict[str, Any]:
    items = planned.items
    actions = [i for i in items if i.step.kind == StepKind.ACTION]
    top = max(items, key=lambda i: (KIND_RANK[i.step.kind], i.step.days))
    is_message = isinstance(planned, PlannedCommunication)
    return {
        "id": dispatch_id,
        "tenant_id": failed.tenant_id,
        "run_id": failed.run_id,
        "customer_id": failed.customer_id,
        "as_of": day,
        "idempotency_key": planned.key,
        "channel": planned.channel.value if is_message else None,  # type: ignore[union-attr]
        "address": planned.address if is_message else None,  # type: ignore[union-attr]
        "kind": top.step.kind.value,
        "tone": planned.tone if is_message else max(i.step.tone for i in items),  # type: ignore[union-attr]
        "action": actions[-1].step.action.value if actions and actions[-1].step.action else None,
        "state": "pending" if is_message else "task",
        "strategy_id": items[0].strategy_id,
        "invoice_ids": [i.invoice.id for i in items],
        "step_ids": [i.step.id for i in items],
        "step_keys": [i.step.key for i in items],
        "action_invoice_ids": [i.invoice.id for i in actions],
        "origin_id": _root(failed),
    }


_STATUS = {s.value: s for s in InvoiceStatus}
_KIND = {k.value: k for k in InvoiceKind}


async def load_customers(conn: AsyncSession, tenant_id: uuid.UUID, ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    if not ids:
        return {}
    rows = (
        (
            await conn.execute(
                text(
                    "SELECT id, name, vip, segment, risk_level, tags, country, language, "
                    "CAST(contacts AS text) AS contacts, opted_out_channels, deleted, external_id, tax_id, timezone, "
                    "collector_id, CAST(people AS text) AS people, CAST(credits AS text) AS credits, replied_on "
                    "FROM dunning.customers WHERE tenant_id = :tenant_id AND id = ANY(CAST(:ids AS uuid[]))"
                ),
                {"tenant_id": tenant_id, "ids": ids},
            )
        )
        .mappings()
        .all()
    )
    return {row["id"]: row for row in rows}


# The customer's open position (``in_position``): open, owed, not a credit note, listed by receivables.
_POSITIONS = f"""
SELECT id, customer_id, number, kind, currency, amount, open_amount, issue_date, due_date, status,
       promised_date, reported_date, document_url
FROM dunning.invoices
WHERE tenant_id = $1 AND customer_id = ANY($2::uuid[])
  AND status IN {OPEN_STATUSES} AND {OWED}"""
POSITION_BATCH = 5_000


async def load_positions(
    conn: AsyncConnection | AsyncSession, tenant_id: uuid.UUID, ids: list[uuid.UUID], batch: int = POSITION_BATCH
) -> dict[uuid.UUID, list[InvoiceView]]:
    """Every open invoice of the customers ``ids``, per customer: one query per ``batch`` customers."""
    out: dict[uuid.UUID, list[InvoiceView]] = defaultdict(list)
    if not ids:
        return out
    if isinstance(conn, AsyncSession):
        conn = await conn.connection()
    driver = (await conn.get_raw_connection()).driver_connection
    for start in range(0, len(ids), batch):
        for row in await driver.fetch(_POSITIONS, tenant_id, ids[start : start + batch]):  # type: ignore[union-attr]
            invoice_id, customer_id, number, kind, currency, amount, open_amount = row[:7]
            issue_date, due_date, status, promised_date, reported_date, document_url = row[7:]
            out[customer_id].append(
                InvoiceView(
                    id=invoice_id,
                    customer_id=customer_id,
                    number=number,
                    currency=currency,
                    amount=amount,
                    open_amount=open_amount,
                    issue_date=issue_date,
                    due_date=due_date,
                    status=_STATUS[status],
                    kind=_KIND[kind],
                    promised_date=promised_date,
                    reported_date=reported_date,
                    extra={"document_url": document_url},
                )
            )
    return out
