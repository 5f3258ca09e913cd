"""Late charges: recorded once by key from dunning's assessments (one statement per tenant and batch), read, and
closed (waived, invoiced). Every change is announced as ``ChargeChanged`` (the charge's whole state), built by SQL
in the same statement or transaction as the change."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.events import OUTBOX_COLUMNS, outbox_select
from services.receivables.models import Charge
from shared.contracts.common import ChargeStatus
from shared.contracts.receivables import ChargeChanged
from shared.db import row_as
from shared.pagination import newest_first

_charges = Charge.__table__


@dataclass(frozen=True, slots=True)
class ChargeRow:
    id: uuid.UUID
    key: str
    invoice_id: uuid.UUID
    customer_id: uuid.UUID
    kind: str
    description: str
    currency: str
    amount: Decimal
    charged_on: date
    status: str
    waived_by: str | None
    waived_at: datetime | None
    waive_reason: str | None
    erp_document: str | None
    invoiced_at: datetime | None
    revision: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class OpenCharge:
    """An open charge as a statement lists it: with its invoice's number."""

    id: uuid.UUID
    invoice_id: uuid.UUID
    invoice_number: str
    kind: str
    description: str
    currency: str
    amount: Decimal
    charged_on: date


_COLUMNS = [_charges.c[name] for name in ChargeRow.__dataclass_fields__]


def charge_payload(g: str = "g", i: str = "i", c: str = "c") -> str:
    """``ChargeChanged`` of the charge row aliased ``g``, its invoice ``i`` and customer ``c``; money as text."""
    return f"""jsonb_build_object(
        'charge_id', {g}.id, 'key', {g}.key, 'invoice_id', {g}.invoice_id, 'invoice_external_id', {i}.external_id,
        'invoice_number', {i}.number, 'customer_id', {g}.customer_id, 'customer_external_id', {c}.external_id,
        'kind', {g}.kind, 'description', {g}.description, 'currency', {g}.currency, 'amount', {g}.amount::text,
        'charged_on', {g}.charged_on, 'status', {g}.status, 'waived_by', {g}.waived_by,
        'waive_reason', {g}.waive_reason, 'erp_document', {g}.erp_document)"""


_ANNOUNCE_FROM = """
    JOIN receivables.invoices i ON i.tenant_id = g.tenant_id AND i.id = g.invoice_id
    JOIN receivables.customers c ON c.tenant_id = g.tenant_id AND c.id = g.customer_id"""

# Each assessed charge once by its key (or its id: the same key always gives the same id): a charge assessed again,
# in the same batch or any later one, inserts nothing, announces nothing and logs nothing. A charge whose invoice
# is not (or no longer) the tenant's is dropped; its customer is the invoice's.
RECORD = text(
    f"""
WITH x AS (
    SELECT DISTINCT ON (x.key) x.*
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS x(
        charge_id uuid, key text, invoice_id uuid, kind text, description text, currency text, amount numeric,
        charged_on date)
    ORDER BY x.key
),
g AS (
    INSERT INTO receivables.charges AS g (tenant_id, id, key, invoice_id, customer_id, kind, description, currency,
                                          amount, charged_on, status)
    SELECT CAST(:tenant_id AS uuid), x.charge_id, x.key, x.invoice_id, inv.customer_id, x.kind, x.description,
           x.currency, x.amount, x.charged_on, 'open'
    FROM x JOIN receivables.invoices inv ON inv.tenant_id = CAST(:tenant_id AS uuid) AND inv.id = x.invoice_id
    ORDER BY x.key
    ON CONFLICT DO NOTHING
    RETURNING g.*
),
events AS (
    INSERT INTO receivables.outbox {OUTBOX_COLUMNS}
    SELECT {outbox_select(ChargeChanged, charge_payload(), "g.tenant_id")} FROM g {_ANNOUNCE_FROM}
    ORDER BY g.key
)
INSERT INTO receivables.timeline_entries (id, tenant_id, customer_id, occurred_at, kind, invoice_id, ref_id,
                                          summary, data, actor)
SELECT receivables.uuid7(), g.tenant_id, g.customer_id, CAST(:at AS timestamptz), 'charge', g.invoice_id, g.id,
       left('Late charge on invoice ' || i.number || ': ' || g.description || ' (' || g.currency || ' '
            || g.amount::text || ')', 500),
       jsonb_build_object('charge_id', g.id, 'key', g.key, 'kind', g.kind, 'description', g.description,
                          'currency', g.currency, 'amount', g.amount::text, 'charged_on', g.charged_on,
                          'status', g.status),
       'service:dunning'
FROM g {_ANNOUNCE_FROM}
RETURNING ref_id
"""
)


