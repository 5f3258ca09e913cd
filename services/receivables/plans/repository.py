"""Payment plans: every query. Plans are few (a customer's handful); their invoices are read and written with one
statement per step whatever their number."""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.events import explain_invoice_changes
from services.receivables.models import PaymentPlan
from shared.db import advisory_xact_lock, row_as
from shared.ids import uuid7_texts
from shared.pagination import newest_first

plans = PaymentPlan.__table__


@dataclass(frozen=True, slots=True)
class PlanRow:
    id: uuid.UUID
    tenant_id: uuid.UUID
    number: str
    customer_id: uuid.UUID
    currency: str
    status: str
    source: str
    proposed_by: str | None
    external_id: str | None
    invoice_ids: list[uuid.UUID]
    schedule: list[dict[str, Any]]
    principal: Decimal
    down_payment: Decimal
    interest_annual_rate: Decimal
    interest_amount: Decimal
    total: Decimal
    grace_days: int
    accepted_on: date | None
    completed_on: date | None
    broken_on: date | None
    reason: str | None
    revision: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class InvoiceFacts:
    id: uuid.UUID
    customer_id: uuid.UUID
    currency: str
    number: str
    kind: str
    status: str
    amount: Decimal
    open_amount: Decimal
    issue_date: date
    due_date: date
    plan_id: uuid.UUID | None
    external_id: str | None = None


INVOICE_FACTS = (
    "i.id, i.customer_id, i.currency, i.number, i.kind, i.status, i.amount, i.open_amount, i.issue_date, "
    "i.due_date, i.plan_id, i.external_id"
)


async def next_number(session: AsyncSession, tenant_id: uuid.UUID) -> str:
    """The tenant's next readable number (PP-1, PP-2, ...): one proposal at a time per tenant takes it."""
    await advisory_xact_lock(session, f"receivables.payment_plans:{tenant_id}")
    count = await session.scalar(select(func.count()).select_from(plans).where(plans.c.tenant_id == tenant_id))
    return f"PP-{(count or 0) + 1}"


async def invoices_to_group(
    session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID, currency: str, ids: list[uuid.UUID] | None
) -> list[InvoiceFacts]:
    """The invoices named (any customer, any status: the rules refuse the wrong ones), or by default the
    customer's open ``normal`` / ``promise_to_pay`` invoices in ``currency`` in no plan; locked, oldest due first."""
    if ids is not None:
        where, params = "i.tenant_id = :t AND i.id = ANY(:ids)", {"t": tenant_id, "ids": ids}
    else:
        where = (
            "i.tenant_id = :t AND i.customer_id = :c AND i.currency = :cur AND i.plan_id IS NULL "
            "AND i.status IN ('normal', 'promise_to_pay') AND i.kind <> 'credit_note' AND i.open_amount > 0"
        )
        params = {"t": tenant_id, "c": customer_id, "cur": currency}
    result = await session.execute(
        text(f"SELECT {INVOICE_FACTS} FROM receivables.invoices i WHERE {where} ORDER BY i.id FOR UPDATE"), params
    )
    found = [row_as(InvoiceFacts, r) for r in result.mappings()]
    return sorted(found, key=lambda i: (i.due_date, i.issue_date, i.number))


async def insert_plan(session: AsyncSession, values: dict[str, Any]) -> PlanRow:
    row = (await session.execute(insert(plans).values(values).returning(plans))).mappings().one()
    return row_as(PlanRow, row)


async def external_id_taken(session: AsyncSession, tenant_id: uuid.UUID, external_id: str) -> bool:
    query = select(plans.c.id).where(plans.c.tenant_id == tenant_id, plans.c.external_id == external_id)
    return (await session.scalar(query)) is not None


async def get_plan(
    session: AsyncSession, tenant_id: uuid.UUID, plan_id: uuid.UUID, lock: bool = False
) -> PlanRow | None:
    query = select(plans).where(plans.c.tenant_id == tenant_id, plans.c.id == plan_id)
    if lock:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().first()
    return None if row is None else row_as(PlanRow, row)


