"""Invoice queries: reads in plain Core, locks for status changes, the tenant's overdue filter."""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Exists, FromClause, RowMapping, Select, and_, exists, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.invoices.rules import StatusChange
from services.receivables.invoices.schemas import InvoiceFilters
from services.receivables.models import Customer, Invoice
from shared.contracts.common import OPEN_STATUSES, InvoiceKind
from shared.pagination import keyset

invoices = Invoice.__table__
customers = Customer.__table__
OPEN = sorted(s.value for s in OPEN_STATUSES)


@dataclass(frozen=True, slots=True)
class InvoiceRow:
    """A stored invoice (every column of ``receivables.invoices``); ``days_overdue`` depends on the tenant's today,
    so the service adds it."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    customer_id: uuid.UUID
    revision: int
    external_id: str | None
    number: str
    kind: str
    currency: str
    amount: Decimal
    open_amount: Decimal
    issue_date: date
    due_date: date
    document_url: str | None
    status: str
    promised_date: date | None
    reported_date: date | None
    dispute_area_id: uuid.UUID | None
    closed_on: date | None
    source_version: int | None
    applies_to: list[str]
    entered_at: datetime | None
    created_at: datetime
    updated_at: datetime
    plan_id: uuid.UUID | None = None  # issue 19


def _invoice(row: RowMapping) -> InvoiceRow:
    return InvoiceRow(**row)


def overdue_condition(today: date, source: FromClause = invoices) -> ColumnElement[bool]:
    """An invoice that is owed, not a credit note, and past its due date at the tenant's today."""
    return and_(
        source.c.status.in_(OPEN),
        source.c.kind != InvoiceKind.CREDIT_NOTE,
        source.c.open_amount > 0,
        source.c.due_date < today,
    )


def has_overdue(today: date) -> Exists:
    """EXISTS clause for customers (``customers`` table) with at least one overdue invoice."""
    return exists().where(
        invoices.c.tenant_id == customers.c.tenant_id,
        invoices.c.customer_id == customers.c.id,
        overdue_condition(today),
    )


async def get_invoice(session: AsyncSession, tenant_id: uuid.UUID, invoice_id: uuid.UUID) -> InvoiceRow | None:
    query = select(invoices).where(invoices.c.tenant_id == tenant_id, invoices.c.id == invoice_id)
    row = (await session.execute(query)).mappings().first()
    return None if row is None else _invoice(row)


async def lock_invoices(
    session: AsyncSession, tenant_id: uuid.UUID, invoice_ids: Sequence[uuid.UUID]
) -> list[InvoiceRow]:
    """The tenant's invoices among ``invoice_ids``, locked in id order (no deadlock between two writers)."""
    query = (
        select(invoices)
        .where(invoices.c.tenant_id == tenant_id, invoices.c.id.in_(list(invoice_ids)))
        .order_by(invoices.c.id)
        .with_for_update()
    )
    return [_invoice(row) for row in (await session.execute(query)).mappings()]


