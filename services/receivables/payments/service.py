"""Applying payments: one engine for the single API call, the bulk ingestion and reversals.

A batch costs a fixed number of statements whatever its size: read the payments and invoices involved (locked),
decide every allocation in memory with the pure rules (``rules.py``, ``invoices/rules.py``), then write
payments, allocations, invoices, promises, timeline and events with one multi-row statement each.
"""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.events import emit_invoices_changed
from services.receivables.invoices.rules import CLOSED, after_payment, after_reversal
from services.receivables.invoices.schemas import quantize
from services.receivables.models import outbox
from services.receivables.payments import repository
from services.receivables.payments.batch import (
    PaymentInput,
    Plan,
    Rejected,
    RowResult,
    allocate_plan,
    classify,
    customer_of,
)
from services.receivables.payments.credits import apply_credits
from services.receivables.payments.rules import ZERO
from services.receivables.payments.writes import InvoiceState, write_invoices, write_payments, write_timeline
from services.receivables.signs.service import refresh_customers
from services.receivables.tenant_settings.repository import TenantProfile
from shared.contracts.common import InvoiceStatus
from shared.contracts.receivables import Allocation, PaymentApplied
from shared.outbox import emit_many


async def apply_payments(
    session: AsyncSession, profile: TenantProfile, inputs: Sequence[PaymentInput], actor: str
) -> list[RowResult]:
    """Create, re-apply (newer version) or reverse payments; answers one result per input, in input order."""
    tenant_id, today = profile.tenant_id, profile.today()
    results: dict[int, RowResult] = {}
    existing = await repository.existing_payments(session, tenant_id, inputs)
    old_allocations = await repository.active_allocations(session, [p.id for p in existing.values()])
    references = await repository.named_invoices(session, tenant_id, inputs)

    plans: list[Plan] = []
    for row in inputs:
        old = existing.get(("id", row.payment_id)) if row.payment_id else existing.get(("ext", row.external_id))
        try:
            plan = classify(row, old, references)
        except Rejected as exc:
            results[row.index] = RowResult(row.index, "rejected", None, exc.field, exc.reason)
            continue
        if plan is None:
            assert old is not None  # only a known payment can be left as it is
            results[row.index] = RowResult(row.index, "unchanged", old.id)
        else:
            if old is not None:
                plan.payment_id = old.id
            plans.append(plan)

    states, ledger = await repository.lock_ledger(session, tenant_id, plans, old_allocations)
    reversed_invoices: set[uuid.UUID] = set()
    for plan in plans:  # what goes back first: reversals free the money other payments may take
        if plan.action in ("reverse", "reapply"):
            for invoice_id, amount in old_allocations.get(plan.payment_id, []):
                ledger.adjust(invoice_id, amount)
                state = states[invoice_id]
                state.status = after_reversal(state.status, ledger.items[invoice_id].open_amount)
                ledger.set_status(invoice_id, state.status)
                if state.status not in CLOSED:
                    state.closed_on = None
                plan.undone.append((invoice_id, amount))
                reversed_invoices.add(invoice_id)
    paying = sorted((p for p in plans if p.action != "reverse"), key=lambda p: (p.row.payment_date, p.row.index))
    for plan in paying:
        row = plan.row
        try:
            plan.allocations, plan.unapplied = allocate_plan(plan, states, ledger)
        except Rejected as exc:
            results[row.index] = RowResult(row.index, "rejected", None, exc.field, exc.reason)
            plan.action = "skip"
            continue
        for invoice_id, _amount in plan.allocations:
            state = states[invoice_id]
            state.status = after_payment(state.status, ledger.items[invoice_id].open_amount)
            ledger.set_status(invoice_id, state.status)
            if state.status == InvoiceStatus.PAID:
                state.closed_on = state.paid_on = row.payment_date
    plans = [p for p in plans if p.action != "skip"]

    await write_payments(session, tenant_id, plans, today, actor)
    touched = await write_invoices(session, profile, states, ledger, actor, "payment")
    await write_timeline(session, tenant_id, plans, states, actor)
    customer_refs = await repository.customer_external_ids(session, tenant_id, {customer_of(p) for p in plans})
    await emit_many(session, outbox, tenant_id, [_event(plan, states, customer_refs) for plan in plans])
    await emit_invoices_changed(session, tenant_id, touched, "payment")
    # Over-payments are credit (and a reversal may free invoices that credit can now settle): issue 12.
    credit_moved = [p for p in plans if p.unapplied or (p.old is not None and p.old.unapplied_amount)]
    await apply_credits(
        session,
        profile,
        {customer_of(p) for p in plans},
        actor,
        credit_touched={customer_of(p) for p in credit_moved},
    )
    # The paying customers' warning signs, in this transaction (signs/service.py says why).
    await refresh_customers(session, tenant_id, today, {customer_of(p) for p in plans})
    for plan in plans:
        outcome = {"create": "created", "reapply": "updated", "reverse": "reversed"}[plan.action]
        results[plan.row.index] = RowResult(plan.row.index, outcome, plan.payment_id)
    return [results[row.index] for row in inputs]


def _event(
    plan: Plan, states: dict[uuid.UUID, InvoiceState], customer_refs: dict[uuid.UUID, str | None]
) -> PaymentApplied:
    """What the payment did: its allocations, or, for a reversal, the allocations undone; with the ERP's ids."""
    reversal = plan.action == "reverse"
    payment: Any = plan.old if reversal else plan.row  # the stored row or the input: the same fields
    allocations = plan.undone if reversal else plan.allocations
    return PaymentApplied(
        payment_id=plan.payment_id,
        customer_id=payment.customer_id,
        external_id=payment.external_id,
        customer_external_id=customer_refs.get(payment.customer_id),
        currency=payment.currency,
        amount=payment.amount,
        payment_date=payment.payment_date,
        allocations=[
            Allocation(invoice_id=i, amount=a, invoice_external_id=states[i].external_id) for i, a in allocations
        ],
        unapplied_amount=quantize(ZERO, payment.currency) if reversal else plan.unapplied,
        reversed=reversal,
    )
