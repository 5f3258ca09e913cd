"""Late charges in dunning's schema: the run's assessment (``statements.py``), the status receivables announces,
and the open charges a message or explain shows."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import row_as


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


async def set_statuses(session: AsyncSession, changes: Sequence[dict[str, Any]]) -> None:
    """Each charge's status as receivables announced it (``tenant_id``, ``id``, ``status``); a charge dunning does
    not hold (another system's) is ignored."""
    if not changes:
        return
    await session.execute(
        text(
            """
UPDATE dunning.charges c SET status = u.status, status_changed_at = now()
FROM unnest(CAST(:tenant_ids AS uuid[]), CAST(:ids AS uuid[]), CAST(:statuses AS text[])) AS u(tenant_id, id, status)
WHERE c.tenant_id = u.tenant_id AND c.id = u.id AND c.status IS DISTINCT FROM u.status
  AND NOT (u.status = 'open' AND c.status <> 'open')  -- a late 'recorded' never reopens a waived or invoiced one"""
        ),
        {
            "tenant_ids": [c["tenant_id"] for c in changes],
            "ids": [c["id"] for c in changes],
            "statuses": [c["status"] for c in changes],
        },
    )


OPEN_CHARGES_ORDER = 'charged_on, invoice_number COLLATE "C", key COLLATE "C"'


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
