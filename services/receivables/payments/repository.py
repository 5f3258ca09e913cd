"""Payment reads: one payment with its allocations, lists, the customer's credit, and the reads of a batch."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.models import Customer, Invoice, Payment, PaymentAllocation
from services.receivables.payments.batch import Allocations, Found, PaymentInput, Plan
from services.receivables.payments.rules import Ledger, OpenItem
from services.receivables.payments.schemas import AllocationOut, PaymentOut
from services.receivables.payments.writes import InvoiceState
from shared.contracts.common import OPEN_STATUSES, InvoiceKind, InvoiceStatus
from shared.pagination import keyset

payments = Payment.__table__
allocations = PaymentAllocation.__table__
invoices = Invoice.__table__


async def get_payment(session: AsyncSession, tenant_id: uuid.UUID, payment_id: uuid.UUID) -> PaymentOut | None:
    """The payment without its allocations (``allocations_of`` reads them)."""
    query = select(payments).where(payments.c.tenant_id == tenant_id, payments.c.id == payment_id)
    row = (await session.execute(query)).mappings().first()
    return None if row is None else PaymentOut.model_validate(dict(row))


async def find_by_external_id(session: AsyncSession, tenant_id: uuid.UUID, external_id: str) -> uuid.UUID | None:
    """The id of the tenant's payment with this ERP id, if any."""
    query = select(payments.c.id).where(payments.c.tenant_id == tenant_id, payments.c.external_id == external_id)
    return (await session.execute(query)).scalar()


async def allocations_of(session: AsyncSession, payment_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[AllocationOut]]:
    if not payment_ids:
        return {}
    query = (
        select(
            allocations.c.payment_id,
            allocations.c.invoice_id,
            invoices.c.number.label("invoice_number"),
            allocations.c.amount,
            allocations.c.reversed_at.is_not(None).label("reversed"),
        )
        .join(invoices, invoices.c.id == allocations.c.invoice_id)
        .where(allocations.c.payment_id.in_(payment_ids))
        .order_by(allocations.c.id)
    )
    found: dict[uuid.UUID, list[AllocationOut]] = {}
    for row in (await session.execute(query)).mappings():
        found.setdefault(row["payment_id"], []).append(AllocationOut.model_validate(dict(row)))
    return found


async def list_payments(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    limit: int,
    after: list[Any] | None,
    customer_id: uuid.UUID | None,
    status: str | None,
    date_from: date | None,
    date_to: date | None,
) -> list[PaymentOut]:
    """Newest payment first (payment date, then id, both descending), without their allocations."""
    query = select(payments).where(payments.c.tenant_id == tenant_id)
    if customer_id:
        query = query.where(payments.c.customer_id == customer_id)
    if status:
        query = query.where(payments.c.status == status)
    if date_from:
        query = query.where(payments.c.payment_date >= date_from)
    if date_to:
        query = query.where(payments.c.payment_date <= date_to)
    key = (payments.c.payment_date, payments.c.id)
    query = keyset(query, key, (date.fromisoformat, uuid.UUID), after, limit, newest_first=True)
    return [PaymentOut.model_validate(dict(row)) for row in (await session.execute(query)).mappings()]


async def unapplied_credits(session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> dict[str, Decimal]:
    """The customer's credit no invoice took, per currency: open credit notes and unapplied over-payments (the
    same sum as ``CustomerChanged.credits``, ``events.credits_json``)."""
    notes = (
        select(invoices.c.currency, invoices.c.open_amount.label("amount"))
        .where(
            invoices.c.tenant_id == tenant_id,
            invoices.c.customer_id == customer_id,
            invoices.c.kind == InvoiceKind.CREDIT_NOTE,
            invoices.c.open_amount > 0,
            invoices.c.status.in_(sorted(s.value for s in OPEN_STATUSES)),
        )
        .union_all(
            select(payments.c.currency, payments.c.unapplied_amount).where(
                payments.c.tenant_id == tenant_id,
                payments.c.customer_id == customer_id,
                payments.c.status == "applied",
                payments.c.unapplied_amount > 0,
            )
        )
        .subquery()
    )
    query = select(notes.c.currency, func.sum(notes.c.amount)).group_by(notes.c.currency).order_by(notes.c.currency)
    return dict((await session.execute(query)).all())


# --- the reads of a batch of payments (``service.apply_payments``): each one statement, rows locked in id order


async def existing_payments(session: AsyncSession, tenant_id: uuid.UUID, inputs: Sequence[PaymentInput]) -> Found:
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


async def active_allocations(session: AsyncSession, payment_ids: list[uuid.UUID]) -> Allocations:
    if not payment_ids:
        return {}
    query = (
        select(allocations.c.payment_id, allocations.c.invoice_id, allocations.c.amount)
        .where(allocations.c.payment_id.in_(payment_ids), allocations.c.reversed_at.is_(None))
        .order_by(allocations.c.id)
    )
    found: dict[uuid.UUID, list[tuple[uuid.UUID, Decimal]]] = defaultdict(list)
    for row in await session.execute(query):
        found[row.payment_id].append((row.invoice_id, row.amount))
    return found


async def named_invoices(session: AsyncSession, tenant_id: uuid.UUID, inputs: Sequence[PaymentInput]) -> Found:
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
        invoices.c.plan_id,
    ).where(invoices.c.tenant_id == tenant_id, invoices.c.id.in_(ids) | invoices.c.external_id.in_(external_ids))
    found: dict[tuple[str, Any], Any] = {}
    for row in await session.execute(query):
        found[("id", row.id)] = row
        if row.external_id:
            found[("ext", row.external_id)] = row
    plan_ids = {row.plan_id for row in found.values() if row.status == InvoiceStatus.IN_PLAN and row.plan_id}
    if plan_ids:  # issue 19: a payment naming an invoice in a plan goes to the plan's unpaid installments, in order
        unpaid = (
            select(invoices.c.id, invoices.c.plan_id, invoices.c.open_amount)
            .where(
                invoices.c.tenant_id == tenant_id,
                invoices.c.plan_id.in_(list(plan_ids)),
                invoices.c.kind == InvoiceKind.INSTALLMENT,
                invoices.c.status.in_([s.value for s in OPEN_STATUSES]),
                invoices.c.open_amount > 0,
            )
            .order_by(invoices.c.plan_id, invoices.c.due_date, invoices.c.number)
        )
        for installment in await session.execute(unpaid):
            found.setdefault(("plan", installment.plan_id), []).append((installment.id, installment.open_amount))
    return found


async def lock_ledger(
    session: AsyncSession, tenant_id: uuid.UUID, plans: list[Plan], old_allocations: Allocations
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


async def customer_external_ids(
    session: AsyncSession, tenant_id: uuid.UUID, customer_ids: set[uuid.UUID]
) -> dict[uuid.UUID, str | None]:
    """The ERP's ids of the batch's customers, for the announcements integrations read (one query)."""
    if not customer_ids:
        return {}
    query = select(Customer.id, Customer.external_id).where(
        Customer.tenant_id == tenant_id, Customer.id.in_(list(customer_ids))
    )
    return {row.id: row.external_id for row in await session.execute(query)}
