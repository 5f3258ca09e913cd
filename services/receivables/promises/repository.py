"""Promises: reads, and the broken-promise detection (one statement for the whole portfolio).

The detection applies ``rules.is_broken`` in SQL: an open promise whose invoice still owes money on the day after
the promised date plus the tenant's grace days is broken; the invoice goes back to ``normal`` so reminders resume
(seed 000), and the break is announced for the KPIs and the daily broken-promises alarm.
"""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.events import OUTBOX_COLUMNS, explain_invoice_changes, invoice_payload, outbox_select
from services.receivables.models import Promise
from services.receivables.promises.rules import PromiseStatus
from services.receivables.promises.schemas import PromiseOut
from shared.clock import wall_now
from shared.contracts.receivables import InvoiceChanged, PromiseBroken
from shared.pagination import keyset

promises = Promise.__table__

PROMISE_BROKEN_PAYLOAD = """jsonb_build_object(
    'promise_id', inv.promise_id, 'invoice_id', inv.id, 'invoice_external_id', inv.external_id,
    'customer_id', inv.customer_id, 'customer_external_id', inv.customer_external_id,
    'collector_id', inv.promise_collector, 'promised_date', inv.broken_promised_date, 'broken_on', inv.broken_on,
    'currency', inv.currency, 'open_amount', inv.open_amount::text)"""

# Each tenant's clock (issue 15): the instant a test clock's advance names (:at), else the tenant's test clock, else
# the wall clock's instant the caller passes (:now); its date in the tenant's zone.
_TENANT_NOW = "coalesce(CAST(:at AS timestamptz), t.test_clock, CAST(:now AS timestamptz))"
_LOCAL_TODAY = f"({_TENANT_NOW} AT TIME ZONE coalesce(t.timezone, 'UTC'))::date"

DETECT_BROKEN = text(
    f"""
WITH due AS (
    SELECT p.id, coalesce(CAST(:as_of AS date), {_LOCAL_TODAY}) AS today, {_TENANT_NOW} AS at
    FROM receivables.promises p
    LEFT JOIN receivables.tenants t ON t.tenant_id = p.tenant_id
    WHERE p.status = 'open'
      AND (CAST(:tenant_id AS uuid) IS NULL OR p.tenant_id = CAST(:tenant_id AS uuid))
      AND p.promised_date + coalesce(t.promise_grace_days, 0) < coalesce(CAST(:as_of AS date), {_LOCAL_TODAY})
    FOR UPDATE OF p SKIP LOCKED
),
broken AS (
    UPDATE receivables.promises p SET status = 'broken', resolved_on = due.today
    FROM due WHERE p.id = due.id
    RETURNING p.id, p.invoice_id, p.collector_id, p.promised_date, p.resolved_on, due.at
),
inv AS (
    UPDATE receivables.invoices i
    SET status = 'normal', promised_date = NULL, revision = i.revision + 1, updated_at = now()
    FROM broken b
    WHERE i.id = b.invoice_id AND i.status = 'promise_to_pay' AND i.open_amount > 0
    RETURNING i.*, (SELECT c.external_id FROM receivables.customers c
                    WHERE c.tenant_id = i.tenant_id AND c.id = i.customer_id) AS customer_external_id,
              b.id AS promise_id, b.resolved_on AS broken_on, b.collector_id AS promise_collector,
              b.promised_date AS broken_promised_date, b.at AS broken_at
),
invoice_events AS (
    INSERT INTO receivables.outbox {OUTBOX_COLUMNS}
    SELECT {outbox_select(InvoiceChanged, invoice_payload("inv", "'promise broken'"), "inv.tenant_id")} FROM inv
),
promise_events AS (
    INSERT INTO receivables.outbox {OUTBOX_COLUMNS}
    SELECT {outbox_select(PromiseBroken, PROMISE_BROKEN_PAYLOAD, "inv.tenant_id")} FROM inv
),
history AS (
    INSERT INTO receivables.timeline_entries (id, tenant_id, customer_id, occurred_at, kind, invoice_id, ref_id,
                                              summary, data, actor)
    SELECT receivables.uuid7(), inv.tenant_id, inv.customer_id, inv.broken_at, 'status_change', inv.id,
           inv.promise_id,
           'Invoice ' || inv.number || ': promise_to_pay -> normal (promise of '
           || inv.broken_promised_date::text || ' broken)',
           jsonb_build_object('from', 'promise_to_pay', 'to', 'normal', 'reason', 'promise broken',
                              'promise_id', inv.promise_id, 'promised_date', inv.broken_promised_date),
           'service:receivables'
    FROM inv
)
SELECT (SELECT count(*) FROM broken) AS broken, (SELECT array_agg(id) FROM broken) AS ids
"""
)


