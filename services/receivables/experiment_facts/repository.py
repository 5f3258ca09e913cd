"""The experiments' facts, per customer, in three set-based statements over the customers asked."""

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

PROMISES = """
SELECT p.customer_id, count(*) AS promises
FROM receivables.promises p
WHERE p.tenant_id = :tenant_id AND p.customer_id = ANY(CAST(:ids AS uuid[]))
  AND p.occurred_at >= (CAST(:start AS date)::timestamp AT TIME ZONE :tz)
  AND p.occurred_at < ((CAST(:end AS date) + 1)::timestamp AT TIME ZONE :tz)
GROUP BY p.customer_id"""

INVOICES = """
SELECT i.customer_id, i.id AS invoice_id, i.currency, i.due_date, i.closed_on, i.status = 'paid' AS paid
FROM receivables.invoices i
WHERE i.tenant_id = :tenant_id AND i.customer_id = ANY(CAST(:ids AS uuid[]))
  AND i.kind <> 'credit_note' AND i.status <> 'void' AND i.due_date <= :end
  AND (i.plan_id IS NULL OR i.kind = 'installment')  -- a plan's grouped invoices: its installments carry the debt
  AND (i.due_date >= :start OR (i.issue_date <= :start AND (i.closed_on IS NULL OR i.closed_on >= :start)))
ORDER BY i.customer_id, i.due_date, i.id"""

COLLECTED = """
SELECT p.customer_id, p.currency, sum(p.amount) AS amount
FROM receivables.payments p
WHERE p.tenant_id = :tenant_id AND p.customer_id = ANY(CAST(:ids AS uuid[]))
  AND p.status <> 'reversed' AND p.payment_date BETWEEN :start AND :end
GROUP BY p.customer_id, p.currency ORDER BY p.customer_id, p.currency"""


@dataclass(frozen=True, slots=True)
class InvoiceRow:
    customer_id: uuid.UUID
    invoice_id: uuid.UUID
    currency: str
    due_date: date
    closed_on: date | None
    paid: bool


@dataclass(frozen=True, slots=True)
class Facts:
    promises: dict[uuid.UUID, int]
    invoices: list[InvoiceRow]
    collected: list[tuple[uuid.UUID, str, Decimal]]


async def facts(session: AsyncSession, params: dict[str, Any]) -> Facts:
    promises = {r.customer_id: int(r.promises) for r in await session.execute(text(PROMISES), params)}
    invoices = [InvoiceRow(*r) for r in await session.execute(text(INVOICES), params)]
    collected = [(r.customer_id, r.currency, r.amount) for r in await session.execute(text(COLLECTED), params)]
    return Facts(promises, invoices, collected)
