"""Action items: created by action steps (or by a person), assigned, resolved. Every change is announced
(``dunning.action_item_changed``) for the daily actions alarm (seed 000)."""

import uuid
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.action_items import repository
from dunning_service.action_items.schemas import ActionItemCreate, Assignment, Resolution, ResolutionIn
from dunning_service.models import ActionItem, Customer, Invoice, outbox
from dunning_service.runs.context import load_tenant
from shared.contracts.dunning import ActionItemChanged
from shared.external_ids import form_errors, unknown
from shared.outbox import emit, emit_many
from shared.problems import Conflict, NotFound, ValidationProblem


def changed(
    item: ActionItem | repository.ChangedItem, change: str, customer_external_id: str | None
) -> ActionItemChanged:
    """The announcement of ``item``; ``change`` says what happened to it (created, assigned, notice, resolved)."""
    return ActionItemChanged(
        action_item_id=item.id,
        customer_id=item.customer_id,
        customer_external_id=customer_external_id,
        invoice_ids=list(item.invoice_ids),
        action=item.action,
        status=item.status,
        assignee_id=item.assignee_id,
        created_on=item.created_on,
        resolution=item.status if item.status != "open" else None,
        resolution_reason=item.resolution_reason,
        note=item.note,
        notice_state=item.notice_state,
        change=change,
    )


async def _announce(session: AsyncSession, items: list[repository.ChangedItem], change: str) -> int:
    per_tenant: dict[uuid.UUID, list[ActionItemChanged]] = defaultdict(list)
    for item in items:
        per_tenant[item.tenant_id].append(changed(item, change, item.customer_external_id))
    for tenant_id, events in per_tenant.items():
        await emit_many(session, outbox, tenant_id, events)
    return len(items)


async def create_from_dispatches(session: AsyncSession, dispatch_ids: list[uuid.UUID]) -> int:
    """One action item per chain of dispatches that carried an action step (once: the id of the chain's first
    dispatch is unique there); each one created is announced."""
    if not dispatch_ids:
        return 0
    return await _announce(session, await repository.create_from_dispatches(session, dispatch_ids), "created")


async def sync_notice_states(session: AsyncSession, dispatch_ids: list[uuid.UUID]) -> int:
    """The action notice's real state follows the message (and its fallbacks); each change is announced."""
    if not dispatch_ids:
        return 0
    return await _announce(session, await repository.sync_notice_states(session, dispatch_ids), "notice")


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
