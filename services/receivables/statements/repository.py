"""The statement's reads: the customer's open invoices, its unapplied payments, and what was received on the open
invoices (payments and credit notes applied)."""

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Date, cast, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.invoices.repository import InvoiceRow
from services.receivables.models import CreditApplication, Invoice, Payment, PaymentAllocation
from shared.contracts.common import OPEN_STATUSES

invoices = Invoice.__table__
payments = Payment.__table__
allocations = PaymentAllocation.__table__
applications = CreditApplication.__table__


@dataclass(frozen=True, slots=True)
class UnappliedPayment:
    """A payment with money left over: the customer's credit."""

    id: uuid.UUID
    reference: str | None
    currency: str
    unapplied_amount: Decimal
    payment_date: date


@dataclass(frozen=True, slots=True)
class Received:
    """Money that went to an open invoice: a payment's allocation or a credit note applied (its number is the
    ``reference``)."""

    date: date
    reference: str | None
    invoice: str
    currency: str
    amount: Decimal


async def open_invoices(session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> list[InvoiceRow]:
    """The customer's invoices and credit notes that are open and owe something, by due date, number, id."""
    query = (
        select(invoices)
        .where(
            invoices.c.tenant_id == tenant_id,
            invoices.c.customer_id == customer_id,
            invoices.c.status.in_([s.value for s in OPEN_STATUSES]),
            invoices.c.open_amount > 0,
        )
        .order_by(invoices.c.due_date, invoices.c.number, invoices.c.id)
    )
    return [InvoiceRow(**row) for row in (await session.execute(query)).mappings()]


async def unapplied_payments(
    session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID
) -> list[UnappliedPayment]:
    """The customer's applied payments with an unapplied amount, oldest first."""
    query = (
        select(
            payments.c.id,
            payments.c.reference,
            payments.c.currency,
            payments.c.unapplied_amount,
            payments.c.payment_date,
        )
        .where(
            payments.c.tenant_id == tenant_id,
            payments.c.customer_id == customer_id,
            payments.c.status == "applied",
            payments.c.unapplied_amount > 0,
        )
        .order_by(payments.c.payment_date, payments.c.id)
    )
    return [UnappliedPayment(**row) for row in (await session.execute(query)).mappings()]


async def received_on(session: AsyncSession, tenant_id: uuid.UUID, invoice_ids: list[uuid.UUID]) -> list[Received]:
    """What was received on account of the open invoices, oldest first: payments (partial payments) and credit
    notes applied to them (issue 12), neither reversed."""
    if not invoice_ids:
        return []
    paid = (
        select(
            allocations.c.payment_date.label("date"),
            payments.c.reference,
            invoices.c.number.label("invoice"),
            invoices.c.currency,
            allocations.c.amount,
            allocations.c.id.label("seq"),
        )
        .join(payments, payments.c.id == allocations.c.payment_id)
        .join(invoices, invoices.c.id == allocations.c.invoice_id)
        .where(
            allocations.c.tenant_id == tenant_id,
            allocations.c.invoice_id.in_(invoice_ids),
            allocations.c.reversed_at.is_(None),
        )
    )
    credit_notes = invoices.alias("credit_note")
    credited = (
        select(
            func.coalesce(applications.c.applied_on, cast(applications.c.created_at, Date)).label("date"),
            credit_notes.c.number.label("reference"),
            invoices.c.number.label("invoice"),
            invoices.c.currency,
            applications.c.amount,
            applications.c.id.label("seq"),
        )
        .join(credit_notes, credit_notes.c.id == applications.c.credit_id)
        .join(invoices, invoices.c.id == applications.c.invoice_id)
        .where(
            applications.c.tenant_id == tenant_id,
            applications.c.invoice_id.in_(invoice_ids),
            applications.c.reversed_at.is_(None),
        )
    )
    both = union_all(paid, credited).subquery()
    rows = await session.execute(select(both).order_by(both.c.date, both.c.invoice, both.c.seq))
    return [
        Received(row["date"], row["reference"], row["invoice"], row["currency"], row["amount"])
        for row in rows.mappings()
    ]
