"""Inbox handlers keeping the projection: every new message of a type in one set-based statement.

An older event never overwrites a newer state: snapshots of customers and invoices carry a ``revision``; tenants,
users and action items carry none, so the event's ``occurred_at`` orders them. A broken promise is a fact,
written once.
"""

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.alarms.models import ActionItem, BrokenPromise, Customer, Invoice, Tenant, User
from shared.contracts.dunning import ActionItemChanged
from shared.contracts.gateway import TenantChanged, UserChanged
from shared.contracts.receivables import (
    CustomerChanged,
    CustomersChanged,
    CustomerSnapshot,
    InvoiceChanged,
    InvoicesChanged,
    PromiseBroken,
)
from shared.inbox import Received
from shared.projection import columns_of, unnest_source, upsert_newest

CUSTOMER_FIELDS = ("revision", "external_id", "name", "collector_id", "deleted")
INVOICE_FIELDS = (
    "customer_id",
    "revision",
    "number",
    "currency",
    "amount",
    "open_amount",
    "due_date",
    "status",
    "promised_date",
    "reported_date",
    "dispute_area_id",
)


async def on_tenant_changed(ctx: dict[str, Any], session: AsyncSession, batch: list[Received[TenantChanged]]) -> None:
    rows = [
        {
            "tenant_id": r.message.tenant_id,
            "name": r.message.name,
            "country": r.message.country.upper(),
            "timezone": r.message.timezone,
            "language": r.message.language,
            "active": r.message.active,
            "sandbox": r.message.sandbox,
            "test_clock": r.message.test_clock,
            "announced_at": r.envelope.occurred_at,
        }
        for r in batch
    ]
    fields = ("name", "country", "timezone", "language", "active", "sandbox", "test_clock", "announced_at")
    await upsert_newest(session, Tenant.__table__, rows, ("tenant_id",), "announced_at", fields)


async def on_user_changed(ctx: dict[str, Any], session: AsyncSession, batch: list[Received[UserChanged]]) -> None:
    rows = [
        {
            "tenant_id": r.tenant_id,
            "user_id": r.message.user_id,
            "email": r.message.email,
            "full_name": r.message.full_name,
            "roles": list(r.message.roles),
            "active": r.message.active,
            "announced_at": r.envelope.occurred_at,
        }
        for r in batch
    ]
    fields = ("email", "full_name", "roles", "active", "announced_at")
    await upsert_newest(session, User.__table__, rows, ("tenant_id", "user_id"), "announced_at", fields)


def customer_row(tenant_id: uuid.UUID, m: CustomerSnapshot) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "id": m.customer_id,
        "revision": m.revision,
        "external_id": m.external_id,
        "name": m.name,
        "collector_id": m.collector_id,
        "deleted": m.deleted,
    }


async def on_customer_changed(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[CustomerChanged]]
) -> None:
    rows = [customer_row(r.tenant_id, r.message) for r in batch]
    await upsert_newest(session, Customer.__table__, rows, ("tenant_id", "id"), "revision", CUSTOMER_FIELDS)


async def on_customers_changed(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[CustomersChanged]]
) -> None:
    """A bulk load's batches: the same upsert as single changes."""
    rows = [customer_row(r.tenant_id, snapshot) for r in batch for snapshot in r.message.customers]
    await upsert_newest(session, Customer.__table__, rows, ("tenant_id", "id"), "revision", CUSTOMER_FIELDS)


INVOICE_COLUMNS = ("tenant_id", "id", *INVOICE_FIELDS, "status_since")


def invoice_rows(batch: list[Received[InvoiceChanged]]) -> list[dict[str, Any]]:
    """The newest snapshot of each invoice, with when its status began as far as this batch tells: the earliest
    event of the run of same-status revisions that ends with the newest."""
    per_invoice: dict[tuple[uuid.UUID, uuid.UUID], list[tuple[int, datetime, InvoiceChanged]]] = defaultdict(list)
    for r in batch:
        per_invoice[(r.tenant_id, r.message.invoice_id)].append((r.message.revision, r.envelope.occurred_at, r.message))
    rows = []
    for (tenant_id, invoice_id), events in per_invoice.items():
        events.sort(key=lambda e: (e[0], e[1]))
        revision, since, m = events[-1]
        for _, at, earlier in reversed(events[:-1]):
            if earlier.status != m.status:
                break
            since = at
        rows.append(
            {
                "tenant_id": tenant_id,
                "id": invoice_id,
                "customer_id": m.customer_id,
                "revision": revision,
                "number": m.number,
                "currency": m.currency.upper(),
                "amount": m.amount,
                "open_amount": m.open_amount,
                "due_date": m.due_date,
                "status": m.status.value,
                "promised_date": m.promised_date,
                "reported_date": m.reported_date,
                "dispute_area_id": m.dispute_area_id,
                "status_since": since,
            }
        )
    return rows


