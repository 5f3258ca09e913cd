"""Opt-outs and invalid contacts: recorded once, announced to receivables, and every message still waiting for
that address is failed at once (so dunning sees it and falls back to another channel)."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from messaging_service.delivery import repository
from messaging_service.delivery.events import status_changed
from messaging_service.models import outbox
from shared.contracts.common import Channel
from shared.contracts.messaging import ContactInvalidated, OptOutRecorded
from shared.messages import Message
from shared.outbox import emit_many

OPT_OUT, INVALID = "opt_out", "invalid"


async def suppress(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    kind: str,
    channel: str,
    address: str,
    customer_id: uuid.UUID | None,
    source: str,
    reason: str | None = None,
    customer_external_id: str | None = None,
) -> bool:
    """Record that an address must not be used; False when it already was. The event names the customer by
    both ids: the ERP's one as the caller knows it, else as the customer's latest message carried it."""
    if customer_id is None:
        customer_id = await repository.find_customer_for_address(session, tenant_id, channel, address)
    added = await repository.add_suppression(session, tenant_id, kind, channel, address, customer_id, source, reason)
    code = "opted_out" if kind == OPT_OUT else "invalid_contact"
    text = "the customer opted out of this channel" if kind == OPT_OUT else f"the address is invalid: {reason}"
    cancelled = await repository.cancel_pending(session, tenant_id, channel, address, code, text)
    events: list[Message] = [status_changed(row, at=row.failed_at, with_preview=False) for row in cancelled]
    if added and customer_id is not None:
        if customer_external_id is None:
            customer_external_id = await repository.customer_external_id(session, tenant_id, customer_id)
        customer = {"customer_id": customer_id, "customer_external_id": customer_external_id}
        if kind == OPT_OUT:
            events.append(OptOutRecorded(**customer, channel=Channel(channel), address=address, source=source))
        else:
            events.append(
                ContactInvalidated(**customer, channel=Channel(channel), address=address, reason=reason or "invalid")
            )
    await emit_many(session, outbox, tenant_id, events)
    return added
