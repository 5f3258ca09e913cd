"""The ERP's ids (``external_id``, unique per tenant) of customers, invoices and payments, to cobranza's ids."""

import uuid
from collections.abc import Collection

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.models import Customer, Invoice, Payment

TABLES: dict[str, Table] = {
    "customer": Customer.__table__,
    "invoice": Invoice.__table__,
    "payment": Payment.__table__,
}


async def ids_by_external_id(
    session: AsyncSession, tenant_id: uuid.UUID, kind: str, external_ids: Collection[str]
) -> dict[str, uuid.UUID]:
    """``{external_id: id}`` of the tenant's ``kind`` rows among ``external_ids`` (those not found are absent).
    A deleted customer keeps its external id and is found: its routes answer as they do for its id."""
    if not external_ids:
        return {}
    source = TABLES[kind]
    query = select(source.c.external_id, source.c.id).where(
        source.c.tenant_id == tenant_id, source.c.external_id.in_(list(external_ids))
    )
    return {row.external_id: row.id for row in await session.execute(query)}