async def record(session: AsyncSession, tenant_id: uuid.UUID, rows: str, at: datetime) -> list[uuid.UUID]:
    """Record the assessed charges (``rows``: a JSON array of them) not recorded yet; answers the new ones' ids."""
    result = await session.execute(RECORD, {"tenant_id": tenant_id, "rows": rows, "at": at})
    return list(result.scalars())


async def emit_charges_changed(session: AsyncSession, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> None:
    if not ids:
        return
    await session.execute(
        text(
            f"INSERT INTO receivables.outbox {OUTBOX_COLUMNS} "
            f"SELECT {outbox_select(ChargeChanged, charge_payload(), 'g.tenant_id')} "
            f"FROM receivables.charges g {_ANNOUNCE_FROM} "
            "WHERE g.tenant_id = :tenant_id AND g.id = ANY(:ids) ORDER BY g.id"
        ),
        {"tenant_id": tenant_id, "ids": list(ids)},
    )


async def get_charge(session: AsyncSession, tenant_id: uuid.UUID, charge_id: uuid.UUID) -> ChargeRow | None:
    statement = select(*_COLUMNS).where(_charges.c.tenant_id == tenant_id, _charges.c.id == charge_id)
    row = (await session.execute(statement)).mappings().first()
    return row_as(ChargeRow, row) if row else None


async def list_charges(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    customer_id: uuid.UUID | None,
    invoice_id: uuid.UUID | None,
    status: str | None,
    limit: int,
    after: list[Any] | None,
) -> list[ChargeRow]:
    """Newest first."""
    statement = select(*_COLUMNS).where(_charges.c.tenant_id == tenant_id)
    equal = {_charges.c.customer_id: customer_id, _charges.c.invoice_id: invoice_id, _charges.c.status: status}
    return await newest_first(session, statement, _charges.c.created_at, _charges.c.id, after, limit, ChargeRow, equal)


async def close_open(
    session: AsyncSession, tenant_id: uuid.UUID, charge_id: uuid.UUID, values: dict[str, Any]
) -> ChargeRow | None:
    """Move an open charge to ``values`` (waived, invoiced); None when it is not open (or not the tenant's)."""
    statement = (
        update(_charges)
        .where(
            _charges.c.tenant_id == tenant_id,
            _charges.c.id == charge_id,
            _charges.c.status == ChargeStatus.OPEN.value,
        )
        .values(**values, revision=_charges.c.revision + 1, updated_at=text("now()"))
        .returning(*_COLUMNS)
    )
    row = (await session.execute(statement)).mappings().first()
    return row_as(ChargeRow, row) if row else None


OPEN_OF_CUSTOMER = text(
    """
SELECT g.id, g.invoice_id, i.number AS invoice_number, g.kind, g.description, g.currency, g.amount, g.charged_on
FROM receivables.charges g
JOIN receivables.invoices i ON i.tenant_id = g.tenant_id AND i.id = g.invoice_id
WHERE g.tenant_id = :tenant_id AND g.customer_id = :customer_id AND g.status = 'open'
ORDER BY g.charged_on, i.number COLLATE "C", g.key COLLATE "C"  -- dunning's order (``OPEN_CHARGES_ORDER``)
"""
)


async def open_charges(session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> list[OpenCharge]:
    """A customer's open charges, oldest first (what a statement and a message show)."""
    result = await session.execute(OPEN_OF_CUSTOMER, {"tenant_id": tenant_id, "customer_id": customer_id})
    return [row_as(OpenCharge, row) for row in result.mappings()]
