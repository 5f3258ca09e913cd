"""Late charges in dunning's schema: the run's assessment (``statements.py``) with its watermark, candidates and
retries (``watermark.py``), the status receivables announces, and the open charges a message or explain shows."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.fees.watermark import Watermark
from dunning_service.runs.selection import OPEN_STATUSES
from shared.db import analyzed_table, row_as

# The invoices an incremental assessment looks at (``fees/watermark.py``), a temporary table of the transaction.
CANDIDATES = "pg_temp.fee_candidates"
OPEN_CHARGES_ORDER = 'charged_on, invoice_number COLLATE "C", key COLLATE "C"'
# A customer's open charges as a message lists them (``payloads.charge_line``, in ``OPEN_CHARGES_ORDER``), over rows
# of the charges' columns, each turned into JSON as a whole (a third cheaper than naming each field): kept per
# customer in ``dunning.open_charges`` by ``keep_open_charges`` and by the assessment for the customers it charges.
OPEN_CHARGES = f"""coalesce(json_agg((SELECT x FROM (SELECT id AS charge_id, invoice_id, invoice_number, kind,
    description, currency, CAST(amount AS text) AS amount, charged_on) x) ORDER BY {OPEN_CHARGES_ORDER})
    FILTER (WHERE id IS NOT NULL), '[]')"""


def keep_open_charges_sql(charges: str) -> str:
    """``dunning.open_charges`` written for the customers of ``charges`` (a query of open charges' rows; a customer
    with a row of NULLs keeps an empty list), in key order."""
    return f"""
INSERT INTO dunning.open_charges (tenant_id, customer_id, charges)
SELECT tenant_id, customer_id, {OPEN_CHARGES} FROM ({charges}) c
GROUP BY tenant_id, customer_id ORDER BY tenant_id, customer_id
ON CONFLICT (tenant_id, customer_id) DO UPDATE SET charges = excluded.charges"""


# The customers (tenant, customer) of a change (``:tenants``, ``:customers``), with their open charges if any.
_KEEP_OPEN_CHARGES = keep_open_charges_sql(
    """
SELECT u.tenant_id, u.customer_id, x.id, x.invoice_id, x.invoice_number, x.kind, x.description, x.currency,
       x.amount, x.charged_on, x.key
