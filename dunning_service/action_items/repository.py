"""Action item queries."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.models import ActionItem, Customer, Invoice
from shared.db import row_as
from shared.pagination import newest_first

_items = ActionItem.__table__
_customers = Customer.__table__


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


@dataclass(frozen=True, slots=True)
class ChangedItem:
    """An action item a statement created or changed, with what its announcement needs."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    customer_id: uuid.UUID
    invoice_ids: list[uuid.UUID]
    action: str
    status: str
    assignee_id: uuid.UUID | None
    created_on: date
    resolution_reason: str | None
    note: str | None
    notice_state: str | None
    customer_external_id: str | None


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
    if created_from:
        query = query.where(_items.c.created_on >= created_from)
    if created_to:
        query = query.where(_items.c.created_on <= created_to)
    equal = {
        _items.c.status: status,
        _items.c.assignee_id: assignee_id,
        _items.c.customer_id: customer_id,
        _items.c.action: action,
    }
    return await newest_first(session, query, _items.c.created_at, _items.c.id, after, limit, ActionItemRow, equal)


async def open_items_of_customer(
    session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID
) -> list[ActionItemRow]:
    query = select(_items).where(
        _items.c.tenant_id == tenant_id, _items.c.customer_id == customer_id, _items.c.status == "open"
    )
    return [row_as(ActionItemRow, row) for row in (await session.execute(query)).mappings()]


# The notice's state from the dispatch that carried it: messaging holds it (pending), sent it, or it failed (also
# while a fallback nobody answered yet is on its way, and when the fallback ended in a task).
NOTICE_STATE = "CASE d.state WHEN 'sent' THEN 'sent' WHEN 'accepted' THEN 'pending' ELSE 'failed' END"
_RETURNED = "id, tenant_id, customer_id, invoice_ids, action, status, assignee_id, created_on, resolution_reason, note"
# The ERP's id of the item's customer (``a``: the item row), for the integrations' announcement.
_CUSTOMER_EXTERNAL_ID = (
    "(SELECT ce.external_id FROM dunning.customers ce WHERE ce.tenant_id = {a}.tenant_id AND ce.id = {a}.customer_id) "
    "AS customer_external_id"
)

_FROM_DISPATCHES = text(
    f"""
INSERT INTO dunning.action_items (id, tenant_id, customer_id, invoice_ids, action, status, source, assignee_id,
                                  created_on, notice_state, strategy_id, step_key, dispatch_id, created_by)
SELECT gen_random_uuid(), d.tenant_id, d.customer_id, d.action_invoice_ids, d.action, 'open', 'step',
       coalesce(t.action_owner_id, c.collector_id), d.as_of, {NOTICE_STATE}, d.strategy_id,
       d.step_keys[array_position(d.invoice_ids, d.action_invoice_ids[1])], coalesce(d.origin_id, d.id),
       'service:dunning'
FROM dunning.dispatches d
LEFT JOIN dunning.tenants t ON t.tenant_id = d.tenant_id
LEFT JOIN dunning.customers c ON c.tenant_id = d.tenant_id AND c.id = d.customer_id
WHERE d.id = ANY(CAST(:ids AS uuid[])) AND d.action IS NOT NULL AND cardinality(d.action_invoice_ids) > 0
ON CONFLICT (tenant_id, dispatch_id) DO NOTHING
RETURNING {_RETURNED}, notice_state, {_CUSTOMER_EXTERNAL_ID.format(a="action_items")}
"""
)
# A fallback's answer moves the notice state of the item its chain opened (``dispatch_id`` is the chain's first).
_SYNC_NOTICE = text(
    f"""
UPDATE dunning.action_items a SET notice_state = n.state, updated_at = now()
FROM (SELECT DISTINCT ON (coalesce(d.origin_id, d.id)) coalesce(d.origin_id, d.id) AS root, {NOTICE_STATE} AS state
      FROM dunning.dispatches d
      WHERE d.id = ANY(CAST(:ids AS uuid[])) AND cardinality(d.action_invoice_ids) > 0
      ORDER BY coalesce(d.origin_id, d.id), d.created_at DESC, d.id) n
WHERE a.dispatch_id = n.root AND a.notice_state IS DISTINCT FROM n.state
RETURNING a.id, a.tenant_id, a.customer_id, a.invoice_ids, a.action, a.status, a.assignee_id, a.created_on,
          a.resolution_reason, a.note, a.notice_state, {_CUSTOMER_EXTERNAL_ID.format(a="a")}
"""
)


async def create_from_dispatches(session: AsyncSession, dispatch_ids: list[uuid.UUID]) -> list[ChangedItem]:
    """One item per chain of dispatches that carried an action step, unless the chain has one already."""
    rows = (await session.execute(_FROM_DISPATCHES, {"ids": dispatch_ids})).mappings()
    return [row_as(ChangedItem, row) for row in rows]


async def sync_notice_states(session: AsyncSession, dispatch_ids: list[uuid.UUID]) -> list[ChangedItem]:
    """The notice state of the items the chains of ``dispatch_ids`` opened, from their latest dispatch: the items
    whose state changed."""
    rows = (await session.execute(_SYNC_NOTICE, {"ids": dispatch_ids})).mappings()
    return [row_as(ChangedItem, row) for row in rows]
