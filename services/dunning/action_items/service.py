"""Action items: created by action steps (or by a person), assigned, resolved. Every change is announced
(``dunning.action_item_changed``) for the daily actions alarm (seed 000)."""

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.dunning.action_items import repository
from services.dunning.action_items.schemas import ActionItemCreate, Assignment, Resolution, ResolutionIn
from services.dunning.models import ActionItem, Customer, Invoice, outbox
from services.dunning.runs.context import load_tenant
from shared.contracts.dunning import ActionItemChanged
from shared.external_ids import form_errors, unknown
from shared.outbox import emit, emit_many
from shared.problems import Conflict, NotFound, ValidationProblem


def changed(item: Any, change: str, customer_external_id: str | None) -> ActionItemChanged:
    """The announcement of ``item``; ``change`` says what happened to it (created, assigned, notice, resolved)."""

    def get(name: str) -> Any:
        return item.get(name) if isinstance(item, dict) else getattr(item, name)

    return ActionItemChanged(
        action_item_id=get("id"),
        customer_id=get("customer_id"),
        customer_external_id=customer_external_id,
        invoice_ids=list(get("invoice_ids")),
        action=get("action"),
        status=get("status"),
        assignee_id=get("assignee_id"),
        created_on=get("created_on"),
        resolution=get("status") if get("status") != "open" else None,
        resolution_reason=get("resolution_reason"),
        note=get("note"),
        notice_state=get("notice_state"),
        change=change,
    )


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


async def _announce(conn: AsyncConnection | AsyncSession, rows: Any, change: str) -> int:
    per_tenant: dict[uuid.UUID, list[ActionItemChanged]] = defaultdict(list)
    for row in rows:
        per_tenant[row["tenant_id"]].append(changed(dict(row), change, row["customer_external_id"]))
    for tenant_id, events in per_tenant.items():
        await emit_many(conn, outbox, tenant_id, events)
    return len(rows)


async def create_from_dispatches(conn: AsyncConnection | AsyncSession, dispatch_ids: list[uuid.UUID]) -> int:
    """One action item per chain of dispatches that carried an action step (once: the id of the chain's first
    dispatch is unique there)."""
    if not dispatch_ids:
        return 0
    rows = (await conn.execute(_FROM_DISPATCHES, {"ids": dispatch_ids})).mappings().all()
    return await _announce(conn, rows, "created")


async def sync_notice_states(conn: AsyncConnection | AsyncSession, dispatch_ids: list[uuid.UUID]) -> int:
    """The action notice's real state follows the message (and its fallbacks); each change is announced."""
    if not dispatch_ids:
        return 0
    return await _announce(conn, (await conn.execute(_SYNC_NOTICE, {"ids": dispatch_ids})).mappings().all(), "notice")


async def resolved(session: AsyncSession, tenant_id: uuid.UUID, data: ActionItemCreate) -> ActionItemCreate:
    """``data`` with ``customer_id`` and ``invoice_ids`` set from whichever form it used: the projection holds the
    ERP's ids of the customers and invoices dunning can act on. A 422 names every field in error at once."""
    errors = form_errors(
        data.customer_id, data.customer_external_id, data.invoice_ids, data.invoice_external_ids, invoices_required=True
    )
    if errors:
        raise ValidationProblem(errors)
    customer_id, invoice_ids = data.customer_id, data.invoice_ids
    if data.customer_external_id is not None:
        found = await repository.ids_by_external_id(session, tenant_id, Customer, [data.customer_external_id])
        customer_id = found.get(data.customer_external_id)
        if customer_id is None:
            errors.append(unknown("customer_external_id", "customer", data.customer_external_id))
    if data.invoice_external_ids:
        found = await repository.ids_by_external_id(session, tenant_id, Invoice, data.invoice_external_ids)
        named = enumerate(data.invoice_external_ids)
        errors += [unknown(f"invoice_external_ids[{i}]", "invoice", e) for i, e in named if e not in found]
        invoice_ids = [found[e] for e in data.invoice_external_ids if e in found]
    if errors:
        raise ValidationProblem(errors)
    return data.model_copy(update={"customer_id": customer_id, "invoice_ids": invoice_ids})


