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

from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.action_items.service import create_from_dispatches, sync_notice_states
from dunning_service.fees import repository as fees
from dunning_service.projection.rules import InvoiceView
from dunning_service.projection.views import CHANNELS
from dunning_service.runs import dispatch_repository as repository
from dunning_service.runs import payloads
from dunning_service.runs.context import TenantContext, load_strategies, load_tenant
from dunning_service.runs.dispatch_repository import AnsweredDispatch, TriedDispatch
from dunning_service.runs.rules import (
    DueItem,
    PlannedCommunication,
    PlannedTask,
    fallback_exclusion,
    plan_customer,
    reply_pause,
)
from dunning_service.strategies.rules import KIND_RANK, StepKind, Strategy
from shared.contracts.messaging import SendCommunications
from shared.contracts.receivables import CreateTask
from shared.messages import Message


def _root(row: AnsweredDispatch) -> uuid.UUID:
    return row.origin_id or row.id


def fallback_items(
    row: AnsweredDispatch,
    invoices: dict[uuid.UUID, InvoiceView],
    steps: dict[uuid.UUID, tuple[Strategy, int]],
    tenant: TenantContext,
) -> list[DueItem]:
    """The failed dispatch's (invoice, step) pairs that still warrant this message."""
    items = []
    for invoice_id, step_id in zip(row.invoice_ids, row.step_ids, strict=True):
        found, invoice = steps.get(step_id), invoices.get(invoice_id)
        if found is None or invoice is None:
            continue
        strategy, index = found
        if fallback_exclusion(invoice, strategy.steps, index, tenant.tolerances):
            continue
        items.append(DueItem(invoice, strategy.steps[index], strategy.id))
    return items


async def fall_back(session: AsyncSession, failed: list[AnsweredDispatch]) -> None:
    by_tenant: dict[uuid.UUID, list[AnsweredDispatch]] = defaultdict(list)
    for row in failed:
        by_tenant[row.tenant_id].append(row)
    for tenant_id, rows in by_tenant.items():
        await _fall_back_tenant(session, tenant_id, rows)


async def _fall_back_tenant(session: AsyncSession, tenant_id: uuid.UUID, rows: list[AnsweredDispatch]) -> None:
    pairs = [(tenant_id, i, s) for row in rows for i, s in zip(row.invoice_ids, row.step_ids, strict=True)]
    await repository.undo_steps(session, pairs)
    tenant = await load_tenant(session, tenant_id)
    day = tenant.today()
    steps = {
        step.id: (strategy, index)
        for strategy in await load_strategies(session, tenant_id)
        for index, step in enumerate(strategy.steps)
    }
    customer_ids = list({row.customer_id for row in rows})
    customers = await repository.customers(session, tenant_id, customer_ids)
    invoices = await repository.invoices(session, tenant_id, list({p[1] for p in pairs}))
    positions = await repository.positions(session, tenant_id, customer_ids)
    charges = await fees.customer_charges(session, tenant_id, customer_ids)
    tried: dict[uuid.UUID, list[TriedDispatch]] = defaultdict(list)
    for attempt in await repository.tried(session, tenant_id, [_root(r) for r in rows]):
        tried[attempt.root].append(attempt)

    records: list[dict[str, Any]] = []
    communications: dict[uuid.UUID, dict[str, Any]] = {}
    tasks: dict[uuid.UUID, dict[str, Any]] = {}
    pending: dict[uuid.UUID, list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]] = defaultdict(list)
    done: dict[uuid.UUID, list[tuple[uuid.UUID, uuid.UUID, uuid.UUID, bool]]] = defaultdict(list)
    tasks_with_action: list[uuid.UUID] = []
    for row in rows:
        customer = customers.get(row.customer_id)
        if customer is None:
            continue
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
            payload = payloads.communication(
                c, customer, tenant, day, dispatch_id, row.run_id, charges=charges.get(row.customer_id, ())
            )
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
    written = await repository.insert_dispatches(session, records)
    await repository.record_steps_pending(session, [p for d, ps in pending.items() if d in written for p in ps])
    await repository.record_steps_done(session, [s for d, ss in done.items() if d in written for s in ss])
    batch = [c for d, c in communications.items() if d in written]
    messages: list[tuple[type[Message], dict[str, Any]]] = []
    if batch:
        messages.append((SendCommunications, {"communications": batch}))
    messages.extend((CreateTask, t) for d, t in tasks.items() if d in written)
    await repository.insert_outbox(session, tenant_id, messages)
    with_action = [d for d in tasks_with_action if d in written]  # the notice failed for good: the item says so
    await create_from_dispatches(session, with_action)
    await sync_notice_states(session, with_action)


def _record(
    dispatch_id: uuid.UUID, failed: AnsweredDispatch, day: date, planned: PlannedCommunication | PlannedTask
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
