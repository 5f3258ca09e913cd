"""Payment reads: one payment with its allocations, lists, the customer's credit."""

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.receivables.models import Invoice, Payment, PaymentAllocation
from shared.contracts.common import OPEN_STATUSES, InvoiceKind
from shared.pagination import keyset

payments = Payment.__table__
allocations = PaymentAllocation.__table__
invoices = Invoice.__table__


async def get_payment(conn: AsyncConnection | AsyncSession, tenant_id: uuid.UUID, payment_id: uuid.UUID) -> Any:
    query = select(payments).where(payments.c.tenant_id == tenant_id, payments.c.id == payment_id)
    return (await conn.execute(query)).mappings().first()


async def find_by_external_id(conn: AsyncConnection | AsyncSession, tenant_id: uuid.UUID, external_id: str) -> Any:
    query = select(payments.c.id).where(payments.c.tenant_id == tenant_id, payments.c.external_id == external_id)
    return (await conn.execute(query)).scalar()


async def allocations_of(conn: AsyncConnection | AsyncSession, payment_ids: list[uuid.UUID]) -> dict:
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
    found: dict[uuid.UUID, list[dict]] = {}
    for row in (await conn.execute(query)).mappings():
        found.setdefault(row["payment_id"], []).append(dict(row))
    return found


async def list_payments(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    *,
    limit: int,
    after: list[Any] | None,
    customer_id: uuid.UUID | None,
    status: str | None,
    date_from: date | None,
    date_to: date | None,
) -> list[Any]:
    """Newest payment first (payment date, then id, both descending)."""
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
    return list((await conn.execute(query)).mappings().all())


async def unapplied_credits(
    conn: AsyncConnection | AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID
) -> dict[str, Decimal]:
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
    return dict((await conn.execute(query)).all())
