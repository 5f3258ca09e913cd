"""The account statement of a customer: open invoices with days overdue, the payments received on them, credits,
the open late charges (issue 19), aging and totals per currency (``shared.statement.summarize``, the same figures
messaging's attachment shows)."""

import uuid
from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.charges.repository import OpenCharge, open_charges
from services.receivables.customers.repository import load_customer, people_of_customer
from services.receivables.statements import repository
from services.receivables.statements.lines import invoice_line
from services.receivables.tenant_settings.repository import TenantProfile, load_profile
from shared.aging import aging_bucket
from shared.contracts.common import InvoiceKind, Person
from shared.problems import NotFound
from shared.statement import charge_totals, summarize


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
    rows = await repository.open_invoices(session, tenant_id, customer_id)
    unapplied = await repository.unapplied_payments(session, tenant_id, customer_id)

    lines, credits = [], []
    for row in rows:
        if row.kind == InvoiceKind.CREDIT_NOTE:
            credits.append(
                {
                    "kind": "credit_note",
                    "reference": row.number,
                    "currency": row.currency,
                    "amount": row.open_amount,
                    "date": row.issue_date,
                }
            )
            continue
        line = invoice_line(row, today).model_dump()
        line.update(
            bucket=aging_bucket(line["days_overdue"]),
            promised_date=row.promised_date,
            reported_date=row.reported_date,
        )
        lines.append(line)
    for payment in unapplied:
        credits.append(
            {
                "kind": "unapplied_payment",
                "reference": payment.reference,
                "currency": payment.currency,
                "amount": payment.unapplied_amount,
                "date": payment.payment_date,
            }
        )

    received = [asdict(r) for r in await repository.received_on(session, tenant_id, [x["invoice_id"] for x in lines])]
    people = await people_of_customer(session, tenant_id, customer_id)
    charges = [_charge_line(c) for c in await open_charges(session, tenant_id, customer_id)]
    return {
        "customer": {k: getattr(customer, k) for k in ("id", "external_id", "name", "tax_id", "country", "language")},
        "company": profile.name,
        "as_of": today,
        "invoices": lines,
        "credits": credits,
        "payments": received,
        **summarize(lines, credits),
        "charges": charges,
        "charge_totals": charge_totals(charges),
        "collector": _shown(people.collector),
        "advisor": _shown(people.advisor),
        "supervisor": _shown(people.supervisor),
    }


def _charge_line(charge: OpenCharge) -> dict[str, Any]:
    """A ``ChargeLine``'s fields (the shape messages carry too)."""
    line = asdict(charge)
    return {"charge_id": line.pop("id"), **line}


def _shown(person: Person | None) -> dict[str, Any] | None:
    return None if person is None else person.model_dump(mode="json")