async def lock_installments(session: AsyncSession, tenant_id: uuid.UUID, plan_id: uuid.UUID) -> None:
    """Lock the plan's installment invoices (id order) before the plan itself: the order payments take (they lock
    the invoices they pay, then update their plans, ``lifecycle.after_money``), so a payment and the break or the
    cancellation of its plan wait for each other instead of deadlocking."""
    await session.execute(
        text(
            "SELECT i.id FROM receivables.invoices i WHERE i.tenant_id = :t AND i.plan_id = :plan "
            "AND i.kind = 'installment' ORDER BY i.id FOR UPDATE"
        ),
        {"t": tenant_id, "plan": plan_id},
    )


async def get_plans(session: AsyncSession, tenant_id: uuid.UUID, plan_ids: list[uuid.UUID]) -> list[PlanRow]:
    query = select(plans).where(plans.c.tenant_id == tenant_id, plans.c.id.in_(plan_ids)).order_by(plans.c.id)
    return [row_as(PlanRow, r) for r in (await session.execute(query)).mappings()]


async def list_plans(
    session: AsyncSession, tenant_id: uuid.UUID, *, limit: int, after: list[Any] | None, equal: dict[Any, Any]
) -> list[PlanRow]:
    query = select(plans).where(plans.c.tenant_id == tenant_id)
    return await newest_first(session, query, plans.c.created_at, plans.c.id, after, limit, PlanRow, equal)


async def installments_of(
    session: AsyncSession, tenant_id: uuid.UUID, plan_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[InvoiceFacts]]:
    """The installment invoices of the plans, in due date order (one query)."""
    if not plan_ids:
        return {}
    result = await session.execute(
        text(
            f"SELECT {INVOICE_FACTS} FROM receivables.invoices i WHERE i.tenant_id = :t AND i.plan_id = ANY(:ids) "
            "AND i.kind = 'installment' ORDER BY i.plan_id, i.due_date, i.number"
        ),
        {"t": tenant_id, "ids": plan_ids},
    )
    found: dict[uuid.UUID, list[InvoiceFacts]] = defaultdict(list)
    for row in result.mappings():
        facts = row_as(InvoiceFacts, row)
        assert facts.plan_id is not None
        found[facts.plan_id].append(facts)
    return found


async def grouped_invoices(session: AsyncSession, tenant_id: uuid.UUID, ids: list[uuid.UUID]) -> list[InvoiceFacts]:
    result = await session.execute(
        text(
            f"SELECT {INVOICE_FACTS} FROM receivables.invoices i WHERE i.tenant_id = :t AND i.id = ANY(:ids) "
            "ORDER BY i.id FOR UPDATE"
        ),
        {"t": tenant_id, "ids": ids},
    )
    return [row_as(InvoiceFacts, r) for r in result.mappings()]


async def set_plan(session: AsyncSession, tenant_id: uuid.UUID, plan_ids: list[uuid.UUID], **values: Any) -> None:
    """Change plans (status, days, reason) and bump their revision."""
    await session.execute(
        plans.update()
        .where(plans.c.tenant_id == tenant_id, plans.c.id.in_(plan_ids))
        .values(**values, revision=plans.c.revision + 1, updated_at=func.now())
    )


async def group_invoices(
    session: AsyncSession, tenant_id: uuid.UUID, plan_id: uuid.UUID, ids: list[uuid.UUID], today: date
) -> None:
    """The plan's invoices wait in it: ``in_plan``, their promises' dates and reported dates cleared."""
    await explain_invoice_changes(session, "payment plan accepted")
    await session.execute(
        text(
            "UPDATE receivables.invoices i SET status = 'in_plan', plan_id = :plan, promised_date = NULL, "
            "reported_date = NULL, dispute_area_id = NULL, revision = i.revision + 1, updated_at = now() "
            "WHERE i.tenant_id = :t AND i.id = ANY(:ids)"
        ),
        {"t": tenant_id, "plan": plan_id, "ids": ids},
    )
    await session.execute(
        text(
            "UPDATE receivables.promises SET status = 'cancelled', resolved_on = CAST(:today AS date) "
            "WHERE tenant_id = :t AND invoice_id = ANY(:ids) AND status = 'open'"
        ),
        {"t": tenant_id, "ids": ids, "today": today},
    )


