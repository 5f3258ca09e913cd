"""The account statement of a customer: open invoices with days overdue, the payments received on them, credits,
aging and totals per currency (``shared.statement.summarize``, the same figures messaging's attachment shows)."""

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Date, cast, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.customers.repository import load_customer, people_of_customer
from services.receivables.models import CreditApplication, Invoice, Payment, PaymentAllocation, table
from services.receivables.statements.lines import invoice_line
from services.receivables.tenant_settings.repository import TenantProfile, load_profile
from shared.aging import aging_bucket
from shared.contracts.common import OPEN_STATUSES, InvoiceKind, Person
from shared.problems import NotFound
from shared.statement import summarize

invoices = table(Invoice)
payments = table(Payment)
allocations = table(PaymentAllocation)
applications = table(CreditApplication)


async def build_statement(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    customer_id: uuid.UUID,
    as_of: date | None,
    profile: TenantProfile | None = None,
) -> dict[str, Any]:
    """The customer's statement; ``profile``: the tenant's, when the caller has it already."""
    customer = await load_customer(session, tenant_id, customer_id)
    if customer is None:
        raise NotFound("Customer not found")
    profile = profile or await load_profile(session, tenant_id)
    today = as_of or profile.today()
    rows = (
        (
            await session.execute(
                select(invoices)
                .where(
                    invoices.c.tenant_id == tenant_id,
                    invoices.c.customer_id == customer_id,
                    invoices.c.status.in_([s.value for s in OPEN_STATUSES]),
                    invoices.c.open_amount > 0,
                )
                .order_by(invoices.c.due_date, invoices.c.number, invoices.c.id)
            )
        )
        .mappings()
        .all()
    )
    unapplied = (
        (
            await session.execute(
                select(
                    payments.c.id,
                    payments.c.reference,
                    payments.c.currency,
                    payments.c.unapplied_amount,
                    payments.c.payment_date,
                )
                .where(
                    payments.c.tenant_id == tenant_id,
                    payments.c.customer_id == customer_id,
                    payments.c.status == "applied",
                    payments.c.unapplied_amount > 0,
                )
                .order_by(payments.c.payment_date, payments.c.id)
            )
        )
        .mappings()
        .all()
    )

    lines, credits = [], []
    for row in rows:
        if row["kind"] == InvoiceKind.CREDIT_NOTE:
            credits.append(
                {
                    "kind": "credit_note",
                    "reference": row["number"],
                    "currency": row["currency"],
                    "amount": row["open_amount"],
                    "date": row["issue_date"],
                }
            )
            continue
        line = invoice_line(row, today).model_dump()
        line.update(
            bucket=aging_bucket(line["days_overdue"]),
            promised_date=row["promised_date"],
            reported_date=row["reported_date"],
        )
        lines.append(line)
    for payment in unapplied:
        credits.append(
            {
                "kind": "unapplied_payment",
                "reference": payment["reference"],
                "currency": payment["currency"],
                "amount": payment["unapplied_amount"],
                "date": payment["payment_date"],
            }
        )

    received = await _payments_on(session, tenant_id, [line["invoice_id"] for line in lines])
    people = await people_of_customer(session, tenant_id, customer_id)
    return {
        "customer": {k: getattr(customer, k) for k in ("id", "external_id", "name", "tax_id", "country", "language")},
        "company": profile.name,
        "as_of": today,
        "invoices": lines,
        "credits": credits,
        "payments": received,
        **summarize(lines, credits),
        "collector": _shown(people.collector),
        "advisor": _shown(people.advisor),
        "supervisor": _shown(people.supervisor),
    }


def _shown(person: Person | None) -> dict[str, Any] | None:
    return None if person is None else person.model_dump(mode="json")


async def _payments_on(
    session: AsyncSession, tenant_id: uuid.UUID, invoice_ids: list[uuid.UUID]
) -> list[dict[str, Any]]:
    """What was received on account of the open invoices, oldest first: payments (partial payments) and credit
    notes applied to them (issue 12), neither reversed."""
    if not invoice_ids:
        return []
    paid = (
        select(
            allocations.c.payment_date.label("date"),
            payments.c.reference,
            invoices.c.number.label("invoice"),
            invoices.c.currency,
            allocations.c.amount,
            allocations.c.id.label("seq"),
        )
        .join(payments, payments.c.id == allocations.c.payment_id)
        .join(invoices, invoices.c.id == allocations.c.invoice_id)
        .where(
            allocations.c.tenant_id == tenant_id,
            allocations.c.invoice_id.in_(invoice_ids),
            allocations.c.reversed_at.is_(None),
        )
    )
    credit_notes = invoices.alias("credit_note")
    credited = (
        select(
            func.coalesce(applications.c.applied_on, cast(applications.c.created_at, Date)).label("date"),
            credit_notes.c.number.label("reference"),
            invoices.c.number.label("invoice"),
            invoices.c.currency,
            applications.c.amount,
            applications.c.id.label("seq"),
        )
        .join(credit_notes, credit_notes.c.id == applications.c.credit_id)
        .join(invoices, invoices.c.id == applications.c.invoice_id)
        .where(
            applications.c.tenant_id == tenant_id,
            applications.c.invoice_id.in_(invoice_ids),
            applications.c.reversed_at.is_(None),
        )
    )
    both = union_all(paid, credited).subquery()
    rows = await session.execute(select(both).order_by(both.c.date, both.c.invoice, both.c.seq))
    return [{k: v for k, v in row.items() if k != "seq"} for row in rows.mappings()]
