"""The projection's repository: its set-based upserts, shared by the event handlers and the resync, the replies
that pause a customer's reminders, and the resync's bookkeeping. Every function takes the caller's session.

Snapshots carry a ``revision``: a row is only overwritten by the same or a newer revision, so events
arriving out of order (or a resync racing them) never bring back an older state. ``seen_at`` tells the
resync which rows receivables still lists.
"""

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.models import Customer, Invoice, Tenant
from dunning_service.projection.rules import Contact, CustomerView, InvoiceView, first_addresses, usable_channels
from dunning_service.projection.views import customer_view, invoice_view
from dunning_service.runs import pending
from dunning_service.runs.selection import LISTED_STATUSES, OPEN_STATUSES
from shared.contracts.gateway import TenantChanged
from shared.contracts.receivables import CustomerSnapshot, InvoicesChanged, InvoiceSnapshot
from shared.money import totals_by_currency
from shared.projection import columns_of, newest, unnest_source, upsert_newest

PEOPLE = ("collector", "advisor", "supervisor")
KEY = ("tenant_id", "id")  # one row per key and statement, the highest revision (shared.projection.newest)
CUSTOMER_FIELDS = (
    "revision",
    "external_id",
    "name",
    "tax_id",
    "country",
    "timezone",
    "language",
    "segment",
    "vip",
    "risk_level",
    "computed_risk_level",
    "tags",
    "contacts",
    "opted_out_channels",
    "usable_channels",
    "addresses",
    "collector_id",
    "people",
    "credits",
    "deleted",
)
INVOICE_FIELDS = (
    "customer_id",
    "revision",
    "external_id",
    "number",
    "kind",
    "currency",
    "amount",
    "open_amount",
    "issue_date",
    "due_date",
    "status",
    "promised_date",
    "reported_date",
    "dispute_area_id",
    "document_url",
    "plan_id",  # issue 19
)


def customer_row(tenant_id: uuid.UUID, m: CustomerSnapshot) -> dict[str, Any]:
    contacts = [Contact(c.channel, c.address, c.invalid) for c in m.contacts]
    opted_out = [c.value for c in m.opted_out_channels]
    return {
        "tenant_id": tenant_id,
        "id": m.customer_id,
        "revision": m.revision,
        "external_id": m.external_id,
        "name": m.name,
        "tax_id": m.tax_id,
        "country": m.country.upper() if m.country else None,
        "timezone": m.timezone,
        "language": m.language,
        "segment": m.segment,
        "vip": m.vip,
        "risk_level": m.risk_level,
        "computed_risk_level": m.computed_risk_level,
        "tags": sorted({t.strip().lower() for t in m.tags if t.strip()}),
        "contacts": [c.model_dump(mode="json") for c in m.contacts],
        "opted_out_channels": opted_out,
        "usable_channels": usable_channels(contacts, opted_out),
        "addresses": first_addresses(contacts, opted_out),
        "collector_id": m.collector_id,
        "people": {p: person.model_dump(mode="json") for p in PEOPLE if (person := getattr(m, p)) is not None},
        "credits": credits_json(m),
        "deleted": m.deleted,
    }


def credits_json(m: CustomerSnapshot) -> dict[str, str]:
    """Unapplied credit per currency as the projection keeps it (one entry per currency, summed)."""
    sums = totals_by_currency((credit.currency.upper(), credit.amount) for credit in m.credits)
    return {currency: str(amount) for currency, amount in sums.items() if amount > 0}


def invoice_row(tenant_id: uuid.UUID, m: InvoiceSnapshot) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "id": m.invoice_id,
        "customer_id": m.customer_id,
        "revision": m.revision,
        "external_id": m.external_id,
        "number": m.number,
        "kind": m.kind.value,
        "currency": m.currency.upper(),
        "amount": m.amount,
        "open_amount": m.open_amount,
        "issue_date": m.issue_date,
        "due_date": m.due_date,
        "status": m.status.value,
        "promised_date": m.promised_date,
        "reported_date": m.reported_date,
        "dispute_area_id": m.dispute_area_id,
        "document_url": m.document_url,
        "plan_id": m.plan_id,
    }