async def create_item(session: AsyncSession, tenant_id: uuid.UUID, data: ActionItemCreate, actor: str) -> ActionItem:
    """An action item by hand; ``data`` names the customer and invoices by cobranza's ids (see ``resolved``)."""
    customer = await session.scalar(
        select(Customer).where(Customer.tenant_id == tenant_id, Customer.id == data.customer_id)
    )
    if customer is None or customer.deleted:
        raise NotFound("Customer not found")
    found = set(
        (
            await session.execute(
                select(Invoice.id).where(
                    Invoice.tenant_id == tenant_id,
                    Invoice.customer_id == data.customer_id,
                    Invoice.id.in_(data.invoice_ids),
                )
            )
        ).scalars()
    )
    if data.invoice_external_ids:  # named as sent, position by position
        strangers = [
            (i, e)
            for i, (e, ident) in enumerate(zip(data.invoice_external_ids, data.invoice_ids, strict=True))
            if ident not in found
        ]
        if strangers:
            raise ValidationProblem(
                [
                    {"field": f"invoice_external_ids[{i}]", "message": "not an invoice of this customer", "value": e}
                    for i, e in strangers
                ]
            )
    missing = [str(i) for i in data.invoice_ids if i not in found]
    if missing:
        raise ValidationProblem.field("invoice_ids", f"not invoices of this customer: {', '.join(missing)}")
    tenant = await load_tenant(session, tenant_id)
    item = ActionItem(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        customer_id=data.customer_id,
        invoice_ids=list(dict.fromkeys(data.invoice_ids)),
        action=data.action.value,
        status="open",
        source="manual",
        assignee_id=data.assignee_id or tenant.action_owner_id or customer.collector_id,
        created_on=tenant.today(),
        note=data.note,
        notice_state=None,
        created_by=actor,
    )
    session.add(item)
    await session.flush()
    await session.refresh(item)
    await emit(session, outbox, tenant_id, changed(item, "created", customer.external_id))
    return item


async def _open_item(session: AsyncSession, tenant_id: uuid.UUID, item_id: uuid.UUID) -> ActionItem:
    item = await repository.get_for_update(session, tenant_id, item_id)
    if item is None:
        raise NotFound("Action item not found")
    if item.status != "open":
        raise Conflict(f"The action item is already {item.status}")
    return item


async def assign_item(session: AsyncSession, tenant_id: uuid.UUID, item_id: uuid.UUID, data: Assignment) -> None:
    item = await _open_item(session, tenant_id, item_id)
    item.assignee_id = data.assignee_id
    await session.flush()
    await session.refresh(item)
    await emit(session, outbox, tenant_id, changed(item, "assigned", await _customer_external_id(session, item)))


async def resolve_item(
    session: AsyncSession, tenant_id: uuid.UUID, item_id: uuid.UUID, data: ResolutionIn, actor: str
) -> None:
    """Done, or cancelled with a reason. Reminders of its invoices may resume, unless an action notice
    already stopped them."""
    if data.resolution == Resolution.CANCELLED and not (data.reason and data.reason.strip()):
        raise ValidationProblem.field("reason", "say why the action is cancelled")
    item = await _open_item(session, tenant_id, item_id)
    tenant = await load_tenant(session, tenant_id)
    item.status = data.resolution.value
    item.resolution_reason = data.reason
    item.resolved_by = actor
    item.resolved_at = tenant.clock.now()  # when it happened on the tenant's clock (a sandbox's test clock)
    await session.flush()
    await session.refresh(item)
    await emit(session, outbox, tenant_id, changed(item, "resolved", await _customer_external_id(session, item)))


async def _customer_external_id(session: AsyncSession, item: ActionItem) -> str | None:
    query = select(Customer.external_id).where(Customer.tenant_id == item.tenant_id, Customer.id == item.customer_id)
    return await session.scalar(query)
