"""Inbox handlers keeping the projection: every new message of a type in one set-based statement."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.dunning.projection import upserts
from shared.contracts.gateway import TenantChanged
from shared.contracts.messaging import ReplyReceived
from shared.contracts.receivables import (
    CustomerChanged,
    CustomersChanged,
    InvoiceChanged,
    InvoicesChanged,
    TenantSettingsChanged,
)
from shared.inbox import Received

# The reply's day on the tenant's clock; the latest reply wins, whatever order the events come in. A tenant with a
# test clock (issue 15) hears the reply on its clock's day: the mail arrived in real time, the calendar is played.
_REPLIED = text(
    """
UPDATE dunning.customers c
SET replied_on = greatest(
  c.replied_on, CAST(coalesce(t.test_clock, u.received_at) AT TIME ZONE coalesce(t.timezone, 'UTC') AS date))
FROM unnest(CAST(:tenants AS uuid[]), CAST(:customers AS uuid[]), CAST(:received AS timestamptz[]))
     AS u(tenant_id, customer_id, received_at)
LEFT JOIN dunning.tenants t ON t.tenant_id = u.tenant_id
WHERE c.tenant_id = u.tenant_id AND c.id = u.customer_id
"""
)


async def on_tenant_changed(ctx: dict[str, Any], session: AsyncSession, batch: list[Received[TenantChanged]]) -> None:
    await upserts.upsert_tenants(session, [(r.envelope.occurred_at, r.message) for r in batch])


async def on_tenant_settings_changed(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[TenantSettingsChanged]]
) -> None:
    """Receivables owns the tenant-wide settings dunning acts on (issue 16): the latest of each tenant wins."""
    latest = sorted(batch, key=lambda r: r.envelope.occurred_at)
    await upserts.set_action_owners(session, {r.tenant_id: r.message.action_owner_id for r in latest})


async def on_customer_changed(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[CustomerChanged]]
) -> None:
    await upserts.upsert_customers(session, [upserts.customer_row(r.tenant_id, r.message) for r in batch])


async def on_customers_changed(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[CustomersChanged]]
) -> None:
    """A bulk load's batches: the same upsert as single changes."""
    rows = [upserts.customer_row(r.tenant_id, snapshot) for r in batch for snapshot in r.message.customers]
    await upserts.upsert_customers(session, rows)


async def on_invoice_changed(ctx: dict[str, Any], session: AsyncSession, batch: list[Received[InvoiceChanged]]) -> None:
    await upserts.upsert_invoices(session, [upserts.invoice_row(r.tenant_id, r.message) for r in batch])


async def on_invoices_changed(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[InvoicesChanged]]
) -> None:
    """A bulk load's batches: the same upsert as single changes, one statement per batch (in order: a later batch
    may carry the same invoices at a later revision)."""
    for r in batch:
        await upserts.upsert_invoice_columns(session, upserts.batch_columns(r.tenant_id, r.message))


async def on_reply_received(ctx: dict[str, Any], session: AsyncSession, batch: list[Received[ReplyReceived]]) -> None:
    """A customer wrote back (issue 10): their automatic reminders pause for the tenant's ``reply_pause_days``
    from that day (``runs.rules.reply_pause``). A STOP/BAJA is an opt-out, not a conversation: it pauses nothing."""
    replies: dict[tuple[uuid.UUID, uuid.UUID], datetime] = {}
    for r in batch:
        if r.message.opt_out or r.message.customer_id is None:
            continue
        key = (r.tenant_id, r.message.customer_id)
        if key not in replies or r.message.received_at > replies[key]:
            replies[key] = r.message.received_at
    if replies:
        await session.execute(
            _REPLIED,
            {
                "tenants": [k[0] for k in replies],
                "customers": [k[1] for k in replies],
                "received": list(replies.values()),
            },
        )