async def detect_broken(
    session: AsyncSession,
    tenant_id: uuid.UUID | None = None,
    as_of: date | None = None,
    at: datetime | None = None,
) -> tuple[int, list[uuid.UUID]]:
    """Break the due promises of one tenant (or of all, each at its own local date on its own clock: a sandbox
    tenant's test clock; ``at``: the instant a test clock's day is played at); returns the count and ids."""
    await explain_invoice_changes(session, "promise broken")
    params = {"tenant_id": tenant_id, "as_of": as_of, "at": at, "now": wall_now()}
    row = (await session.execute(DETECT_BROKEN, params)).one()
    return row.broken, list(row.ids or [])


async def list_promises(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    limit: int,
    after: list[Any] | None,
    status: str | None,
    customer_id: uuid.UUID | None,
    collector_id: uuid.UUID | None,
    invoice_id: uuid.UUID | None,
) -> list[PromiseOut]:
    """Newest first."""
    query = select(promises).where(promises.c.tenant_id == tenant_id)
    for column, value in (
        (promises.c.status, status),
        (promises.c.customer_id, customer_id),
        (promises.c.collector_id, collector_id),
        (promises.c.invoice_id, invoice_id),
    ):
        if value is not None:
            query = query.where(column == value)
    query = keyset(
        query,
        (promises.c.created_at, promises.c.id),
        (datetime.fromisoformat, uuid.UUID),
        after,
        limit,
        newest_first=True,
    )
    return [PromiseOut.model_validate(dict(row)) for row in (await session.execute(query)).mappings()]


async def get_promise(session: AsyncSession, tenant_id: uuid.UUID, promise_id: uuid.UUID) -> PromiseOut | None:
    query = select(promises).where(promises.c.tenant_id == tenant_id, promises.c.id == promise_id)
    row = (await session.execute(query)).mappings().first()
    return None if row is None else PromiseOut.model_validate(dict(row))


async def cancel_open(session: AsyncSession, tenant_id: uuid.UUID, invoice_ids: list[uuid.UUID], today: date) -> None:
    """The invoices' open promises end (their status changed: a new promise replaces one)."""
    await session.execute(
        text(
            "UPDATE receivables.promises SET status = :cancelled, resolved_on = :today "
            "WHERE tenant_id = :tenant_id AND invoice_id = ANY(:ids) AND status = 'open'"
        ),
        {"tenant_id": tenant_id, "ids": invoice_ids, "today": today, "cancelled": PromiseStatus.CANCELLED.value},
    )


async def open_for_invoices(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    invoice_ids: list[uuid.UUID],
    *,
    outcome_id: uuid.UUID | None,
    actor: str,
    at: datetime,
) -> None:
    """A promise for each invoice, of its open amount by its promised date, owned by the customer's collector."""
    await session.execute(
        text(
            "INSERT INTO receivables.promises (id, tenant_id, customer_id, invoice_id, outcome_id, promised_date, "
            "currency, amount, collector_id, status, created_by, occurred_at) "
            "SELECT receivables.uuid7(), i.tenant_id, i.customer_id, i.id, :outcome_id, i.promised_date, "
            "i.currency, i.open_amount, c.collector_id, 'open', :actor, :at "
            "FROM receivables.invoices i JOIN receivables.customers c ON c.id = i.customer_id "
            "WHERE i.tenant_id = :tenant_id AND i.id = ANY(:ids)"
        ),
        {"tenant_id": tenant_id, "ids": invoice_ids, "outcome_id": outcome_id, "actor": actor, "at": at},
    )