def batch_columns(tenant_id: uuid.UUID, announced_at: datetime, m: InvoicesChanged) -> dict[str, list[Any]]:
    """A bulk load's batch as the projection's columns: each status as if it began with the batch."""
    count = len(m.invoice_id)
    return {
        "tenant_id": [tenant_id] * count,
        "id": m.invoice_id,
        **{f: getattr(m, f) for f in INVOICE_FIELDS if f not in ("currency", "status")},
        "currency": [currency.upper() for currency in m.currency],
        "status": [status.value for status in m.status],
        "status_since": [announced_at] * count,
    }


async def upsert_invoice_columns(session: AsyncSession, columns: dict[str, list[Any]]) -> None:
    """One statement for any number of invoices (a bulk load's batch of 10,000 as well as one), each at most once:
    an older revision than the stored one changes nothing; a status kept keeps its start."""
    if not columns["id"]:
        return
    source, params = unnest_source(Invoice.__table__, columns)
    await session.execute(
        text(
            f"INSERT INTO alarms.invoices ({', '.join(columns)}) {source} "
            "ON CONFLICT (tenant_id, id) DO UPDATE SET "
            f"{', '.join(f'{f} = excluded.{f}' for f in INVOICE_FIELDS)}, "
            "status_since = CASE WHEN alarms.invoices.status = excluded.status THEN alarms.invoices.status_since "
            "ELSE excluded.status_since END "
            "WHERE alarms.invoices.revision <= excluded.revision"
        ),
        params,
    )


async def on_invoice_changed(ctx: dict[str, Any], session: AsyncSession, batch: list[Received[InvoiceChanged]]) -> None:
    await upsert_invoice_columns(session, columns_of(invoice_rows(batch), INVOICE_COLUMNS))


async def on_invoices_changed(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[InvoicesChanged]]
) -> None:
    """A bulk load's batches: the same upsert as single changes, one statement per batch (in order: a later batch
    may carry the same invoices at a later revision)."""
    for r in batch:
        await upsert_invoice_columns(session, batch_columns(r.tenant_id, r.envelope.occurred_at, r.message))


async def on_promise_broken(ctx: dict[str, Any], session: AsyncSession, batch: list[Received[PromiseBroken]]) -> None:
    rows = {
        (r.tenant_id, r.message.promise_id): {
            "tenant_id": r.tenant_id,
            "promise_id": r.message.promise_id,
            "invoice_id": r.message.invoice_id,
            "customer_id": r.message.customer_id,
            "collector_id": r.message.collector_id,
            "promised_date": r.message.promised_date,
            "broken_on": r.message.broken_on,
            "currency": r.message.currency.upper(),
            "open_amount": r.message.open_amount,
        }
        for r in batch
    }
    if rows:
        await session.execute(insert(BrokenPromise.__table__).values(list(rows.values())).on_conflict_do_nothing())


async def on_action_item_changed(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[ActionItemChanged]]
) -> None:
    rows = [
        {
            "tenant_id": r.tenant_id,
            "id": r.message.action_item_id,
            "customer_id": r.message.customer_id,
            "invoice_ids": list(r.message.invoice_ids),
            "action": r.message.action,
            "status": r.message.status,
            "assignee_id": r.message.assignee_id,
            "created_on": r.message.created_on,
            "changed_at": r.envelope.occurred_at,
            "notice_state": r.message.notice_state,
        }
        for r in batch
    ]
    fields = (
        "customer_id",
        "invoice_ids",
        "action",
        "status",
        "assignee_id",
        "created_on",
        "changed_at",
        "notice_state",
    )
    await upsert_newest(session, ActionItem.__table__, rows, ("tenant_id", "id"), "changed_at", fields)
