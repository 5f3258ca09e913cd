"""The account statement of a customer: open invoices with days overdue, credits, aging and totals per currency."""

import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.receivables.customers.repository import load_customer, people_of_customer
from services.receivables.invoices.schemas import quantize
from services.receivables.kpis.formulas import BUCKET_NAMES, aging_bucket
from services.receivables.models import Invoice, Payment
from services.receivables.statements.lines import invoice_line
from services.receivables.tenants.repository import load_profile
from shared.contracts.common import OPEN_STATUSES, InvoiceKind
from shared.problems import NotFound

invoices = Invoice.__table__
payments = Payment.__table__
ZERO = Decimal(0)


async def build_statement(
    conn: AsyncConnection, tenant_id: uuid.UUID, customer_id: uuid.UUID, as_of: date | None
) -> dict:
    customer = await load_customer(conn, tenant_id, customer_id)
    if customer is None:
        raise NotFound("Customer not found")
    profile = await load_profile(conn, tenant_id)
    today = as_of or profile.today()
    rows = (
        (
            await conn.execute(
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
            await conn.execute(
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

    aging: dict[str, dict[str, Decimal]] = {}
    overdue: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        aging.setdefault(line["currency"], dict.fromkeys(BUCKET_NAMES, quantize(ZERO, line["currency"])))
        aging[line["currency"]][line["bucket"]] += line["open_amount"]
        if line["days_overdue"] > 0:
            overdue[line["currency"]] += line["open_amount"]
    credit: dict[str, Decimal] = defaultdict(Decimal)
    for item in credits:
        credit[item["currency"]] += item["amount"]
    currencies = sorted(set(aging) | set(credit))
    totals = []
    for c in currencies:
        zero = quantize(ZERO, c)
        owed = sum(aging[c].values(), zero) if c in aging else zero
        totals.append(
            {
                "currency": c,
                "open_amount": owed,
                "overdue_amount": overdue.get(c, zero),
                "credit": credit.get(c, zero),
                "balance": owed - credit.get(c, zero),
            }
        )
    people = await people_of_customer(conn, tenant_id, customer_id)
    return {
        "customer": {k: customer[k] for k in ("id", "external_id", "name", "tax_id", "country", "language")},
        "company": profile.name,
        "as_of": today,
        "invoices": lines,
        "credits": credits,
        "aging": [{"currency": c, "buckets": aging[c]} for c in sorted(aging)],
        "totals": totals,
        **people,
    }