FROM (SELECT DISTINCT * FROM unnest(CAST(:tenants AS uuid[]), CAST(:customers AS uuid[]))) u(tenant_id, customer_id)
LEFT JOIN dunning.charges x ON x.tenant_id = u.tenant_id AND x.customer_id = u.customer_id AND x.status = 'open'"""
)


@dataclass(frozen=True, slots=True)
class ChargeTotal:
    """The charges of a run (or a dry run's) in one currency."""

    currency: str
    n: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class ChargeRow:
    """A charge as dunning keeps it (``models.Charge``)."""

    id: uuid.UUID
    key: str
    invoice_id: uuid.UUID
    customer_id: uuid.UUID
    invoice_number: str
    strategy_id: uuid.UUID | None
    rule_key: str
    kind: str
    period: str
    description: str
    currency: str
    amount: Decimal
    charged_on: date
    status: str
    run_id: uuid.UUID | None = None
    created_at: datetime | None = None


async def totals(session: AsyncSession, statement: str, params: dict[str, Any]) -> list[ChargeTotal]:
    """Run an assessment statement (``statements.assess_statement`` or ``dry_statement``): totals per currency."""
    rows = (await session.execute(text(statement), params)).all()
    return [ChargeTotal(currency, n, amount) for currency, n, amount in rows]


async def watermark(session: AsyncSession, tenant_id: uuid.UUID) -> Watermark | None:
    query = "SELECT as_of, assessed_at, fingerprint FROM dunning.fee_watermarks WHERE tenant_id = :tenant_id"
    row = (await session.execute(text(query), {"tenant_id": tenant_id})).first()
    return None if row is None else Watermark(row.as_of, row.assessed_at, row.fingerprint)


async def save_watermark(
    session: AsyncSession, tenant_id: uuid.UUID, as_of: date, fingerprint: str, candidates: int | None
) -> None:
    """A real assessment of ``as_of`` (``candidates``: how many invoices it looked at; None: all), stamped with its
    transaction's ``now()``."""
    await session.execute(
        text(
            """
INSERT INTO dunning.fee_watermarks (tenant_id, as_of, assessed_at, fingerprint, candidates)
VALUES (:tenant_id, :as_of, now(), :fingerprint, :candidates)
ON CONFLICT (tenant_id) DO UPDATE SET as_of = excluded.as_of, assessed_at = excluded.assessed_at,
  fingerprint = excluded.fingerprint, candidates = excluded.candidates"""
        ),
        {"tenant_id": tenant_id, "as_of": as_of, "fingerprint": fingerprint, "candidates": candidates},
    )


def _candidates_query(uses_amount: bool) -> str:
    """The invoices an incremental assessment looks at (``watermark.py``'s reasons), each from an index."""
    newly_overdue = f"""
  UNION SELECT customer_id FROM dunning.invoices  -- the strategy may weigh the overdue amount: it grew
  WHERE tenant_id = :tenant_id AND status IN {OPEN_STATUSES} AND due_date >= :since_day AND due_date < :as_of"""
    return f"""
WITH changed AS (
  SELECT id AS customer_id FROM dunning.customers WHERE tenant_id = :tenant_id AND seen_at >= :since
  UNION SELECT customer_id FROM dunning.invoices WHERE tenant_id = :tenant_id AND seen_at >= :since
  UNION SELECT customer_id FROM dunning.experiment_assignments  -- a variant dealt: another strategy
  WHERE tenant_id = :tenant_id AND assigned_on >= :since_day {newly_overdue if uses_amount else ""}
),
ids AS (
  SELECT i.id, i.customer_id FROM dunning.invoices i
  JOIN unnest(CAST(:after AS date[]), CAST(:up_to AS date[])) AS w(after, up_to)
    ON i.due_date > w.after AND i.due_date <= w.up_to
  WHERE i.tenant_id = :tenant_id AND i.status = 'normal'
  UNION SELECT i.id, i.customer_id FROM changed ch JOIN dunning.invoices i ON i.customer_id = ch.customer_id
  WHERE i.tenant_id = :tenant_id AND i.status = 'normal'
  UNION SELECT i.id, i.customer_id FROM dunning.charges x JOIN dunning.invoices i ON i.id = x.invoice_id
  WHERE x.tenant_id = :tenant_id AND x.status_changed_at >= :since AND i.tenant_id = :tenant_id AND i.status = 'normal'
  UNION SELECT i.id, i.customer_id FROM dunning.fee_retries r JOIN dunning.invoices i ON i.id = r.invoice_id
  WHERE r.tenant_id = :tenant_id AND i.tenant_id = :tenant_id AND i.status = 'normal'
)
SELECT id AS invoice_id, customer_id FROM ids"""


async def gather_candidates(session: AsyncSession, uses_amount: bool, params: dict[str, Any]) -> int:
    """``CANDIDATES`` filled (a table of the transaction, analyzed: the planner then knows a few thousand from a
    million); how many. ``params``: tenant_id, as_of, since, since_day, after, up_to."""
    await analyzed_table(session, CANDIDATES, _candidates_query(uses_amount), params)
    return int(await session.scalar(text(f"SELECT count(*) FROM {CANDIDATES}")) or 0)


async def clear_retries(session: AsyncSession, tenant_id: uuid.UUID, incremental: bool) -> None:
    """Before a real assessment: the retries of the invoices it assesses go (it keeps those it clips again)."""
    only = f"AND invoice_id IN (SELECT invoice_id FROM {CANDIDATES})" if incremental else ""
    query = f"DELETE FROM dunning.fee_retries WHERE tenant_id = :tenant_id {only}"
    await session.execute(text(query), {"tenant_id": tenant_id})


async def set_statuses(session: AsyncSession, changes: Sequence[dict[str, Any]]) -> None:
    """Each charge's status as receivables announced it (``tenant_id``, ``id``, ``status``); a charge dunning does
    not hold (another system's) is ignored. The customers' open charges are kept again."""
    if not changes:
        return
    changed = await session.execute(
        text(
            """
UPDATE dunning.charges c SET status = u.status, status_changed_at = now()
FROM unnest(CAST(:tenant_ids AS uuid[]), CAST(:ids AS uuid[]), CAST(:statuses AS text[])) AS u(tenant_id, id, status)
WHERE c.tenant_id = u.tenant_id AND c.id = u.id AND c.status IS DISTINCT FROM u.status
  AND NOT (u.status = 'open' AND c.status <> 'open')  -- a late 'recorded' never reopens a waived or invoiced one
RETURNING c.tenant_id, c.customer_id"""
        ),
        {
            "tenant_ids": [c["tenant_id"] for c in changes],
            "ids": [c["id"] for c in changes],
            "statuses": [c["status"] for c in changes],
        },
    )
    await keep_open_charges(session, [(tenant_id, customer_id) for tenant_id, customer_id in changed.all()])


async def keep_open_charges(session: AsyncSession, customers: Sequence[tuple[uuid.UUID, uuid.UUID]]) -> None:
    """The open charges of these (tenant, customer) kept again as JSON (``dunning.open_charges``)."""
    if customers:
        params = {"tenants": [t for t, _ in customers], "customers": [c for _, c in customers]}
        await session.execute(text(_KEEP_OPEN_CHARGES), params)


async def customer_charges(
    session: AsyncSession, tenant_id: uuid.UUID, customer_ids: Sequence[uuid.UUID], only_open: bool = True
) -> dict[uuid.UUID, list[ChargeRow]]:
    """The customers' charges (open ones only, by default), in the order a message lists them."""
    status = "AND status = 'open'" if only_open else ""
    query = f"""
SELECT * FROM dunning.charges
WHERE tenant_id = :tenant_id AND customer_id = ANY(CAST(:customer_ids AS uuid[])) {status}
ORDER BY customer_id, {OPEN_CHARGES_ORDER}"""
    out: dict[uuid.UUID, list[ChargeRow]] = defaultdict(list)
    rows = await session.execute(text(query), {"tenant_id": tenant_id, "customer_ids": list(customer_ids)})
    for row in rows.mappings():
        out[row["customer_id"]].append(row_as(ChargeRow, row))
    return dict(out)
