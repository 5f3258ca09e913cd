"""Inbox handlers keeping the projection: every new message of a type in one set-based statement."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.projection import repository
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


async def on_tenant_changed(ctx: dict[str, Any], session: AsyncSession, batch: list[Received[TenantChanged]]) -> None:
    await repository.upsert_tenants(session, [(r.envelope.occurred_at, r.message) for r in batch])


async def on_tenant_settings_changed(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[TenantSettingsChanged]]
) -> None:
    """Receivables owns the tenant-wide settings dunning acts on (issue 16): the latest of each tenant wins."""
    latest = sorted(batch, key=lambda r: r.envelope.occurred_at)
    await repository.set_action_owners(session, {r.tenant_id: r.message.action_owner_id for r in latest})


async def on_customer_changed(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[CustomerChanged]]
) -> None:
    await repository.upsert_customers(session, [repository.customer_row(r.tenant_id, r.message) for r in batch])


async def on_customers_changed(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[CustomersChanged]]
) -> None:
    """A bulk load's batches: the same upsert as single changes."""
    rows = [repository.customer_row(r.tenant_id, snapshot) for r in batch for snapshot in r.message.customers]
    await repository.upsert_customers(session, rows)


async def on_invoice_changed(ctx: dict[str, Any], session: AsyncSession, batch: list[Received[InvoiceChanged]]) -> None:
    await repository.upsert_invoices(session, [repository.invoice_row(r.tenant_id, r.message) for r in batch])


async def on_invoices_changed(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[InvoicesChanged]]
) -> None:
    """A bulk load's batches: the same upsert as single changes, one statement per batch (in order: a later batch
    may carry the same invoices at a later revision)."""
    for r in batch:
        await repository.upsert_invoice_columns(session, repository.batch_columns(r.tenant_id, r.message))


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
        await repository.record_replies(session, replies)