async def lock_open_invoices(session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> list[InvoiceRow]:
    """The customer's open invoices (not credit notes), locked, oldest due first."""
    query = (
        select(invoices)
        .where(
            invoices.c.tenant_id == tenant_id,
            invoices.c.customer_id == customer_id,
            invoices.c.status.in_(OPEN),
            invoices.c.kind != InvoiceKind.CREDIT_NOTE,
        )
        .order_by(invoices.c.id)
        .with_for_update()
    )
    rows = [_invoice(row) for row in (await session.execute(query)).mappings()]
    return sorted(rows, key=lambda r: (r.due_date, r.issue_date, r.number, str(r.id)))


def filtered_invoices(tenant_id: uuid.UUID, filters: InvoiceFilters, today: date) -> Select[Any]:
    """The tenant's invoices that pass the list's filters, unordered."""
    query = select(invoices).where(invoices.c.tenant_id == tenant_id)
    if filters.customer_id:
        query = query.where(invoices.c.customer_id == filters.customer_id)
    if filters.status:
        query = query.where(invoices.c.status.in_([s.value for s in filters.status]))
    if filters.overdue is True:
        query = query.where(overdue_condition(today))
    elif filters.overdue is False:
        query = query.where(~overdue_condition(today))
    if filters.currency:
        query = query.where(invoices.c.currency == filters.currency.upper())
    if filters.kind:
        query = query.where(invoices.c.kind == filters.kind)
    if filters.collector_id:
        query = query.where(
            invoices.c.customer_id.in_(
                select(customers.c.id).where(
                    customers.c.tenant_id == tenant_id, customers.c.collector_id == filters.collector_id
                )
            )
        )
    if filters.due_from:
        query = query.where(invoices.c.due_date >= filters.due_from)
    if filters.due_to:
        query = query.where(invoices.c.due_date <= filters.due_to)
    if filters.q:
        q = filters.q
        query = query.where((invoices.c.number.ilike(f"%{q}%")) | (invoices.c.external_id.ilike(f"%{q}%")))
    return query


ORDER = (invoices.c.due_date, invoices.c.id)  # the list's order, deterministic


async def list_invoices(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    limit: int,
    after: list[Any] | None,
    today: date,
    filters: InvoiceFilters,
) -> list[InvoiceRow]:
    """Invoices by due date then id (deterministic), keyset-paginated."""
    query = keyset(filtered_invoices(tenant_id, filters, today), ORDER, (date.fromisoformat, uuid.UUID), after, limit)
    return [_invoice(row) for row in (await session.execute(query)).mappings()]


async def insert_invoice(session: AsyncSession, values: Mapping[str, Any]) -> InvoiceRow:
    return _invoice((await session.execute(insert(invoices).values(values).returning(invoices))).mappings().one())


async def update_invoice(session: AsyncSession, invoice_id: uuid.UUID, changed: Mapping[str, Any]) -> InvoiceRow:
    """Apply ``changed``, bump the revision; the invoice as it is now."""
    query = (
        update(invoices)
        .where(invoices.c.id == invoice_id)
        .values(**changed, revision=invoices.c.revision + 1, updated_at=text("now()"))
        .returning(invoices)
    )
    return _invoice((await session.execute(query)).mappings().one())


async def set_statuses(
    session: AsyncSession, tenant_id: uuid.UUID, changes: Sequence[StatusChange], today: date, *, closed: list[str]
) -> None:
    """Each invoice's new status and its details, in one statement (a closing status records the day it closed)."""
    await session.execute(
        text(
            "UPDATE receivables.invoices i SET status = c.status, promised_date = c.promised_date, "
            "reported_date = c.reported_date, dispute_area_id = c.dispute_area_id, "
            "closed_on = CASE WHEN c.status = ANY(:closed) THEN coalesce(i.closed_on, :today) END, "
            "revision = i.revision + 1, updated_at = now() "
            "FROM unnest(CAST(:ids AS uuid[]), CAST(:statuses AS text[]), CAST(:promised AS date[]), "
            "CAST(:reported AS date[]), CAST(:areas AS uuid[])) "
            "AS c(id, status, promised_date, reported_date, dispute_area_id) "
            "WHERE i.tenant_id = :tenant_id AND i.id = c.id"
        ),
        {
            "tenant_id": tenant_id,
            "today": today,
            "closed": closed,
            "ids": [c.invoice_id for c in changes],
            "statuses": [c.status.value for c in changes],
            "promised": [c.promised_date for c in changes],
            "reported": [c.reported_date for c in changes],
            "areas": [c.dispute_area_id for c in changes],
        },
    )


async def issue_dates_and_numbers(
    session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID, invoice_ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[date, str]]:
    """The (issue date, number) of those of ``invoice_ids`` that are the customer's."""
    invoices = Invoice.__table__
    rows = await session.execute(
        select(invoices.c.id, invoices.c.issue_date, invoices.c.number).where(
            invoices.c.tenant_id == tenant_id, invoices.c.customer_id == customer_id, invoices.c.id.in_(invoice_ids)
        )
    )
    return {r.id: (r.issue_date, r.number) for r in rows}
