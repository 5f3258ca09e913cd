"""Action item queries."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.dunning.models import ActionItem, Customer, Invoice, row_as, table_of
from shared.pagination import keyset

_items = table_of(ActionItem)
_customers = table_of(Customer)


@dataclass(frozen=True, slots=True)
class ActionItemRow:
    """An action item as stored (``models.ActionItem``), with its customer's name when the listing joins it."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    customer_id: uuid.UUID
    invoice_ids: list[uuid.UUID]
    action: str
    status: str
    source: str
    assignee_id: uuid.UUID | None
    created_on: date
    note: str | None
    notice_state: str | None
    strategy_id: uuid.UUID | None
    step_key: str | None
    dispatch_id: uuid.UUID | None
    resolution_reason: str | None
    resolved_by: str | None
    resolved_at: datetime | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    customer_name: str | None = None


def _with_customer_name() -> Any:
    return select(_items, _customers.c.name.label("customer_name")).outerjoin(
        _customers, (_customers.c.tenant_id == _items.c.tenant_id) & (_customers.c.id == _items.c.customer_id)
    )


async def ids_by_external_id(
    session: AsyncSession, tenant_id: uuid.UUID, model: type[Customer] | type[Invoice], external_ids: list[str]
) -> dict[str, uuid.UUID]:
    """``{external_id: id}`` of the tenant's projected customers or invoices among ``external_ids`` (those not
    found are absent)."""
    query = select(model.external_id, model.id).where(
        model.tenant_id == tenant_id, model.external_id.in_(set(external_ids))
    )
    return {row.external_id: row.id for row in await session.execute(query)}


async def read(session: AsyncSession, tenant_id: uuid.UUID, item_id: uuid.UUID) -> ActionItemRow | None:
    query = _with_customer_name().where(_items.c.tenant_id == tenant_id, _items.c.id == item_id)
    row = (await session.execute(query)).mappings().first()
    return None if row is None else row_as(ActionItemRow, row)


async def get_for_update(session: AsyncSession, tenant_id: uuid.UUID, item_id: uuid.UUID) -> ActionItem | None:
    return await session.scalar(
        select(ActionItem).where(ActionItem.tenant_id == tenant_id, ActionItem.id == item_id).with_for_update()
    )


async def list_items(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    limit: int,
    after: list[Any] | None,
    status: str | None = None,
    assignee_id: uuid.UUID | None = None,
    customer_id: uuid.UUID | None = None,
    action: str | None = None,
    created_from: date | None = None,
    created_to: date | None = None,
) -> list[ActionItemRow]:
    """Newest first (created_at, id descending), keyset-paginated."""
    query = _with_customer_name().where(_items.c.tenant_id == tenant_id)
    if status:
        query = query.where(_items.c.status == status)
    if assignee_id:
        query = query.where(_items.c.assignee_id == assignee_id)
    if customer_id:
        query = query.where(_items.c.customer_id == customer_id)
    if action:
        query = query.where(_items.c.action == action)
    if created_from:
        query = query.where(_items.c.created_on >= created_from)
    if created_to:
        query = query.where(_items.c.created_on <= created_to)
    query = keyset(
        query, (_items.c.created_at, _items.c.id), (datetime.fromisoformat, uuid.UUID), after, limit, newest_first=True
    )
    return [row_as(ActionItemRow, row) for row in (await session.execute(query)).mappings()]


async def open_items_of_customer(
    session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID
) -> list[ActionItemRow]:
    query = select(_items).where(
        _items.c.tenant_id == tenant_id, _items.c.customer_id == customer_id, _items.c.status == "open"
    )
    return [row_as(ActionItemRow, row) for row in (await session.execute(query)).mappings()]