async def upsert_customers(
    db: AsyncSession,
    rows: list[dict[str, Any]],
    update_people: bool = True,
    update_credits: bool = True,
) -> None:
    """``update_people=False`` keeps the collector, advisor and supervisor already known, ``update_credits=False``
    the credits (a listing that does not carry them must not erase what the events brought)."""
    if not rows:
        return
    kept = {*(() if update_people else ("people",)), *(() if update_credits else ("credits",))}
    fields = [f for f in CUSTOMER_FIELDS if f not in kept]
    await upsert_newest(db, Customer.__table__, rows, KEY, "revision", fields, also_set="seen_at = now()")


INVOICE_COLUMNS = ("tenant_id", "id", *INVOICE_FIELDS)


def batch_columns(tenant_id: uuid.UUID, m: InvoicesChanged) -> dict[str, list[Any]]:
    """A bulk load's batch as the projection's columns (what ``invoice_row`` does to one snapshot)."""
    count = len(m.invoice_id)
    return {
        "tenant_id": [tenant_id] * count,
        "id": m.invoice_id,
        **{f: getattr(m, f) for f in INVOICE_FIELDS if f not in ("kind", "currency", "status")},
        "kind": [kind.value for kind in m.kind],
        "currency": [currency.upper() for currency in m.currency],
        "status": [status.value for status in m.status],
    }


async def upsert_invoices(db: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await upsert_invoice_columns(db, columns_of(newest(rows, KEY, "revision"), INVOICE_COLUMNS))


async def upsert_invoice_columns(db: AsyncSession, columns: dict[str, list[Any]]) -> None:
    """One statement for any number of snapshots (a bulk load's batch of 10,000 as well as one invoice), each
    invoice at most once; an older revision than the stored one changes nothing."""
    if not columns["id"]:
        return
    source, params = unnest_source(Invoice.__table__, columns)
    await db.execute(
        text(
            f"INSERT INTO dunning.invoices ({', '.join(columns)}) {source} "
            "ON CONFLICT (tenant_id, id) DO UPDATE SET "
            f"{', '.join(f'{f} = excluded.{f}' for f in INVOICE_FIELDS)}, seen_at = now(), missing_upstream = false "
            "WHERE dunning.invoices.revision <= excluded.revision"
        ),
        params,
    )


async def upsert_tenants(db: AsyncSession, announcements: list[tuple[datetime, TenantChanged]]) -> None:
    latest: dict[uuid.UUID, tuple[datetime, TenantChanged]] = {}
    for at, m in announcements:
        if m.tenant_id not in latest or at >= latest[m.tenant_id][0]:
            latest[m.tenant_id] = (at, m)
    if not latest:
        return
    table = Tenant.__table__
    fields = (
        "name",
        "country",
        "timezone",
        "default_currency",
        "language",
        "active",
        "sandbox",
        "test_clock",
        "announced_at",
    )
    statement = insert(table).values(
        [
            {
                "tenant_id": m.tenant_id,
                "name": m.name,
                "country": m.country.upper(),
                "timezone": m.timezone,
                "default_currency": m.default_currency,
                "language": m.language,
                "active": m.active,
                "sandbox": m.sandbox,
                "test_clock": m.test_clock,
                "announced_at": at,
            }
            for at, m in latest.values()
        ]
    )
    await db.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id"],
            set_={f: statement.excluded[f] for f in fields},
            where=table.c.announced_at.is_(None) | (table.c.announced_at <= statement.excluded.announced_at),
        )
    )


async def set_action_owners(db: AsyncSession, owners: dict[uuid.UUID, uuid.UUID | None]) -> None:
    """Receivables' action owner per tenant (``receivables.tenant_settings_changed``; receivables owns the setting):
    who new action items go to. A tenant not announced by the gateway yet gets its row now."""
    if not owners:
        return
    statement = insert(Tenant.__table__).values(
        [{"tenant_id": tenant_id, "action_owner_id": owner} for tenant_id, owner in owners.items()]
    )
    await db.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id"], set_={"action_owner_id": statement.excluded.action_owner_id}
        )
    )


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


