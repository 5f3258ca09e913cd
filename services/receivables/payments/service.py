"""Applying payments: one engine for the single API call, the bulk ingestion and reversals.

A batch costs a fixed number of statements whatever its size: read the payments and invoices involved (locked),
decide every allocation in memory with the pure rules (``rules.py``, ``invoices/rules.py``), then write
payments, allocations, invoices, promises, timeline and events with one multi-row statement each.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.events import emit_invoices_changed
from services.receivables.invoices.rules import CLOSED, after_payment, after_reversal
from services.receivables.invoices.schemas import quantize
from services.receivables.models import Customer, Invoice, Payment, PaymentAllocation, outbox
from services.receivables.payments.credits import apply_credits
from services.receivables.payments.rules import NAMEABLE, ZERO, Ledger, Named, OpenItem, allocate
from services.receivables.payments.writes import InvoiceState, write_invoices
from services.receivables.tenant_settings.repository import TenantProfile
from services.receivables.timeline.repository import add_entries
from shared.contracts.common import OPEN_STATUSES, InvoiceKind, InvoiceStatus
from shared.contracts.receivables import Allocation, PaymentApplied
from shared.outbox import emit_many

payments = Payment.__table__
allocations_table = PaymentAllocation.__table__
invoices = Invoice.__table__


@dataclass(slots=True)
class NamedRef:
    invoice_id: uuid.UUID | None
    invoice_external_id: str | None
    amount: Decimal | None


@dataclass(slots=True)
class PaymentInput:
    index: int
    customer_id: uuid.UUID | None = None
    currency: str | None = None
    amount: Decimal | None = None
    payment_date: date | None = None
    external_id: str | None = None
    payment_id: uuid.UUID | None = None  # a known payment (reversal by id)
    reference: str | None = None
    named: list[NamedRef] | None = None
    version: int | None = None
    reverse: bool = False
    reversal_reason: str | None = None


@dataclass(slots=True)
class RowResult:
    index: int
    outcome: str  # created | updated | unchanged | reversed | rejected
    payment_id: uuid.UUID | None = None
    field: str | None = None
    reason: str | None = None


@dataclass(slots=True)
class _Plan:
    row: PaymentInput
    action: str  # create | reapply | reverse
    old: Any = None
    named: list[Named] | None = None
    payment_id: uuid.UUID = field(default_factory=uuid.uuid4)
    allocations: list[tuple[uuid.UUID, Decimal]] = field(default_factory=list)
    unapplied: Decimal = ZERO
    undone: list[tuple[uuid.UUID, Decimal]] = field(default_factory=list)


class _Rejected(Exception):
    def __init__(self, field: str, reason: str) -> None:
        self.field, self.reason = field, reason


def _named_key(named: list[Named] | None) -> list[list[str | None]]:
    return [[str(n.invoice_id), None if n.amount is None else str(n.amount)] for n in named or []]


def _same_content(old: Any, row: PaymentInput, named: list[Named] | None) -> bool:
    return (
        old.customer_id == row.customer_id
        and old.currency == row.currency
        and old.amount == row.amount
        and old.payment_date == row.payment_date
        and old.reference == row.reference
        and [list(x) for x in old.named_invoices] == _named_key(named)
    )


async def apply_payments(
    session: AsyncSession, profile: TenantProfile, inputs: Sequence[PaymentInput], actor: str
) -> list[RowResult]:
    """Create, re-apply (newer version) or reverse payments; answers one result per input, in input order."""
    tenant_id, today = profile.tenant_id, profile.today()
    results: dict[int, RowResult] = {}
    existing = await _existing_payments(session, tenant_id, inputs)
    old_allocations = await _active_allocations(session, [p.id for p in existing.values()])
    references = await _named_invoices(session, tenant_id, inputs)

    plans: list[_Plan] = []
    for row in inputs:
        old = existing.get(("id", row.payment_id)) if row.payment_id else existing.get(("ext", row.external_id))
        try:
            plan = _classify(row, old, references)
        except _Rejected as exc:
            results[row.index] = RowResult(row.index, "rejected", None, exc.field, exc.reason)
            continue
        if plan is None:
            results[row.index] = RowResult(row.index, "unchanged", old.id)
        else:
            if old is not None:
                plan.payment_id = old.id
            plans.append(plan)

    states, ledger = await _lock_ledger(session, tenant_id, plans, old_allocations)
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
            plan.allocations, plan.unapplied = _allocate(plan, states, ledger)
        except _Rejected as exc:
            results[row.index] = RowResult(row.index, "rejected", None, exc.field, exc.reason)
            plan.action = "skip"
            continue
        for invoice_id, _amount in plan.allocations:
            state = states[invoice_id]
            state.status = after_payment(state.status, ledger.items[invoice_id].open_amount)
            ledger.set_status(invoice_id, state.status)
            if state.status == InvoiceStatus.PAID:
                state.closed_on = state.paid_on = row.payment_date  # type: ignore[assignment]
    plans = [p for p in plans if p.action != "skip"]

    await _write_payments(session, tenant_id, plans, today, actor)
    touched = await write_invoices(session, profile, states, ledger, actor, "payment")
    await _write_timeline(session, tenant_id, plans, states, actor)
    customer_refs = await _customer_external_ids(session, tenant_id, {_customer_of(p) for p in plans})
    await emit_many(session, outbox, tenant_id, [_event(plan, states, customer_refs) for plan in plans])
    await emit_invoices_changed(session, tenant_id, touched, "payment")
    # Over-payments are credit (and a reversal may free invoices that credit can now settle): issue 12.
    credit_moved = [p for p in plans if p.unapplied or (p.old is not None and p.old.unapplied_amount)]
    await apply_credits(
        session,
        profile,
        {_customer_of(p) for p in plans},
        actor,
        credit_touched={_customer_of(p) for p in credit_moved},
    )
    for plan in plans:
        outcome = {"create": "created", "reapply": "updated", "reverse": "reversed"}[plan.action]
        results[plan.row.index] = RowResult(plan.row.index, outcome, plan.payment_id)
    return [results[row.index] for row in inputs]


def _customer_of(plan: _Plan) -> uuid.UUID:
    return plan.old.customer_id if plan.action == "reverse" else plan.row.customer_id


async def _existing_payments(session: AsyncSession, tenant_id: uuid.UUID, inputs: Sequence[PaymentInput]) -> dict:
    external_ids = [r.external_id for r in inputs if r.external_id]
    ids = [r.payment_id for r in inputs if r.payment_id]
    if not external_ids and not ids:
        return {}
    query = (
        select(payments)
        .where(payments.c.tenant_id == tenant_id, payments.c.external_id.in_(external_ids) | payments.c.id.in_(ids))
        .order_by(payments.c.id)
        .with_for_update()
    )
    found: dict[tuple[str, Any], Any] = {}
    for row in await session.execute(query):
        found[("id", row.id)] = row
        if row.external_id:
            found[("ext", row.external_id)] = row
    return found


async def _active_allocations(session: AsyncSession, payment_ids: list[uuid.UUID]) -> dict:
    if not payment_ids:
        return {}
    query = (
        select(allocations_table.c.payment_id, allocations_table.c.invoice_id, allocations_table.c.amount)
        .where(allocations_table.c.payment_id.in_(payment_ids), allocations_table.c.reversed_at.is_(None))
        .order_by(allocations_table.c.id)
    )
    found: dict[uuid.UUID, list[tuple[uuid.UUID, Decimal]]] = defaultdict(list)
    for row in await session.execute(query):
        found[row.payment_id].append((row.invoice_id, row.amount))
    return found


async def _named_invoices(session: AsyncSession, tenant_id: uuid.UUID, inputs: Sequence[PaymentInput]) -> dict:
    refs = [n for r in inputs for n in (r.named or [])]
    ids = [n.invoice_id for n in refs if n.invoice_id]
    external_ids = [n.invoice_external_id for n in refs if n.invoice_external_id]
    if not refs:
        return {}
    query = select(
        invoices.c.id,
        invoices.c.external_id,
        invoices.c.customer_id,
        invoices.c.currency,
        invoices.c.status,
        invoices.c.kind,
    ).where(invoices.c.tenant_id == tenant_id, invoices.c.id.in_(ids) | invoices.c.external_id.in_(external_ids))
    found: dict[tuple[str, Any], Any] = {}
    for row in await session.execute(query):
        found[("id", row.id)] = row
        if row.external_id:
            found[("ext", row.external_id)] = row
    return found


def _resolve_named(row: PaymentInput, references: dict) -> list[Named] | None:
    if not row.named:
        return None
    named = []
    for position, ref in enumerate(row.named):
        where = f"invoices[{position}]"
        key = ("id", ref.invoice_id) if ref.invoice_id else ("ext", ref.invoice_external_id)
        invoice = references.get(key)
        if invoice is None:
            if ref.invoice_external_id:
                message = f"no invoice with external id {ref.invoice_external_id!r} in this tenant"
                raise _Rejected(f"{where}.invoice_external_id", message)
            raise _Rejected(where, "no such invoice")
        if invoice.customer_id != row.customer_id:
            raise _Rejected(where, "the invoice belongs to another customer")
        if invoice.currency != row.currency:
            raise _Rejected(where, f"the invoice is in {invoice.currency}, the payment in {row.currency}")
        if invoice.kind == InvoiceKind.CREDIT_NOTE:
            raise _Rejected(where, "a credit note does not take payments")
        if invoice.status not in NAMEABLE:
            raise _Rejected(where, f"the invoice is {invoice.status} and takes no payments")
        named.append(Named(invoice.id, ref.amount))
    return named


def _classify(row: PaymentInput, old: Any, references: dict) -> _Plan | None:
    """What to do with one input: None when it changes nothing (same content, older version, already reversed)."""
    if row.reverse:
        if old is None:
            raise _Rejected("external_id", "no such payment to reverse")
        return None if old.status == "reversed" else _Plan(row, "reverse", old)
    if old is None:
        return _Plan(row, "create", None, _resolve_named(row, references))
    if row.version is not None and old.source_version is not None and row.version <= old.source_version:
        return None
    named = _resolve_named(row, references)
    if _same_content(old, row, named):
        return None
    if old.status == "reversed":
        raise _Rejected("external_id", "this payment was reversed: send the new payment with a new external_id")
    return _Plan(row, "reapply", old, named)


async def _lock_ledger(
    session: AsyncSession, tenant_id: uuid.UUID, plans: list[_Plan], old_allocations: dict
) -> tuple[dict[uuid.UUID, InvoiceState], Ledger]:
    """Every invoice the batch may touch, locked in id order: the customers' open invoices, the named ones and
    those the reversed payments had paid."""
    customers = {p.row.customer_id for p in plans if p.action != "reverse"}
    ids = {n.invoice_id for p in plans for n in (p.named or [])}
    ids |= {inv for p in plans if p.action != "create" for inv, _ in old_allocations.get(p.payment_id, [])}
    if not customers and not ids:
        return {}, Ledger([])
    query = (
        select(invoices)
        .where(
            invoices.c.tenant_id == tenant_id,
            (
                invoices.c.customer_id.in_(list(customers))
                & invoices.c.status.in_([s.value for s in OPEN_STATUSES])
                & (invoices.c.kind != InvoiceKind.CREDIT_NOTE)
            )
            | invoices.c.id.in_(list(ids)),
        )
        .order_by(invoices.c.id)
        .with_for_update()
    )
    states: dict[uuid.UUID, InvoiceState] = {}
    items = []
    for row in await session.execute(query):
        states[row.id] = InvoiceState(
            row.customer_id,
            row.currency,
            row.number,
            row.status,
            row.status,
            row.closed_on,
            row.promised_date,
            external_id=row.external_id,
        )
        items.append(OpenItem(row.id, row.open_amount, row.due_date, row.issue_date, row.number, row.status, row.kind))
    return states, Ledger(items)


def _allocate(plan: _Plan, states: dict[uuid.UUID, InvoiceState], ledger: Ledger) -> tuple[list, Decimal]:
    row = plan.row
    assert row.amount is not None
    candidates = [
        ledger.items[i] for i, s in states.items() if s.customer_id == row.customer_id and s.currency == row.currency
    ]
    result = allocate(row.amount, candidates, plan.named)
    ledger.apply(result)
    return list(result.allocations), result.unapplied


async def _write_payments(
    session: AsyncSession, tenant_id: uuid.UUID, plans: list[_Plan], today: date, actor: str
) -> None:
    def values(plan: _Plan) -> dict[str, Any]:
        row = plan.row
        return {
            "customer_id": row.customer_id,
            "external_id": row.external_id,
            "currency": row.currency,
            "amount": row.amount,
            "unapplied_amount": plan.unapplied,
            "payment_date": row.payment_date,
            "reference": row.reference,
            "named_invoices": _named_key(plan.named),
            "source_version": row.version,
        }

    created = [
        {"id": p.payment_id, "tenant_id": tenant_id, "status": "applied", "created_by": actor, **values(p)}
        for p in plans
        if p.action == "create"
    ]
    if created:
        await session.execute(insert(payments), created)
    for plan in plans:  # rare (a corrected or reversed payment): one statement each is fine
        if plan.action == "reapply":
            await session.execute(
                payments.update()
                .where(payments.c.id == plan.payment_id)
                .values(**values(plan), revision=payments.c.revision + 1, updated_at=text("now()"))
            )
        elif plan.action == "reverse":
            await session.execute(
                payments.update()
                .where(payments.c.id == plan.payment_id)
                .values(
                    status="reversed",
                    reversed_on=today,
                    reversal_reason=plan.row.reversal_reason,
                    unapplied_amount=quantize(ZERO, plan.old.currency),
                    revision=payments.c.revision + 1,
                    updated_at=text("now()"),
                )
            )
    undone = [p.payment_id for p in plans if p.action != "create"]
    if undone:
        await session.execute(
            allocations_table.update()
            .where(allocations_table.c.payment_id.in_(undone), allocations_table.c.reversed_at.is_(None))
            .values(reversed_at=text("now()"))
        )
    new_allocations = [
        {
            "tenant_id": tenant_id,
            "payment_id": p.payment_id,
            "invoice_id": invoice_id,
            "amount": amount,
            "payment_date": p.row.payment_date,
        }
        for p in plans
        for invoice_id, amount in p.allocations
    ]
    if new_allocations:
        await session.execute(insert(allocations_table), new_allocations)


async def _write_timeline(
    session: AsyncSession, tenant_id: uuid.UUID, plans: list[_Plan], states: dict[uuid.UUID, InvoiceState], actor: str
) -> None:
    entries: list[dict[str, Any]] = []
    for plan in plans:
        row = plan.row
        if plan.action == "reverse":
            old = plan.old
            entries.append(
                {
                    "customer_id": old.customer_id,
                    "kind": "payment_reversed",
                    "ref_id": plan.payment_id,
                    "summary": f"Payment of {old.currency} {old.amount} reversed: {row.reversal_reason or ''}".strip(),
                    "data": {
                        "payment_id": plan.payment_id,
                        "reason": row.reversal_reason,
                        "restored": [{"invoice_id": i, "amount": a} for i, a in plan.undone],
                    },
                    "actor": actor,
                }
            )
            continue
        verb = "received" if plan.action == "create" else "corrected"
        entries.append(
            {
                "customer_id": row.customer_id,
                "kind": "payment",
                "ref_id": plan.payment_id,
                "summary": f"Payment of {row.currency} {row.amount} {verb}"
                + (f" ({row.reference})" if row.reference else ""),
                "data": {
                    "payment_id": plan.payment_id,
                    "external_id": row.external_id,
                    "payment_date": row.payment_date,
                    "amount": row.amount,
                    "currency": row.currency,
                    "allocations": [
                        {"invoice_id": i, "number": states[i].number, "amount": a} for i, a in plan.allocations
                    ],
                    "unapplied_amount": plan.unapplied,
                },
                "actor": actor,
            }
        )
    for invoice_id, state in states.items():
        if state.status != state.original_status:
            entries.append(
                {
                    "customer_id": state.customer_id,
                    "invoice_id": invoice_id,
                    "kind": "status_change",
                    "summary": f"Invoice {state.number}: {state.original_status} -> {state.status}",
                    "data": {"from": state.original_status, "to": str(state.status), "reason": "payment"},
                    "actor": actor,
                }
            )
    await add_entries(session, tenant_id, entries)


async def _customer_external_ids(
    session: AsyncSession, tenant_id: uuid.UUID, customer_ids: set[uuid.UUID]
) -> dict[uuid.UUID, str | None]:
    """The ERP's ids of the batch's customers, for the announcements integrations read (one query)."""
    if not customer_ids:
        return {}
    query = select(Customer.id, Customer.external_id).where(
        Customer.tenant_id == tenant_id, Customer.id.in_(list(customer_ids))
    )
    return {row.id: row.external_id for row in await session.execute(query)}


def _event(
    plan: _Plan, states: dict[uuid.UUID, InvoiceState], customer_refs: dict[uuid.UUID, str | None]
) -> PaymentApplied:
    """What the payment did: its allocations, or, for a reversal, the allocations undone; with the ERP's ids."""
    reversal = plan.action == "reverse"
    payment = plan.old if reversal else plan.row
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