async def insert_installments(
    session: AsyncSession, tenant_id: uuid.UUID, rows: list[dict[str, Any]], entered_at: datetime
) -> list[uuid.UUID]:
    ids = [uuid.UUID(i) for i in uuid7_texts(len(rows))]
    await session.execute(
        text(
            "INSERT INTO receivables.invoices (id, tenant_id, customer_id, number, kind, currency, amount, "
            "open_amount, issue_date, due_date, status, plan_id, entered_at) "
            "SELECT u.id, :t, :customer, u.number, 'installment', :currency, u.amount, u.amount, :issued, u.due, "
            "'normal', :plan, :entered "
            "FROM unnest(CAST(:ids AS uuid[]), CAST(:numbers AS text[]), CAST(:amounts AS numeric[]), "
            "CAST(:dues AS date[])) AS u(id, number, amount, due)"
        ),
        {
            "t": tenant_id,
            "customer": rows[0]["customer_id"],
            "currency": rows[0]["currency"],
            "issued": rows[0]["issue_date"],
            "plan": rows[0]["plan_id"],
            "entered": entered_at,
            "ids": ids,
            "numbers": [r["number"] for r in rows],
            "amounts": [r["amount"] for r in rows],
            "dues": [r["due_date"] for r in rows],
        },
    )
    return ids


async def release_invoices(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    reason: str,
    restored: list[tuple[uuid.UUID, Decimal]],
    today: date,
) -> None:
    """Grouped invoices out of their plan: ``normal`` with the open amount given (``paid``, closed today, at 0)."""
    await explain_invoice_changes(session, reason)
    await session.execute(
        text(
            "UPDATE receivables.invoices i SET plan_id = NULL, open_amount = u.open_amount, "
            "status = CASE WHEN u.open_amount = 0 THEN 'paid' ELSE 'normal' END, "
            "closed_on = CASE WHEN u.open_amount = 0 THEN CAST(:today AS date) END, "
            "revision = i.revision + 1, updated_at = now() "
            "FROM unnest(CAST(:ids AS uuid[]), CAST(:open AS numeric[])) AS u(id, open_amount) "
            "WHERE i.tenant_id = :t AND i.id = u.id"
        ),
        {"t": tenant_id, "ids": [i for i, _ in restored], "open": [a for _, a in restored], "today": today},
    )


async def void_installments(session: AsyncSession, tenant_id: uuid.UUID, plan_id: uuid.UUID, today: date) -> list[Any]:
    """A broken or cancelled plan's unpaid installments are void (what they still owed goes back to the grouped
    invoices); answers their ids."""
    await explain_invoice_changes(session, "payment plan ended")
    result = await session.execute(
        text(
            "UPDATE receivables.invoices i SET status = 'void', closed_on = :today, revision = i.revision + 1, "
            "updated_at = now() WHERE i.tenant_id = :t AND i.plan_id = :plan AND i.kind = 'installment' "
            "AND i.status NOT IN ('paid', 'void', 'written_off') RETURNING i.id"
        ),
        {"t": tenant_id, "plan": plan_id, "today": today},
    )
    return list(result.scalars())