async def record_replies(session: AsyncSession, replies: dict[tuple[uuid.UUID, uuid.UUID], datetime]) -> None:
    """Each customer's (tenant, customer) latest reply, received at that instant."""
    params = {
        "tenants": [k[0] for k in replies],
        "customers": [k[1] for k in replies],
        "received": list(replies.values()),
    }
    await session.execute(_REPLIED, params)


# ------------------------------------------------------------------------------------------------ the resync


async def database_now(session: AsyncSession) -> datetime:
    """The database's clock (what ``seen_at`` is stamped with)."""
    now: datetime = await session.scalar(text("SELECT clock_timestamp()"))
    return now


async def mark_seen(session: AsyncSession, table: str, tenant_id: uuid.UUID, ids: list[uuid.UUID]) -> None:
    """Listed upstream, even when our copy is newer than the listing (an event overtook the page)."""
    await session.execute(
        text(f"UPDATE dunning.{table} SET seen_at = now() WHERE tenant_id = :t AND id = ANY(CAST(:ids AS uuid[]))"),
        {"t": tenant_id, "ids": ids},
    )


async def delete_customers_unseen(session: AsyncSession, tenant_id: uuid.UUID, started: datetime) -> int:
    """Customers receivables no longer lists are marked deleted; how many."""
    result = await session.execute(
        text(
            # seen_at: a change the next assessment of late charges looks at (fees/watermark.py); such a row is
            # deleted, so the resync's "not seen since" no longer reads it
            "UPDATE dunning.customers SET deleted = true, seen_at = now() "
            "WHERE tenant_id = :tenant_id AND NOT deleted AND seen_at < :started"
        ),
        {"tenant_id": tenant_id, "started": started},
    )
    return int(result.rowcount)  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult


async def mark_invoices_missing(session: AsyncSession, tenant_id: uuid.UUID, started: datetime) -> int:
    """Open (or ``in_plan``) invoices receivables no longer lists are marked missing; how many."""
    result = await session.execute(
        text(
            # seen_at: its customer's overdue amount, hence strategy, may change (fees/watermark.py)
            "UPDATE dunning.invoices SET missing_upstream = true, seen_at = now() WHERE tenant_id = :tenant_id "
            f"AND status IN {LISTED_STATUSES} "
            "AND NOT missing_upstream AND seen_at < :started"
        ),
        {"tenant_id": tenant_id, "started": started},
    )
    return int(result.rowcount)  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult


async def save_resync_report(session: AsyncSession, tenant_id: uuid.UUID, report: str) -> None:
    """The last resync's report (JSON text), shown by the settings."""
    await session.execute(
        text(
            "INSERT INTO dunning.tenants (tenant_id, last_resync) VALUES (:tenant_id, CAST(:report AS jsonb)) "
            "ON CONFLICT (tenant_id) DO UPDATE SET last_resync = EXCLUDED.last_resync"
        ),
        {"tenant_id": tenant_id, "report": report},
    )


async def customer(session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> CustomerView | None:
    """One customer of the projection as the rules see it (explain), or None."""
    query = text("SELECT * FROM dunning.customers WHERE tenant_id = :t AND id = :c")
    row = (await session.execute(query, {"t": tenant_id, "c": customer_id})).mappings().first()
    return None if row is None else customer_view(row)


async def open_invoices_of_customer(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    customer_id: uuid.UUID,
    pending_cutoff: datetime,
    open_action_items: Mapping[uuid.UUID, uuid.UUID],
) -> list[InvoiceView]:
    """A customer's open invoices as the rules see them (explain), oldest due first."""
    query = text(
        f"{pending.INVOICES} WHERE i.tenant_id = :t AND i.customer_id = :c AND i.status IN {OPEN_STATUSES} "
        "ORDER BY i.due_date, i.number, i.id"
    )
    rows = (await session.execute(query, {"t": tenant_id, "c": customer_id})).mappings()
    return [invoice_view(row, pending_cutoff, open_action_items) for row in rows]
