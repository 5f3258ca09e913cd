"""Inbox handlers keeping the projection: every new message of a type in one set-based statement."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.projection import upserts
from shared.contracts.gateway import TenantChanged
from shared.contracts.receivables import CustomerChanged, InvoiceChanged
from shared.inbox import Received


async def on_tenant_changed(ctx: dict[str, Any], session: AsyncSession, batch: list[Received[TenantChanged]]) -> None:
    await upserts.upsert_tenants(session, [(r.envelope.occurred_at, r.message) for r in batch])


async def on_customer_changed(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[CustomerChanged]]
) -> None:
    await upserts.upsert_customers(session, [upserts.customer_row(r.tenant_id, r.message) for r in batch])


async def on_invoice_changed(ctx: dict[str, Any], session: AsyncSession, batch: list[Received[InvoiceChanged]]) -> None:
    await upserts.upsert_invoices(session, [upserts.invoice_row(r.tenant_id, r.message) for r in batch])