async def customer_refs(session: AsyncSession, tenant_id: uuid.UUID, ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """(external id, collector id) of the customers."""
    result = await session.execute(
        text("SELECT id, external_id, collector_id FROM receivables.customers WHERE tenant_id = :t AND id = ANY(:ids)"),
        {"t": tenant_id, "ids": ids},
    )
    return {r.id: (r.external_id, r.collector_id) for r in result}


# The accepted plans with an installment unpaid past its due date plus the plan's grace days on the tenant's local
# day (each tenant's clock: the instant a test clock's day is played at, its test clock, else the wall clock).
_DUE_TO_BREAK = text(
    """
    SELECT p.tenant_id, p.id, d.today FROM receivables.payment_plans p
    JOIN LATERAL (
        SELECT coalesce(CAST(:as_of AS date),
                        (coalesce(CAST(:at AS timestamptz), t.test_clock, CAST(:now AS timestamptz))
                         AT TIME ZONE coalesce(t.timezone, 'UTC'))::date) AS today
        FROM (SELECT 1) one LEFT JOIN receivables.tenants t ON t.tenant_id = p.tenant_id
    ) d ON true
    WHERE p.status = 'accepted' AND (CAST(:tenant_id AS uuid) IS NULL OR p.tenant_id = CAST(:tenant_id AS uuid))
      AND EXISTS (SELECT 1 FROM receivables.invoices i
                  WHERE i.tenant_id = p.tenant_id AND i.plan_id = p.id AND i.kind = 'installment'
                    AND i.status NOT IN ('paid', 'void', 'written_off') AND i.open_amount > 0
                    AND i.due_date + p.grace_days < d.today)
    ORDER BY p.tenant_id, p.id
    """
)


async def plans_to_break(
    session: AsyncSession, tenant_id: uuid.UUID | None, as_of: date | None, at: datetime | None, now: datetime
) -> list[tuple[uuid.UUID, uuid.UUID, date]]:
    params = {"tenant_id": tenant_id, "as_of": as_of, "at": at, "now": now}
    return [(r.tenant_id, r.id, r.today) for r in await session.execute(_DUE_TO_BREAK, params)]


async def installment_plans(session: AsyncSession, tenant_id: uuid.UUID, invoice_ids: list[uuid.UUID]) -> list[Any]:
    """The accepted plans of the installments among ``invoice_ids``."""
    if not invoice_ids:
        return []
    result = await session.execute(
        text(
            "SELECT DISTINCT p.id FROM receivables.invoices i JOIN receivables.payment_plans p "
            "ON p.tenant_id = i.tenant_id AND p.id = i.plan_id "
            "WHERE i.tenant_id = :t AND i.id = ANY(:ids) AND i.kind = 'installment' AND p.status = 'accepted'"
        ),
        {"t": tenant_id, "ids": invoice_ids},
    )
    return sorted(result.scalars(), key=str)


async def plan_kpis(session: AsyncSession, tenant_id: uuid.UUID, date_from: date, date_to: date) -> Any:
    """Counts of the period (created on the tenant's day it was written, accepted / completed / broken on their
    days) and the money allocated to installments in it, per currency."""
    counts = (
        await session.execute(
            text(
                "SELECT count(*) FILTER (WHERE (p.created_at AT TIME ZONE coalesce(t.timezone, 'UTC'))::date "
                "BETWEEN :f AND :to) AS created, "
                "count(*) FILTER (WHERE p.accepted_on BETWEEN :f AND :to) AS accepted, "
                "count(*) FILTER (WHERE p.status = 'completed' AND p.completed_on BETWEEN :f AND :to) AS completed, "
                "count(*) FILTER (WHERE p.status = 'broken' AND p.broken_on BETWEEN :f AND :to) AS broken "
                "FROM receivables.payment_plans p LEFT JOIN receivables.tenants t ON t.tenant_id = p.tenant_id "
                "WHERE p.tenant_id = :t"
            ),
            {"t": tenant_id, "f": date_from, "to": date_to},
        )
    ).one()
    recovered = await session.execute(
        text(
            "SELECT i.currency, sum(a.amount) AS amount FROM receivables.payment_allocations a "
            "JOIN receivables.invoices i ON i.tenant_id = a.tenant_id AND i.id = a.invoice_id "
            "WHERE a.tenant_id = :t AND a.reversed_at IS NULL AND a.payment_date BETWEEN :f AND :to "
            "AND i.kind = 'installment' AND i.plan_id IS NOT NULL GROUP BY i.currency ORDER BY i.currency"
        ),
        {"t": tenant_id, "f": date_from, "to": date_to},
    )
    return counts, [(r.currency, r.amount) for r in recovered]


async def close_grouped(
    session: AsyncSession, tenant_id: uuid.UUID, plan_ids: list[uuid.UUID], today: date
) -> list[uuid.UUID]:
    """A completed plan's invoices still waiting in it are paid (closed today); they keep their ``plan_id``."""
    await explain_invoice_changes(session, "payment plan completed")
    result = await session.execute(
        text(
            "UPDATE receivables.invoices i SET status = 'paid', open_amount = i.open_amount - i.open_amount, "
            "closed_on = :today, "
            "revision = i.revision + 1, updated_at = now() "
            "WHERE i.tenant_id = :t AND i.plan_id = ANY(:ids) AND i.status = 'in_plan' RETURNING i.id"
        ),
        {"t": tenant_id, "ids": plan_ids, "today": today},
    )
    return list(result.scalars())
