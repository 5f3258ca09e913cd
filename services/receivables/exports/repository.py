"""The rows of an export, read in batches from a server-side cursor: a million invoices are never a million rows
in memory, only ``BATCH`` at a time."""

import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import and_
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from services.receivables.customers import repository as customers
from services.receivables.customers.schemas import CustomerFilters
from services.receivables.invoices import repository as invoices
from services.receivables.invoices.schemas import InvoiceFilters

BATCH = 500


def customers_query(tenant_id: uuid.UUID, filters: CustomerFilters, today: date | None) -> Any:
    """The customer list's rows, in its order, without pages."""
    return customers.filtered_customers(tenant_id, filters, today).order_by(*customers.ORDER)


def invoices_query(tenant_id: uuid.UUID, filters: InvoiceFilters, today: date) -> Any:
    """The invoice list's rows, in its order, without pages, with the customer's name and external id."""
    table, owner = invoices.invoices, invoices.customers.alias("owner")
    return (
        invoices.filtered_invoices(tenant_id, filters, today)
        .join(owner, and_(owner.c.tenant_id == table.c.tenant_id, owner.c.id == table.c.customer_id))
        .add_columns(owner.c.external_id.label("customer_external_id"), owner.c.name.label("customer_name"))
        .order_by(*invoices.ORDER)
    )


async def batches(
    engine: AsyncEngine, query: Any, shape: Callable[[Any], Mapping[str, Any]]
) -> AsyncIterator[list[Mapping[str, Any]]]:
    """``query``'s rows, ``BATCH`` at a time, each shaped for the sheet. The connection is held while the caller
    iterates (the whole download, for a streamed CSV): a session of its own, since the request's one is closed
    before the response streams."""
    async with AsyncSession(engine) as session:
        result = await session.stream(query.execution_options(yield_per=BATCH))
        async for part in result.mappings().partitions(BATCH):
            yield [shape(row) for row in part]
